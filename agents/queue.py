"""The persistent event queue: one ``events`` table, leases, retries, dead letters.

Life of an event::

    ready --claim--> running --ack (same tx as the handler's writes)--> done
                        |--fail--> ready (attempts < max, backoff) | dead (reason kept)
                        |--lease expires (worker died)--> ready | dead (attempts spent)
                        |--cancel--> cancelled        dead/cancelled --retry--> ready

``attempts`` is counted at claim time, so a handler that kills its worker every time
(segfault, OOM) still ends as a dead letter instead of looping forever.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents.errors import BadPayload
from agents.research.jsonsafe import clean
from agents.store import Store, now_iso

__all__ = ["Event", "Queue", "backoff_delay"]

ACTIVE = ("ready", "running")


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    payload_text: str
    attempts: int
    max_attempts: int | None
    lease_owner: str
    idea_id: int | None
    strategy_id: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Event:
        return cls(
            id=row["id"], type=row["type"], payload_text=row["payload"],
            attempts=row["attempts"], max_attempts=row["max_attempts"],
            lease_owner=row["lease_owner"] or "", idea_id=row["idea_id"],
            strategy_id=row["strategy_id"],
        )

    def payload(self) -> dict[str, Any]:
        """The decoded payload; :class:`BadPayload` when it is not a JSON object."""
        try:
            value = json.loads(self.payload_text)
        except (TypeError, ValueError) as e:
            raise BadPayload(f"corrupt payload (not JSON): {e}") from None
        if not isinstance(value, dict):
            raise BadPayload(f"corrupt payload: expected a JSON object, got {type(value).__name__}")
        return value


def backoff_delay(attempts: int, base: float, cap: float, seed: int, event_id: int) -> float:
    """Exponential backoff with deterministic jitter (x0.5..x1.5), seeded per event."""
    raw = min(cap, base * (2 ** max(0, attempts - 1)))
    return raw * random.Random(f"{seed}:{event_id}:{attempts}").uniform(0.5, 1.5)


def _ts(value: datetime | float | None) -> float:
    if value is None:
        return time.time()
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _in(types: Collection[str] | None) -> tuple[str, tuple[str, ...]]:
    if types is None:
        return "", ()
    if not types:
        return " AND 0", ()
    return f" AND type IN ({', '.join('?' * len(types))})", tuple(types)


class Queue:
    """Queue operations on a :class:`Store`'s connection (so they share its transactions)."""

    def __init__(
        self, store: Store, *, max_attempts: int = 5, retry_base: float = 2.0,
        retry_max: float = 300.0, seed: int = 0,
    ) -> None:
        self.store = store
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.seed = seed

    # -- producing ---------------------------------------------------------------
    def enqueue(
        self, type: str, payload: dict[str, Any], *, idempotency_key: str | None = None,
        available_at: datetime | float | None = None, idea_id: int | None = None,
        strategy_id: int | None = None, parent_event_id: int | None = None,
        max_attempts: int | None = None,
    ) -> tuple[int, bool]:
        """Add an event; a known ``idempotency_key`` adds nothing. -> (id, created)."""
        try:
            text = json.dumps(clean(payload), sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise BadPayload(f"payload for {type!r} is not JSON-serialisable: {e}") from e
        idea_id = idea_id if idea_id is not None else payload.get("idea_id")
        strategy_id = strategy_id if strategy_id is not None else payload.get("strategy_id")
        now = now_iso()
        with self.store.tx():
            status = "cancelled" if self._cancelled(idea_id, strategy_id) else "ready"
            row = self.store.one(
                "INSERT INTO events (type, payload, status, max_attempts, available_ts, "
                "idempotency_key, idea_id, strategy_id, parent_event_id, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                (type, text, status, max_attempts, _ts(available_at), idempotency_key, idea_id,
                 strategy_id, parent_event_id, now, now),
            )
            if row is not None:
                return int(row[0]), True
            old = self.store.one("SELECT id FROM events WHERE idempotency_key = ?", (idempotency_key,))
            return (int(old[0]) if old else 0), False

    def _cancelled(self, idea_id: Any, strategy_id: Any) -> bool:
        if idea_id is not None and self.store.one(
            "SELECT 1 FROM ideas WHERE id = ? AND status = 'cancelled'", (idea_id,)
        ):
            return True
        return strategy_id is not None and self.store.one(
            "SELECT 1 FROM strategies WHERE id = ? AND status = 'cancelled'", (strategy_id,)
        ) is not None

    # -- consuming -----------------------------------------------------------------
    def claim(self, worker: str, lease_s: float, types: Collection[str] | None = None) -> Event | None:
        """Lease the next due event (``UPDATE ... RETURNING`` under ``BEGIN IMMEDIATE``)."""
        now = time.time()
        cond, args = _in(types)
        owner = f"{worker}:{uuid.uuid4().hex[:10]}"
        with self.store.tx():
            self._expire_leases(now)
            row = self.store.one(
                "UPDATE events SET status = 'running', attempts = attempts + 1, lease_owner = ?, "
                "lease_until_ts = ?, wait_reason = NULL, updated_at = ? WHERE id = ("
                "SELECT id FROM events WHERE status = 'ready' AND available_ts <= ?"
                f"{cond} ORDER BY available_ts, id LIMIT 1) RETURNING *",
                (owner, now + lease_s, now_iso(now), now, *args),
            )
        return Event.from_row(row) if row else None

    def _expire_leases(self, now: float) -> None:
        rows = self.store.all(
            "SELECT id, attempts, max_attempts, idea_id FROM events "
            "WHERE status = 'running' AND lease_until_ts < ?", (now,),
        )
        for r in rows:
            limit = r["max_attempts"] or self.max_attempts
            if r["attempts"] >= limit:
                self._bury(r["id"], r["idea_id"], "LeaseExpired",
                           f"lease expired on attempt {r['attempts']} of {limit}: the worker "
                           "died while handling it (crash, kill, OOM)")
            else:
                self.store.conn.execute(
                    "UPDATE events SET status = 'ready', lease_owner = NULL, lease_until_ts = NULL, "
                    "last_error = 'lease expired: the worker died, re-delivered', "
                    "error_class = 'LeaseExpired', updated_at = ? WHERE id = ?",
                    (now_iso(now), r["id"]),
                )

    def ack(self, event: Event) -> bool:
        """Mark done if we still hold the lease. Call inside the handler's transaction."""
        with self.store.tx():
            cur = self.store.conn.execute(
                "UPDATE events SET status = 'done', lease_until_ts = NULL, finished_at = ?, "
                "updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                (now_iso(), now_iso(), event.id, event.lease_owner),
            )
            return cur.rowcount == 1

    def fail(self, event: Event, error: str, error_class: str, *, retryable: bool = True) -> str:
        """Record a failure: back to ready after a backoff, or dead. -> the new status."""
        limit = event.max_attempts or self.max_attempts
        with self.store.tx():
            if not self._holds(event):
                return "lost"
            if not retryable or event.attempts >= limit:
                self._bury(event.id, event.idea_id, error_class, error)
                return "dead"
            delay = backoff_delay(event.attempts, self.retry_base, self.retry_max, self.seed, event.id)
            self.store.conn.execute(
                "UPDATE events SET status = 'ready', lease_owner = NULL, lease_until_ts = NULL, "
                "available_ts = ?, last_error = ?, error_class = ?, updated_at = ? WHERE id = ?",
                (time.time() + delay, error, error_class, now_iso(), event.id),
            )
            return "ready"

    def _holds(self, event: Event) -> bool:
        return self.store.one(
            "SELECT 1 FROM events WHERE id = ? AND lease_owner = ? AND status = 'running'",
            (event.id, event.lease_owner),
        ) is not None

    def _bury(self, event_id: int, idea_id: int | None, error_class: str, error: str) -> None:
        now = now_iso()
        self.store.conn.execute(
            "UPDATE events SET status = 'dead', lease_owner = NULL, lease_until_ts = NULL, "
            "last_error = ?, error_class = ?, finished_at = ?, updated_at = ? WHERE id = ?",
            (error, error_class, now, now, event_id),
        )
        if idea_id is not None:
            self.store.conn.execute(
                "UPDATE ideas SET status = 'failed', reason = ?, updated_at = ? WHERE id = ? "
                "AND status NOT IN ('done', 'cancelled', 'killed', 'promoted')",
                (f"event {event_id} dead: {error_class}: {error}"[:500], now, idea_id),
            )

    def mark_cancelled(self, event: Event, reason: str = "cancelled") -> None:
        now = now_iso()
        with self.store.tx():
            self.store.conn.execute(
                "UPDATE events SET status = 'cancelled', lease_owner = NULL, lease_until_ts = NULL, "
                "last_error = ?, finished_at = ?, updated_at = ? WHERE id = ? AND lease_owner = ?",
                (reason, now, now, event.id, event.lease_owner),
            )

    def release(
        self, event: Event, *, reason: str | None = None,
        available_at: datetime | float | None = None, refund_attempt: bool = True,
    ) -> None:
        """Give the event back untouched (shutdown, budget pause); optionally not counted."""
        with self.store.tx():
            self.store.conn.execute(
                "UPDATE events SET status = 'ready', lease_owner = NULL, lease_until_ts = NULL, "
                "attempts = attempts - ?, available_ts = ?, wait_reason = ?, updated_at = ? "
                "WHERE id = ? AND lease_owner = ? AND status = 'running'",
                (1 if refund_attempt else 0, _ts(available_at), reason, now_iso(), event.id,
                 event.lease_owner),
            )

    def extend(self, events: Collection[Event], lease_s: float) -> list[int]:
        """Heartbeat: push leases forward; returns ids whose cancellation was requested."""
        if not events:
            return []
        until = time.time() + lease_s
        cancelled = []
        with self.store.tx():
            for ev in events:
                row = self.store.one(
                    "UPDATE events SET lease_until_ts = ? WHERE id = ? AND lease_owner = ? "
                    "AND status = 'running' RETURNING cancel_requested", (until, ev.id, ev.lease_owner),
                )
                if row is not None and row[0]:
                    cancelled.append(ev.id)
        return cancelled

    def cancel_requested(self, event: Event) -> bool:
        row = self.store.one("SELECT cancel_requested FROM events WHERE id = ?", (event.id,))
        return bool(row and row[0])

    # -- operator actions --------------------------------------------------------------
    def cancel(self, *, idea_id: int | None = None, strategy_id: int | None = None) -> dict[str, int]:
        """Cancel an idea (and its strategies) or a strategy: ready events cancelled,
        running ones flagged so their handler stops at the next checkpoint."""
        now = now_iso()
        with self.store.tx():
            if idea_id is not None:
                sids = [r[0] for r in self.store.all("SELECT id FROM strategies WHERE idea_id = ?", (idea_id,))]
                self.store.conn.execute(
                    "UPDATE ideas SET status = 'cancelled', reason = 'cancelled by user', "
                    "updated_at = ? WHERE id = ?", (now, idea_id))
            else:
                sids = [strategy_id] if strategy_id is not None else []
            marks = ", ".join("?" * len(sids)) or "NULL"
            scope = f"(idea_id IS ? OR strategy_id IN ({marks}))"
            args = (idea_id if idea_id is not None else -1, *sids)
            self.store.conn.execute(
                f"UPDATE strategies SET status = 'cancelled', reason = 'cancelled by user', "
                f"updated_at = ? WHERE id IN ({marks})", (now, *sids))
            ready = self.store.conn.execute(
                f"UPDATE events SET status = 'cancelled', last_error = 'cancelled by user', "
                f"finished_at = ?, updated_at = ? WHERE status = 'ready' AND {scope}",
                (now, now, *args)).rowcount
            running = self.store.conn.execute(
                f"UPDATE events SET cancel_requested = 1, updated_at = ? "
                f"WHERE status = 'running' AND {scope}", (now, *args)).rowcount
        return {"cancelled": ready, "stopping": running, "strategies": len(sids)}

    def retry(self, *, event_id: int | None = None, idea_id: int | None = None,
              strategy_id: int | None = None) -> int:
        """Dead or cancelled events back to ready (attempts reset); entities active again."""
        now = now_iso()
        args: tuple[int | None, ...]
        with self.store.tx():
            if event_id is not None:
                scope, args = "id = ?", (event_id,)
            elif idea_id is not None:
                scope, args = "idea_id = ?", (idea_id,)
                self.store.conn.execute(
                    "UPDATE ideas SET status = 'active', reason = NULL, updated_at = ? "
                    "WHERE id = ? AND status IN ('failed', 'cancelled')", (now, idea_id))
                self.store.conn.execute(
                    "UPDATE strategies SET status = 'active', reason = NULL, updated_at = ? "
                    "WHERE idea_id = ? AND status = 'cancelled'", (now, idea_id))
            else:
                scope, args = "strategy_id = ?", (strategy_id,)
                self.store.conn.execute(
                    "UPDATE strategies SET status = 'active', reason = NULL, updated_at = ? "
                    "WHERE id = ? AND status = 'cancelled'", (now, strategy_id))
            rows = self.store.all(
                f"UPDATE events SET status = 'ready', attempts = 0, cancel_requested = 0, "
                f"available_ts = ?, finished_at = NULL, updated_at = ? "
                f"WHERE status IN ('dead', 'cancelled') AND {scope} RETURNING idea_id",
                (time.time(), now, *args))
            for r in rows:
                if r[0] is not None:
                    self.store.conn.execute(
                        "UPDATE ideas SET status = 'active', reason = NULL, updated_at = ? "
                        "WHERE id = ? AND status IN ('failed', 'cancelled')", (now, r[0]))
        return len(rows)

    # -- looking -------------------------------------------------------------------
    def next_due(self, types: Collection[str] | None = None) -> float | None:
        """Epoch time when something may next be claimable (ready event or lease expiry)."""
        cond, args = _in(types)
        a = self.store.one(f"SELECT MIN(available_ts) FROM events WHERE status = 'ready'{cond}", args)
        b = self.store.one(f"SELECT MIN(lease_until_ts) FROM events WHERE status = 'running'{cond}", args)
        times = [x[0] for x in (a, b) if x is not None and x[0] is not None]
        return min(times) if times else None

    def active_by_type(self, types: Collection[str] | None = None,
                       horizon_s: float | None = None) -> dict[str, dict[str, int]]:
        """Per event type: ``{"events": n, "ideas": distinct ideas/strategies}`` over ready
        (due within ``horizon_s``) + running events: what a progress display shows."""
        cond, args = _in(types)
        limit = time.time() + horizon_s if horizon_s is not None else float("inf")
        rows = self.store.all(
            "SELECT type, COUNT(*) AS n, COUNT(DISTINCT COALESCE(strategy_id, -idea_id)) AS ideas "
            "FROM events WHERE (status = 'running' OR "
            f"(status = 'ready' AND available_ts <= ?)){cond} GROUP BY type", (limit, *args))
        return {r["type"]: {"events": int(r["n"]), "ideas": int(r["ideas"])} for r in rows}
