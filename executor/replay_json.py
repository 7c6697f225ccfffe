"""The replay's trades and equity curve as result JSON, fast: the same output as
:func:`executor.harness.statsjson.trades_to_json` / ``equity_to_json``.

Those convert value by value (``json_safe`` on every cell, ``Timestamp.isoformat()`` on
every time): most of a single run's verification. Here the columns are converted whole
(float64 → float or None, ints as they are, durations as ``Timedelta.total_seconds()``
does: microseconds / 1e6) and the times are looked up in the dataset's ISO strings,
computed once per dataset (:meth:`executor.replay_fast_stats.DatasetFacts.iso_times`).
tests/executor/test_replay_fast_stats.py checks both give equal output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from executor.harness.statsjson import TRADE_COLUMNS, equity_to_json, json_safe, trades_to_json

NAT_NS = np.iinfo(np.int64).min


def iso_times(index: pd.Index) -> list[Any]:
    """``Timestamp.isoformat()`` of every bar (None for NaT), as ``json_safe`` writes times."""
    if not isinstance(index, pd.DatetimeIndex):
        return list(range(len(index)))
    return [None if t is pd.NaT else t.isoformat() for t in index]


def trades_json(trades: pd.DataFrame | None, cap: int, times: Sequence[Any]) -> list[dict[str, Any]]:
    """``trades_to_json(trades, cap)[0]``, column by column (EntryTime/ExitTime looked up
    in ``times`` by EntryBar/ExitBar)."""
    if trades is None or len(trades) == 0:
        return []
    cols = [c for c in TRADE_COLUMNS if c in trades.columns]
    if not {"EntryBar", "ExitBar"} <= set(cols):
        return trades_to_json(trades, cap)[0]
    head = trades.iloc[: max(cap, 0)][cols]
    values = [_column(head, c, times) for c in cols]
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]


def _column(frame: pd.DataFrame, col: str, times: Sequence[Any]) -> list[Any]:
    series = frame[col]
    kind = series.dtype.kind
    if col in ("EntryTime", "ExitTime") and isinstance(series.dtype, np.dtype | pd.DatetimeTZDtype) \
            and kind == "M":
        bars = frame["EntryBar" if col == "EntryTime" else "ExitBar"].tolist()
        return [times[b] for b in bars]
    if kind == "f" and series.dtype == np.float64:
        return [v if math.isfinite(v) else None for v in series.tolist()]
    if kind in "iub" and isinstance(series.dtype, np.dtype):
        return series.tolist()
    if series.dtype == np.dtype("m8[ns]"):
        ns = series.to_numpy().view("i8")
        secs = ((ns // 1000) / 1e6).tolist()  # Timedelta.total_seconds(): whole microseconds
        return [None if n == NAT_NS else s for n, s in zip(ns.tolist(), secs, strict=True)]
    return [json_safe(v) for v in series.tolist()]


def raw_of(stats: Any) -> dict[str, Any] | None:
    """The columns a frameless fast replay kept (see ``replay_fast_stats.RAW_KEY``), or None."""
    from executor.replay_fast_stats import RAW_KEY

    raw = getattr(stats, "attrs", {}).get(RAW_KEY)
    return raw if isinstance(raw, dict) else None


def trades_json_of(stats: Any, cap: int, times: Sequence[Any], ns: np.ndarray | None) -> list[dict[str, Any]]:
    """``trades_to_json(stats["_trades"], cap)[0]``, from the frame or, for a frameless
    replay, straight from its trade columns (``ns``: the index's int64 nanoseconds)."""
    raw = raw_of(stats)
    if raw is None or ns is None:
        return trades_json(stats["_trades"], cap, times)
    cols = raw["trades"]
    n = min(len(cols["Size"]), max(cap, 0))
    out: dict[str, list[Any]] = {}
    for name in ("Size", "EntryBar", "ExitBar", "EntryPrice", "ExitPrice", "SL", "TP", "PnL",
                 "Commission", "ReturnPct"):
        out[name] = _as_column(cols[name])[:n]
    entry, exit_ = cols["EntryBar"][:n], cols["ExitBar"][:n]
    out["EntryTime"] = [times[b] for b in entry]
    out["ExitTime"] = [times[b] for b in exit_]
    out["Duration"] = ((ns[np.asarray(exit_, dtype=np.int64)] - ns[np.asarray(entry, dtype=np.int64)])
                       // 1000 / 1e6).tolist()
    out["Tag"] = _as_column(cols["Tag"])[:n]
    names = list(TRADE_COLUMNS)
    return [dict(zip(names, row, strict=True)) for row in zip(*(out[c] for c in names), strict=True)]


def _as_column(values: list[Any]) -> list[Any]:
    """``values`` as a DataFrame column of them turns into JSON (pandas infers the dtype
    from the whole list: all ints stay ints, numbers with None become float64 with NaN)."""
    if all(type(v) is int for v in values):
        return list(values)
    if all(v is None for v in values):
        return [None] * len(values)
    if all(v is None or type(v) in (int, float, np.float64) for v in values):
        floats = [math.nan if v is None else float(v) for v in values]
        return [v if math.isfinite(v) else None for v in floats]
    return [json_safe(v) for v in pd.Series(values).tolist()]


def equity_json_of(stats: Any, points: int, times: Sequence[Any]) -> list[dict[str, Any]]:
    """``equity_to_json(stats["_equity_curve"], points)``, for a frameless replay from
    its equity and drawdown arrays."""
    raw = raw_of(stats)
    if raw is None:
        return equity_json(stats["_equity_curve"], points, times)
    frame = pd.DataFrame({"Equity": raw["equity"], "DrawdownPct": raw["drawdown"]})
    rows = equity_to_json(frame, points)
    for row in rows:
        row["time"] = times[row["time"]]
    return rows


def equity_json(equity: pd.DataFrame | None, points: int, times: Sequence[Any]) -> list[dict[str, Any]]:
    """``equity_to_json(equity, points)``: the same rows (its own selection, run on
    positions), with each row's time looked up in ``times``."""
    if equity is None or not isinstance(equity.index, pd.DatetimeIndex):
        return equity_to_json(equity, points)
    rows = equity_to_json(equity.set_axis(pd.RangeIndex(len(equity))), points)
    for row in rows:
        row["time"] = times[row["time"]]
    return rows
