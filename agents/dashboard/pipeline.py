"""The "pipeline now" page: counts per stage and status, running work, recent failures."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from typing import Any

from agents.dashboard.db import columns, rows

__all__ = ["EVENT_STATUSES", "STAGE_ORDER", "pipeline", "stamp"]

STAGE_ORDER = ("research", "backtest", "package", "validate", "execute", "review", "debug",
               "optimise", "promote")
EVENT_STATUSES = ("ready", "running", "done", "dead", "cancelled")


def _by(conn: sqlite3.Connection, table: str) -> dict[str, int]:
    if "status" not in columns(conn, table):
        return {}
    return {r[0]: r[1] for r in conn.execute(
        f"SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status")}


def _event_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for t, s, n in conn.execute("SELECT type, status, COUNT(*) FROM events GROUP BY type, status"):
        counts.setdefault(t, {})[s] = n
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    return dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


def stamp(conn: sqlite3.Connection) -> str:
    """Changes whenever anything the page shows changes (cheap: indexed counts, max ids)."""
    parts = [
        conn.execute("SELECT type, status, COUNT(*), MAX(attempts) FROM events "
                     "GROUP BY type, status").fetchall(),
        conn.execute("SELECT MAX(id), COUNT(*) FROM backtest_results").fetchone(),
        conn.execute("SELECT MAX(id) FROM llm_calls").fetchone(),
        conn.execute("SELECT status, COUNT(*) FROM strategies GROUP BY status").fetchall(),
        conn.execute("SELECT status, COUNT(*) FROM ideas GROUP BY status").fetchall(),
    ]
    text = json.dumps([[list(r) for r in p] if isinstance(p, list) else list(p or ())
                       for p in parts], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pipeline(conn: sqlite3.Connection, *, limit: int = 20) -> dict[str, Any]:
    now = time.time()
    counts = _event_counts(conn)
    totals = {s: sum(by.get(s, 0) for by in counts.values()) for s in EVENT_STATUSES}
    running = rows(conn,
        "SELECT id, type, attempts, lease_owner, lease_until_ts, idea_id, strategy_id, "
        "updated_at, cancel_requested FROM events WHERE status = 'running' ORDER BY id LIMIT ?",
        (limit * 5,))
    for r in running:
        lease = r.pop("lease_until_ts")
        r["lease_left_s"] = round(lease - now, 1) if lease is not None else None
    dead = rows(conn,
        "SELECT id, type, attempts, error_class, last_error, idea_id, strategy_id, updated_at "
        "FROM events WHERE status = 'dead' ORDER BY id DESC LIMIT ?", (limit,))
    retrying = rows(conn,
        "SELECT id, type, attempts, error_class, last_error, available_ts, strategy_id "
        "FROM events WHERE status = 'ready' AND last_error IS NOT NULL "
        "ORDER BY id DESC LIMIT ?", (limit,))
    for r in retrying:
        r["due_in_s"] = max(0.0, round((r.pop("available_ts") or now) - now, 1))
    failed_runs = rows(conn,
        "SELECT id, strategy_id, strategy_name, version, dataset, status, error_class, "
        "error_message, backend, created_at FROM backtest_results WHERE status != 'ok' "
        "ORDER BY id DESC LIMIT ?", (limit,))
    latest = rows(conn,
        "SELECT id, strategy_id, strategy_name, version, dataset, status, sharpe_ratio, "
        "total_return, execution_time, backend, created_at FROM backtest_results "
        "ORDER BY id DESC LIMIT ?", (10,))
    failure_classes = rows(conn,
        "SELECT error_class, COUNT(*) AS n FROM events WHERE status = 'dead' "
        "GROUP BY error_class ORDER BY n DESC LIMIT 20")
    return {
        "generated_ts": now,
        "stamp": stamp(conn),
        "stages": counts,
        "statuses": list(EVENT_STATUSES),
        "totals": totals,
        "queue_depth": totals.get("ready", 0),
        "ideas": _by(conn, "ideas"),
        "strategies": _by(conn, "strategies"),
        "results": _by(conn, "backtest_results"),
        "running": running,
        "dead": dead,
        "retrying": retrying,
        "failed_runs": failed_runs,
        "failure_classes": failure_classes,
        "latest_results": latest,
    }
