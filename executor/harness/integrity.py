"""Result integrity: the strategy must not change its data, the engine, or its result unnoticed.

Two layers:

* in the child (cheap, catches the honest-but-sloppy and naive-malicious cases): a
  fingerprint of the scoring engine's functions and classes, and a hash of the data,
  taken before user code runs and compared after the backtest;
* in the parent (which user code never ran in, so its engine and data are pristine):
  the child's reported statistics are recomputed with ``compute_stats`` from the raw
  equity curve and trade list the child sent, and every fill price must lie inside its
  bar on the pristine data. A mismatch means the data, the engine or the document was
  altered, and the run is reported as ``tampered``.

Residual risk (documented): a child that escaped every other layer could fabricate a
self-consistent trade list with in-bar prices; that is indistinguishable from a
look-ahead strategy and is caught by the look-ahead / random-data checks, not here.
"""

from __future__ import annotations

import hashlib
import math
import sys
import types
from typing import Any

ENGINE_MODULES = (
    "backtesting",
    "backtesting.backtesting",
    "backtesting._stats",
    "backtesting._util",
    "backtesting.lib",
)

# stats recomputable from (trades, equity, pristine OHLC) without the strategy instance
CHECKED_KEYS = (
    "Equity Final [$]",
    "Equity Peak [$]",
    "Return [%]",
    "Exposure Time [%]",
    "Return (Ann.) [%]",
    "Volatility (Ann.) [%]",
    "Sharpe Ratio",
    "Sortino Ratio",
    "Calmar Ratio",
    "Max. Drawdown [%]",
    "# Trades",
    "Win Rate [%]",
    "Best Trade [%]",
    "Worst Trade [%]",
    "Avg. Trade [%]",
    "Profit Factor",
    "Expectancy [%]",
    "SQN",
)


# caches the interpreter itself adds while an honest backtest runs
BENIGN_CACHES = frozenset({"__warningregistry__", "__slotnames__", "_abc_impl"})


def _code_digest(obj: Any) -> bytes:
    code = getattr(obj, "__code__", None)
    if code is None:
        return b""
    return code.co_code + repr(code.co_consts).encode("utf-8", "replace")


def engine_fingerprint() -> str:
    """Hash of every function/class attribute in the engine modules (identity + bytecode)."""
    h = hashlib.sha256()
    for modname in ENGINE_MODULES:
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for name in sorted(vars(mod)):
            obj = vars(mod)[name]
            if name in BENIGN_CACHES or isinstance(obj, types.ModuleType):
                continue  # importing a submodule adds an attribute; that is not tampering
            h.update(f"{modname}.{name}:{id(obj)}".encode())
            h.update(_code_digest(obj))
            if isinstance(obj, type) and obj.__module__.startswith("backtesting"):
                for attr in sorted(vars(obj)):
                    if attr in BENIGN_CACHES:
                        continue
                    val = vars(obj)[attr]
                    h.update(f"{attr}:{id(val)}".encode())
                    h.update(_code_digest(getattr(val, "__func__", val)))
                    fget = getattr(val, "fget", None)
                    if fget is not None:
                        h.update(_code_digest(fget))
    return h.hexdigest()


def _close(a: Any, b: Any) -> bool:
    if a is None and b is None:
        return True
    if a is None or b is None:
        fa = a if b is None else b
        return isinstance(fa, float) and math.isnan(fa)
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return a == b
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    if math.isinf(fa) or math.isinf(fb):
        return fa == fb
    return math.isclose(fa, fb, rel_tol=1e-7, abs_tol=1e-9)


def verify_result(
    reported: dict[str, Any],
    arrays: dict[str, Any],
    data: Any,
    options: dict[str, Any],
) -> str | None:
    """Return a reason string when the child's result cannot be reproduced, else None."""
    import numpy as np

    equity = arrays.get("equity")
    if equity is None or len(equity) != len(data):
        return "equity curve length does not match the data"
    cash = float(options.get("cash", 10_000))
    if not _close(float(equity[0]), cash) and not math.isclose(float(equity[0]), cash, rel_tol=1e-6):
        return f"equity curve starts at {float(equity[0])!r}, not at the cash {cash!r}"
    n = len(arrays.get("EntryBar", []))
    entry_bar = np.asarray(arrays.get("EntryBar", np.zeros(0)), dtype="int64")
    exit_bar = np.asarray(arrays.get("ExitBar", np.zeros(0)), dtype="int64")
    if n and (entry_bar.min() < 0 or exit_bar.max() >= len(data) or (exit_bar < entry_bar).any()):
        return "trade bars out of range"
    spread = float(options.get("spread", 0.0) or 0.0)
    low = data["Low"].to_numpy(dtype="float64")
    high = data["High"].to_numpy(dtype="float64")
    slack = spread + 1e-9
    for col, bars in (("EntryPrice", entry_bar), ("ExitPrice", exit_bar)):
        prices = np.asarray(arrays.get(col, np.zeros(0)), dtype="float64")
        if not n:
            continue
        lo = low[bars] * (1 - slack) - 1e-12
        hi = high[bars] * (1 + slack) + 1e-12
        bad = np.flatnonzero((prices < lo) | (prices > hi))
        if len(bad):
            k = int(bad[0])
            return (
                f"trade {k} {col} {prices[k]!r} lies outside bar {int(bars[k])}'s range "
                f"[{low[bars[k]]!r}, {high[bars[k]]!r}] of the original data"
            )
    recomputed = recompute_stats(arrays, np.asarray(equity, dtype="float64"), data)
    for key in CHECKED_KEYS:
        if key not in recomputed:
            continue
        if key not in reported:
            return f"stat {key!r} missing from the result"
        if not _close(reported[key], _scalar(recomputed[key])):
            return (
                f"stat {key!r} reported as {reported[key]!r} but the trades and equity "
                f"give {_scalar(recomputed[key])!r}"
            )
    return None


def _scalar(v: Any) -> Any:
    try:
        return v.item()
    except AttributeError:
        return v


def recompute_stats(arrays: dict[str, Any], equity: Any, data: Any) -> dict[str, float]:
    """The CHECKED_KEYS of backtesting 0.6.6's ``compute_stats``, from the raw equity curve
    and trade columns, vectorised (the engine's own function spends most of its time on
    drawdown durations, which are not checked). Uses the pristine engine helpers."""
    import numpy as np
    import pandas as pd
    from backtesting._stats import geometric_mean
    from backtesting._util import _data_period

    out: dict[str, float] = {}
    index = data.index
    n_bars = len(equity)
    dd = 1 - equity / np.maximum.accumulate(equity)
    entry = np.asarray(arrays.get("EntryBar", np.zeros(0)), dtype="int64")
    exit_ = np.asarray(arrays.get("ExitBar", np.zeros(0)), dtype="int64")
    pos = np.zeros(n_bars + 1, dtype="int64")
    np.add.at(pos, entry, 1)
    np.add.at(pos, exit_ + 1, -1)
    out["Exposure Time [%]"] = float((np.cumsum(pos)[:n_bars] > 0).mean() * 100)
    out["Equity Final [$]"] = float(equity[-1])
    out["Equity Peak [$]"] = float(equity.max())
    out["Return [%]"] = float((equity[-1] - equity[0]) / equity[0] * 100)
    gmean_day_return: float = 0
    day_returns: Any = np.array(np.nan)
    annual_trading_days: float = np.nan
    if isinstance(index, pd.DatetimeIndex):
        freq_days = _data_period(index).days
        have_weekends = index.dayofweek.to_series().between(5, 6).mean() > 2 / 7 * .6
        annual_trading_days = (52 if freq_days == 7 else 12 if freq_days == 31 else
                               1 if freq_days == 365 else (365 if have_weekends else 252))
        freq = {7: "W", 31: "ME", 365: "YE"}.get(freq_days, "D")
        day_returns = pd.Series(equity, index=index).resample(freq).last().dropna() \
            .pct_change().dropna()
        gmean_day_return = geometric_mean(day_returns)
    annualized = (1 + gmean_day_return) ** annual_trading_days - 1
    out["Return (Ann.) [%]"] = annualized * 100
    g, atd = gmean_day_return, annual_trading_days
    out["Volatility (Ann.) [%]"] = np.sqrt(
        (day_returns.var(ddof=int(bool(day_returns.shape))) + (1 + g) ** 2) ** atd
        - (1 + g) ** (2 * atd)) * 100
    out["Sharpe Ratio"] = out["Return (Ann.) [%]"] / (out["Volatility (Ann.) [%]"] or np.nan)
    with np.errstate(divide="ignore"):
        out["Sortino Ratio"] = annualized / (
            np.sqrt(np.mean(day_returns.clip(-np.inf, 0) ** 2)) * np.sqrt(atd))
    max_dd = -np.nan_to_num(dd.max())
    out["Calmar Ratio"] = annualized / (-max_dd or np.nan)
    out["Max. Drawdown [%]"] = max_dd * 100
    pl = pd.Series(np.asarray(arrays.get("PnL", np.zeros(0)), dtype="float64"))
    returns = pd.Series(np.asarray(arrays.get("ReturnPct", np.zeros(0)), dtype="float64"))
    n = len(pl)
    out["# Trades"] = n
    win_rate = np.nan if not n else (pl > 0).mean()
    out["Win Rate [%]"] = win_rate * 100
    out["Best Trade [%]"] = returns.max() * 100
    out["Worst Trade [%]"] = returns.min() * 100
    out["Avg. Trade [%]"] = geometric_mean(returns) * 100
    out["Profit Factor"] = returns[returns > 0].sum() / (abs(returns[returns < 0].sum()) or np.nan)
    out["Expectancy [%]"] = returns.mean() * 100
    out["SQN"] = np.sqrt(n) * pl.mean() / (pl.std() or np.nan)
    return {k: _scalar(v) for k, v in out.items()}
