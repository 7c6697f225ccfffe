"""``python -m executor.harness`` ends with ``os._exit`` (no interpreter finalisation):
every result line and the done record are still written, and the exit status is main's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from backtesting.test import GOOG

from executor.codec import encode
from executor.types import BacktestOptions, RunRequest
from tests.conftest import read_strategy

ROOT = Path(__file__).resolve().parents[3]


def harness(stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "executor.harness"], input=stdin, cwd=ROOT,
                          capture_output=True, timeout=120)


def test_a_run_writes_every_line_and_exits_0() -> None:
    req = RunRequest(code=read_strategy("sma_cross.py"), data=GOOG, restricted=False,
                     options=BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True),
                     param_sets=[{"n1": 10, "n2": 20}, {"n1": 5, "n2": 30}])
    out = harness(encode(req))
    assert out.returncode == 0, out.stderr[-2000:]
    docs = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [d["rbi"] for d in docs] == ["result", "result", "done"]
    assert all(d["status"] == "ok" for d in docs[:2])
    assert docs[2]["data_sha256"]


def test_a_bad_request_reports_fatal_and_exits_3() -> None:
    out = harness(b"not a request")
    assert out.returncode == 3
    done = json.loads(out.stdout.decode().splitlines()[-1])
    assert done["rbi"] == "done" and "bad magic" in done["fatal"]
