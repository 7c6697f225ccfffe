"""Queue semantics on a real SQLite file: idempotent enqueue, leases, backoff, cancel/retry."""

from __future__ import annotations

import time
from pathlib import Path

from agents.store import Store
from agents.store.queue import Queue, backoff_delay


def test_enqueue_is_idempotent_and_claim_is_exclusive(tmp_path: Path) -> None:
    s1, s2 = Store(tmp_path / "q.sqlite"), Store(tmp_path / "q.sqlite")
    q1, q2 = Queue(s1), Queue(s2)
    a = q1.enqueue("t", {"x": 1}, idempotency_key="k")
    assert q2.enqueue("t", {"x": 2}, idempotency_key="k") == (a[0], False)
    q1.enqueue("t", {"x": 3}, available_at=time.time() + 3600)
    ev = q1.claim("w1", 30, ["t"])
    assert ev is not None and ev.id == a[0] and ev.attempts == 1 and ev.payload() == {"x": 1}
    assert q2.claim("w2", 30, ["t"]) is None  # the other one is not due; this one is leased
    assert q1.claim("w1", 30, ["other"]) is None
    assert q2.ack(ev) is True  # any connection may ack while the lease token matches


def test_expired_lease_is_redelivered_and_old_owner_cannot_ack(tmp_path: Path) -> None:
    s = Store(tmp_path / "q.sqlite")
    q = Queue(s, max_attempts=2)
    eid, _ = q.enqueue("t", {})
    first = q.claim("w1", 0.01, None)
    time.sleep(0.05)
    second = q.claim("w2", 30, None)
    assert second is not None and second.id == eid and second.attempts == 2
    assert first is not None and q.ack(first) is False  # its lease is gone
    assert q.ack(second) is True
    # a worker that dies on every attempt ends as a dead letter, not a loop
    e2, _ = q.enqueue("t", {"n": 2})
    q.claim("w", 0.01, None)
    time.sleep(0.05)
    q.claim("w", 0.01, None)
    time.sleep(0.05)
    assert q.claim("w", 30, None) is None
    row = s.one("SELECT status, error_class FROM events WHERE id = ?", (e2,))
    assert tuple(row) == ("dead", "LeaseExpired")


def test_backoff_grows_and_is_seeded() -> None:
    d = [backoff_delay(a, 2.0, 300.0, 7, 42) for a in range(1, 8)]
    assert d == [backoff_delay(a, 2.0, 300.0, 7, 42) for a in range(1, 8)]
    assert d != [backoff_delay(a, 2.0, 300.0, 8, 42) for a in range(1, 8)]
    assert 1.0 <= d[0] <= 3.0 and d[5] > d[0] and max(d) <= 450.0


def test_fail_then_dead_and_cancel_retry_of_a_strategy(tmp_path: Path) -> None:
    s = Store(tmp_path / "q.sqlite")
    q = Queue(s, max_attempts=2, retry_base=0.0)
    idea, _ = s.add_idea("x")
    sid, _ = s.add_strategy(idea, "s")
    eid, _ = q.enqueue("t", {"strategy_id": sid})
    ev = q.claim("w", 30, None)
    assert ev and q.fail(ev, "boom", "ValueError") == "ready"
    ev = q.claim("w", 30, None)
    assert ev and q.fail(ev, "boom again", "ValueError") == "dead"
    assert s.one("SELECT status FROM ideas")[0] == "new"  # not failed: the event names no idea
    other, _ = q.enqueue("u", {"strategy_id": sid})
    assert q.cancel(strategy_id=sid) == {"cancelled": 1, "stopping": 0, "strategies": 1}
    assert q.enqueue("u", {"strategy_id": sid, "late": 1})[0]  # lands cancelled
    assert s.one("SELECT COUNT(*) FROM events WHERE status = 'cancelled'")[0] == 2
    assert q.retry(strategy_id=sid) == 3
    assert s.one("SELECT status FROM strategies")[0] == "active"
