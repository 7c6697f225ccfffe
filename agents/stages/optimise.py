"""optimise: parameter search on the spec's ranges plus one LLM-proposed logic change.

Everything here runs on the research part of the data (in-sample + validation); the
holdout stays sealed. Multi-objective: the search keeps the Pareto front of return vs
max drawdown over its trials (stored in ``optimization_rounds`` with the round) and picks
the best Sharpe ON that front. A rejected logic change is still a variant tried: the
round records it and the review's Deflated Sharpe Ratio counts it.

Parameter search runs through the executor's BATCH mode (one sandbox for all sets of
one code version): the research config's sweep for the strategy when it has one, a grid when the spec's grid is small, else a random round and a
TPE round, seeded by (settings.seed, version). Every trial is recorded as a result of
the parent version with its params. The logic change (offline: a mutation operator) is
compiled to code and run once. The better candidate becomes a child version with an
``optimization_history`` row when its Sharpe beats the parent's by at least
``settings.optimise_min_improvement`` (relative); otherwise the SEARCH stops (a search
that cannot improve a version says nothing against it): an approved parent is
promoted, any other version is reviewed once more with ``search_ended`` (now with its
search's trials: DSR, PBO, reality check and walk-forward see the search) and judged
on that evidence, never killed for "stalling".
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.codefix import package as package_code
from agents.llm import ExtractError, extract_json
from agents.numbers import metric_of
from agents.research.runners import FULL_TRADES
from agents.spec import SpecError, StrategySpec
from agents.stages import runcache
from agents.stages.backtest import generate_code
from agents.stages.codeparams import set_class_params
from agents.stages.common import (
    approved_ancestor,
    ask,
    label_model,
    load_job,
    options_for,
    sandbox,
)
from agents.stages.execution import run_version
from agents.stages.search import grid, grid_size, random_sets, tpe_sets
from agents.store.records import sha256_text
from executor.types import BacktestOptions, RunRequest, RunResult

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.store import Store

__all__ = ["Candidate", "gain", "handle", "param_search", "trial_request"]

TRIALS = 24
OBJECTIVES = ("Return [%]", "Max. Drawdown [%]")  # both maximised (drawdowns are <= 0)


@dataclass
class Candidate:
    kind: str  # param_search | logic_change
    spec: StrategySpec
    code: str
    params: dict[str, Any]
    stats: dict[str, Any]
    change: str
    call_id: int | None = None
    trials: list[tuple[dict[str, Any], RunResult]] = field(default_factory=list)

    @property
    def sharpe(self) -> float:
        return metric_of(self.stats)


def gain(parent: float, child: float) -> float:
    """Relative improvement of ``child`` over ``parent`` (inf from a missing parent)."""
    if not math.isfinite(child):
        return -math.inf
    if not math.isfinite(parent):
        return math.inf
    return (child - parent) / max(abs(parent), 1e-9)


def _score(stats: dict[str, Any], min_trades: float) -> float:
    return metric_of(stats) if metric_of(stats, "# Trades") >= min_trades else -math.inf


def _batch(ctx: HandlerContext, code: str, df: Any, name: str, sets: list[dict[str, Any]]) -> list[RunResult]:
    from executor import run_batch

    if not sets:
        return []
    req = trial_request(code, df, sets, options_for(ctx.settings, name), ctx.settings.seed,
                        name, f"e{ctx.event.id}-opt")
    with ctx.sandbox_slot():
        out: list[RunResult] = run_batch(req, sandbox(ctx.settings))
    for k, res in zip(runcache.keys(req, sets), out, strict=True):
        runcache.put(k, res)  # the version's final review runs this grid again
    label_model(out, req.options)
    return out


def trial_request(code: str, df: Any, sets: list[dict[str, Any]], opts: BacktestOptions,
                  seed: int, name: str = "", run_id: str = "") -> RunRequest:
    """The search's batch, asking for what the review's grid asks for (every trade,
    every equity point: :func:`agents.research.runners.sandbox_runner`), so the review
    gets these results back from :mod:`agents.stages.runcache` instead of running them."""
    return RunRequest(code=code, data=df, param_sets=sets, options=opts, seed=seed,
                      data_name=name, run_id=run_id, max_trades=FULL_TRADES,
                      equity_points=len(df) + 1)


def pareto_front(trials: list[tuple[dict[str, Any], RunResult]], min_trades: float
                 ) -> list[int]:
    """Indices of the trials no other trial beats on every objective (ok runs with
    enough trades and finite objectives only), in trial order."""
    pts = {i: tuple(metric_of(r.stats, k) for k in OBJECTIVES) for i, (_, r) in enumerate(trials)
           if r.ok and metric_of(r.stats, "# Trades") >= min_trades}
    pts = {i: p for i, p in pts.items() if all(math.isfinite(x) for x in p)}

    def dominated(a: tuple[float, ...]) -> bool:
        return any(all(x >= y for x, y in zip(b, a, strict=True)) and b != a
                   for b in pts.values())

    return [i for i, p in pts.items() if not dominated(p)]


def param_search(ctx: HandlerContext, code: str, spec: StrategySpec, dataset: str, seed: int,
                 min_trades: float, trials: int = TRIALS) -> tuple[str, list[tuple[dict[str, Any], RunResult]]]:
    """-> (method, [(params, result)]) for the parent code on one dataset's research part."""
    from agents.stages.evaluation import configured_sweep, frames

    if not spec.parameters:
        return "none", []
    fr = frames(ctx.settings, dataset)
    name, df = fr.name, fr.research
    if (sweep := configured_sweep(ctx.settings, spec)) is not None:
        return "sweep", list(zip(sweep, _batch(ctx, code, df, name, sweep), strict=True))
    if grid_size(spec) <= trials:
        sets = grid(spec)
        return "grid", list(zip(sets, _batch(ctx, code, df, name, sets), strict=True))
    first = random_sets(spec, trials // 2, seed, [spec.defaults()])
    done = list(zip(first, _batch(ctx, code, df, name, first), strict=True))
    ctx.check_cancelled()
    scored = [(p, _score(r.stats, min_trades)) for p, r in done if r.ok]
    second = tpe_sets(spec, scored, trials - len(first), seed + 1)
    done += list(zip(second, _batch(ctx, code, df, name, second), strict=True))
    return "random+tpe", done


def _with_defaults(spec: StrategySpec, params: dict[str, Any]) -> StrategySpec:
    d = copy.deepcopy(spec.to_dict())
    for p in d["parameters"]:
        p["default"] = params.get(p["name"], p["default"])
    return StrategySpec.from_dict(d)


def _history(store: Store, sid: int) -> str:
    rows = store.optimization_steps(sid)
    tried = store.learning_texts(sid, "optimise")
    lines = [f"- {r[0]}: {r[1]} (Sharpe delta {r[2]:+.3f}), accepted" for r in rows]
    lines += [f"- {t}" for t in tried]
    return "\n".join(lines) or "(none yet)"


def logic_change(ctx: HandlerContext, spec: StrategySpec, stats: dict[str, Any], sid: int,
                 dataset: str) -> Candidate | None:
    asked = ask(ctx, "optimise", spec_json=spec.to_json(),
                results_json=json.dumps({"dataset": dataset, **stats}, default=str, indent=2),
                history=_history(ctx.store, sid))
    try:
        data = extract_json(asked.reply.text)
        new = StrategySpec.from_dict(data["spec"]).check()
    except (ExtractError, SpecError, KeyError, TypeError):
        return None
    new.name = spec.name
    try:
        gen = generate_code(ctx, new.to_json())
    except SpecError:  # the (offline) compiler cannot build this spec: nothing was tried
        return None
    if gen.truncated or not gen.code.strip():
        return None
    code = package_code(gen.code, dataset_hint=dataset).code
    params = new.defaults()
    [(_, _, res)] = run_version(ctx, code, params, [dataset])
    change = f"{data.get('mutation')}: {data.get('change')}"
    return Candidate("logic_change", new, code, params, res.stats if res.ok else {}, change,
                     asked.call_id)


def handle(ctx: HandlerContext, payload: dict[str, Any]) -> None:
    job = load_job(ctx, payload)
    if job is None:
        return
    v, spec, stats, dataset = job.version, job.spec, job.stats, job.data
    sid = v.strategy_id
    parent = metric_of(stats)
    min_trades = min(ctx.settings.review_min_trades, metric_of(stats, "# Trades"))
    # seeded by content, not by row id: a strategy's search does not depend on which
    # other ideas the queue happened to number first
    seed = int(sha256_text(f"{ctx.settings.seed}:{v.code_sha256}")[:12], 16)
    method, trials = param_search(ctx, v.code, spec, dataset, seed, min_trades,
                                  ctx.settings.optimise_trials)
    cands: list[Candidate] = []
    front = pareto_front(trials, min_trades)
    ok = [trials[i] for i in front if math.isfinite(_score(trials[i][1].stats, min_trades))]
    if ok:
        p, r = max(ok, key=lambda t: _score(t[1].stats, min_trades))
        code = set_class_params(v.code, p)
        if code is not None and p != v.params:
            changed = {k: f"{spec.defaults().get(k)} -> {x}" for k, x in p.items()
                       if spec.defaults().get(k) != x}
            cands.append(Candidate("param_search", _with_defaults(spec, p), code, p, r.stats,
                                   f"{method} over {len(trials)} sets: {changed}", trials=trials))
    logic = logic_change(ctx, spec, stats, sid, dataset)
    if logic is not None and _score(logic.stats, min_trades) > -math.inf:
        cands.append(logic)
    cands = [c for c in cands if ctx.store.version_with_code(sid, c.code) is None]
    best = max(cands, key=lambda c: _score(c.stats, min_trades), default=None)
    up = gain(parent, best.sharpe) if best else -math.inf
    accepted = best is not None and up >= ctx.settings.optimise_min_improvement
    rejected = int(logic is not None and not (accepted and logic is best))
    pareto = [{"params": trials[i][0], **{k: trials[i][1].stats.get(k) for k in
                                           (*OBJECTIVES, "Sharpe Ratio", "# Trades")}}
              for i in front]
    round_row: dict[str, Any] = {"method": method, "dataset": dataset, "trials": len(trials),
                 "rejected_logic": rejected, "objectives": list(OBJECTIVES), "pareto": pareto,
                 "data_sha256": next((r.data_sha256 for _, r in trials if r.data_sha256), "")}
    with ctx.write() as s:
        for p, r in trials:
            s.record_result(v.id, r, dataset, params=p, seed=ctx.settings.seed,
                            backend=r.backend, event_id=ctx.event.id, keep_series=False)
        if logic is not None and rejected:
            s.add_learning(f"{spec.name} v{v.version}: tried {logic.change}: Sharpe "
                           f"{parent:.3f} -> {logic.sharpe:.3f}, not accepted", kind="optimise",
                           tags=spec.name, strategy_id=sid, version_id=v.id)
        if best is None or not accepted:
            s.add_optimization_round(sid, v.id, outcome="stalled", event_id=ctx.event.id,
                                     **round_row)
            if (good := approved_ancestor(s, v.id)) is not None:
                ctx.emit("promote", {"strategy_id": sid, "version_id": good.id},
                         key=f"promote:v{good.id}")
            else:  # the search ended; the version is judged on its evidence
                ctx.emit("review", {"strategy_id": sid, "version_id": v.id,
                                    "search_ended": True}, key=f"review:v{v.id}:final")
            return
        child, _ = s.add_version(sid, best.code, parent_id=v.id, spec=best.spec.to_dict(),
                                 params=best.params, agent="optimise",
                                 llm_call_id=best.call_id, note=best.change[:2000])
        s.add_optimization_round(sid, v.id, child_version=child, outcome=best.kind,
                                 event_id=ctx.event.id, **round_row)
        s.add_optimization(v.id, child, best.kind, changes_made=best.change[:2000],
                           performance_delta=best.sharpe - parent if math.isfinite(parent)
                           else None, event_id=ctx.event.id)
        ctx.emit("validate", {"strategy_id": sid, "version_id": child}, key=f"validate:v{child}")
