"""Seeded synthetic OHLCV data: scale tests and the random-data overfitting check.

``synthetic_ohlcv`` draws a geometric random walk (vectorised numpy; a million bars in a
few tens of milliseconds). ``random_walk_like`` draws a walk with the same index, start
price, per-bar volatility and wick sizes as a real frame, so a strategy that "works" on
it has learnt noise.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_SECONDS_PER_YEAR = 365.25 * 86400
_DEFAULT_ANNUAL_VOL = 0.3
_UNIT_ALIASES = {
    "s": "s", "sec": "s", "second": "s", "seconds": "s",
    "m": "min", "min": "min", "t": "min", "minute": "min", "minutes": "min",
    "h": "h", "hour": "h", "hours": "h",
    "d": "D", "day": "D", "days": "D",
    "w": "W", "week": "W", "weeks": "W",
}


def normalise_freq(freq: str) -> str:
    """``"1m"``/``"5T"``/``"1H"`` -> pandas spellings ``"1min"``/``"5min"``/``"1h"``.

    Anything else is handed to pandas as is (``"B"``, ``"15min"``, ...). Raises
    ``ValueError`` when pandas does not know the frequency either.
    """
    m = re.fullmatch(r"\s*(\d*)\s*([A-Za-z]+)\s*", freq)
    if m and m.group(2).lower() in _UNIT_ALIASES:
        out = f"{m.group(1) or '1'}{_UNIT_ALIASES[m.group(2).lower()]}"
    else:
        out = freq.strip()
    pd.tseries.frequencies.to_offset(out)  # raises ValueError on nonsense
    return out


def _bar_seconds(index: pd.DatetimeIndex) -> float:
    if len(index) < 2:
        return 86400.0
    return float(np.median(np.diff(index.asi8[: 10_001]))) / 1e9 or 86400.0


def _ohlc_from_closes(
    rng: np.random.Generator,
    log_close: np.ndarray,
    open0: float,
    up_wick: float,
    down_wick: float,
    index: pd.Index,
) -> pd.DataFrame:
    """Open = previous close; wicks are exponential excursions beyond the body."""
    n = len(log_close)
    block = np.empty((n, 4))  # one float block: no copy when wrapped in a DataFrame
    open_, high, low, close = block[:, 0], block[:, 1], block[:, 2], block[:, 3]
    np.exp(log_close, out=close)
    open_[0] = open0
    open_[1:] = close[:-1]
    np.exp(rng.exponential(up_wick, n), out=high)
    high *= np.maximum(open_, close)
    np.exp(-rng.exponential(down_wick, n), out=low)
    low *= np.minimum(open_, close)
    return pd.DataFrame(block, index=index, columns=["Open", "High", "Low", "Close"], copy=False)


def synthetic_ohlcv(
    bars: int,
    freq: str = "1min",
    seed: int = 0,
    start: str | pd.Timestamp = "2020-01-01",
    drift: float = 0.0,
    vol: float | None = None,
    price: float = 100.0,
) -> pd.DataFrame:
    """A seeded geometric random walk of ``bars`` OHLCV rows at ``freq`` from ``start``.

    ``drift`` and ``vol`` are the per-bar mean and standard deviation of the log return;
    ``vol=None`` means 30 % a year scaled to the bar length. Same arguments, same frame.
    """
    if bars < 1:
        raise ValueError(f"bars must be >= 1, got {bars}")
    if price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    index = pd.date_range(start=start, periods=bars, freq=normalise_freq(freq))
    if vol is None:
        vol = _DEFAULT_ANNUAL_VOL * float(np.sqrt(_bar_seconds(index) / _SECONDS_PER_YEAR))
    if vol < 0:
        raise ValueError(f"vol must be >= 0, got {vol}")
    rng = np.random.default_rng(seed)
    log_ret = drift + vol * rng.standard_normal(bars)
    log_close = np.log(price) + np.cumsum(log_ret)
    frame = _ohlc_from_closes(rng, log_close, price, vol / 2, vol / 2, index)
    frame["Volume"] = np.rint(rng.lognormal(mean=7.0, sigma=0.8, size=bars)).astype(np.int64)
    return frame


def random_walk_like(df: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A driftless random walk shaped like ``df`` (same index, start price, volatility).

    Per-bar volatility is the standard deviation of ``log(Close).diff()``; wick sizes are
    the mean log excursions of High above and Low below the body. Volume is copied.
    """
    if len(df) < 2:
        raise ValueError("random_walk_like needs at least 2 rows")
    close = df["Close"].to_numpy(dtype="float64")
    open_ = df["Open"].to_numpy(dtype="float64") if "Open" in df else close
    log_c = np.log(close)
    vol = float(np.nanstd(np.diff(log_c), ddof=1))
    up, down = 0.0, 0.0
    if "High" in df and "Low" in df:
        body_hi = np.maximum(open_, close)
        body_lo = np.minimum(open_, close)
        up = float(np.nanmean(np.log(df["High"].to_numpy(dtype="float64") / body_hi)))
        down = float(np.nanmean(np.log(body_lo / df["Low"].to_numpy(dtype="float64"))))
    rng = np.random.default_rng(seed)
    n = len(df)
    log_ret = vol * rng.standard_normal(n - 1)
    log_close = np.empty(n)
    log_close[0] = log_c[0]
    log_close[1:] = log_c[0] + np.cumsum(log_ret)
    out = _ohlc_from_closes(
        rng, log_close, float(open_[0]), max(up, 0.0), max(down, 0.0), df.index.copy()
    )
    if "Volume" in df:
        out["Volume"] = df["Volume"].to_numpy()
    return out
