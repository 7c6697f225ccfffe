"""Docker sandbox hardening, with the validator BYPASSED (``sandbox.run``):

* the harness starts with ``python -I``: a module strategy code writes to /tmp (the
  container's working directory) never shadows an import (``python -c`` put the working
  directory first on ``sys.path``, in the trusted parent as in the workers it forks);
* a run whose results overflow the result cap comes back ``output_limit`` promptly and
  leaves no container (it was removed while the daemon still held undelivered output:
  the removal hung for the client's 60 s timeout and the run ended in a SandboxError).
"""

from __future__ import annotations

import subprocess
import time

import pytest

from executor.backends.docker import sandbox as docker_sandbox
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy, require_docker

pytestmark = pytest.mark.docker
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)

# stdlib modules the harness has not imported by the time strategy code runs: each is
# written to /tmp (and the working directory), then imported; a shadow announces itself
SHADOW = '''
import os
import sys
from backtesting import Strategy

NAMES = [n for n in ("colorsys", "wave", "tabnanny", "imghdr", "sndhdr", "fractions",
                     "graphlib", "shelve", "netrc", "mailbox") if n not in sys.modules][:4]
for folder in {"/tmp", os.getcwd()}:
    for name in NAMES:
        with open(os.path.join(folder, name + ".py"), "w") as fh:
            fh.write(f"print('SHADOW-RAN {name}', flush=True)\\n")
print("SYS.PATH", sys.path[:3], "CWD", os.getcwd(), "NAMES", NAMES, flush=True)
for name in NAMES:
    __import__(name)


class Probe(Strategy):
    def init(self):
        pass

    def next(self):
        pass
'''


@pytest.fixture(scope="module")
def sandbox():
    return require_docker()


def test_a_module_written_to_tmp_never_shadows_an_import(sandbox, goog):
    res = sandbox.run(RunRequest(code=SHADOW, data=goog, options=OPTS, limits=Limits(timeout_s=60),
                                 restricted=False))  # probes the image beneath the guards
    assert res.status == "ok", (res.error, res.stdout_tail[-2000:])
    assert "NAMES [" in res.stdout_tail and "NAMES []" not in res.stdout_tail, res.stdout_tail
    assert "SHADOW-RAN" not in res.stdout_tail, res.stdout_tail


def _containers(run_id: str) -> list[str]:
    return subprocess.run(["docker", "ps", "-aq", "--filter", f"label=rbi.run_id={run_id}"],
                          capture_output=True, text=True, check=True).stdout.split()


def test_result_overflow_is_output_limit_promptly_and_leaves_no_container(sandbox, goog, monkeypatch):
    # far more results than the (lowered) cap and than the pipes between the container and
    # this process hold: 8 sets whose order logs (what a result carries) hold two decisions
    # a bar — a limit order placed and cancelled — so the daemon holds undelivered output
    # when the run is cut off
    monkeypatch.setattr(docker_sandbox, "result_cap", lambda request: 64 * 1024)
    code = read_strategy("sma_cross.py").replace(
        "    def next(self):\n",
        "    def next(self):\n        self.buy(size=1, limit=1.0).cancel()\n", 1)
    sets = [{"n1": 5 + i, "n2": 20 + i} for i in range(8)]
    req = RunRequest(code=code, data=goog, options=OPTS, limits=Limits(timeout_s=120), param_sets=sets,
                     restricted=False)
    t = time.monotonic()
    results = sandbox.run_batch(req)  # the old removal raised SandboxError after 60 s
    elapsed = time.monotonic() - t
    assert {r.status for r in results} <= {"ok", "output_limit"}, {r.status for r in results}
    assert "output_limit" in {r.status for r in results}
    assert results[0].timings.get("docker_remove_s", 99) < 5, results[0].timings
    assert elapsed < 50, f"took {elapsed:.1f} s: the container removal waited for a timeout"
    assert _containers(req.run_id) == []
