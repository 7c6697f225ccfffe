"""Monte Carlo block bootstrap of trade PnL as a share of equity (vectorised numpy).

The inputs are each trade's PnL divided by the account equity at its entry (what the
trade did to the account; :func:`agents.research.evaluate` computes them), NOT the
trade's return on its position: a trade on 10 % of the equity that gains 50 % moved the
account 5 %. Each path resamples the ``n`` shares in blocks of ``block`` consecutive
trades (moving blocks, circular) and compounds them: equity multiplies by ``1 + r``.
Reported: final-equity and max-drawdown quantiles and the probability of ruin, i.e. of
the equity touching ``1 - ruin_drawdown`` of its running peak on the way.

A path is a chain of blocks, and a block is one of only ``n`` runs of trades (one per
start), so each start's sum, lowest and highest running sum and inner drawdown are
computed once; a path is then walked block by block, not trade by trade (``block`` x
fewer steps, the same numbers as :func:`bootstrap_paths` + a running peak up to float
rounding).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["MonteCarloReport", "bootstrap_paths", "monte_carlo"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CHUNK_ELEMENTS = 1 << 20
# the block walk's chunk: ~8 temporaries of this many float64s stay in a core's L2 cache
# (1.6x faster than 1 << 20 at 24k trades x 10k paths; same numbers whatever the size)
WALK_CHUNK_ELEMENTS = 1 << 16


@dataclass
class MonteCarloReport:
    paths: int
    trades: int
    block: int
    seed: int
    ruin_drawdown: float
    prob_ruin: float
    prob_loss: float
    final_equity: dict[str, float]  # multiple of the start, by quantile "p05".."p95"
    max_drawdown: dict[str, float]  # fraction, by quantile
    observed_final: float
    observed_max_drawdown: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def bootstrap_paths(returns: np.ndarray, paths: int, block: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``paths`` x n matrix of block-resampled returns."""
    n = len(returns)
    block = max(1, min(block, n))
    n_blocks = -(-n // block)
    starts = rng.integers(0, n, size=(paths, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)).reshape(paths, -1)[:, :n] % n
    return returns[idx]


def _drawdowns(log_eq: np.ndarray) -> np.ndarray:
    """Max drawdown (fraction) of each row of log-equity paths that start at 0."""
    peak = np.maximum.accumulate(np.maximum(log_eq, 0.0), axis=-1)
    return np.asarray(1.0 - np.exp((log_eq - peak).min(axis=-1).clip(max=0.0)))


@dataclass(frozen=True)
class _Blocks:
    """Per start ``s``: the run of ``length`` trades from ``s`` (circular) as log sums."""

    total: np.ndarray  # sum of the run
    low: np.ndarray  # lowest running sum inside the run (after its first trade)
    high: np.ndarray  # highest running sum inside the run
    inner: np.ndarray  # deepest fall from a running high inside the run (>= 0)


def _blocks(logs: np.ndarray, length: int) -> _Blocks:
    n = len(logs)
    starts = np.arange(n)
    run = np.zeros(n)
    low, high, inner = np.full(n, np.inf), np.full(n, -np.inf), np.zeros(n)
    for k in range(length):  # memory O(n) whatever the block length
        run = run + logs[(starts + k) % n]
        high = np.maximum(high, run)
        low = np.minimum(low, run)
        inner = np.maximum(inner, high - run)
    return _Blocks(run, low, high, inner)


def _walk(starts: np.ndarray, full: _Blocks, last: _Blocks) -> tuple[np.ndarray, np.ndarray]:
    """Final log-equity and max drawdown (in log units) of paths given by block starts
    (every block but the last is ``full``-length; in place, few temporaries)."""
    body, end = starts[:, :-1], starts[:, -1]
    zeros = np.zeros(len(end))
    if not body.shape[1]:
        return last.total[end], np.maximum(-last.low[end], last.inner[end])
    level = np.take(full.total, body)
    np.cumsum(level, axis=1, out=level)  # log-equity when each block ends
    at_last = level[:, -1].copy()  # ... when the last block begins
    level -= np.take(full.total, body)  # ... when each block begins
    peak = np.take(full.high, body)
    peak += level
    np.maximum(peak, 0.0, out=peak)
    np.maximum.accumulate(peak, axis=1, out=peak)  # running peak when each block ends
    fall = np.take(full.low, body)
    fall += level
    fall[:, 1:] -= peak[:, :-1]  # minus the running peak when each block begins
    np.negative(fall, out=fall)
    np.maximum(fall, np.take(full.inner, body), out=fall)
    worst = fall.max(axis=1, initial=0.0)
    tail = np.maximum(peak[:, -1] - (at_last + last.low[end]), last.inner[end])
    return at_last + last.total[end], np.maximum(np.maximum(worst, tail), zeros)


def _walk_trades(logs: np.ndarray, paths: int, block: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Final equity multiple and max drawdown of the same draws walked trade by trade
    (the reference the block walk must equal)."""
    final, mdd = np.empty(paths), np.empty(paths)
    chunk = max(1, CHUNK_ELEMENTS // len(logs))
    for lo in range(0, paths, chunk):
        hi = min(paths, lo + chunk)
        log_eq = np.cumsum(bootstrap_paths(logs, hi - lo, block, rng), axis=1)
        final[lo:hi] = np.exp(log_eq[:, -1])
        mdd[lo:hi] = _drawdowns(log_eq)
    return final, mdd


def monte_carlo(trade_returns: Any, *, paths: int = 10_000, block: int = 1, seed: int = 0,
                ruin_drawdown: float = 0.5, by_block: bool = True) -> MonteCarloReport:
    """Bootstrap ``trade_returns`` (fractions, e.g. 0.02 = +2 %) into ``paths`` paths
    (``by_block=False``: walk every trade, the slow reference)."""
    r = np.asarray(trade_returns, dtype="float64")
    r = r[np.isfinite(r)]
    if len(r) == 0:
        raise ValueError("monte_carlo needs at least one finite trade return")
    if not 0 < ruin_drawdown < 1:
        raise ValueError(f"ruin_drawdown must be in (0, 1), got {ruin_drawdown}")
    logs = np.log1p(np.maximum(r, -0.999999))
    n = len(logs)
    rng = np.random.default_rng(seed)
    if by_block:
        size = max(1, min(block, n))
        n_blocks = -(-n // size)
        full = _blocks(logs, size)
        tail = n - (n_blocks - 1) * size
        last = full if tail == size else _blocks(logs, tail)
        final, fall = np.empty(paths), np.empty(paths)
        chunk = max(1, WALK_CHUNK_ELEMENTS // n_blocks)  # the draws do not depend on it
        for lo in range(0, paths, chunk):
            hi = min(paths, lo + chunk)
            starts = rng.integers(0, n, size=(hi - lo, n_blocks))
            final[lo:hi], fall[lo:hi] = _walk(starts, full, last)
        final, mdd = np.exp(final), 1.0 - np.exp(-fall)
    else:
        final, mdd = _walk_trades(logs, paths, block, rng)
    obs = np.cumsum(logs)
    q = {f"p{int(p * 100):02d}": float(v) for p, v in zip(QUANTILES, np.quantile(final, QUANTILES), strict=True)}
    d = {f"p{int(p * 100):02d}": float(v) for p, v in zip(QUANTILES, np.quantile(mdd, QUANTILES), strict=True)}
    return MonteCarloReport(
        paths=paths, trades=len(r), block=block, seed=seed, ruin_drawdown=ruin_drawdown,
        prob_ruin=float((mdd >= ruin_drawdown).mean()), prob_loss=float((final < 1.0).mean()),
        final_equity=q, max_drawdown=d, observed_final=float(np.exp(obs[-1])),
        observed_max_drawdown=float(_drawdowns(obs[None, :])[0]),
    )
