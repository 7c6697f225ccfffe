"""The research library (agents.research) as the stages use it.

* :func:`frames`: a dataset cut to the configured dates and split; the loop's
  execute / optimise / review stages only ever run on ``research`` (in-sample +
  validation), the promote stage alone reads the sealed holdout, through the ledger;
* :func:`trial_count`: every variant tried for a strategy (distinct version x params
  results plus rejected logic changes);
* :func:`lab_trials`: the trials of every OTHER strategy on the same dataset
  (effective: clustered by return correlation when their review measured it); the
  DSR's N is this strategy's effective trials plus these;
* :func:`evaluate`: :func:`agents.research.evaluate.evaluate_candidate` through the
  sandbox, with the search grid the optimiser ran and cancellation checkpoints.
"""

from __future__ import annotations

import logging
import time
from dataclasses import astuple, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from agents.research.config import DatasetRef, ResearchConfig, dataset_frame
from agents.research.evaluate import Evaluation, evaluate_candidate
from agents.research.runners import Runner, sandbox_runner
from agents.research.splits import Split, split_frame
from agents.research.thresholds import Thresholds, load_thresholds
from agents.spec import StrategySpec
from agents.stages import runcache
from agents.stages.common import options_for, sandbox
from agents.store.holdout import HoldoutLedger
from executor.types import BacktestOptions, RunResult

if TYPE_CHECKING:
    from agents.runtime.context import HandlerContext
    from agents.settings import Settings
    from agents.store import Store

log = logging.getLogger("rbi.stage.evaluation")

__all__ = ["Frames", "configured_sweep", "evaluate", "frames", "lab_trials",
           "thresholds", "trial_count", "trial_grid"]


def thresholds(cfg: ResearchConfig) -> Thresholds:
    t = cfg.thresholds
    if isinstance(t, str):
        return load_thresholds(t)
    return load_thresholds(overrides=t or None)


@dataclass(frozen=True)
class Frames:
    name: str
    full: pd.DataFrame
    full_sha256: str
    split: Split

    @property
    def research(self) -> pd.DataFrame:
        return self.split.research


@lru_cache(maxsize=16)
def _frames(ref: tuple[Any, ...], splits: tuple[tuple[str, Any], ...]) -> Frames:
    ds_name, sha, df = dataset_frame(DatasetRef(*ref))
    return Frames(ds_name, df, sha, split_frame(df, **dict(splits)))


def frames(settings: Settings, dataset: str) -> Frames:
    """``dataset`` cut to the dates the research config gives it, and split."""
    cfg = settings.research
    ref = next((d for d in cfg.datasets if d.name.upper() == dataset.upper()), DatasetRef(dataset))
    return _frames(astuple(ref), tuple(sorted(cfg.splits.kwargs().items())))


def trial_count(store: Store, strategy_id: int) -> int:
    """Variants tried for the strategy: its distinct successful backtests + rejected
    logic changes (recorded per optimise round in ``optimization_rounds``).

    Two rows with the same data, params and stats are one variant (a param-search
    child re-runs the trial it was made from; only its class defaults differ); a run
    that failed produced no Sharpe to select, so it is not a trial."""
    return int(store.distinct_variants(strategy_id)) + int(store.rejected_logic_changes(strategy_id))


def lab_trials(store: Store, strategy_id: int, dataset: str) -> tuple[float, int]:
    """(effective, raw) trials of every other strategy with results on ``dataset``.

    Raw: its distinct successful variants there. Effective: what its latest research
    review measured (``n_trials_own``: its grid clustered by return correlation), else
    the raw count."""
    rows = store.other_strategies_trials(strategy_id, dataset)
    raw = sum(n for n, _ in rows)
    eff = sum(min(e, float(n)) if e is not None else float(n) for n, e in rows)
    return eff, raw


def trial_grid(store: Store, version: Any, spec: StrategySpec,
               params: dict[str, Any]) -> list[dict[str, Any]]:
    """The parameter sets the optimiser searched for this version's parameters: its own
    trials, else its parent's (a param-search child), when they fit the spec. Before any
    search: ``[params]`` alone, so walk-forward still tests the version out of sample
    (fixed parameters, nothing re-optimised) and no trial is invented."""
    names = {p.name for p in spec.parameters}
    for vid in (version.id, version.parent_id):
        if vid is None:
            continue
        sets = [p for p in store.ok_param_sets(vid) if p and set(p) == names]
        if len(sets) >= 2:
            return sets
    return [dict(params)]


def _job_keys(inner: Runner, code: str, todo: list[tuple[pd.DataFrame, dict[str, Any]]],
              options: BacktestOptions | None, keep_orderlog: bool = False
              ) -> list[runcache.Key]:
    """The :mod:`runcache` key of every job, each distinct frame hashed once (the grid's
    sets share the full frame)."""
    by_frame: dict[int, list[int]] = {}
    for i, (d, _) in enumerate(todo):
        by_frame.setdefault(id(d), []).append(i)
    keys: list[runcache.Key] = [()] * len(todo)
    for idx in by_frame.values():
        sets = [todo[i][1] for i in idx]
        req = inner.request(code, todo[idx[0]][0], sets, options,  # type: ignore[attr-defined]
                            keep_orderlog)
        for i, k in zip(idx, runcache.keys(req, sets), strict=True):
            keys[i] = k
    return keys


def _runner(ctx: HandlerContext, count: dict[str, int], base: BacktestOptions) -> Runner:
    """The sandbox runner with cancellation checkpoints, counting sandbox calls
    (``calls``) and backtests (``runs``) into ``count``; ``known`` gives the results of
    a batch an earlier stage ran with the same request."""
    inner = sandbox_runner(sandbox(ctx.settings), base, seed=ctx.settings.seed)

    def run(code: str, data: pd.DataFrame, params: dict[str, Any],
            options: BacktestOptions | None = None) -> RunResult:
        ctx.check_cancelled()
        count["calls"] += 1
        count["runs"] += 1
        return inner(code, data, params, options)

    def batch(code: str, data: pd.DataFrame, sets: list[dict[str, Any]],
              options: BacktestOptions | None = None) -> list[RunResult]:
        ctx.check_cancelled()
        count["calls"] += 1 if sets else 0
        count["runs"] += len(sets)
        out: list[RunResult] = inner.batch(code, data, sets, options)  # type: ignore[attr-defined]
        return out

    def jobs(code: str, todo: list[tuple[pd.DataFrame, dict[str, Any]]],
             options: BacktestOptions | None = None, keep_orderlog: bool = False
             ) -> list[RunResult]:
        """The multi-frame batch; a job run before with the same request (a final
        review's probes: its first review ran them) comes from :mod:`runcache`."""
        ctx.check_cancelled()
        keys = _job_keys(inner, code, todo, options, keep_orderlog)
        got = [runcache.get(k) for k in keys]
        missing = [i for i, r in enumerate(got) if r is None]
        count["calls"] += 1 if missing else 0
        count["runs"] += len(missing)
        ran: list[RunResult] = inner.jobs(  # type: ignore[attr-defined]
            code, [todo[i] for i in missing], options, keep_orderlog=keep_orderlog)
        for i, res in zip(missing, ran, strict=True):
            runcache.put(keys[i], res)
            got[i] = res
        return got  # type: ignore[return-value]

    def known(code: str, data: pd.DataFrame, sets: list[dict[str, Any]],
              options: BacktestOptions | None = None) -> list[RunResult] | None:
        """Every set's result as an earlier stage already ran it (the optimiser's search:
        :mod:`agents.stages.runcache`), or None when one is missing."""
        req = inner.request(code, data, sets, options)  # type: ignore[attr-defined]
        got = [runcache.get(k) for k in runcache.keys(req, sets)]
        return None if any(r is None for r in got) else got  # type: ignore[return-value]

    run.batch = batch  # type: ignore[attr-defined]
    run.jobs = jobs  # type: ignore[attr-defined]
    run.known = known  # type: ignore[attr-defined]
    run.orderlog = True  # type: ignore[attr-defined]  # results carry decisions on request
    return run


def evaluate(ctx: HandlerContext, version: Any, spec: StrategySpec, params: dict[str, Any], dataset: str,
             *, ledger: HoldoutLedger | None = None) -> Evaluation:
    """Every research check on one version (the holdout only with a ``ledger``)."""
    cfg = ctx.settings.research
    fr = frames(ctx.settings, dataset)
    sid = int(version.strategy_id)
    key = None
    if ledger is not None:
        key = {"strategy_id": sid, "version_id": int(version.id), "dataset": fr.name,
               "event_id": ctx.event.id}
    count = {"calls": 0, "runs": 0}
    other = lab_trials(ctx.store, sid, fr.name)
    t0 = time.monotonic()
    opts = options_for(ctx.settings, fr.name)
    with ctx.sandbox_slot():
        ev = evaluate_candidate(
            version.code, params, fr.full, _runner(ctx, count, opts), spec=spec,
            grid=trial_grid(ctx.store, version, spec, params), n_trials=trial_count(ctx.store, sid),
            other_trials=other[0], other_trials_raw=other[1],
            robustness_cfg=cfg.robustness, splits=cfg.splits, thresholds=thresholds(cfg),
            options=opts, ledger=ledger, holdout_key=key, seed=ctx.settings.seed)
    ev.report["sandbox"] = dict(count)  # deterministic; the time goes to the log only
    log.info("evaluated %s v%s: %s, %d sandbox calls / %d backtests in %.1f s",
             spec.name, version.version, ev.decision.outcome, count["calls"],
             count["runs"], time.monotonic() - t0)
    return ev


def configured_sweep(settings: Settings, spec: StrategySpec) -> list[dict[str, Any]] | None:
    """The parameter sets the research config's ``strategies`` entry named like the
    spec asks for (its ``sweep`` crossed, ``params`` fixed, the spec's and the entry's
    constraints kept), or None when there is no such entry with a sweep."""
    import itertools

    entry = next((e for e in settings.research.strategies
                  if e.name and e.name.lower() == spec.name.lower() and e.sweep), None)
    if entry is None:
        return None
    names = {p.name for p in spec.parameters}
    sweep = {k: v for k, v in sorted(entry.sweep.items()) if k in names and v}
    fixed = {k: v for k, v in entry.params.items() if k in names}
    if not sweep:
        return None
    d = spec.to_dict()
    d["constraints"] = [*spec.constraints, *entry.constraints]
    check = StrategySpec.from_dict(d)
    out = []
    for combo in itertools.product(*sweep.values()):
        p = {**spec.defaults(), **fixed, **dict(zip(sweep, combo, strict=True))}
        try:
            if check.violated_constraints(p):
                continue
        except ValueError:
            continue
        out.append(p)
    return out
