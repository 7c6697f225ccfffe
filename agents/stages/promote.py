"""promote: the sealed holdout, read once, decides; an approved strategy is exported.

The version's research evidence comes from its review (``gates_json["research"]``; the
checks are deterministic, so they are not run again), unless it is missing or more
variants were tried since (then every check runs again, counting them). Then the
holdout of its dataset is read through the append-only :class:`HoldoutLedger` (one read
per promotion decision, logged BEFORE the data is handed out), run on history + holdout
and scored on the holdout bars only, and the decision is taken again with the holdout
PSR (deflated by every read of that dataset's holdout so far). The holdout's figures
stay in the review's ``gates_json`` and the export: ``strategies.reason`` only says the
holdout decided, so nothing a prompt reads learns the holdout outcome. Approve -> ``results/strategies/<name>/`` (code, spec,
params, stats, robustness report, backtesting.py's own HTML chart made in the sandbox,
BokehJS inlined so it renders offline, a git commit when the folder is in a repository), strategy ``approved``; kill -> the
strategy is killed with the reasons. A re-delivered event whose holdout was already
read never reads it again: the decision is recorded as needs_work and the strategy
fails. The rankings / killed / candidates reports are rewritten after each decision.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.research.evaluate import Evaluation, read_holdout
from agents.research.holdout import holdout_frame
from agents.research.overfitting import expected_max_sharpe, probabilistic_sharpe
from agents.research.promotion_export import export_strategy, sandbox_chart
from agents.research.scoring import Decision, Evidence, decide
from agents.research.splits import HoldoutAlreadyRead, HoldoutLedger
from agents.runtime.reports import write_cycle_reports
from agents.stages.chart import inline_bokeh
from agents.stages.common import (
    active_version,
    close_strategy,
    options_for,
    primary_stats,
    sandbox,
    spec_of,
)
from agents.stages.evaluation import (
    evaluate,
    frames,
    lab_trials,
    thresholds,
    trial_count,
)

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.store import Store

__all__ = ["handle"]

def _public(gates: list[dict[str, Any]]) -> str:
    """Which gates failed, without the holdout's figures or verdict (this text is the
    strategy's reason, which the research prompt's knowledge base reads)."""
    failed = [g["name"] for g in gates if g.get("passed") is False and g["name"] != "holdout"]
    held = any(g["name"] == "holdout" and g.get("passed") is not None for g in gates)
    parts = [f"failed {', '.join(failed)}"] if failed else []
    if held:
        parts.append("decided on the sealed holdout (figures in the promote review only)")
    return "; ".join(parts) or "see the promote review"


def _redeflate(ev: Evidence, report: dict[str, Any], other: tuple[float, int]) -> None:
    """The DSR again with N grown by the trials other strategies ran on this dataset
    since the review (from the stored Sharpe moments; nothing is re-run)."""
    d, t = report.get("dsr") or {}, dict(report.get("trials") or {})
    if ev.n_trials_own is None or not d.get("T") or other[1] <= (t.get("other_raw") or 0):
        return
    n = max(1, math.ceil(ev.n_trials_own + other[0] - 1e-9))
    sr_star = expected_max_sharpe(n, float(d["variance"]))
    dsr = probabilistic_sharpe(float(d["sr"]), sr_star, int(d["T"]), float(d["skew"]),
                               float(d["kurtosis"]))
    ev.n_trials, ev.dsr = n, dsr if math.isfinite(dsr) else None
    ev.n_trials_raw = int(t.get("own_raw") or 0) + other[1]
    report["dsr"] = {**d, "dsr": ev.dsr, "sr_star": sr_star, "n_trials": n}
    report["trials"] = {**t, "n_effective": n, "n_raw": ev.n_trials_raw,
                        "other_effective": other[0], "other_raw": other[1]}


def _stored(store: Store, version_id: int) -> dict[str, Any] | None:
    row = store.one("SELECT gates_json FROM reviews WHERE version_id = ? ORDER BY id DESC LIMIT 1",
                    (version_id,))
    research = json.loads(row[0]).get("research") if row else None
    return research if isinstance(research, dict) and research.get("evidence") else None


def _with_holdout(ctx: HandlerContext, v: Any, params: dict[str, Any], dataset: str,
                  stored: dict[str, Any], ledger: HoldoutLedger) -> Evaluation:
    """The stored evidence plus one logged holdout run, decided again."""
    from agents.research.runners import sandbox_runner

    fr = frames(ctx.settings, dataset)
    ev = Evidence.from_dict(stored["evidence"])
    report = dict(stored.get("report") or {})
    _redeflate(ev, report, lab_trials(ctx.store, int(v["strategy_id"]), fr.name))
    ledger.read(fr.split, strategy_id=int(v["strategy_id"]), version_id=int(v["id"]),
                dataset=fr.name, event_id=ctx.event.id)
    opts = options_for(ctx.settings, fr.name)
    run = sandbox_runner(sandbox(ctx.settings), opts, seed=ctx.settings.seed)
    with ctx.sandbox_slot():
        res = run(v["code"], holdout_frame(fr.split), params, opts)
    read_holdout(ev, report, res, fr.split, ledger.count(fr.name))
    out = Evaluation(decide(ev, thresholds(ctx.settings.research)), ev, report)
    out.holdout_read = True
    return out


def _decide(ctx: HandlerContext, v: Any, spec: Any, params: dict[str, Any], dataset: str) -> Evaluation:
    """Reuse the review's evidence when it is still current; when more variants were
    tried since (an ancestor promoted after a stalled search), evaluate again so the
    DSR counts them and walk-forward/PBO see the search."""
    ledger = HoldoutLedger(ctx.store.conn)
    stored = _stored(ctx.store, int(v["id"]))
    own = ((stored or {}).get("report") or {}).get("trials") or {}
    if stored is None or (own.get("own_raw") or 0) < trial_count(ctx.store, int(v["strategy_id"])):
        return evaluate(ctx, v, spec, params, dataset, ledger=ledger)
    return _with_holdout(ctx, v, params, dataset, stored, ledger)


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
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
    if outcome == "approve" and ev.evidence.holdout_psr is None:
        outcome, reasons = "needs_work", ["no returns on the sealed holdout (the run failed): "
                                          "nothing to confirm the edge"]
        ev.decision = Decision(outcome, reasons, d.score, d.gates, d.components)
    export: dict[str, Any] = {}
    if outcome == "approve":
        fr = frames(ctx.settings, dataset)
        with ctx.sandbox_slot():
            chart = sandbox_chart(v["code"], fr.full, params, backend=sandbox(ctx.settings),
                                  options=options_for(ctx.settings, fr.name), seed=ctx.settings.seed,
                                  data_name=fr.name)
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
                           f"promoted: score {d.score:.1f}; exported to {export['path']}")
        else:
            s.set_version_status(v["id"], outcome)
            close_strategy(s, sid, "killed" if outcome == "kill" else "failed",
                           f"promotion of v{v['version']}: {outcome} {_public(d.gates)}"[:1000])
    write_cycle_reports(ctx.settings, ctx.store)
