"""The research report of a strategy page, read where the review stage writes it.

The review (and the promotion, which adds the holdout) stores its evaluation as
``reviews.gates_json["research"]`` (:meth:`agents.research.evaluate.Evaluation.to_dict`:
``decision`` with the gates, ``evidence``, ``report`` with walk-forward folds, Monte
Carlo, regimes and costs). This module picks the latest such review of the version
shown (else of the strategy) and shapes it for the template: verdict, gate rows,
walk-forward folds, the Monte Carlo fan (a persisted ``review_series`` row, else
rebuilt from the result's stored trades), regime and cost tables.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from agents.dashboard.db import loads
from agents.dashboard.fan import fan_from_result
from agents.dashboard.report_gates import gate_rows, settings_gate_rows
from agents.store import dashboard_strategy as reads

__all__ = ["research_report"]

FAN = "monte_carlo_fan"


def _latest(conn: sqlite3.Connection, sid: int, version_id: int | None) -> dict[str, Any] | None:
    """The newest review holding a research evaluation: of ``version_id`` first."""
    got: list[dict[str, Any]] = []
    if version_id is not None:
        got = reads.research_reviews(conn, version_id=version_id)
    if not got:
        got = reads.research_reviews(conn, strategy_id=sid)
    for row in got:
        gates = loads(row["gates_json"], {})
        if isinstance(gates, dict) and isinstance(gates.get("research"), dict):
            return {**row, "gates": gates}
    return None


def _table(doc: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """{row: {col: value}} -> (columns in first-seen order, rows with a "name")."""
    if not isinstance(doc, dict):
        return [], []
    cols: list[str] = []
    rows = []
    for name, vals in doc.items():
        if not isinstance(vals, dict):
            continue
        for k in vals:
            if k not in cols and not isinstance(vals[k], dict | list):
                cols.append(k)
        rows.append({"name": name, **vals})
    return cols, rows


def _stored_fan(conn: sqlite3.Connection, review_id: int) -> dict[str, Any] | None:
    doc = loads(reads.review_series(conn, review_id, FAN))
    return doc if isinstance(doc, dict) else None


def _series_of(conn: sqlite3.Connection, version_id: int) -> tuple[int, list[Any], list[Any]] | None:
    """(result id, equity, trades) of the version's own-parameter run with stored trades."""
    got = reads.trades_run(conn, version_id)
    if got is None:
        return None
    return got[0], loads(got[1], []) or [], loads(got[2], []) or []


def _rebuilt_fan(conn: sqlite3.Connection, mc: dict[str, Any], version_id: int,
                 result: dict[str, Any] | None, equity: list[Any],
                 trades: list[Any]) -> tuple[dict[str, Any] | None, str]:
    """The fan from the stored trades of the result shown when it is of the reviewed
    version, else of that version's own run (see :func:`fan_from_result`)."""
    if result is not None and result.get("version_id") == version_id and trades:
        rid: int | None = int(result["id"])
    else:
        found = _series_of(conn, version_id)
        rid, equity, trades = found if found else (None, [], [])
    if rid is None or not trades:
        return None, ""
    try:
        fan = fan_from_result(mc, trades, equity)
    except (ValueError, TypeError):
        return None, ""
    if fan is None:
        return None, ""
    return fan, (f"rebuilt from the {fan['trades']} stored trades of R{rid} "
                 f"({fan['inputs'].replace('_', ' ')})")


def research_report(conn: sqlite3.Connection, sid: int, result: dict[str, Any] | None,
                    equity: list[Any], trades: list[Any]) -> dict[str, Any] | None:
    """The report for the template, or None when no review recorded research checks."""
    rev = _latest(conn, sid, result["version_id"] if result else None)
    if rev is None:
        return None
    research = rev["gates"]["research"]
    decision = research.get("decision") or {}
    rep = research.get("report") or {}
    ev = research.get("evidence") or {}
    wf = rep.get("walk_forward") or {}
    mc = rep.get("monte_carlo") or {}
    fan, fan_source = _stored_fan(conn, rev["id"]), "stored by the review"
    if fan is None and isinstance(mc.get("fan"), dict):  # kept inside the report itself
        fan = mc["fan"]
    if fan is None and mc:
        fan, fan_source = _rebuilt_fan(conn, mc, rev["version_id"], result, equity, trades)
    regime_cols, regime_rows = _table(rep.get("regimes"))
    cost_cols, cost_rows = _table(rep.get("costs"))
    return {
        "review_id": rev["id"], "version": rev["version"], "created_at": rev["created_at"],
        "outcome": rev["outcome"], "summary": rev["summary"],
        "research_outcome": decision.get("outcome"), "score": decision.get("score"),
        "reasons": decision.get("reasons") or [], "components": decision.get("components") or {},
        "gates": gate_rows(research), "settings_gates": settings_gate_rows(rev["gates"]),
        "evidence": ev, "holdout_read": bool(research.get("holdout_read")),
        "split": rep.get("split") or {}, "walk_forward": wf, "folds": wf.get("folds") or [],
        "monte_carlo": mc, "fan": fan, "fan_source": fan_source if fan else "",
        "regime_cols": regime_cols, "regimes": regime_rows,
        "cost_cols": cost_cols, "costs": cost_rows, "raw": research,
    }
