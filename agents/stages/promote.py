"""promote: the sealed holdout, read once, decides; an approved strategy is exported.

The version's research evidence comes from its review (``gates_json["research"]``; the
checks are deterministic, so they are not run again), unless it is missing or more
variants were tried since (then every check runs again, counting them). Then the
holdout of its dataset is read through the append-only :class:`HoldoutLedger` (one read
per promotion decision, logged BEFORE the data is handed out) and the decision is taken
again with the holdout Sharpe. Approve -> ``results/strategies/<name>/`` (code, spec,
params, stats, robustness report, backtesting.py's own HTML chart made in the sandbox,
BokehJS inlined so it renders offline, a git commit when the folder is in a repository), strategy ``approved``; kill -> the
strategy is killed with the reasons. A re-delivered event whose holdout was already
read never reads it again: the decision is recorded as needs_work and the strategy
fails. The rankings / killed / candidates reports are rewritten after each decision.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.research.evaluate import Evaluation
from agents.research.promotion_export import export_strategy, sandbox_chart
from agents.research.scoring import Decision, Evidence, decide
from agents.research.splits import HoldoutAlreadyRead, HoldoutLedger
from agents.research.walkforward import metric_of
from agents.runtime.reports import write_cycle_reports
from agents.stages.chart import inline_bokeh
from agents.stages.common import (
    OPTIONS,
    active_version,
    close_strategy,
    primary_stats,
    sandbox,
    spec_of,
)
from agents.stages.evaluation import evaluate, frames, research_config, thresholds, trial_count

__all__ = ["handle"]

def _stored(store: Any, version_id: int) -> dict[str, Any] | None:
    row = store.one("SELECT gates_json FROM reviews WHERE version_id = ? ORDER BY id DESC LIMIT 1",
                    (version_id,))
    research = json.loads(row[0]).get("research") if row else None
    return research if isinstance(research, dict) and research.get("evidence") else None


def _with_holdout(ctx: Any, v: Any, params: dict[str, Any], dataset: str,
                  stored: dict[str, Any], ledger: HoldoutLedger) -> Evaluation:
    """The stored evidence plus one logged holdout run, decided again."""
    from agents.research.runners import sandbox_runner

    fr = frames(ctx.settings, dataset)
    ev = Evidence.from_dict(stored["evidence"])
    report = dict(stored.get("report") or {})
    hold = ledger.read(fr.split, strategy_id=int(v["strategy_id"]), version_id=int(v["id"]),
                       dataset=fr.name, event_id=ctx.event.id)
    run = sandbox_runner(sandbox(ctx.settings), OPTIONS, seed=ctx.settings.seed)
    with ctx.sandbox_slot():
        res = run(v["code"], hold, params, OPTIONS)
    sharpe = metric_of(res.stats if res.ok else {}, "Sharpe Ratio")
    ev.holdout_sharpe = sharpe if sharpe > float("-inf") else None
    report["holdout"] = {"status": res.status, "bars": len(hold), "error": res.error,
                         "stats": {k: x for k, x in res.stats.items() if not str(k).startswith("_")}}
    out = Evaluation(decide(ev, thresholds(research_config(ctx.settings))), ev, report)
    out.holdout_read = True
    return out


def _decide(ctx: Any, v: Any, spec: Any, params: dict[str, Any], dataset: str) -> Evaluation:
    """Reuse the review's evidence when it is still current; when more variants were
    tried since (an ancestor promoted after a stalled search), evaluate again so the
    DSR counts them and walk-forward/PBO see the search."""
    ledger = HoldoutLedger(ctx.store.conn)
    stored = _stored(ctx.store, int(v["id"]))
    if stored is None or (stored["evidence"].get("n_trials") or 0) < trial_count(
            ctx.store, int(v["strategy_id"])):
        return evaluate(ctx, v, spec, params, dataset, ledger=ledger)
    return _with_holdout(ctx, v, params, dataset, stored, ledger)


def handle(ctx: Any, payload: dict[str, Any]) -> None:
    v = active_version(ctx, payload)
    if v is None:
        return
    sid = v["strategy_id"]
    spec = spec_of(v)
    params = json.loads(v["params_json"])
    dataset, stats = primary_stats(ctx.store, v["id"])
    dataset = dataset or spec.datasets[0]
    try:
        ev = _decide(ctx, v, spec, params, dataset)
    except HoldoutAlreadyRead as e:
        with ctx.write() as s:
            s.add_review(v["id"], "needs_work", gates={"holdout": "already read"},
                         summary=f"promotion not decided: {e}", event_id=ctx.event.id)
            s.set_version_status(v["id"], "needs_work")
            close_strategy(s, sid, "failed", f"promotion of v{v['version']} not decided: the "
                           "holdout was already read for it and is never read twice")
        write_cycle_reports(ctx.settings, ctx.store)
        return
    d = ev.decision
    outcome, reasons = d.outcome, list(d.reasons)
    if outcome == "approve" and ev.evidence.holdout_sharpe is None:
        outcome, reasons = "needs_work", ["no Sharpe on the sealed holdout (no trades or the "
                                          "run failed): nothing to confirm the edge"]
        ev.decision = Decision(outcome, reasons, d.score, d.gates, d.components)
    export: dict[str, Any] = {}
    if outcome == "approve":
        fr = frames(ctx.settings, dataset)
        with ctx.sandbox_slot():
            chart = sandbox_chart(v["code"], fr.full, params, backend=sandbox(ctx.settings),
                                  options=OPTIONS, seed=ctx.settings.seed, data_name=fr.name)
        chart = inline_bokeh(chart) if chart else None
        res = export_strategy(Path(ctx.settings.results_dir) / "strategies", spec.name,
                              code=v["code"], spec=spec.to_dict(), params=params, stats=stats,
                              evaluation=ev.to_dict(), chart_html=chart, version=v["version"])
        export = {"path": str(res.path), "files": res.files, "committed": res.committed,
                  "commit": res.commit, "note": res.note}
    summary = f"promotion {outcome}: {'; '.join(reasons)}"
    with ctx.write() as s:
        s.add_review(v["id"], outcome, gates={"research": ev.to_dict(), "export": export},
                     summary=summary[:4000], event_id=ctx.event.id)
        if outcome == "approve":
            if ctx.settings.paper_after_promote:
                ctx.emit("paper", {"strategy_id": sid, "version_id": v["id"]})
            s.set_version_status(v["id"], "approved")
            close_strategy(s, sid, "approved", f"v{v['version']} (version id {v['id']}) "
                           f"promoted: score {d.score:.1f}, holdout Sharpe "
                           f"{ev.evidence.holdout_sharpe:.2f}; exported to {export['path']}")
        else:
            s.set_version_status(v["id"], outcome)
            close_strategy(s, sid, "killed" if outcome == "kill" else "failed",
                           f"promotion of v{v['version']}: {'; '.join(reasons)}"[:1000])
    write_cycle_reports(ctx.settings, ctx.store)
