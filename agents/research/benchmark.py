"""Alpha over buy-and-hold at the strategy's own exposure.

A strategy long on a rising asset makes money without any skill (beta). Its alpha is
what it earned beyond holding the asset *at the same average exposure*::

    exposure e_t   signed share of equity in the market on bar t (from the trades:
                   +size x entry price / equity at entry while a long is open, minus
                   for shorts), averaged over the bars: e
    alpha_t      = r_t - e * m_t        (r: strategy, m: asset per-bar returns)

so a strategy in the market 5 % of the time is compared with holding 5 % of its equity
in the asset, not 100 %: pure beta (long 95 % of the time) has no alpha, while a
timing edge on a rising asset keeps its edge. ``alpha_psr`` is the PSR (Bailey & López
de Prado) that the true alpha Sharpe is above 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from agents.research.bets import buy_hold_drawdown_pct
from agents.research.overfitting import probabilistic_sharpe, sharpe_moments
from agents.research.runners import equity_series

__all__ = ["alpha_report", "exposure_series"]


def exposure_series(result: Any, index: pd.Index) -> pd.Series:
    """Signed share of equity in the market per bar of ``index`` (0 when flat)."""
    eq = equity_series(result).reindex(index).ffill().bfill()
    out = np.zeros(len(index))
    for t in result.trades or []:
        try:
            lo, hi = int(t["EntryBar"]), int(t.get("ExitBar") or len(index) - 1)
            size, price = float(t["Size"]), float(t["EntryPrice"])
        except (KeyError, TypeError, ValueError):
            continue
        if not 0 <= lo < len(index):
            continue
        base = float(eq.iloc[lo]) if len(eq) and math.isfinite(eq.iloc[lo]) else 0.0
        share = size * price / base if base > 0 else 0.0
        out[lo:max(hi, lo + 1)] += share
    return pd.Series(out, index=index)


def alpha_report(result: Any, data: pd.DataFrame) -> dict[str, Any]:
    """{exposure, alpha_psr, alpha_sharpe (per bar), strategy_psr, buy_hold_return_pct,
    buy_hold_drawdown_pct}."""
    if not getattr(result, "ok", False) or equity_series(result).empty:
        return {"exposure": None, "time_in_market": None, "alpha_psr": None,
                "alpha_sharpe": None, "strategy_sharpe": None, "buy_hold_return_pct": None,
                "buy_hold_drawdown_pct": None}
    eq = equity_series(result).reindex(data.index).ffill()
    r = eq.pct_change(fill_method=None)
    m = data["Close"].astype("float64").pct_change(fill_method=None)
    expo = exposure_series(result, data.index)
    e_bar = float(expo.iloc[1:].mean()) if len(expo) > 1 else 0.0
    alpha = (r - e_bar * m).iloc[1:].dropna()
    am = sharpe_moments(alpha.to_numpy())
    sm = sharpe_moments(r.iloc[1:].dropna().to_numpy())
    psr = probabilistic_sharpe(am.sharpe, 0.0, am.n, am.skew, am.kurtosis)
    close = data["Close"].astype("float64")
    return {"exposure": e_bar, "time_in_market": float((expo.abs() > 0).mean()),
            "alpha_psr": psr if math.isfinite(psr) else None,
            "alpha_sharpe": am.sharpe if math.isfinite(am.sharpe) else None,
            "strategy_sharpe": sm.sharpe if math.isfinite(sm.sharpe) else None,
            "buy_hold_return_pct": float((close.iloc[-1] / close.iloc[0] - 1) * 100),
            "buy_hold_drawdown_pct": buy_hold_drawdown_pct(close.to_numpy())}
