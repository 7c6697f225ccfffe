"""When paper trading has left what the backtest promised: the Monte Carlo band and the
loss guards.

The band is a forecast of the strategy's forward growth from its backtest's per-bar log
returns ``r`` (n bars, leading flat warm-up dropped), built so that a strategy whose
forward returns follow the same process is stopped by it in at most ``quantile`` of
cases over the whole session:

* **selection haircut**: the backtest is the best of the ``trials`` variants the lab
  tried on the dataset, so its mean is biased upward by about the expected maximum
  Sharpe of that many zero-skill trials (the DSR's ``SR0`` with the same N; its variance
  is the DSR's Newey-West one, or the block bootstrap's when that is larger); the band's
  drift is ``mean(r) - SR0 * sd(r)`` per bar.
* **estimation error**: the drift itself is uncertain (a mean from n bars): each path
  draws its own drift from a circular block bootstrap of the n demeaned returns, so the
  band widens like ``h / sqrt(n)`` on top of the noise's ``sqrt(h)``.
* **noise**: each path's bars are circular blocks of the demeaned returns, ``block``
  bars long (default ``ceil(sqrt(n))``: trend followers' returns persist).
* **simultaneous**: paper equity is checked after every bar, so a pointwise q-band would
  stop far more than q of healthy sessions. The pointwise level is calibrated on the
  paths themselves so that at most ``quantile`` of them ever leave the band after
  ``min_bars`` bars.

Paper equity below the lower edge while below its starting equity (a strategy that
earns, only less than its backtest promised, has not broken) — or, with
``sides="both"``, above the upper edge — after ``min_bars`` forward bars stops the
session. The guards stop it whatever the band says and from the first bar: a loss of
more than ``max_loss`` of the starting equity, or a drawdown deeper than
``max_drawdown``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from agents.research.overfitting import expected_max_sharpe, null_sharpe_variance

__all__ = ["Band", "Guards", "band_from_equity", "band_from_returns", "check"]


@dataclass(frozen=True)
class Guards:
    quantile: float = 0.05  # share of same-process sessions the band may stop, whole session
    sides: str = "lower"  # "lower" | "both"
    min_bars: int = 20  # no band verdict before this many forward bars (guards act at once)
    max_loss: float = 0.25  # of the equity at the forward start
    max_drawdown: float = 0.35  # from the session's peak equity
    paths: int = 2000
    block: int = 0  # bootstrap block in bars; 0 = ceil(sqrt(n)) of the backtest's n bars
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.quantile < 0.5:
            raise ValueError("quantile must be in (0, 0.5), e.g. 0.05")
        if self.sides not in ("lower", "both"):
            raise ValueError("sides must be 'lower' or 'both'")
        if self.min_bars < 1 or self.paths < 100 or self.block < 0:
            raise ValueError("min_bars must be >= 1, paths >= 100 and block >= 0 (0 = auto)")


@dataclass(frozen=True)
class Band:
    lower: list[float]  # growth factor at forward bar h (1.0 = no change), h = 1..horizon
    upper: list[float]
    median: list[float]
    quantile: float  # share of same-process sessions the band stops (simultaneous)
    paths: int
    pointwise: float | None = None  # the per-bar quantile that achieves it
    trials: int = 1  # the DSR's N the drift was deflated by
    haircut: float = 0.0  # per-bar log drift removed for selection
    bars: int = 0  # backtest bars the band was built from
    block: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Band:
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})

    def at(self, h: int) -> tuple[float, float]:
        """(lower, upper) growth at forward bar ``h`` (beyond the horizon: the last edges
        widened by sqrt-time)."""
        n = len(self.lower)
        if n == 0:
            return (0.0, math.inf)
        if h <= n:
            return self.lower[h - 1], self.upper[h - 1]
        scale = math.sqrt(h / n)
        lo, hi = math.log(max(self.lower[-1], 1e-9)), math.log(max(self.upper[-1], 1e-9))
        return math.exp(lo * scale), math.exp(hi * scale)


def band_from_equity(equity: list[float], horizon: int, guards: Guards = Guards(),
                     trials: int = 1) -> Band:
    """The band from a backtest's equity curve (see the module doc)."""
    eq = np.asarray([e for e in equity if e is not None and math.isfinite(e) and e > 0],
                    dtype=float)
    return band_from_returns(np.diff(np.log(eq)) if len(eq) >= 2 else np.zeros(0), horizon,
                             guards, trials)


def _circular_blocks(x: np.ndarray, rng: np.random.Generator, paths: int, length: int,
                     block: int) -> np.ndarray:
    """``paths`` x ``length`` indices into ``x``: random circular blocks of ``block``."""
    k = -(-length // block)
    starts = rng.integers(0, len(x), size=(paths, k))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(paths, -1)
    return np.asarray(idx[:, :length] % len(x))


def _crossing_share(sorted_g: np.ndarray, g: np.ndarray, k: int, sides: str,
                    first: int) -> float:
    """Share of paths ever outside the pointwise band of rank ``k`` from bar ``first``."""
    lo = np.minimum(sorted_g[k], 0.0)[first:]
    out = (g[:, first:] < lo[None, :]).any(axis=1)
    if sides == "both":
        hi = sorted_g[len(g) - 1 - k][first:]
        out |= (g[:, first:] > hi[None, :]).any(axis=1)
    return float(out.mean())


def band_from_returns(rets: Any, horizon: int, guards: Guards = Guards(),
                      trials: int = 1) -> Band:
    """Per-bar log returns -> the simultaneous band (see the module doc)."""
    r = np.asarray(rets, dtype=float)
    r = r[np.isfinite(r)]
    moved = np.flatnonzero(r != 0)
    r = r[moved[0]:] if len(moved) else r[:0]  # the warm-up before the first move is no sample
    horizon = max(int(horizon), 1)
    if len(r) < 20:
        return Band([], [], [], guards.quantile, 0)
    n, rng = len(r), np.random.default_rng(guards.seed)
    block = min(guards.block or math.ceil(math.sqrt(n)), n)
    trials = max(int(trials), 1)
    x, sd = r - r.mean(), float(r.std(ddof=1))
    # the mean's error: the mean of ~n bars in circular blocks, from each start's block sum
    sums = np.convolve(np.concatenate([x, x[:block - 1]]), np.ones(block), "valid")
    k = max(round(n / block), 1)
    shift = sums[rng.integers(0, n, size=(guards.paths, k))].sum(axis=1) / (k * block)
    # the Sharpe estimate's null variance: Newey-West's, or the block bootstrap's when the
    # returns persist beyond Newey-West's few lags
    var = max(null_sharpe_variance(r), float(shift.var()) / sd ** 2 if sd > 0 else 0.0)
    haircut = expected_max_sharpe(trials, var) * sd
    drift = r.mean() - haircut + shift
    g = np.cumsum(x[_circular_blocks(x, rng, guards.paths, horizon, block)], axis=1)
    g += drift[:, None] * np.arange(1, horizon + 1)[None, :]
    srt = np.sort(g, axis=0)
    first = min(guards.min_bars, horizon) - 1
    lo_k, hi_k = 0, int(guards.quantile * (guards.paths - 1))  # largest k within the budget
    while lo_k < hi_k:
        mid = (lo_k + hi_k + 1) // 2
        if _crossing_share(srt, g, mid, guards.sides, first) <= guards.quantile:
            lo_k = mid
        else:
            hi_k = mid - 1
    lower, upper = np.exp(srt[lo_k]), np.exp(srt[guards.paths - 1 - lo_k])
    median = np.exp(srt[guards.paths // 2])
    return Band(lower.round(6).tolist(), upper.round(6).tolist(), median.round(6).tolist(),
                guards.quantile, guards.paths, pointwise=lo_k / (guards.paths - 1),
                trials=trials, haircut=haircut, bars=n, block=block)


def check(*, band: Band | None, guards: Guards, start_equity: float, equity: float,
          peak: float, h: int) -> str | None:
    """The reason to stop now, or None."""
    if start_equity > 0 and equity < start_equity * (1 - guards.max_loss):
        return (f"max-loss guard: equity {equity:,.2f} is {1 - equity / start_equity:.1%} below "
                f"the forward start ({start_equity:,.2f}); the limit is {guards.max_loss:.0%}")
    if peak > 0 and equity < peak * (1 - guards.max_drawdown):
        return (f"max-drawdown guard: {1 - equity / peak:.1%} below the session's peak "
                f"{peak:,.2f}; the limit is {guards.max_drawdown:.0%}")
    if band is None or h < guards.min_bars or start_equity <= 0 or not band.lower:
        return None
    lo, hi = band.at(h)
    growth = equity / start_equity
    edge = (f"Monte Carlo band (it stops {band.quantile:.0%} of sessions that follow the "
            f"backtest's own process; drift deflated for {band.trials} trial(s))")
    if growth < min(lo, 1.0):  # behind the backtest AND losing: earning less is no divergence
        return (f"diverged from the backtest: after {h} bars equity grew x{growth:.4f}, below the "
                f"lower edge x{lo:.4f} of the {edge}")
    if guards.sides == "both" and growth > hi:
        return (f"diverged from the backtest: after {h} bars equity grew x{growth:.4f}, above the "
                f"upper edge x{hi:.4f} of the {edge}")
    return None
