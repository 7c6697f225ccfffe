"""backtesting's own ``compute_stats``, with its one slow helper done in numpy.

Almost half of ``compute_stats`` goes to ``compute_drawdown_duration_peaks``, which finds
each drawdown's deepest point with a per-row ``DataFrame.apply``. :func:`drawdown_peaks`
returns the same two Series (same index, dtypes and values: a maximum is exact whatever
the order it is taken in; NaN skipped as pandas' ``max`` does) with one
``np.fmax.reduceat``. :data:`compute_stats` is backtesting's very function (its code
object) bound to a namespace where that helper is :func:`drawdown_peaks`: nothing in the
installed package is patched, and every other statistic is computed by backtesting's code.
tests/executor/test_replay_lean.py checks both helpers and both ``compute_stats`` agree.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import pandas as pd
from backtesting import _stats


def drawdown_peaks(dd: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Drawdown durations and peaks, as ``_stats.compute_drawdown_duration_peaks``."""
    iloc = np.unique(np.r_[(dd == 0).values.nonzero()[0], len(dd) - 1])
    iloc = pd.Series(iloc, index=dd.index[iloc])
    df = iloc.to_frame("iloc").assign(prev=iloc.shift())
    df = df[df["iloc"] > df["prev"] + 1].astype(np.int64)
    if not len(df):
        return (dd.replace(0, np.nan),) * 2
    df["duration"] = df["iloc"].map(dd.index.__getitem__) - df["prev"].map(dd.index.__getitem__)
    values = np.r_[dd.to_numpy(dtype=float), np.nan]  # the sentinel keeps iloc + 1 in range
    bounds = np.column_stack([df["prev"].to_numpy(), df["iloc"].to_numpy() + 1]).ravel()
    df["peak_dd"] = np.fmax.reduceat(values, bounds)[::2]
    df = df.reindex(dd.index)
    return df["duration"], df["peak_dd"]


def _bound(fn: Any, **overrides: Any) -> Any:
    namespace = {**fn.__globals__, **overrides}
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


compute_stats = _bound(_stats.compute_stats, compute_drawdown_duration_peaks=drawdown_peaks)
