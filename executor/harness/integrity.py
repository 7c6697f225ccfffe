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
    "Avg. Drawdown [%]",
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
    import pandas as pd
    from backtesting._stats import compute_stats

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
    index = data.index
    trades = pd.DataFrame({
        "Size": np.asarray(arrays.get("Size", np.zeros(0)), dtype="float64"),
        "EntryBar": entry_bar,
        "ExitBar": exit_bar,
        "EntryPrice": np.asarray(arrays.get("EntryPrice", np.zeros(0)), dtype="float64"),
        "ExitPrice": np.asarray(arrays.get("ExitPrice", np.zeros(0)), dtype="float64"),
        "PnL": np.asarray(arrays.get("PnL", np.zeros(0)), dtype="float64"),
        "ReturnPct": np.asarray(arrays.get("ReturnPct", np.zeros(0)), dtype="float64"),
        "EntryTime": index[entry_bar] if n else index[:0],
        "ExitTime": index[exit_bar] if n else index[:0],
    })
    trades["Duration"] = trades["ExitTime"] - trades["EntryTime"]
    recomputed = compute_stats(trades, np.asarray(equity, dtype="float64"), data, None)
    for key in CHECKED_KEYS:
        if key not in recomputed.index:
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
