"""Handler exceptions, a locked database, a full disk, corrupt payloads, cancel, signals:
each ends in a retry, a dead letter with its reason in `status`, or a clean stop."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from agents.store import Store
from agents.store.queue import Queue
from tests.helpers import rbi, rbi_json, rbi_popen, sql, wait_for


def _enqueue(db: Path, *events: tuple[str, dict]) -> list[int]:
    with Store(db) as s:
        return [Queue(s).enqueue(t, p)[0] for t, p in events]


def _event(db: Path, eid: int) -> dict:
    c = sqlite3.connect(db)
    c.row_factory = sqlite3.Row
    try:
        return dict(c.execute("SELECT * FROM events WHERE id = ?", (eid,)).fetchone())
    finally:
        c.close()


def test_handler_exception_retries_with_backoff_then_dead_letter_in_status(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    boom, flaky = _enqueue(db, ("boom", {}), ("flaky", {"succeed_on": 3}))
    p = rbi(db, "run", "--once", max_attempts=3)
    assert p.returncode == 1, p.stderr  # a dead letter makes `run --once` a domain failure
    e = _event(db, boom)
    assert (e["status"], e["attempts"], e["error_class"]) == ("dead", 3, "ValueError")
    assert "scripted failure on attempt 3" in e["last_error"]
    f = _event(db, flaky)
    assert (f["status"], f["attempts"]) == ("done", 3)
    assert "flaky attempt 2" in f["last_error"]  # kept: the history of the retries
    st = rbi_json(db, "status")
    assert st["failures"][0]["error_class"] == "ValueError"
    assert "scripted failure" in st["failures"][0]["last_error"]
    human = rbi(db, "status")
    assert "dead letters by error class" in human.stdout and "ValueError" in human.stdout
    # retry puts it back, and it dies again with its reason
    r = rbi(db, "retry", f"E{boom}", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["requeued"] == 1
    assert _event(db, boom)["status"] == "ready"


def test_corrupt_payloads_are_dead_letters_at_once(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    (missing,) = _enqueue(db, ("noop", {"m": 1}))  # noop requires key "n"
    (bad,) = _enqueue(db, ("noop", {"n": 1}))
    (arr,) = _enqueue(db, ("noop", {"n": 2}))
    sql_conn = sqlite3.connect(db)
    sql_conn.execute("UPDATE events SET payload = '{not json' WHERE id = ?", (bad,))
    sql_conn.execute("UPDATE events SET payload = '[1, 2]' WHERE id = ?", (arr,))
    sql_conn.commit()
    sql_conn.close()
    p = rbi(db, "run", "--once")
    assert p.returncode == 1
    for eid, words in ((missing, "missing key(s) n"), (bad, "not JSON"), (arr, "JSON object")):
        e = _event(db, eid)
        assert (e["status"], e["attempts"], e["error_class"]) == ("dead", 1, "BadPayload")
        assert words in e["last_error"]
    st = rbi_json(db, "status")
    assert st["failures"][0]["error_class"] == "BadPayload"


def test_locked_database_is_retried_not_a_crash(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    (eid,) = _enqueue(db, ("contend", {}))
    noops = _enqueue(db, *[("noop", {"n": i}) for i in range(5)])
    # and an outside process holding the write lock while the runner claims
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    proc = rbi_popen(db, "run", "--once", busy_timeout_ms=200)
    time.sleep(1.5)
    holder.execute("ROLLBACK")
    holder.close()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    e = _event(db, eid)
    assert (e["status"], e["attempts"], e["error_class"]) == ("done", 2, "StoreError")
    assert "database is locked" in e["last_error"]
    assert all(_event(db, n)["status"] == "done" for n in noops)


def test_full_database_page_limit_retries_then_dead_with_reason(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    (eid,) = _enqueue(db, ("fill_pages", {}))
    p = rbi(db, "run", "--once", max_attempts=2)
    assert p.returncode == 1
    e = _event(db, eid)
    assert (e["status"], e["attempts"], e["error_class"]) == ("dead", 2, "StoreError")
    assert "full" in e["last_error"]
    assert "full" in rbi_json(db, "status")["failures"][0]["last_error"]


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True)
    return r.returncode == 0


def test_full_filesystem_dead_letter_with_reason(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    if not _mount_tmpfs(mnt, "1m"):
        pytest.skip("cannot mount a tmpfs here (needs root); the page-limit test covers it")
    try:
        db = mnt / "rbi.sqlite"
        eid, ok = _enqueue(db, ("write_big", {"size": 3_000_000}), ("noop", {"n": 1}))
        p = rbi(db, "run", "--once", max_attempts=2, results_dir=tmp_path)
        assert p.returncode == 1, p.stderr
        e = _event(db, eid)
        assert (e["status"], e["error_class"]) == ("dead", "StoreError")
        assert "disk is full" in e["last_error"]
        assert _event(db, ok)["status"] == "done"
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_cancel_stops_running_handler_at_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    with Store(db) as s:
        idea, _ = s.add_idea("a slow idea")
        (eid, _), (pending, _) = (Queue(s).enqueue("slow", {"idea_id": idea, "seconds": 30}),
                                  Queue(s).enqueue("noop", {"idea_id": idea, "n": 1},
                                                   available_at=time.time() + 3600))
    proc = rbi_popen(db, "run", "--once", workers=1)
    wait_for(lambda: _event(db, eid)["status"] == "running")
    c = rbi(db, "cancel", f"I{idea}", "--json")
    assert c.returncode == 0, c.stderr
    assert json.loads(c.stdout) == {"idea": idea, "cancelled": 1, "stopping": 1, "strategies": 0}
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert _event(db, eid)["status"] == "cancelled"
    assert _event(db, pending)["status"] == "cancelled"
    assert sql(db, "SELECT status FROM ideas") == [("cancelled",)]
    assert sql(db, "SELECT COUNT(*) FROM learnings") == [(0,)]  # its write never happened
    assert rbi(db, "retry", f"I{idea}").returncode == 0
    assert sql(db, "SELECT status FROM ideas") == [("active",)]


@pytest.mark.parametrize(("grace", "expect"), [(20, "done"), (0, "ready")])
def test_sigterm_finishes_or_releases_in_flight_work(tmp_path: Path, grace: int, expect: str) -> None:
    db = tmp_path / "rbi.sqlite"
    (eid,) = _enqueue(db, ("slow", {"seconds": 2}))
    proc = rbi_popen(db, "run", shutdown_grace_seconds=grace)
    wait_for(lambda: _event(db, eid)["status"] == "running")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 0
    e = _event(db, eid)
    assert e["status"] == expect
    if expect == "ready":  # given back untouched: the attempt does not count
        assert (e["attempts"], e["wait_reason"]) == (0, "shutdown")
    assert sql(db, "SELECT COUNT(*) FROM runner_lock") == [(0,)]


def test_second_run_is_refused_and_a_killed_runner_is_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    first = rbi_popen(db, "run")
    wait_for(lambda: db.exists() and sql(db, "SELECT COUNT(*) FROM runner_lock") == [(1,)])
    second = rbi(db, "run", "--once")
    assert second.returncode == 1
    assert "another `rbi run` is using" in second.stderr and str(first.pid) in second.stderr
    assert "Traceback" not in second.stderr
    first.send_signal(signal.SIGKILL)
    first.wait()
    third = rbi(db, "run", "--once")
    assert third.returncode == 0, third.stderr
    assert "stale runner lock" in third.stderr


def test_event_without_handler_waits_and_status_says_why(tmp_path: Path) -> None:
    db = tmp_path / "rbi.sqlite"
    out = rbi(db, "ideas", "add", "RSI oversold bounce on GOOG",
              pipeline="tests.helpers:NO_RESEARCH")
    assert out.returncode == 0
    run = rbi(db, "run", "--once", pipeline="tests.helpers:NO_RESEARCH")
    assert run.returncode == 0, run.stderr
    st = rbi_json(db, "status", pipeline="tests.helpers:NO_RESEARCH")
    assert st["events"] == {"research": {"ready": 1}}
    assert st["waiting"] == [{"type": "research", "ready": 1, "reason": "no handler for stage research"}]
    assert "no handler for stage research" in rbi(
        db, "status", pipeline="tests.helpers:NO_RESEARCH").stdout
