"""The runtime's cycle hook: called at the end of ``--once`` and every ``cycle_interval``
while the daemon runs (the CLI passes the report writer); a failing hook is logged and
the loop goes on. Scripted stages (tests.helpers_agents), real SQLite."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from agents.pipeline import load_pipeline
from agents.runtime import Runtime
from agents.runtime.reports import write_cycle_reports
from agents.settings import load_settings
from agents.store import Store
from tests.helpers import rbi


def _settings(tmp: Path) -> Any:
    return load_settings(None, db=tmp / "rbi.sqlite", ideas_dir=tmp / "ideas", results_dir=tmp,
                         pipeline="tests.helpers:PIPELINE", workers=1, poll_interval=0.05)


def test_daemon_calls_the_cycle_hook_periodically_and_survives_its_failure(tmp_path: Path) -> None:
    calls: list[float] = []

    def hook(settings: Any, store: Store) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise OSError("disk full (scripted)")
        write_cycle_reports(settings, store)

    settings = _settings(tmp_path)
    rt = Runtime(settings, load_pipeline(settings.pipeline), on_cycle=hook, cycle_interval=0.1)
    t = threading.Thread(target=rt.run)
    t.start()
    deadline = time.monotonic() + 30
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    rt.stop()
    t.join(30)
    assert not t.is_alive() and len(calls) >= 3  # periodic, and on past a failing call
    assert json.loads((tmp_path / "killed.json").read_text())["killed"] == []


def test_run_once_writes_the_reports_at_the_end(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    db = tmp_path / "rbi.sqlite"
    assert rbi(db, "ideas", "add", "a scripted idea").returncode == 0
    p = rbi(db, "run", "--once")
    assert p.returncode == 0, p.stderr
    doc = json.loads((tmp_path / "rankings_2026-01-01.json").read_text())
    assert doc["generated_at"] == "2026-01-01T00:00:00+00:00"
    assert [(r["strategy"], r["version"], r["outcome"]) for r in doc["rankings"]] == [
        ("idea1", 1, "needs_work"), ("idea1", 2, "approve")]  # no scores: by version
    cands = json.loads((tmp_path / "candidates.json").read_text())["candidates"]
    # issue 11: candidates are versions that passed the holdout; this scripted pipeline's
    # review approved v2 but nothing read its holdout
    assert cands == []
