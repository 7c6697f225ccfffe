"""Score one window of a run that started earlier (history + window, no cold start).

A strategy's indicators need warm-up bars; backtesting a test window on its own bars
lets the warm-up eat it (a 200-bar indicator on a 250-bar window trades 50 bars). The
checks therefore run on *history + window* and score only the window, from the run's
bar-level equity:

* :func:`window_returns`: per-bar equity returns inside ``[start, end]`` (the first
  one measured from the last bar before ``start``, so a position carried in counts);
* :func:`window_stats`: ``Sharpe Ratio`` (annualised), ``Return [%]``,
  ``Return (Ann.) [%]`` and ``# Trades`` (entered inside the window) of that window,
  the keys :func:`agents.numbers.metric_of` reads.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from agents.research.runners import equity_series

__all__ = ["periods_per_year", "window_returns", "window_stats"]


def periods_per_year(index: pd.Index) -> float:
    """Bars per year of a DatetimeIndex: 252 for weekday daily bars, 365 with weekends,
    scaled for intraday or weekly bars."""
    idx = pd.DatetimeIndex(index)
    if len(idx) < 3:
        return 252.0
    step_days = float(np.median(np.diff(idx.asi8))) / 86_400e9
    if step_days <= 0:
        return 252.0
    weekends = bool((idx.dayofweek >= 5).any())
    per_year = 365.25 / step_days
    return per_year if weekends or step_days >= 6 else per_year * 252.0 / 365.25


def window_returns(result: Any, start: Any, end: Any = None) -> pd.Series:
    """Per-bar equity returns of ``result`` on bars ``start .. end`` (inclusive)."""
    eq = equity_series(result)
    if eq.empty:
        return pd.Series(dtype="float64")
    rets = eq.pct_change()
    lo = pd.Timestamp(start)
    hi = pd.Timestamp(end) if end is not None else eq.index[-1]
    out = rets[(rets.index >= lo) & (rets.index <= hi)]
    return out.dropna()


def _trades_in(result: Any, lo: pd.Timestamp, hi: pd.Timestamp) -> int:
    n = 0
    for t in result.trades or []:
        try:
            when = pd.Timestamp(t.get("EntryTime"))
        except (TypeError, ValueError):
            continue
        n += int(lo <= when <= hi)
    return n


def window_stats(result: Any, start: Any, end: Any = None) -> dict[str, Any]:
    """Stats of the window ``start .. end`` of a run on history + window ({} when the
    run failed or has no equity there)."""
    if not getattr(result, "ok", False):
        return {}
    r = window_returns(result, start, end)
    if r.empty:
        return {}
    ppy = periods_per_year(r.index)
    growth = float(np.prod(1.0 + r.to_numpy()))
    sd = float(r.std(ddof=1)) if len(r) > 1 else 0.0
    sharpe = float(r.mean()) / sd * math.sqrt(ppy) if sd > 0 else math.nan
    ann = (growth ** (ppy / len(r)) - 1.0) * 100.0 if growth > 0 else -100.0
    lo = pd.Timestamp(start)
    hi = pd.Timestamp(end) if end is not None else r.index[-1]
    return {"Sharpe Ratio": sharpe, "Return [%]": (growth - 1.0) * 100.0,
            "Return (Ann.) [%]": ann, "# Trades": _trades_in(result, lo, hi),
            "_bars": len(r)}
