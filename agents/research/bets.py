"""How many independent bets a backtest's trades amount to, and the drawdown it is fair
to compare a strategy's with.

**Independent bets.** A trade count undercounts slow strategies: a 200-bar trend rule
that is always in the market makes a handful of trades in ten years, yet every month it
keeps its position is a decision renewed on fresh, unseen price moves. A trade held
``L`` bars counts ``ceil(L / bet_bars)`` bets (``bet_bars`` 21: a month of daily bars,
what a monthly rebalancer renewing the same call would count), so a fast strategy's
bets are its trades and a slow one's are its months in the market. The trades gate asks
for ``min_trades`` bets and, whatever the holding period, ``min_trades_floor`` whole
trades. Bets measure the sample, not the skill: pure beta (long all the time) has many
of them and is stopped by the alpha gate; noise by the DSR, walk-forward and random-walk
gates.

**Buy-and-hold's drawdown.** The asset's own peak-to-trough fall of its close over the
same bars: a slow edge on an asset that fell 75 % may fall 50 % and still be far better
than holding it (see the ``max_drawdown_vs_hold`` gate).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["buy_hold_drawdown_pct", "drawdown_limit_pct", "independent_bets"]


def independent_bets(trades: Iterable[dict[str, Any]], n_bars: int, bet_bars: int = 21) -> int:
    """Sum over ``trades`` (dicts with ``EntryBar`` and ``ExitBar``; an open one runs to
    the last bar) of ``ceil(bars held / bet_bars)``, at least 1 a trade."""
    if bet_bars < 1:
        raise ValueError("bet_bars must be >= 1 (bars a kept position counts as one bet)")
    total = 0
    for t in trades:
        try:
            lo = int(t["EntryBar"])
            hi = int(t["ExitBar"]) if t.get("ExitBar") is not None else n_bars - 1
        except (KeyError, TypeError, ValueError):
            continue
        total += max(1, math.ceil(max(hi - lo, 0) / bet_bars))
    return total


def buy_hold_drawdown_pct(close: Any) -> float | None:
    """Max drawdown of holding the asset, in percent (negative, like backtesting.py's
    ``Max. Drawdown [%]``); None without two positive prices."""
    c = np.asarray(close, dtype="float64")
    c = c[np.isfinite(c) & (c > 0)]
    if len(c) < 2:
        return None
    return float((c / np.maximum.accumulate(c) - 1.0).min() * 100.0)


def drawdown_limit_pct(floor_pct: float, vs_hold: float, hold_drawdown_pct: float | None) -> float:
    """The deepest drawdown (percent, positive) a gate accepts: ``floor_pct``, or
    ``vs_hold`` times buy-and-hold's own drawdown on the same bars when that is larger."""
    hold = abs(hold_drawdown_pct) if hold_drawdown_pct is not None else 0.0
    return max(float(floor_pct), vs_hold * hold)
