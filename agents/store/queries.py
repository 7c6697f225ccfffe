"""Read models for the CLI: ``history``, ``status``, ``show`` (plain dicts, JSON-safe)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agents.store.store import Store

if TYPE_CHECKING:
    from agents.settings import Settings

__all__ = ["MIN_TRADES", "OWN_RESULTS", "history", "show", "status"]

MIN_TRADES = 10  # a "best" result needs this many trades (settings.review_min_trades)
# a version's best is a run of its OWN parameters (not a search trial) with enough
# trades: an open position never closed once showed "# Trades 0" with a real return
OWN_RESULTS = ("FROM backtest_results r JOIN strategy_versions v ON v.id = r.version_id "
        "WHERE r.strategy_id = {sid} AND r.status = 'ok' AND r.params_json = v.params_json "
        "AND r.num_trades >= ?")
_BEST = (
    "SELECT r.id, r.version, r.dataset, r.sharpe_ratio, r.total_return, r.max_drawdown, "
    "r.win_rate, r.num_trades " + OWN_RESULTS.format(sid="?") + " ORDER BY r.sharpe_ratio DESC, r.id "
    "LIMIT 1"
)


def history(
    store: Store, *, status: str | None = None, min_sharpe: float | None = None, limit: int = 20,
    min_trades: int = MIN_TRADES,
) -> list[dict[str, Any]]:
    """Strategies newest first, each with its best result by Sharpe: a run of a
    version's own parameters with at least ``min_trades`` trades (None when none has)."""
    where: list[str] = []
    args: list[Any] = []
    if status:
        where.append("s.status = ?")
        args.append(status)
    if min_sharpe is not None:
        where.append("EXISTS (SELECT 1 " + OWN_RESULTS.format(sid="s.id") + " AND r.sharpe_ratio >= ?)")
        args += [min_trades, min_sharpe]
    sql = ("SELECT s.id, s.name, s.status, s.idea_id, s.created_at, "
           "(SELECT COUNT(*) FROM strategy_versions v WHERE v.strategy_id = s.id) AS versions, "
           "(SELECT COUNT(*) FROM backtest_results r WHERE r.strategy_id = s.id) AS results "
           "FROM strategies s" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY s.id DESC LIMIT ?")
    out = []
    for row in store.all(sql, (*args, limit)):
        item = dict(row)
        best = store.one(_BEST, (row["id"], min_trades))
        item["best"] = dict(best) if best else None
        out.append(item)
    return out


def _today_utc() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def status(store: Store, *, handled: Collection[str] | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Counts per stage/status, running now, failures by class, waiting reasons, spend."""
    counts: dict[str, dict[str, int]] = {}
    for r in store.all("SELECT type, status, COUNT(*) n FROM events GROUP BY type, status"):
        counts.setdefault(r["type"], {})[r["status"]] = r["n"]
    running = [dict(r) for r in store.all(
        "SELECT id, type, attempts, lease_owner, updated_at, idea_id, strategy_id, "
        "cancel_requested FROM events WHERE status = 'running' ORDER BY id LIMIT 50")]
    failures = [dict(r) for r in store.all(
        "SELECT error_class, COUNT(*) n, MAX(id) last_event, "
        "(SELECT last_error FROM events e2 WHERE e2.status = 'dead' AND "
        " e2.error_class IS e.error_class ORDER BY id DESC LIMIT 1) AS last_error "
        "FROM events e WHERE status = 'dead' GROUP BY error_class ORDER BY n DESC")]
    dead = [dict(r) for r in store.all(
        "SELECT id, type, attempts, error_class, last_error, idea_id, strategy_id, updated_at "
        "FROM events WHERE status = 'dead' ORDER BY id DESC LIMIT 20")]
    retrying = [dict(r) for r in store.all(
        "SELECT id, type, attempts, error_class, last_error, available_ts, wait_reason "
        "FROM events WHERE status = 'ready' AND (last_error IS NOT NULL OR wait_reason IS NOT NULL) "
        "ORDER BY id DESC LIMIT 20")]
    waiting = []
    if handled is not None:
        for t, by in sorted(counts.items()):
            if t not in handled and by.get("ready"):
                waiting.append({"type": t, "ready": by["ready"],
                                "reason": f"no handler for stage {t}"})
    ideas = {r["status"]: r["n"] for r in store.all(
        "SELECT status, COUNT(*) n FROM ideas GROUP BY status")}
    results = {r["status"]: r["n"] for r in store.all(
        "SELECT status, COUNT(*) n FROM backtest_results GROUP BY status")}
    tokens, cost = store.spent_since(_today_utc())
    spend: dict[str, Any] = {"tokens_today": tokens, "cost_usd_today": round(cost, 4)}
    if settings is not None:
        spend["token_budget"] = settings.daily_token_budget
        spend["cost_budget_usd"] = settings.daily_cost_budget
    return {"events": counts, "running": running, "failures": failures, "dead": dead,
            "retrying": retrying, "waiting": waiting, "ideas": ideas, "results": results,
            "llm": spend}


def _loads(text: str | None) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def show(store: Store, strategy_id: int, *, code: bool = True) -> dict[str, Any] | None:
    """One strategy: spec, versions with lineage and deltas, results, reviews, errors."""
    s = store.one("SELECT * FROM strategies WHERE id = ?", (strategy_id,))
    if s is None:
        return None
    out = dict(s)
    out["spec"] = _loads(out.pop("spec_json"))
    idea = store.one("SELECT id, text, status, reason FROM ideas WHERE id = ?", (s["idea_id"],))
    out["idea"] = dict(idea) if idea else None
    deltas = {r["child_version"]: dict(r) for r in store.all(
        "SELECT * FROM optimization_history WHERE strategy_id = ?", (strategy_id,))}
    versions = []
    for v in store.all("SELECT * FROM strategy_versions WHERE strategy_id = ? ORDER BY version",
                       (strategy_id,)):
        item = {k: v[k] for k in ("id", "version", "parent_id", "code_sha256", "agent",
                                  "llm_call_id", "note", "status", "created_at")}
        item["params"] = _loads(v["params_json"])
        item["optimization"] = deltas.get(v["id"])
        if code:
            item["code"] = v["code"]
        versions.append(item)
    out["versions"] = versions
    out["results"] = [dict(r) for r in store.all(
        "SELECT id, version, dataset, status, sharpe_ratio, total_return, max_drawdown, win_rate, "
        "num_trades, params_json, seed, backend, error_class, error_message, created_at "
        "FROM backtest_results WHERE strategy_id = ? ORDER BY version, dataset, id", (strategy_id,))]
    out["reviews"] = [dict(r) for r in store.all(
        "SELECT id, version_id, outcome, summary, gates_json, created_at FROM reviews "
        "WHERE strategy_id = ? ORDER BY id", (strategy_id,))]
    out["errors"] = [dict(r) for r in store.all(
        "SELECT id, type, status, attempts, error_class, last_error FROM events "
        "WHERE strategy_id = ? AND last_error IS NOT NULL ORDER BY id", (strategy_id,))]
    out["research"] = _research(out["reviews"])
    out["optimisation_rounds"] = [
        {**dict(r), "pareto": _loads(r["pareto_json"]), "objectives": _loads(r["objectives"])}
        for r in store.all("SELECT id, version_id, child_version, method, dataset, trials, "
                           "rejected_logic, objectives, pareto_json, outcome FROM "
                           "optimisation_rounds WHERE strategy_id = ? ORDER BY id", (strategy_id,))]
    for r in out["optimisation_rounds"]:
        r.pop("pareto_json")
    return out


def _research(reviews: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The research decision of each review that has one (``gates_json["research"]``)."""
    out = []
    for r in reviews:
        g = _loads(r.get("gates_json"))
        res = g.get("research") if isinstance(g, dict) else None
        if not isinstance(res, dict):
            continue
        d, e = res.get("decision") or {}, res.get("evidence") or {}
        out.append({"review_id": r["id"], "version_id": r["version_id"],
                    "outcome": d.get("outcome"), "score": d.get("score"),
                    "reasons": d.get("reasons") or [], "holdout_read": res.get("holdout_read"),
                    **{k: e.get(k) for k in ("dsr", "n_trials", "n_trials_raw", "pbo",
                                             "reality_check_p", "oos_efficiency", "wf_psr",
                                             "alpha_psr", "random_p_value", "holdout_sharpe",
                                             "holdout_psr", "lookahead_findings")}})
    return out
