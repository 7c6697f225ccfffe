"""Seeded synthetic daily OHLCV markets with PLANTED effects (the known answers).

Every generator takes ``bars``, ``vol`` (daily log-return s.d.), ``seed`` and its effect
size, so the same rule can be checked on markets it was not tuned on. Effects are planted
in close-to-close log returns and opens sit on the previous close (gap noise 0.1 x vol),
so a strategy that decides at a close and trades at the next open can capture them.

* :func:`bounce`   sharp drops (``drop_prob`` of days, 2.5-4 vol down) are followed by a
  ``effect`` x vol rise the next day; the series' mean log return is removed (no drift).
* :func:`weekday`  ``day`` (0 = Monday) gains ``effect`` x vol over the other days;
  the series' mean log return is removed (no drift).
* :func:`regimes`  Markov regimes up / down / flat (mean length ``regime_bars``), trend
  drift ``effect`` x vol; flat regimes are choppy, so a moving-average rule wins a
  minority of its trades and earns on the long trends (positive skew).
* :func:`slow_trend`  drift ``effect`` x vol in the direction of the close against its
  ``window``-bar average (a slow edge only a ``window``-bar indicator sees).
* :func:`breakout`  a close above the highest (below the lowest) close of the previous
  ``window`` bars is followed by ``hold`` bars of drift +(-) ``effect`` x vol
  (momentum after breakouts); the series' mean log return is removed.
* :func:`random_walk`  log-price random walk, no drift in log space, nothing to find.
* :func:`drifting`  a random walk with ``drift`` per bar: the pure-beta case.

Effect sizes (the defaults) are set so that each edge case's own strategy earns an
annualised Sharpe of about 1.5-3 net of the lab's 0.2 % commission on the research part
(seeds 0-11: bounce 1.5 (min 1.3), weekday 2.0 (min 1.6), regimes 2.8 (min 1.7),
breakout 2.0 (min 1.6)); the slow trend only 1.1 (min 0.95, 10-18 trades), because a
stronger slow effect makes the swings longer and the 200-bar rule trade too rarely.
Weaker edges cannot pass every seed honestly: a true Sharpe s over the ~8 research
years has a t-statistic near s x sqrt(8), and the Deflated Sharpe Ratio must clear the
expected best of N trials (~1.5 standard errors for N ~ 10) plus 1.28 (DSR 0.9): with
s ~ 1 only a small, correlated search (N ~ 2-3) leaves room. The first defaults
(bounce 1.0, weekday 0.5, regimes 0.35 at 1.5 % vol, slow 0.15 in a 10 % band) gave
Sharpes of 0.3-1.2, i.e. t-statistics of 1-3.

``python bench/known_markets.py`` prints each market's summary statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["MARKETS", "bounce", "breakout", "drifting", "ohlcv", "random_walk", "regimes",
           "slow_trend", "weekday", "write_csv"]

START = "2012-01-02"


def ohlcv(log_returns: np.ndarray, vol: float, rng: np.random.Generator,
          start_price: float = 100.0, start: str = START) -> pd.DataFrame:
    """Daily bars (business days) whose close-to-close log returns are ``log_returns``."""
    r = np.asarray(log_returns, dtype="float64")
    close = start_price * np.exp(np.cumsum(r))
    prev = np.concatenate([[start_price], close[:-1]])
    gap = rng.normal(0.0, 0.1 * vol, len(r))
    open_ = prev * np.exp(np.clip(gap, -np.abs(r), np.abs(r)))  # the gap never exceeds the move
    wick_hi = np.exp(np.abs(rng.normal(0.0, 0.5 * vol, len(r))))
    wick_lo = np.exp(-np.abs(rng.normal(0.0, 0.5 * vol, len(r))))
    high = np.maximum(open_, close) * wick_hi
    low = np.minimum(open_, close) * wick_lo
    volume = rng.integers(100_000, 1_000_000, len(r)).astype("float64")
    idx = pd.bdate_range(start, periods=len(r), name="Date")
    return pd.DataFrame({"Open": open_, "High": high, "Low": low, "Close": close,
                         "Volume": volume}, index=idx).round(4)


def random_walk(bars: int = 2520, vol: float = 0.015, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return ohlcv(rng.normal(0.0, vol, bars), vol, rng)


def drifting(bars: int = 2520, vol: float = 0.012, seed: int = 0,
             drift: float = 0.0008) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return ohlcv(drift + rng.normal(0.0, vol, bars), vol, rng)


def bounce(bars: int = 2520, vol: float = 0.015, seed: int = 0, effect: float = 1.5,
           drop_prob: float = 0.05) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0, vol, bars)
    drops = np.flatnonzero(rng.random(bars - 1) < drop_prob)
    r[drops] = -vol * rng.uniform(2.5, 4.0, len(drops))
    r[drops + 1] = rng.normal(effect * vol, vol, len(drops))
    return ohlcv(r - r.mean(), vol, rng)


def weekday(bars: int = 2520, vol: float = 0.015, seed: int = 0, effect: float = 0.8,
            day: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range(START, periods=bars)
    on = np.asarray(idx.weekday == day)
    r = rng.normal(0.0, vol, bars) + np.where(on, effect * vol, 0.0)
    return ohlcv(r - r.mean(), vol, rng)


def regimes(bars: int = 2520, vol: float = 0.01, seed: int = 0, effect: float = 0.5,
            regime_bars: int = 70, flat_share: float = 0.3, pull: float = 0.08) -> pd.DataFrame:
    """Up / down trends (drift +-effect x vol) and flat stretches where the log price is
    pulled back to the stretch's first level (``pull`` per bar): choppy, whipsawing."""
    rng = np.random.default_rng(seed)
    eps = rng.normal(0.0, vol, bars)
    r = np.empty(bars)
    logp, i, side, flat = 0.0, 0, 1.0, bool(rng.random() < flat_share)
    while i < bars:  # trends and flat stretches alternate; a trend's side is random
        mean = regime_bars * (flat_share if flat else 1 - flat_share) * 2
        n = min(int(rng.geometric(1.0 / mean)), bars - i)
        level, side = logp, side if flat else rng.choice([-1.0, 1.0])
        for t in range(i, i + n):
            r[t] = eps[t] + (-pull * (logp - level) if flat else side * effect * vol)
            logp += r[t]
        i, flat = i + n, not flat
    return ohlcv(r - r.mean(), vol, rng)


def slow_trend(bars: int = 2520, vol: float = 0.015, seed: int = 0, effect: float = 0.3,
               window: int = 200, band: float = 0.3, anchor_pull: float = 0.02) -> pd.DataFrame:
    """Drift +-effect x vol toward the side of the ``window``-bar average the close is on,
    while the close is within ``band`` (log distance) of it; beyond, a plain random walk.
    ``anchor_pull`` draws the log price back to its start (per bar, x distance), so the
    market swings across its average instead of trending one way for years: a one-way
    trend would make the 200-bar rule's return market beta, not timing. A stronger
    effect or a weaker pull makes the swings longer: the rule then trades fewer than
    10 times in the research years (the lab's minimum), 0.02 keeps 10-18."""
    rng = np.random.default_rng(seed)
    eps = rng.normal(0.0, vol, bars)
    price = np.empty(bars + 1)
    price[0] = 1.0
    csum = np.concatenate([[0.0], np.zeros(bars + 1)])  # csum[k] = sum(price[:k])
    csum[1] = 1.0
    for t in range(bars):
        step = eps[t] - anchor_pull * np.log(price[t])
        if t + 1 >= window:
            d = np.log(price[t] * window / (csum[t + 1] - csum[t + 1 - window]))
            step += (effect * vol * np.sign(d)) if abs(d) < band else 0.0
        price[t + 1] = price[t] * np.exp(step)
        csum[t + 2] = csum[t + 1] + price[t + 1]
    return ohlcv(np.diff(np.log(price)), vol, rng)


def breakout(bars: int = 2520, vol: float = 0.015, seed: int = 0, effect: float = 0.3,
             window: int = 20, hold: int = 10) -> pd.DataFrame:
    """Momentum after breakouts: a close above the previous ``window`` closes' high starts
    ``hold`` bars of drift +``effect`` x vol, a close below their low ``hold`` bars of
    -``effect`` x vol (symmetric, so removing the mean does not cancel the effect; a new
    extreme inside a run restarts it)."""
    rng = np.random.default_rng(seed)
    eps = rng.normal(0.0, vol, bars)
    logp = np.zeros(bars + 1)
    left, side = 0, 0.0
    for t in range(bars):
        logp[t + 1] = logp[t] + eps[t] + (side * effect * vol if left > 0 else 0.0)
        left -= 1
        if t + 1 > window:
            past = logp[t + 1 - window:t + 1]
            if logp[t + 1] > past.max() or logp[t + 1] < past.min():
                left, side = hold, (1.0 if logp[t + 1] > past.max() else -1.0)
    r = np.diff(logp)
    return ohlcv(r - r.mean(), vol, rng)


MARKETS: dict[str, Callable[..., pd.DataFrame]] = {
    "bounce": bounce, "weekday": weekday, "regimes": regimes, "slow_trend": slow_trend,
    "breakout": breakout,
    "random_walk": random_walk, "drifting": drifting,
}


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """The way people store prices: Date,Open,High,Low,Close,Volume with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index_label="Date", float_format="%.4f")
    return path


def _summary(name: str, df: pd.DataFrame) -> str:
    lr = np.diff(np.log(df["Close"].to_numpy()))
    return (f"{name:12s} bars {len(df):5d}  log drift/bar {lr.mean():+.5f}  vol {lr.std():.4f}"
            f"  first {df['Close'].iloc[0]:8.2f}  last {df['Close'].iloc[-1]:8.2f}")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="print the planted markets' summary statistics")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--bars", type=int, default=2520, help="bars per market (default 2520)")
    a = ap.parse_args()
    for key, make in MARKETS.items():
        print(_summary(key, make(bars=a.bars, seed=a.seed)))
