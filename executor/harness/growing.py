"""Bars that arrive one at a time, as backtesting.py's engine wants them.

Shared by the sandboxed session (:mod:`executor.harness.session`) and the trusted paper
broker (:mod:`executor.paper.broker`), so both sides see the same bars the same way.
"""

from __future__ import annotations

import math
from typing import Any

COLUMNS = ("Open", "High", "Low", "Close", "Volume")
BROKER_KEYS = ("cash", "spread", "commission", "margin", "trade_on_close", "hedging",
               "exclusive_orders")
BROKER_DEFAULTS: dict[str, Any] = {"cash": 10_000.0, "spread": 0.0, "commission": 0.0,
                                   "margin": 1.0, "trade_on_close": False, "hedging": False,
                                   "exclusive_orders": False}


class GrowingBars:
    """OHLCV columns with room to grow (capacity doubles). ``data()`` is one backtesting
    ``_Data`` whose arrays are views of these buffers: a new bar is a write and a
    ``_set_length``, not a new DataFrame (the _Data is rebuilt only when the capacity
    grows, or on every bar where pandas would copy instead of sharing memory)."""

    def __init__(self, capacity: int = 1024) -> None:
        import numpy as np

        self.np = np
        self.cap = max(int(capacity), 16)
        self.n = 0
        self.index = np.zeros(self.cap, dtype="int64")
        self.cols = {c: np.full(self.cap, np.nan) for c in COLUMNS}
        self._data: Any = None
        self._shared = False

    def append(self, bar: list[Any]) -> None:
        """``bar`` = ``[ts_ns, open, high, low, close, volume]`` (volume may be None)."""
        np = self.np
        if self.n == self.cap:
            self.index = np.concatenate([self.index, np.zeros(self.cap, dtype="int64")])
            self.cols = {c: np.concatenate([a, np.full(self.cap, np.nan)])
                         for c, a in self.cols.items()}
            self.cap *= 2
            self._data = None
        ts, *values = bar
        self.index[self.n] = int(ts)
        for c, v in zip(COLUMNS, values, strict=False):
            self.cols[c][self.n] = float(v) if v is not None else math.nan
        self.n += 1
        if self._data is not None and self._shared:
            self._data._set_length(self.n)
        else:
            self._data = None

    def frame(self) -> Any:
        """A DataFrame of the bars so far (a copy)."""
        import pandas as pd

        n = self.n
        index = pd.DatetimeIndex(self.index[:n].astype("datetime64[ns]"))
        return pd.DataFrame({c: self.cols[c][:n].copy() for c in COLUMNS}, index=index)

    def data(self) -> Any:
        """backtesting's ``_Data`` over the bars so far (the same object between bars
        while the buffers have room)."""
        if self._data is None:
            self._data = self._build()
        return self._data

    def _build(self) -> Any:
        import pandas as pd
        from backtesting._util import _Data

        np = self.np
        index = pd.DatetimeIndex(self.index.view("datetime64[ns]"), copy=False)
        df = pd.DataFrame(self.cols, index=index, copy=False)
        self._shared = all(np.shares_memory(df[c].to_numpy(), self.cols[c]) for c in COLUMNS) \
            and np.shares_memory(np.asarray(df.index.asi8), self.index)
        if not self._shared:
            df = self.frame()
        data = _Data(df)
        for arr in data._Data__arrays.values():  # the strategy reads bars, never writes them
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False
        data._set_length(self.n)
        return data

    def last(self, column: str) -> float:
        return float(self.cols[column][self.n - 1])


def new_broker(data: Any, options: dict[str, Any]) -> Any:
    """backtesting's own broker over ``data`` with the Backtest options that apply to it."""
    from backtesting.backtesting import _Broker

    opts = {**BROKER_DEFAULTS, **{k: options[k] for k in BROKER_KEYS if k in options}}
    return _Broker(data=data, index=data.index, **opts)


def grow_broker(broker: Any, data: Any) -> None:
    """Point ``broker`` at the longer ``data``; room in its equity record to match."""
    import numpy as np

    broker._data = data
    have = len(broker._equity)
    if have < len(data):
        extra = max(len(data), 2 * have) - have
        broker._equity = np.concatenate([broker._equity, np.full(extra, np.nan)])


def bar_row(ts_ns: int, row: Any) -> list[Any]:
    """One wire bar from a DataFrame row (Open/High/Low/Close/Volume)."""
    vol = row.get("Volume") if hasattr(row, "get") else None
    return [int(ts_ns), float(row["Open"]), float(row["High"]), float(row["Low"]),
            float(row["Close"]), None if vol is None or vol != vol else float(vol)]
