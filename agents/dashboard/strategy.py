"""The strategy page: spec, code, version lineage with deltas, results, chart data
(equity with buy-and-hold), the research report of the latest review. Optional data
(equity curve, trades, robustness) is read from whichever column or promoted-folder
file exists; none -> the page says what is missing."""

from __future__ import annotations

import sqlite3
from typing import Any

from agents.dashboard.artifacts import Artifacts
from agents.dashboard.buyhold import buy_and_hold
from agents.dashboard.db import columns, has_table, loads, rows
from agents.dashboard.report import research_report

__all__ = ["EQUITY_COLUMNS", "TRADES_COLUMNS", "strategy_page"]

EQUITY_COLUMNS = ("equity_json", "equity_curve_json", "equity_curve")
TRADES_COLUMNS = ("trades_json", "trades")
ROBUSTNESS_COLUMNS = ("robustness_json", "robustness")
RESULT_LIMIT = 200


def _first_col(have: set[str], names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in have), None)


def _lineage(conn: sqlite3.Connection, sid: int) -> list[dict[str, Any]]:
    versions = rows(conn,
        "SELECT v.id, v.version, v.parent_id, v.agent, v.note, v.status, v.created_at, "
        "v.code_sha256, v.params_json, p.version AS parent_version "
        "FROM strategy_versions v LEFT JOIN strategy_versions p ON p.id = v.parent_id "
        "WHERE v.strategy_id = ? ORDER BY v.version", (sid,))
    # one pass over this strategy's results (index on strategy_id), not one per version
    best = {r[0]: r[1:] for r in conn.execute(
        "SELECT version_id, MAX(CASE WHEN status = 'ok' THEN sharpe_ratio END), "
        "MAX(CASE WHEN status = 'ok' THEN total_return END), COUNT(*) "
        "FROM backtest_results WHERE strategy_id = ? GROUP BY version_id", (sid,))}
    for v in versions:
        v["best_sharpe"], v["best_return"], v["runs"] = best.get(v["id"], (None, None, 0))
    opt = {r["child_version"]: r for r in rows(conn,
        "SELECT child_version, optimization_type, changes_made, performance_delta, metric "
        "FROM optimization_history WHERE strategy_id = ?", (sid,))}
    by_id = {v["id"]: v for v in versions}
    for v in versions:
        v["params"] = loads(v.pop("params_json"), {})
        v["optimization"] = opt.get(v["id"])
        parent = by_id.get(v["parent_id"])
        for key in ("sharpe", "return"):
            mine, theirs = v[f"best_{key}"], parent[f"best_{key}"] if parent else None
            v[f"delta_{key}"] = (mine - theirs) if mine is not None and theirs is not None else None
    return versions


def _robustness(conn: sqlite3.Connection, art: Artifacts, sid: int, name: str,
                result: dict[str, Any] | None) -> Any:
    for table, key in (("backtest_results", result["id"] if result else None),
                       ("strategy_versions", result["version_id"] if result else None),
                       ("strategies", sid)):
        col = _first_col(columns(conn, table), ROBUSTNESS_COLUMNS)
        if col and key is not None:
            got = conn.execute(f"SELECT {col} FROM {table} WHERE id = ?", (key,)).fetchone()
            doc = loads(got[0] if got else None)
            if doc:
                return doc
    if has_table(conn, "robustness"):
        have = columns(conn, "robustness")
        if "strategy_id" in have:
            found = rows(conn, "SELECT * FROM robustness WHERE strategy_id = ? ORDER BY rowid DESC "
                         "LIMIT 50", (sid,))
            if found:
                return found
    return art.folder_json(name, "robustness", "robustness_report", "robustness_checks")


def _series(conn: sqlite3.Connection, art: Artifacts, name: str, result: dict[str, Any] | None,
            names: tuple[str, ...], keys: tuple[str, ...]) -> tuple[list[Any], str]:
    """(points, where they came from) for the equity curve or the trades: a result column
    first, then ``results/strategies/<name>/<key>.json`` (a list, or a dict holding one)."""
    if result is not None:
        col = _first_col(columns(conn, "backtest_results"), names)
        if col:
            got = conn.execute(f"SELECT {col} FROM backtest_results WHERE id = ?",
                               (result["id"],)).fetchone()
            data = loads(got[0] if got else None, [])
            if isinstance(data, list) and data:
                return data, f"backtest_results.{col} (result {result['id']})"
    for stem in (*keys, "result", "stats"):
        doc = art.folder_json(name, stem)
        if isinstance(doc, dict):
            doc = next((doc[k] for k in keys if isinstance(doc.get(k), list)), None)
        if isinstance(doc, list) and doc:
            return doc, f"results/strategies/{name}/{stem}.json"
    return [], ""


def strategy_page(conn: sqlite3.Connection, art: Artifacts, sid: int, *,
                  result_id: int | None = None, version: int | None = None) -> dict[str, Any] | None:
    s = conn.execute("SELECT * FROM strategies WHERE id = ?", (sid,)).fetchone()
    if s is None:
        return None
    out: dict[str, Any] = dict(s)
    out["spec"] = loads(out.pop("spec_json", None), {})
    idea = conn.execute("SELECT id, text, status, reason, source FROM ideas WHERE id = ?",
                        (s["idea_id"],)).fetchone()
    out["idea"] = dict(idea) if idea else None
    out["versions"] = _lineage(conn, sid)
    out["results"] = rows(conn,
        "SELECT id, version_id, version, dataset, status, sharpe_ratio, total_return, "
        "max_drawdown, win_rate, num_trades, execution_time, backend, seed, error_class, "
        "error_message, params_json, created_at FROM backtest_results WHERE strategy_id = ? "
        "ORDER BY version DESC, dataset, id DESC LIMIT ?", (sid, RESULT_LIMIT))
    out["result_count"] = conn.execute(
        "SELECT COUNT(*) FROM backtest_results WHERE strategy_id = ?", (sid,)).fetchone()[0]
    chosen = None
    if result_id is not None:
        chosen = conn.execute("SELECT * FROM backtest_results WHERE id = ? AND strategy_id = ?",
                              (result_id, sid)).fetchone()
    if chosen is None:
        chosen = conn.execute(
            "SELECT * FROM backtest_results WHERE strategy_id = ? ORDER BY status = 'ok' DESC, "
            "sharpe_ratio DESC, id DESC LIMIT 1", (sid,)).fetchone()
    result = dict(chosen) if chosen else None
    if result is not None:
        result["stats"] = loads(result.get("stats_json"), {})
        result["params"] = loads(result.get("params_json"), {})
    out["result"] = result
    want = version if version is not None else (result["version"] if result else None)
    code = None
    if want is not None:
        code = conn.execute("SELECT version, code FROM strategy_versions WHERE strategy_id = ? "
                            "AND version = ?", (sid, want)).fetchone()
    if code is None:
        code = conn.execute("SELECT version, code FROM strategy_versions WHERE strategy_id = ? "
                            "ORDER BY version DESC LIMIT 1", (sid,)).fetchone()
    out["code"] = dict(code) if code else None
    out["equity"], out["equity_source"] = _series(
        conn, art, s["name"], result, EQUITY_COLUMNS, ("equity_curve", "equity"))
    out["trades"], out["trades_source"] = _series(
        conn, art, s["name"], result, TRADES_COLUMNS, ("trades",))
    out["benchmark"], out["benchmark_note"] = buy_and_hold(
        out["equity"], result["dataset"] if result else None,
        result["stats"].get("Buy & Hold Return [%]") if result else None)
    out["report"] = research_report(conn, sid, result, out["equity"], out["trades"])
    out["robustness"] = (None if out["report"] is not None
                         else _robustness(conn, art, sid, s["name"], result))
    out["reviews"] = rows(conn,
        "SELECT r.id, r.outcome, r.summary, r.gates_json, r.created_at, v.version "
        "FROM reviews r JOIN strategy_versions v ON v.id = r.version_id "
        "WHERE r.strategy_id = ? ORDER BY r.id DESC LIMIT 50", (sid,))
    for r in out["reviews"]:
        r["gates"] = loads(r.pop("gates_json"), {})
    out["errors"] = rows(conn,
        "SELECT id, type, status, attempts, error_class, last_error, updated_at FROM events "
        "WHERE strategy_id = ? AND last_error IS NOT NULL ORDER BY id DESC LIMIT 50", (sid,))
    out["files"] = art.folder_files(s["name"])
    return out
