"""Regime stress: how the strategy did inside up-trend, down-trend, high- and
low-volatility stretches of the data.

Each bar is labelled from the trailing ``window``-bar return and the trailing
volatility of log returns: ``up`` when the return is in the top ``q`` quantile,
``down`` in the bottom ``q``; ``high_vol``/``low_vol`` likewise for volatility (a bar
can be in a trend and a volatility regime). Within each regime the strategy's return is
the compounded equity change over the regime's bars (from ONE full run's bar-level
equity), next to buy-and-hold over the same bars, plus the trades entered there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["label_regimes", "regime_report"]

REGIMES = ("up", "down", "high_vol", "low_vol")


def label_regimes(data: pd.DataFrame, window: int = 63, q: float = 1 / 3) -> pd.DataFrame:
    """Boolean columns up/down/high_vol/low_vol per bar (warm-up bars are in none)."""
    close = data["Close"].astype("float64")
    ret = close.pct_change(window)
    vol = np.log(close).diff().rolling(window).std()
    out = pd.DataFrame(index=data.index)
    out["up"] = ret >= ret.quantile(1 - q)
    out["down"] = ret <= ret.quantile(q)
    out["high_vol"] = vol >= vol.quantile(1 - q)
    out["low_vol"] = vol <= vol.quantile(q)
    return out.fillna(False).astype(bool)


def _compound(log_changes: pd.Series) -> float:
    return float(np.expm1(log_changes.sum()) * 100.0)


def regime_report(data: pd.DataFrame, equity: pd.Series, trades: list[dict[str, Any]],
                  *, window: int = 63, q: float = 1 / 3) -> dict[str, dict[str, Any]]:
    """{regime: {bars, strategy_return_pct, buy_hold_return_pct, trades, win_rate_pct,
    mean_trade_pct}} from a run's bar-level ``equity`` and ``trades``."""
    labels = label_regimes(data, window, q)
    eq = equity.reindex(data.index).ffill()
    d_eq = np.log(eq).diff().fillna(0.0)
    d_bh = np.log(data["Close"].astype("float64")).diff().fillna(0.0)
    entry_bars = np.array([int(t["EntryBar"]) for t in trades], dtype="int64")
    rets = np.array([float(t.get("ReturnPct") or 0.0) for t in trades])
    out: dict[str, dict[str, Any]] = {}
    for name in REGIMES:
        mask = labels[name].to_numpy()
        inside = mask[entry_bars] if len(entry_bars) else np.zeros(0, dtype=bool)
        tr = rets[inside]
        out[name] = {
            "bars": int(mask.sum()),
            "strategy_return_pct": _compound(d_eq[mask]) if eq.notna().any() else None,
            "buy_hold_return_pct": _compound(d_bh[mask]),
            "trades": int(inside.sum()),
            "win_rate_pct": float((tr > 0).mean() * 100) if len(tr) else None,
            "mean_trade_pct": float(tr.mean() * 100) if len(tr) else None,
        }
    return out
