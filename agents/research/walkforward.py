"""Walk-forward analysis: re-optimise on each train window, test the winner on the next.

``run_batch(param_sets, data) -> [RunResult]`` runs a grid on one frame (the executor's
batch mode in production). Every window is run on *history + window* and only the
window is scored (:mod:`agents.research.windowstats`): indicators are warm when the
window opens, so a slow strategy is not scored on its warm-up.

The out-of-sample verdict is the PSR of the test windows' per-bar returns stitched
into one series (``oos_psr``: the probability that the true OOS Sharpe is above 0),
not a ratio of mean Sharpes. OOS efficiency (mean OOS metric over mean in-sample metric
of the winners, Pardo) is still reported and scored; it is ``None`` when the in-sample
mean is not positive.

Cost: with warm windows every run is a prefix ``data[:stop]``, and the same prefix is
run once (a fold's test run is the next fold's train run of its winner). A runner that
can cut one run at several bars (``run_cuts``, e.g. the in-process runner's ``cuts``:
one backtest per parameter set, finished at each stop exactly as a run on
``data[:stop]`` would be) replaces the per-fold backtests altogether. A runner that runs
(frame, params) jobs on several frames at once (``run_jobs``: the sandbox's multi-frame
batch) gets every train prefix the folds will need as ONE call up front (the folds a
``prune_after`` may stop after only), instead of one call per prefix: the same runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from agents.numbers import finite, metric_of

__all__ = ["Fold", "WalkForwardReport", "walk_forward", "wf_windows"]

Stats = dict[str, Any]
RunBatch = Callable[[list[dict[str, Any]], pd.DataFrame], list[Any]]
# (param_sets, frame, stops) -> per set {stop: result as if run on frame[:stop]}
RunCuts = Callable[[list[dict[str, Any]], pd.DataFrame, list[int]], list[dict[int, Any]]]
# [(frame, params), ...] -> one result per job, in order
RunJobs = Callable[[list[tuple[pd.DataFrame, dict[str, Any]]]], list[Any]]
WINDOW_METRICS = ("Sharpe Ratio", "Return [%]", "Return (Ann.) [%]")


def wf_windows(n_bars: int, train: int, test: int, *, step: int | None = None,
               anchored: bool = False) -> list[tuple[slice, slice]]:
    """(train, test) bar slices. Rolling: train windows of ``train`` bars moving by
    ``step`` (default ``test``); anchored: every train window starts at bar 0."""
    if train < 2 or test < 1:
        raise ValueError(f"train ({train}) must be >= 2 bars and test ({test}) >= 1")
    step = step or test
    out: list[tuple[slice, slice]] = []
    start = 0
    while start + train + test <= n_bars:
        lo = 0 if anchored else start
        out.append((slice(lo, start + train), slice(start + train, start + train + test)))
        start += step
    return out


@dataclass
class Fold:
    train: tuple[str, str]
    test: tuple[str, str]
    params: dict[str, Any]
    is_metric: float
    oos_metric: float
    is_return_ann: float | None
    oos_return_ann: float | None
    oos_return: float | None
    oos_trades: int


@dataclass
class WalkForwardReport:
    metric: str
    folds: list[Fold] = field(default_factory=list)
    oos_efficiency: float | None = None
    is_mean: float | None = None
    oos_mean: float | None = None
    oos_return_compounded: float | None = None  # % over all test windows
    oos_psr: float | None = None  # PSR(SR > 0) of the stitched OOS per-bar returns
    oos_sharpe: float | None = None  # annualised Sharpe of the stitched OOS returns
    oos_bars: int = 0
    param_changes: int = 0  # folds whose winner differs from the previous fold's
    evaluations: int = 0  # (parameter set, window) pairs scored
    backtests: int = 0  # runs actually made for them (shared prefixes and cuts run once)
    pruned: bool = False
    warmup: bool = True  # windows run on history + window, scored on the window

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _score(stats: Stats, metric: str, min_trades: int) -> float:
    return metric_of(stats, metric) if metric_of(stats, "# Trades") >= min_trades else -math.inf


class _Runs:
    """Results by (set index, stop) on warm prefixes, each prefix run at most once."""

    def __init__(self, data: pd.DataFrame, sets: list[dict[str, Any]], run_batch: RunBatch,
                 run_cuts: RunCuts | None, stops: list[int]) -> None:
        from agents.research.windowstats import run_series

        self.data, self.sets, self.run_batch, self.seen = data, sets, run_batch, run_series
        self.done: dict[tuple[int, int], Any] = {}
        self.backtests = 0
        if run_cuts is not None and stops:
            by_set = run_cuts([dict(p) for p in sets], data.iloc[:max(stops)], stops)
            self.backtests = len(sets)
            for i, got in enumerate(by_set):
                for stop in stops:
                    self.done[(i, stop)] = run_series(got[stop])

    def prefetch(self, run_jobs: RunJobs, idx: list[int], stops: list[int]) -> None:
        """Run every set of ``idx`` on every prefix ``data[:stop]`` as one batch of jobs
        (each prefix one frame, shared by its sets)."""
        jobs = []
        for stop in stops:
            frame = self.data.iloc[:stop]
            jobs += [(frame, (i, stop)) for i in idx if (i, stop) not in self.done]
        if not jobs:
            return
        runs = run_jobs([(frame, dict(self.sets[i])) for frame, (i, _) in jobs])
        self.backtests += len(jobs)
        for (_, key), r in zip(jobs, runs, strict=True):
            self.done[key] = self.seen(r)

    def get(self, idx: list[int], stop: int) -> list[Any]:
        todo = [i for i in idx if (i, stop) not in self.done]
        if todo:
            runs = self.run_batch([dict(self.sets[i]) for i in todo], self.data.iloc[:stop])
            self.backtests += len(todo)
            for i, r in zip(todo, runs, strict=True):
                self.done[(i, stop)] = self.seen(r)
        return [self.done[(i, stop)] for i in idx]


def walk_forward(data: pd.DataFrame, grid: Sequence[dict[str, Any]], run_batch: RunBatch, *,
                 train: int, test: int, step: int | None = None, anchored: bool = False,
                 metric: str = "Sharpe Ratio", min_trades: int = 1, warmup: bool = True,
                 prune_after: int | None = None, prune_below: float = 0.0,
                 run_cuts: RunCuts | None = None, run_jobs: RunJobs | None = None
                 ) -> WalkForwardReport:
    """Re-optimise ``metric`` over ``grid`` on each train window, test the winner next.

    ``warmup`` (default): each window runs on every bar before it too and is scored on
    its own bars only. Train winners need at least ``min_trades`` trades entered in the
    window. ``prune_after=k``: stop after k folds when the mean OOS metric so far is
    below ``prune_below`` (hopeless trial). ``run_cuts``, ``run_jobs``: see the module
    doc (warm windows only; the numbers are those of the per-fold runs)."""
    from agents.research.overfitting import probabilistic_sharpe, sharpe_moments
    from agents.research.windowstats import periods_per_year, window_returns, window_stats

    if not grid:
        raise ValueError("walk_forward needs a non-empty parameter grid")
    if metric not in WINDOW_METRICS:
        raise ValueError(f"walk-forward metric {metric!r} cannot be scored on a window; "
                         f"use one of {', '.join(WINDOW_METRICS)}")
    report = WalkForwardReport(metric=metric, warmup=warmup)
    windows = wf_windows(len(data), train, test, step=step, anchored=anchored)
    sets = [dict(p) for p in grid]
    every = list(range(len(sets)))
    stops = sorted({w.stop for pair in windows for w in pair})
    runs = _Runs(data, sets, run_batch, run_cuts if warmup else None, stops)
    train_stops = {tr.stop for tr, _ in windows}
    if warmup and run_cuts is None and run_jobs is not None:
        ahead = windows[:prune_after] if prune_after else windows
        runs.prefetch(run_jobs, every, sorted({tr.stop for tr, _ in ahead}))
    prev: dict[str, Any] | None = None
    pieces: list[pd.Series] = []
    for tr, te in windows:
        d_tr, d_te = data.iloc[tr], data.iloc[te]
        if warmup:
            fold_runs = runs.get(every, tr.stop)
        else:
            fold_runs = run_batch([dict(p) for p in sets], d_tr)
            runs.backtests += len(sets)
        all_stats = [window_stats(r, d_tr.index[0], d_tr.index[-1]) for r in fold_runs]
        report.evaluations += len(sets) + 1
        scored = [(_score(st, metric, min_trades), i) for i, st in enumerate(all_stats)]
        best_score, best_i = max(scored, key=lambda t: (t[0], -t[1]))
        params, is_stats = sets[best_i], all_stats[best_i]
        if not warmup:
            [oos_run] = run_batch([dict(params)], d_te)
            runs.backtests += 1
        else:
            last = prune_after and len(report.folds) + 1 >= prune_after
            # the test window's prefix is the next fold's train prefix: run the grid there
            # once (unless this fold may be the last one)
            if te.stop in train_stops and not last:
                runs.get(every, te.stop)
            [oos_run] = runs.get([best_i], te.stop)
        oos = window_stats(oos_run, d_te.index[0], d_te.index[-1])
        if oos_run.ok:
            pieces.append(window_returns(oos_run, d_te.index[0], d_te.index[-1]))
        report.param_changes += int(prev is not None and params != prev)
        prev = params
        report.folds.append(Fold(
            train=(d_tr.index[0].isoformat(), d_tr.index[-1].isoformat()),
            test=(d_te.index[0].isoformat(), d_te.index[-1].isoformat()),
            params=params, is_metric=best_score, oos_metric=metric_of(oos, metric),
            is_return_ann=finite(metric_of(is_stats, "Return (Ann.) [%]")),
            oos_return_ann=finite(metric_of(oos, "Return (Ann.) [%]")),
            oos_return=finite(metric_of(oos, "Return [%]")),
            oos_trades=int(max(metric_of(oos, "# Trades"), 0)),
        ))
        if prune_after and len(report.folds) >= prune_after:
            so_far = [f.oos_metric for f in report.folds if math.isfinite(f.oos_metric)]
            if not so_far or sum(so_far) / len(so_far) < prune_below:
                report.pruned = True
                break
    report.backtests = runs.backtests
    _summarise(report)
    stitched = pd.concat(pieces) if pieces else pd.Series(dtype="float64")
    report.oos_bars = len(stitched)
    if len(stitched) >= 3:
        m = sharpe_moments(stitched.to_numpy())
        psr = probabilistic_sharpe(m.sharpe, 0.0, m.n, m.skew, m.kurtosis)
        report.oos_psr = psr if math.isfinite(psr) else None
        if math.isfinite(m.sharpe):
            report.oos_sharpe = m.sharpe * math.sqrt(periods_per_year(stitched.index))
    elif report.folds:
        report.oos_psr = 0.0  # no out-of-sample returns at all: nothing carried over
    return report


def _summarise(report: WalkForwardReport) -> None:
    is_vals = [f.is_metric for f in report.folds if math.isfinite(f.is_metric)]
    # a test window without trades has no Sharpe: count it as zero performance
    oos_vals = [f.oos_metric if math.isfinite(f.oos_metric) else 0.0 for f in report.folds]
    if not report.folds:
        return
    report.is_mean = sum(is_vals) / len(is_vals) if is_vals else None
    report.oos_mean = sum(oos_vals) / len(oos_vals)
    if report.is_mean is not None and report.is_mean > 0:
        report.oos_efficiency = report.oos_mean / report.is_mean
    growth = 1.0
    for f in report.folds:
        growth *= 1.0 + (f.oos_return or 0.0) / 100.0
    report.oos_return_compounded = (growth - 1.0) * 100.0
