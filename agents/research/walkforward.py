"""Walk-forward analysis: re-optimise on each train window, test on the next.

``evaluate(params, data) -> stats`` (a backtesting.py stats dict) runs one parameter
set; an optional ``evaluate_batch(param_sets, data) -> [stats]`` runs a whole grid at
once (the executor's batch mode in production). OOS efficiency is the mean OOS metric
over the mean in-sample metric of the winners (Pardo's walk-forward efficiency); it is
``None`` when the in-sample mean is not positive (nothing to be efficient about).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Fold", "WalkForwardReport", "walk_forward", "wf_windows"]

Stats = dict[str, Any]
Evaluate = Callable[[dict[str, Any], pd.DataFrame], Stats]
EvaluateBatch = Callable[[list[dict[str, Any]], pd.DataFrame], list[Stats]]


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


def metric_of(stats: Stats | None, key: str) -> float:
    try:
        v = float((stats or {}).get(key))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return -math.inf
    return v if math.isfinite(v) else -math.inf


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
    param_changes: int = 0  # folds whose winner differs from the previous fold's
    evaluations: int = 0
    pruned: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def walk_forward(data: pd.DataFrame, grid: Sequence[dict[str, Any]], evaluate: Evaluate, *,
                 train: int, test: int, step: int | None = None, anchored: bool = False,
                 metric: str = "Sharpe Ratio", min_trades: int = 1,
                 evaluate_batch: EvaluateBatch | None = None,
                 prune_after: int | None = None, prune_below: float = 0.0) -> WalkForwardReport:
    """Re-optimise ``metric`` over ``grid`` on each train window, test the winner next.

    Train winners need at least ``min_trades`` trades. ``prune_after=k``: stop after k
    folds when the mean OOS metric so far is below ``prune_below`` (hopeless trial)."""
    if not grid:
        raise ValueError("walk_forward needs a non-empty parameter grid")
    report = WalkForwardReport(metric=metric)
    prev: dict[str, Any] | None = None
    for tr, te in wf_windows(len(data), train, test, step=step, anchored=anchored):
        d_tr, d_te = data.iloc[tr], data.iloc[te]
        sets = [dict(p) for p in grid]
        all_stats = (evaluate_batch(sets, d_tr) if evaluate_batch
                     else [evaluate(p, d_tr) for p in sets])
        report.evaluations += len(sets) + 1
        scored = [(metric_of(s, metric) if metric_of(s, "# Trades") >= min_trades else -math.inf,
                   i) for i, s in enumerate(all_stats)]
        best_score, best_i = max(scored, key=lambda t: (t[0], -t[1]))
        params, is_stats = sets[best_i], all_stats[best_i]
        oos = evaluate(params, d_te)
        report.param_changes += int(prev is not None and params != prev)
        prev = params
        report.folds.append(Fold(
            train=(d_tr.index[0].isoformat(), d_tr.index[-1].isoformat()),
            test=(d_te.index[0].isoformat(), d_te.index[-1].isoformat()),
            params=params, is_metric=best_score, oos_metric=metric_of(oos, metric),
            is_return_ann=_finite(metric_of(is_stats, "Return (Ann.) [%]")),
            oos_return_ann=_finite(metric_of(oos, "Return (Ann.) [%]")),
            oos_return=_finite(metric_of(oos, "Return [%]")),
            oos_trades=int(max(metric_of(oos, "# Trades"), 0)),
        ))
        if prune_after and len(report.folds) >= prune_after:
            so_far = [f.oos_metric for f in report.folds if math.isfinite(f.oos_metric)]
            if not so_far or sum(so_far) / len(so_far) < prune_below:
                report.pruned = True
                break
    _summarise(report)
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
