"""JSON-safe views of a backtesting.py result: stats, trades, equity curve.

Runs inside the sandbox (stdlib + numpy + pandas only). Everything returned passes
``json.dumps(..., allow_nan=False)``: timestamps become ISO-8601 strings, durations
seconds (float), numpy scalars Python numbers, NaN/inf/NaT ``None``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

OBJECT_KEYS = ("_strategy", "_equity_curve", "_trades")
TRADE_COLUMNS = ("Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice", "SL", "TP", "PnL",
                 "Commission", "ReturnPct", "EntryTime", "ExitTime", "Duration", "Tag")


def json_safe(obj: Any) -> Any:
    """Recursively turn ``obj`` into plain JSON types (see module doc)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if obj is pd.NaT or (isinstance(obj, (np.datetime64, np.timedelta64)) and np.isnat(obj)):
        return None  # checked first: np.timedelta64 is a numpy integer subclass
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.timedelta64):
        return int(obj)
    if isinstance(obj, (float, np.floating, decimal.Decimal)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (pd.Timedelta, _dt.timedelta, np.timedelta64)):
        secs = pd.Timedelta(obj).total_seconds()
        return secs if math.isfinite(secs) else None
    if isinstance(obj, (pd.Timestamp, _dt.datetime, _dt.date, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, np.datetime64):
        return pd.Timestamp(obj).isoformat()
    if isinstance(obj, pd.DataFrame):
        return [json_safe(row) for row in obj.to_dict(orient="records")]
    if isinstance(obj, (pd.Series, Mapping)):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset, np.ndarray, pd.Index)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    return str(obj)


def stats_to_json(stats: Any) -> dict[str, Any]:
    """Every stats key of ``Backtest.run()``'s Series; ``_strategy`` as its str, the
    equity-curve and trades frames left out (see :func:`equity_to_json`, :func:`trades_to_json`)."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if key == "_strategy":
            out[key] = str(value)
        elif key not in OBJECT_KEYS:
            out[str(key)] = json_safe(value)
    return out


def trades_to_json(trades: pd.DataFrame | None, cap: int) -> tuple[list[dict[str, Any]], int]:
    """The first ``cap`` closed trades (known columns only) and the total count."""
    if trades is None or len(trades) == 0:
        return [], 0
    cols = [c for c in TRADE_COLUMNS if c in trades.columns]
    head = trades.iloc[: max(cap, 0)][cols]
    return json_safe(head), len(trades)


def equity_to_json(equity: pd.DataFrame | None, points: int) -> list[dict[str, Any]]:
    """At most ``max(points, 3)`` rows of ``{time, Equity, DrawdownPct}``, evenly spaced,
    always including the first row, the last row and the max-drawdown trough."""
    if equity is None or len(equity) == 0:
        return []
    n = len(equity)
    points = max(int(points), 3)
    if n <= points:
        rows = np.arange(n)
    else:
        must = {0, n - 1}
        if "DrawdownPct" in equity.columns:
            dd = equity["DrawdownPct"].to_numpy(dtype="float64")
            if np.isfinite(dd).any():
                must.add(int(np.nanargmax(np.where(np.isfinite(dd), dd, np.nan))))
        spaced = np.linspace(0, n - 1, points - len(must) + 2).round().astype(int)
        rows = np.unique(np.concatenate([spaced, np.fromiter(must, dtype=int)]))
        while len(rows) > points:  # rounding collisions aside, drop spaced rows nearest a must
            extra = [r for r in rows if r not in must]
            rows = np.setdiff1d(rows, [extra[len(extra) // 2]])
    sub = equity.iloc[rows]
    if isinstance(sub.index, pd.DatetimeIndex):
        times = [None if t is pd.NaT else t.isoformat() for t in sub.index]
    else:
        times = np.asarray(rows).tolist()
    nan = np.full(len(sub), np.nan)
    eq = sub["Equity"].to_numpy(dtype="float64") if "Equity" in sub else nan
    dd = sub["DrawdownPct"].to_numpy(dtype="float64") if "DrawdownPct" in sub else nan
    return [  # as json_safe() per value, without its type dispatch per value
        {"time": t, "Equity": e if math.isfinite(e) else None, "DrawdownPct": d if math.isfinite(d) else None}
        for t, e, d in zip(times, eq.tolist(), dd.tolist(), strict=True)
    ]
