"""review: quality gates from settings, the research checks, then an LLM assessment.

Settings gates: expectancy (mean trade return) > ``review_min_expectancy``, profit
factor >= ``review_min_profit_factor``, drawdown, Sharpe, trade count (a win-rate floor
only when ``review_min_win_rate`` > 0: a 30 %-win trend follower with large winners
is an edge). A review with ``search_ended`` in its payload (the optimiser's search
could not improve the version) judges it on the evidence and ends the loop: approve ->
``promote``, anything else -> the strategy is killed with the evidence's reasons.

The research checks (:func:`agents.stages.evaluation.evaluate`: look-ahead truncation
check, Deflated Sharpe Ratio over every variant tried, PBO, walk-forward OOS
efficiency, random walks, Monte Carlo, costs, parameter stability; never the holdout)
are stored as ``gates_json["research"]``. Their kill is final and overrides the LLM
(which is then not asked), except that a version nobody has optimised yet whose only
failed kill gates are the DSR (a plain PSR before any search) and the fixed-parameter
walk-forward gets ``needs_work``: the optimiser may still find an edge, and its child
is deflated by every variant tried and walk-forward re-optimised on each train window. Their needs-work caps the outcome.

Outcome approve / needs_work / kill. Failed gates cap the outcome at needs_work (the
LLM may still kill). A killed version whose lineage has an approved ancestor (a tuned
child that failed) sends that ancestor to ``promote`` instead of killing the strategy. needs_work -> ``optimise`` while iterations remain; approve ->
``optimise`` once for a strategy never optimised (parameter search may find a better
neighbour; with a gain under the minimum the optimiser promotes the parent), else
``promote``; iterations used up -> ``promote`` the newest approved version of the
lineage, or kill; kill -> the strategy is killed with the reviewer's summary.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from agents.llm import json_object
from agents.numbers import finite
from agents.research.bets import drawdown_limit_pct
from agents.research.evaluate import Evaluation
from agents.research.scoring import Evidence
from agents.stages.common import (
    approved_ancestor,
    ask,
    close_strategy,
    load_job,
)
from agents.stages.evaluation import evaluate

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.settings import Settings
    from agents.store import Store

__all__ = ["gates", "handle", "optimizations"]

OUTCOMES = ("approve", "needs_work", "kill")
# kill gates that only mean "no proven edge yet" for a version nobody has tuned: its
# DSR is a plain PSR, its walk-forward tests fixed parameters (nothing re-optimised) and
# its alpha over buy-and-hold is that of the idea's first guess at the parameters
PRE_SEARCH = {"dsr", "walk_forward", "alpha"}


def gates(stats: dict[str, Any], settings: Settings,
          evidence: Evidence | None = None) -> dict[str, Any]:
    """{gate: {"value", "limit", "pass"}} plus "passed"; missing values fail their gate.
    With the research ``evidence``, drawdown may reach ``review_max_drawdown_vs_hold`` of
    buy-and-hold's own and trades count as independent bets (agents.research.bets)."""
    dd = finite(stats.get("Max. Drawdown [%]"))
    hold = evidence.buy_hold_drawdown_pct if evidence is not None else None
    dd_limit = drawdown_limit_pct(settings.review_max_drawdown,
                                  settings.review_max_drawdown_vs_hold, hold)
    bets = evidence.independent_bets if evidence is not None else None
    sharpe, trades = finite(stats.get("Sharpe Ratio")), finite(stats.get("# Trades"))
    exp, pf = finite(stats.get("Expectancy [%]")), finite(stats.get("Profit Factor"))
    if pf is None and exp is not None and exp > 0 and trades:
        pf = math.inf  # no losing trade: the profit factor is infinite (stored as null)
    out: dict[str, Any] = {
        "expectancy": {"value": exp, "limit": f"> {settings.review_min_expectancy}",
                       "pass": exp is not None and exp > settings.review_min_expectancy},
        "profit_factor": {"value": pf, "limit": f">= {settings.review_min_profit_factor}",
                          "pass": pf is not None and pf >= settings.review_min_profit_factor},
        "max_drawdown": {"value": dd, "limit": f"<= {dd_limit:.4g}",
                         "pass": dd is not None and abs(dd) <= dd_limit},
        "sharpe": {"value": sharpe, "limit": f">= {settings.review_min_sharpe}",
                   "pass": sharpe is not None and sharpe >= settings.review_min_sharpe},
        "trades": {"value": trades, "limit": f">= {settings.review_min_trades}",
                   "pass": trades is not None and trades >= settings.review_min_trades},
    }
    if bets is not None and trades is not None:
        out["trades"] = {"value": trades, "bets": bets,
                         "limit": f">= {settings.review_min_trades} bets, "
                                  f">= {settings.review_min_trades_floor} trades",
                         "pass": bets >= settings.review_min_trades
                         and trades >= settings.review_min_trades_floor}
    if settings.review_min_win_rate > 0:
        win = finite(stats.get("Win Rate [%]"))
        out["win_rate"] = {"value": win, "limit": f">= {settings.review_min_win_rate}",
                           "pass": win is not None and win >= settings.review_min_win_rate}
    out["passed"] = all(g["pass"] for g in out.values())
    return out


def optimizations(store: Store, strategy_id: int) -> int:
    return int(store.optimization_count(strategy_id))


def research_outcome(ev: Evaluation, optimised: bool) -> tuple[str, list[str]]:
    """(outcome, reasons) of the research checks for the review (see module doc)."""
    d = ev.decision
    failed = [g["name"] for g in d.gates if g["level"] == "kill" and g["passed"] is False]
    if d.outcome == "kill" and failed and set(failed) <= PRE_SEARCH and not optimised:
        return "needs_work", [f"before any optimisation: {r}" for r in d.reasons]
    return d.outcome, list(d.reasons)


def _evidence_brief(ev: Evaluation) -> dict[str, Any]:
    e = ev.evidence
    return {"deflated_sharpe": e.dsr, "n_trials": e.n_trials, "n_trials_raw": e.n_trials_raw,
            "pbo": e.pbo, "reality_check_p": e.reality_check_p,
            "walk_forward_oos_psr": e.wf_psr, "walk_forward_oos_efficiency": e.oos_efficiency,
            "alpha_psr_vs_buy_and_hold": e.alpha_psr, "exposure": e.exposure,
            "random_walks_profitable": e.random_profitable_fraction,
            "random_walks_sign_test_p": e.random_p_value,
            "monte_carlo_prob_ruin": e.prob_ruin, "research_outcome": ev.decision.outcome,
            "research_reasons": ev.decision.reasons}


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    job = load_job(ctx, payload)
    if job is None:
        return
    v, spec, params, dataset, stats = job.version, job.spec, job.params, job.dataset, job.stats
    sid = v.strategy_id
    done = optimizations(ctx.store, sid)
    final = bool(payload.get("search_ended"))
    ev = evaluate(ctx, v, spec, params, dataset or spec.datasets[0])
    g = gates(stats, ctx.settings, ev.evidence)
    failed = [k for k, x in g.items() if k != "passed" and not x["pass"]]
    r_outcome, r_reasons = research_outcome(ev, optimised=done > 0 or final)
    view: dict[str, Any] = {}
    call_id = None
    if r_outcome != "kill":
        asked = ask(ctx, "review", spec_json=spec.to_json(),
                    stats_json=json.dumps({"dataset": dataset, "strategy": spec.name, **stats,
                                           "research_checks": _evidence_brief(ev)},
                                          indent=2, default=str),
                    gates=("all passed" if not failed else "FAILED: " + ", ".join(
                        f"{k} {g[k]['value']} (needs {g[k]['limit']})" for k in failed)))
        view, call_id = json_object(asked.reply.text), asked.call_id
    verdict = str(view["verdict"]) if view.get("verdict") in OUTCOMES else "needs_work"
    outcome = verdict if g["passed"] or verdict == "kill" else "needs_work"
    if r_outcome == "kill":
        outcome = "kill"
    elif r_outcome == "needs_work" and outcome == "approve":
        outcome = "needs_work"
    summary = str(view.get("summary") or "")[:1000]
    if failed:
        summary = f"gates failed: {', '.join(failed)}. {summary}"
    if r_outcome != "approve":
        summary = f"research {r_outcome}: {'; '.join(r_reasons)}. {summary}"
    learnings = list(view.get("learnings") or [])
    if r_outcome == "kill":
        learnings += [f"killed by the research checks: {r}" for r in r_reasons]
    with ctx.write() as s:
        rid = s.add_review(v.id, outcome, gates={**g, "research": ev.to_dict()},
                           summary=summary.strip()[:4000], llm_call_id=call_id,
                           event_id=ctx.event.id)
        tags = " ".join([spec.name, *(i.function for i in spec.indicators)])
        for text in learnings:
            s.add_learning(f"{spec.name} v{v.version}: {text}", kind="review", tags=tags,
                           strategy_id=sid, version_id=v.id, review_id=rid)
        s.set_version_status(v.id, outcome)
        base = {"strategy_id": sid, "version_id": v.id}
        fallback = approved_ancestor(s, v.id) if outcome == "kill" else None
        if fallback is not None:  # a tuned child failed: its approved ancestor goes to the
            # promotion, where every check runs again counting every variant tried since
            ctx.emit("promote", {"strategy_id": sid, "version_id": fallback.id},
                     key=f"promote:v{fallback.id}")
        elif outcome == "kill" or (final and outcome != "approve"):
            close_strategy(s, sid, "killed", f"review of v{v.version}"
                           + (" after its search ended" if final else "") + f": {summary}"[:1000])
        elif final:
            ctx.emit("promote", {"strategy_id": sid, "version_id": v.id},
                     key=f"promote:v{v.id}")
        elif done < ctx.settings.optimise_max_iterations and (
                outcome == "needs_work" or done == 0):
            ctx.emit("optimise", {**base, "reason": outcome}, key=f"optimise:v{v.id}")
        elif (best := approved_ancestor(s, v.id)) is not None:  # this one or an ancestor
            ctx.emit("promote", {"strategy_id": sid, "version_id": best.id},
                     key=f"promote:v{best.id}")
        else:
            close_strategy(s, sid, "killed", f"needs work after {done} optimisation(s) "
                           f"(max {ctx.settings.optimise_max_iterations}): {summary}"[:1000])
