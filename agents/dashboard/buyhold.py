"""Buy-and-hold on the equity chart's own points: the starting equity put into the
asset and held (``equity_0 * close_t / close_start``), closes read from the result's
dataset. Like backtesting.py's ``Buy & Hold Return [%]``, the holding starts at the
first bar the strategy could trade (after its indicators' warm-up; cash before): given
that statistic, the start is the bar whose close gives it, so the line ends exactly at
the figure the page shows. A dataset the dashboard cannot load (a file on another
machine) gives no line and a note saying why."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["buy_and_hold"]


@lru_cache(maxsize=8)
def _closes(dataset: str) -> pd.Series:
    from executor import load_dataset

    df = load_dataset(dataset).df
    close = df["Close"].astype("float64")
    idx = pd.DatetimeIndex(close.index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return pd.Series(close.to_numpy(), index=idx).sort_index()


def _when(v: Any) -> pd.Timestamp | None:
    if not isinstance(v, str):
        return None
    try:
        t = pd.Timestamp(datetime.fromisoformat(v.replace("Z", "+00:00")))
    except ValueError:
        return None
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t


def _start(close: np.ndarray, lo: int, hi: int, bh_pct: Any) -> int:
    """The first bar in [lo, hi] from which holding returns ``bh_pct`` % at ``hi``."""
    if not isinstance(bh_pct, int | float) or not np.isfinite(bh_pct) or bh_pct <= -100:
        return lo
    target = close[hi] / (1.0 + float(bh_pct) / 100.0)
    hits = np.flatnonzero(np.isclose(close[lo:hi + 1], target, rtol=1e-9, atol=0.0))
    return lo + int(hits[0]) if len(hits) else lo


def buy_and_hold(points: list[dict[str, Any]], dataset: str | None,
                 bh_return_pct: Any = None) -> tuple[list[float | None], str]:
    """(one buy-and-hold equity per point or None, a note for people). ``bh_return_pct``:
    the run's ``Buy & Hold Return [%]`` (it places the start after the warm-up)."""
    if not points or not dataset:
        return [], ""
    try:
        close = _closes(dataset)
    except Exception as e:  # noqa: BLE001 - any unreadable dataset only loses the line
        return [], f"no buy-and-hold line: dataset {dataset} cannot be loaded here ({e})"
    times = [_when(p.get("time")) if isinstance(p, dict) else None for p in points]
    if times[0] is None or not isinstance(points[0].get("Equity"), int | float):
        return [], "no buy-and-hold line: the equity points carry no timestamps"
    pos = close.index.searchsorted(pd.DatetimeIndex([t or times[0] for t in times]), side="right") - 1
    if pos[0] < 0:
        return [], f"no buy-and-hold line: the curve starts before {dataset}'s first bar"
    c = close.to_numpy()
    begin = _start(c, int(pos[0]), int(max(pos)), bh_return_pct)
    held = np.where(pos >= begin, c[np.clip(pos, 0, None)], c[begin])
    scale = float(points[0]["Equity"]) / float(c[begin])
    out: list[float | None] = [float(v) * scale if t is not None else None
                               for v, t in zip(held, times, strict=True)]
    when = str(close.index[begin])[:10]
    return out, f"buy-and-hold: {dataset} bought {when} with the starting equity"
