"""A paper session killed with SIGKILL mid-run resumes from its last booked bar and ends
with exactly the fills of an undisturbed run."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pandas as pd

from tests.agents.paper.test_paper import TREND_FOLLOWER, _approved, _regime_break
from tests.helpers import rbi, sql, wait_for

FILLS = "SELECT bar, kind, size, price, fee FROM paper_fills ORDER BY bar, seq"
EQUITY = "SELECT bar, phase, equity, position FROM paper_bars ORDER BY bar"


def _lab(root: Path) -> tuple[Path, Path, dict[str, str]]:
    data = root / "data"
    data.mkdir(parents=True)
    end = _regime_break(data / "regime.csv", n_up=900, n_down=0)  # no crash: runs to the end
    cut = end - pd.Timedelta(days=280)
    cfg = root / "rbi.yaml"
    cfg.write_text(f"research:\n  datasets:\n    - {{name: regime, end: {cut.date()}}}\n")
    db = root / "rbi.sqlite"
    assert rbi(db, "init").returncode == 0
    return db, cfg, {"data_dir": str(data), "backend": "local"}


def test_kill_9_mid_session_resumes_with_identical_fills(tmp_path: Path) -> None:
    db, cfg, env = _lab(tmp_path / "killed")
    sid = _approved(db, TREND_FOLLOWER, "regime")
    started = rbi(db, "paper", "start", f"S{sid}", "--speed", "25", "--json", "--config", str(cfg),
                  **env)
    assert started.returncode == 0, started.stderr
    session = json.loads(started.stdout)["session"]

    def forward_bars() -> int:
        return sql(db, "SELECT COUNT(*) FROM paper_bars WHERE phase = 'forward'")[0][0]

    wait_for(lambda: forward_bars() >= 30, timeout=300, every=0.1)
    [(pid,)] = sql(db, "SELECT pid FROM paper_sessions")
    os.kill(pid, signal.SIGKILL)
    booked = forward_bars()
    time.sleep(0.5)
    status = json.loads(rbi(db, "paper", "status", session, "--json", **env).stdout)[0]
    assert "process gone" in status["state"]
    resumed = rbi(db, "paper", "resume", session, "--foreground", "--config", str(cfg),
                  timeout=600, **env)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    [(state, reason)] = sql(db, "SELECT status, reason FROM paper_sessions")
    assert state == "finished", reason
    assert forward_bars() > booked

    ref_db, ref_cfg, ref_env = _lab(tmp_path / "undisturbed")
    ref_sid = _approved(ref_db, TREND_FOLLOWER, "regime")
    ref = rbi(ref_db, "paper", "start", f"S{ref_sid}", "--speed", "0", "--foreground",
              "--config", str(ref_cfg), timeout=600, **ref_env)
    assert ref.returncode == 0, ref.stderr[-2000:]
    assert sql(db, FILLS) == sql(ref_db, FILLS) and sql(db, FILLS)
    assert sql(db, EQUITY) == sql(ref_db, EQUITY)
    bars = sql(db, "SELECT bar FROM paper_bars ORDER BY bar")
    assert [b for (b,) in bars] == list(range(len(bars)))  # no bar booked twice, none skipped
