"""When paper trading has left what the backtest promised: the Monte Carlo band and the
loss guards.

The band: the backtest's per-bar returns, block-bootstrapped into ``paths`` equity paths
as long as the session may run; at each bar ``h`` after the forward start, the ``q`` and
``1 - q`` quantiles of the paths' growth. Paper equity below the lower edge while below
its starting equity (a strategy that earns, only less than its backtest promised, has not
broken; one that loses faster than the backtest allows has) — or, with
``sides="both"``, above the upper one) after ``min_bars`` bars stops the session. The
guards stop it whatever the band says: a loss of more than ``max_loss`` of the starting
equity, or a drawdown deeper than ``max_drawdown``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["Band", "Guards", "band_from_equity", "check"]


@dataclass(frozen=True)
class Guards:
    quantile: float = 0.01  # the band's lower edge is this quantile of the paths
    sides: str = "lower"  # "lower" | "both"
    min_bars: int = 10  # no band verdict before this many forward bars
    max_loss: float = 0.25  # of the equity at the forward start
    max_drawdown: float = 0.35  # from the session's peak equity
    paths: int = 2000
    block: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.quantile < 0.5:
            raise ValueError("quantile must be in (0, 0.5), e.g. 0.01")
        if self.sides not in ("lower", "both"):
            raise ValueError("sides must be 'lower' or 'both'")


@dataclass(frozen=True)
class Band:
    lower: list[float]  # growth factor at forward bar h (1.0 = no change), h = 1..horizon
    upper: list[float]
    median: list[float]
    quantile: float
    paths: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Band:
        return cls(**{k: d[k] for k in ("lower", "upper", "median", "quantile", "paths")})

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


def band_from_equity(equity: list[float], horizon: int, guards: Guards = Guards()) -> Band:
    """Block-bootstrap the backtest's per-bar log returns into the band."""
    eq = np.asarray([e for e in equity if e is not None and math.isfinite(e) and e > 0], dtype=float)
    horizon = max(int(horizon), 1)
    if len(eq) < 3:
        return Band([], [], [], guards.quantile, 0)
    rets = np.diff(np.log(eq))
    rng = np.random.default_rng(guards.seed)
    n_blocks = -(-horizon // guards.block)
    starts = rng.integers(0, max(len(rets) - guards.block, 1), size=(guards.paths, n_blocks))
    idx = (starts[:, :, None] + np.arange(guards.block)[None, None, :]).reshape(guards.paths, -1)
    idx = np.minimum(idx, len(rets) - 1)[:, :horizon]
    growth = np.exp(np.cumsum(rets[idx], axis=1))
    q = guards.quantile
    lower, median, upper = np.quantile(growth, [q, 0.5, 1 - q], axis=0)
    return Band(lower.round(6).tolist(), upper.round(6).tolist(), median.round(6).tolist(), q,
                guards.paths)


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
    if growth < min(lo, 1.0):  # behind the backtest AND losing: earning less is no divergence
        return (f"diverged from the backtest: after {h} bars equity grew x{growth:.4f}, below the "
                f"Monte Carlo band's {band.quantile:.0%} edge x{lo:.4f}")
    if guards.sides == "both" and growth > hi:
        return (f"diverged from the backtest: after {h} bars equity grew x{growth:.4f}, above the "
                f"Monte Carlo band's {1 - band.quantile:.0%} edge x{hi:.4f}")
    return None
