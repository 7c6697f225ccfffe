"""Dashboard reads for one strategy's page (lineage, results, code, reviews, the
research report's series) and for the leaderboard. Plain functions over a (read-only)
connection; rows are dicts for the templates."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from agents.store.readonly import dict_rows

__all__ = [
    "best_by_version", "code_of", "event_errors", "idea_brief", "leaderboard_rows",
    "optimizations_by_child", "research_reviews", "result_of", "result_series", "results_of",
    "review_rows", "review_series", "strategy_row", "trades_run", "version_rows",
]

RESULT_LIMIT = 200



def _one(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    return next(iter(dict_rows(conn, sql, args)), None)


def strategy_row(conn: sqlite3.Connection, sid: int) -> dict[str, Any] | None:
    return _one(conn, "SELECT * FROM strategies WHERE id = ?", (sid,))


def idea_brief(conn: sqlite3.Connection, idea_id: int | None) -> dict[str, Any] | None:
    return _one(conn, "SELECT id, text, status, reason, source FROM ideas WHERE id = ?",
                (idea_id,))


def version_rows(conn: sqlite3.Connection, sid: int) -> list[dict[str, Any]]:
    """The strategy's versions by number, each with its parent's number."""
    return dict_rows(conn,
        "SELECT v.id, v.version, v.parent_id, v.agent, v.note, v.status, v.created_at, "
        "v.code_sha256, v.params_json, p.version AS parent_version "
        "FROM strategy_versions v LEFT JOIN strategy_versions p ON p.id = v.parent_id "
        "WHERE v.strategy_id = ? ORDER BY v.version", (sid,))


def best_by_version(conn: sqlite3.Connection, sid: int) -> dict[int, tuple[Any, Any, int]]:
    """version id -> (best ok Sharpe, best ok return, runs): one pass over the results."""
    return {int(r[0]): (r[1], r[2], int(r[3])) for r in conn.execute(
        "SELECT version_id, MAX(CASE WHEN status = 'ok' THEN sharpe_ratio END), "
        "MAX(CASE WHEN status = 'ok' THEN total_return END), COUNT(*) "
        "FROM backtest_results WHERE strategy_id = ? GROUP BY version_id", (sid,))}


def optimizations_by_child(conn: sqlite3.Connection, sid: int) -> dict[int, dict[str, Any]]:
    return {int(r["child_version"]): r for r in dict_rows(conn,
        "SELECT child_version, optimization_type, changes_made, performance_delta, metric "
        "FROM optimization_history WHERE strategy_id = ?", (sid,))}


def results_of(conn: sqlite3.Connection, sid: int,
               limit: int = RESULT_LIMIT) -> tuple[list[dict[str, Any]], int]:
    """(newest version first, up to ``limit`` result rows; how many there are)."""
    rows = dict_rows(conn,
        "SELECT id, version_id, version, dataset, status, sharpe_ratio, total_return, "
        "max_drawdown, win_rate, num_trades, execution_time, backend, seed, error_class, "
        "error_message, params_json, created_at FROM backtest_results WHERE strategy_id = ? "
        "ORDER BY version DESC, dataset, id DESC LIMIT ?", (sid, limit))
    total = conn.execute("SELECT COUNT(*) FROM backtest_results WHERE strategy_id = ?",
                         (sid,)).fetchone()[0]
    return rows, int(total)


def result_of(conn: sqlite3.Connection, sid: int, result_id: int | None) -> dict[str, Any] | None:
    """Result ``result_id`` of the strategy, else its best (ok first, by Sharpe)."""
    chosen = None
    if result_id is not None:
        chosen = _one(conn, "SELECT * FROM backtest_results WHERE id = ? AND strategy_id = ?",
                      (result_id, sid))
    if chosen is None:
        chosen = _one(conn,
            "SELECT * FROM backtest_results WHERE strategy_id = ? ORDER BY status = 'ok' DESC, "
            "sharpe_ratio DESC, id DESC LIMIT 1", (sid,))
    return chosen


def result_series(conn: sqlite3.Connection, result_id: int) -> tuple[Any, Any]:
    """(equity_json, trades_json) text of one result (None when not kept)."""
    got = conn.execute("SELECT equity_json, trades_json FROM backtest_results WHERE id = ?",
                       (result_id,)).fetchone()
    return (got[0], got[1]) if got else (None, None)


def code_of(conn: sqlite3.Connection, sid: int, version: int | None) -> dict[str, Any] | None:
    """``version`` and ``code`` of that version number, else of the newest one."""
    code = None
    if version is not None:
        code = _one(conn, "SELECT version, code FROM strategy_versions WHERE strategy_id = ? "
                          "AND version = ?", (sid, version))
    if code is None:
        code = _one(conn, "SELECT version, code FROM strategy_versions WHERE strategy_id = ? "
                          "ORDER BY version DESC LIMIT 1", (sid,))
    return code


def review_rows(conn: sqlite3.Connection, sid: int) -> list[dict[str, Any]]:
    return dict_rows(conn,
        "SELECT r.id, r.outcome, r.summary, r.gates_json, r.created_at, v.version "
        "FROM reviews r JOIN strategy_versions v ON v.id = r.version_id "
        "WHERE r.strategy_id = ? ORDER BY r.id DESC LIMIT 50", (sid,))


def event_errors(conn: sqlite3.Connection, sid: int) -> list[dict[str, Any]]:
    return dict_rows(conn,
        "SELECT id, type, status, attempts, error_class, last_error, updated_at FROM events "
        "WHERE strategy_id = ? AND last_error IS NOT NULL ORDER BY id DESC LIMIT 50", (sid,))


# -- the research report ---------------------------------------------------------------
def research_reviews(conn: sqlite3.Connection, *, version_id: int | None = None,
                     strategy_id: int | None = None) -> list[dict[str, Any]]:
    """Up to five newest reviews (with their version number) whose gates mention research,
    of ``version_id`` or else of ``strategy_id``."""
    col, key = ("version_id", version_id) if version_id is not None else ("strategy_id",
                                                                           strategy_id)
    return dict_rows(conn, "SELECT r.*, v.version FROM reviews r JOIN strategy_versions v ON "
                        f"v.id = r.version_id WHERE r.{col} = ? AND r.gates_json LIKE "
                        "'%\"research\"%' ORDER BY r.id DESC LIMIT 5", (key,))


def review_series(conn: sqlite3.Connection, review_id: int, name: str) -> str | None:
    """``series_json`` a review stored under ``name`` (e.g. ``monte_carlo_fan``)."""
    got = conn.execute("SELECT series_json FROM review_series WHERE review_id = ? AND name = ?",
                       (review_id, name)).fetchone()
    return got[0] if got else None


def trades_run(conn: sqlite3.Connection, version_id: int) -> tuple[int, Any, Any] | None:
    """(result id, equity_json, trades_json) of the version's ok run with stored trades,
    its own parameters first."""
    got = conn.execute(
        "SELECT r.id, r.equity_json, r.trades_json FROM backtest_results r JOIN "
        "strategy_versions v ON v.id = r.version_id WHERE r.version_id = ? AND r.status = 'ok' "
        "AND r.trades_json IS NOT NULL ORDER BY r.params_json = v.params_json DESC, r.id "
        "LIMIT 1", (version_id,)).fetchone()
    return (int(got[0]), got[1], got[2]) if got else None


# -- the leaderboard ---------------------------------------------------------------------
def leaderboard_rows(conn: sqlite3.Connection, statuses: Sequence[str] | None = None,
                     names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One row per strategy with its best ok result by Sharpe and its run count: every
    strategy, or (``statuses`` given) those with one of ``statuses`` or one of ``names``."""
    where, args = "1", []
    if statuses is not None:
        where = f"(s.status IN ({','.join('?' * len(statuses))})"
        where += f" OR s.name IN ({','.join('?' * len(names))}))" if names else ")"
        args = [*statuses, *names]
    return dict_rows(conn,
        "SELECT s.id AS strategy_id, s.name, s.status, s.reason, s.updated_at, r.id AS result_id, "
        "r.version, r.dataset, r.sharpe_ratio, r.total_return, r.max_drawdown, r.win_rate, "
        "r.num_trades, "
        "(SELECT COUNT(*) FROM backtest_results x WHERE x.strategy_id = s.id) AS runs "
        "FROM strategies s LEFT JOIN backtest_results r ON r.id = ("
        "SELECT b.id FROM backtest_results b WHERE b.strategy_id = s.id AND b.status = 'ok' "
        f"ORDER BY b.sharpe_ratio DESC LIMIT 1) WHERE {where}", tuple(args))
