"""Dashboard reads over events, ideas, strategies and LLM calls (pipeline, health, /metrics).

Plain functions over a (read-only) connection; rows are dicts or tuples for the pages.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from agents.store.readonly import dict_rows

__all__ = [
    "dead_by_class", "event_counts", "event_rows", "failed_runs", "latest_results",
    "llm_by_day", "llm_by_model", "llm_spent_since", "llm_totals", "result_count", "runs_after",
    "stage_summary", "stamp_parts", "status_counts",
]

COUNTED = ("ideas", "strategies", "backtest_results")



def event_counts(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """(type, status, n) for every event type and status, ordered."""
    return [(str(t), str(s), int(n)) for t, s, n in conn.execute(
        "SELECT type, status, COUNT(*) FROM events GROUP BY type, status ORDER BY type, status")]


def status_counts(conn: sqlite3.Connection, table: str) -> dict[str, int]:
    """Rows of ``ideas``, ``strategies`` or ``backtest_results`` by status."""
    if table not in COUNTED:
        raise ValueError(f"no status counts for table {table!r}: one of {COUNTED}")
    return {str(r[0]): int(r[1]) for r in conn.execute(
        f"SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status")}


def stamp_parts(conn: sqlite3.Connection) -> list[Any]:
    """What changes whenever anything the pipeline page shows changes (cheap reads)."""
    return [
        conn.execute("SELECT type, status, COUNT(*), MAX(attempts) FROM events "
                     "GROUP BY type, status").fetchall(),
        conn.execute("SELECT MAX(id), COUNT(*) FROM backtest_results").fetchone(),
        conn.execute("SELECT MAX(id) FROM llm_calls").fetchone(),
        conn.execute("SELECT status, COUNT(*) FROM strategies GROUP BY status").fetchall(),
        conn.execute("SELECT status, COUNT(*) FROM ideas GROUP BY status").fetchall(),
    ]


def event_rows(conn: sqlite3.Connection, kind: str, limit: int) -> list[dict[str, Any]]:
    """Events the pipeline page lists: ``running``, ``dead`` or ``retrying``."""
    if kind == "running":
        return dict_rows(conn,
            "SELECT id, type, attempts, lease_owner, lease_until_ts, idea_id, strategy_id, "
            "updated_at, cancel_requested FROM events WHERE status = 'running' ORDER BY id LIMIT ?",
            (limit,))
    if kind == "dead":
        return dict_rows(conn,
            "SELECT id, type, attempts, error_class, last_error, idea_id, strategy_id, updated_at "
            "FROM events WHERE status = 'dead' ORDER BY id DESC LIMIT ?", (limit,))
    if kind == "retrying":
        return dict_rows(conn,
            "SELECT id, type, attempts, error_class, last_error, available_ts, strategy_id "
            "FROM events WHERE status = 'ready' AND last_error IS NOT NULL "
            "ORDER BY id DESC LIMIT ?", (limit,))
    raise ValueError(f"no event list {kind!r}: running, dead or retrying")


def dead_by_class(conn: sqlite3.Connection, limit: int = 20) -> list[dict[str, Any]]:
    return dict_rows(conn, "SELECT error_class, COUNT(*) AS n FROM events WHERE status = 'dead' "
                        "GROUP BY error_class ORDER BY n DESC LIMIT ?", (limit,))


def failed_runs(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    return dict_rows(conn,
        "SELECT id, strategy_id, strategy_name, version, dataset, status, error_class, "
        "error_message, backend, created_at FROM backtest_results WHERE status != 'ok' "
        "ORDER BY id DESC LIMIT ?", (limit,))


def latest_results(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    return dict_rows(conn,
        "SELECT id, strategy_id, strategy_name, version, dataset, status, sharpe_ratio, "
        "total_return, execution_time, backend, created_at FROM backtest_results "
        "ORDER BY id DESC LIMIT ?", (limit,))


def stage_summary(conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
    """Health page: dead events by (class, type), and per stage counts and attempts."""
    return {
        "dead": dict_rows(conn,
            "SELECT COALESCE(error_class, '?') AS error_class, type, COUNT(*) AS n FROM events "
            "WHERE status = 'dead' GROUP BY 1, type ORDER BY n DESC LIMIT 50"),
        "stages": dict_rows(conn,
            "SELECT type, COUNT(*) AS n, SUM(status = 'done') AS done, SUM(status = 'dead') AS "
            "dead, AVG(attempts) AS avg_attempts FROM events GROUP BY type ORDER BY n DESC"),
    }


def llm_by_day(conn: sqlite3.Connection, days: int) -> list[dict[str, Any]]:
    return dict_rows(conn,
        "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS calls, "
        "SUM(tokens_in) AS tokens_in, SUM(tokens_out) AS tokens_out, SUM(cost_usd) AS cost_usd, "
        "SUM(error IS NOT NULL) AS errors, AVG(latency_ms) AS avg_latency_ms "
        "FROM llm_calls GROUP BY day ORDER BY day DESC LIMIT ?", (days,))


def llm_by_model(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return dict_rows(conn,
        "SELECT provider, model, purpose, COUNT(*) AS calls, SUM(tokens_in + tokens_out) AS "
        "tokens, SUM(cost_usd) AS cost_usd FROM llm_calls GROUP BY provider, model, purpose "
        "ORDER BY cost_usd DESC, tokens DESC LIMIT 30")


def llm_totals(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """(provider, model, tokens in, tokens out, cost, calls, errors) per provider/model."""
    return [tuple(r) for r in conn.execute(
        "SELECT provider, model, SUM(tokens_in), SUM(tokens_out), SUM(cost_usd), COUNT(*), "
        "SUM(error IS NOT NULL) FROM llm_calls GROUP BY provider, model ORDER BY provider, model")]


def llm_spent_since(conn: sqlite3.Connection, ts: float) -> tuple[int, float]:
    """(tokens, cost) of the calls since epoch ``ts``."""
    row = conn.execute(
        "SELECT COALESCE(SUM(tokens_in + tokens_out), 0), COALESCE(SUM(cost_usd), 0) "
        "FROM llm_calls WHERE created_ts >= ?", (ts,)).fetchone()
    return int(row[0]), float(row[1])


def result_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM backtest_results").fetchone()[0])


def runs_after(conn: sqlite3.Connection, after_id: int) -> sqlite3.Cursor:
    """(id, backend, status, execution_time, error_class, resources_json) of the runs
    with an id above ``after_id``, by id (results are append-only: a primary-key range)."""
    return conn.execute(
        "SELECT id, backend, status, execution_time, error_class, resources_json "
        "FROM backtest_results WHERE id > ? ORDER BY id", (after_id,))
