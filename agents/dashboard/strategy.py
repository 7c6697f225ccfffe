"""The strategy page: spec, code, version lineage with deltas, results, chart data
(equity with buy-and-hold), the research report of the latest review. The equity
curve and trades come from the result's stored series, else from the promoted folder's
files; robustness (without a research report) from the promoted folder only; none ->
the page says what is missing."""

from __future__ import annotations

import sqlite3
from typing import Any

from agents.dashboard.artifacts import Artifacts
from agents.dashboard.buyhold import buy_and_hold
from agents.dashboard.db import loads
from agents.dashboard.report import research_report
from agents.store import dashboard_strategy as reads

__all__ = ["strategy_page"]

SERIES = ("equity_json", "trades_json")  # the columns reads.result_series returns


def _lineage(conn: sqlite3.Connection, sid: int) -> list[dict[str, Any]]:
    versions = reads.version_rows(conn, sid)
    best = reads.best_by_version(conn, sid)
    for v in versions:
        v["best_sharpe"], v["best_return"], v["runs"] = best.get(v["id"], (None, None, 0))
    opt = reads.optimizations_by_child(conn, sid)
    by_id = {v["id"]: v for v in versions}
    for v in versions:
        v["params"] = loads(v.pop("params_json"), {})
        v["optimization"] = opt.get(v["id"])
        parent = by_id.get(v["parent_id"])
        for key in ("sharpe", "return"):
            mine, theirs = v[f"best_{key}"], parent[f"best_{key}"] if parent else None
            v[f"delta_{key}"] = (mine - theirs) if mine is not None and theirs is not None else None
    return versions


def _series(conn: sqlite3.Connection, art: Artifacts, name: str, result: dict[str, Any] | None,
            column: int, keys: tuple[str, ...]) -> tuple[list[Any], str]:
    """(points, where they came from) for the equity curve (``column`` 0) or the trades
    (1): the result's stored series first, then ``results/strategies/<name>/<key>.json``
    (a list, or a dict holding one)."""
    if result is not None:
        data = loads(reads.result_series(conn, result["id"])[column], [])
        if isinstance(data, list) and data:
            return data, f"backtest_results.{SERIES[column]} (result {result['id']})"
    for stem in (*keys, "result", "stats"):
        doc = art.folder_json(name, stem)
        if isinstance(doc, dict):
            doc = next((doc[k] for k in keys if isinstance(doc.get(k), list)), None)
        if isinstance(doc, list) and doc:
            return doc, f"results/strategies/{name}/{stem}.json"
    return [], ""


def strategy_page(conn: sqlite3.Connection, art: Artifacts, sid: int, *,
                  result_id: int | None = None, version: int | None = None) -> dict[str, Any] | None:
    s = reads.strategy_row(conn, sid)
    if s is None:
        return None
    out: dict[str, Any] = dict(s)
    out["spec"] = loads(out.pop("spec_json", None), {})
    out["idea"] = reads.idea_brief(conn, s["idea_id"])
    out["versions"] = _lineage(conn, sid)
    out["results"], out["result_count"] = reads.results_of(conn, sid)
    result = reads.result_of(conn, sid, result_id)
    if result is not None:
        result["stats"] = loads(result.get("stats_json"), {})
        result["params"] = loads(result.get("params_json"), {})
    out["result"] = result
    want = version if version is not None else (result["version"] if result else None)
    out["code"] = reads.code_of(conn, sid, want)
    out["equity"], out["equity_source"] = _series(
        conn, art, s["name"], result, 0, ("equity_curve", "equity"))
    out["trades"], out["trades_source"] = _series(
        conn, art, s["name"], result, 1, ("trades",))
    out["benchmark"], out["benchmark_note"] = buy_and_hold(
        out["equity"], result["dataset"] if result else None,
        result["stats"].get("Buy & Hold Return [%]") if result else None)
    out["report"] = research_report(conn, sid, result, out["equity"], out["trades"])
    out["robustness"] = (None if out["report"] is not None
                         else art.folder_json(s["name"], "robustness", "robustness_report",
                                              "robustness_checks"))
    out["reviews"] = reads.review_rows(conn, sid)
    for r in out["reviews"]:
        r["gates"] = loads(r.pop("gates_json"), {})
    out["errors"] = reads.event_errors(conn, sid)
    out["files"] = art.folder_files(s["name"])
    return out
