"""The "pipeline now" page: counts per stage and status, running work, recent failures."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from typing import Any

from agents.store import dashboard_events as reads

__all__ = ["EVENT_STATUSES", "STAGE_ORDER", "pipeline", "stamp"]

STAGE_ORDER = ("research", "backtest", "package", "validate", "execute", "review", "debug",
               "optimise", "promote")
EVENT_STATUSES = ("ready", "running", "done", "dead", "cancelled")


def _event_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for t, s, n in reads.event_counts(conn):
        counts.setdefault(t, {})[s] = n
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    return dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


def stamp(conn: sqlite3.Connection) -> str:
    """Changes whenever anything the page shows changes (cheap: indexed counts, max ids)."""
    parts = reads.stamp_parts(conn)
    text = json.dumps([[list(r) for r in p] if isinstance(p, list) else list(p or ())
                       for p in parts], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pipeline(conn: sqlite3.Connection, *, limit: int = 20) -> dict[str, Any]:
    now = time.time()
    counts = _event_counts(conn)
    totals = {s: sum(by.get(s, 0) for by in counts.values()) for s in EVENT_STATUSES}
    running = reads.event_rows(conn, "running", limit * 5)
    for r in running:
        lease = r.pop("lease_until_ts")
        r["lease_left_s"] = round(lease - now, 1) if lease is not None else None
    dead = reads.event_rows(conn, "dead", limit)
    retrying = reads.event_rows(conn, "retrying", limit)
    for r in retrying:
        r["due_in_s"] = max(0.0, round((r.pop("available_ts") or now) - now, 1))
    failed_runs = reads.failed_runs(conn, limit)
    latest = reads.latest_results(conn, 10)
    failure_classes = reads.dead_by_class(conn, 20)
    return {
        "generated_ts": now,
        "stamp": stamp(conn),
        "stages": counts,
        "statuses": list(EVENT_STATUSES),
        "totals": totals,
        "queue_depth": totals.get("ready", 0),
        "ideas": reads.status_counts(conn, "ideas"),
        "strategies": reads.status_counts(conn, "strategies"),
        "results": reads.status_counts(conn, "backtest_results"),
        "running": running,
        "dead": dead,
        "retrying": retrying,
        "failed_runs": failed_runs,
        "failure_classes": failure_classes,
        "latest_results": latest,
    }
