"""Monte Carlo block bootstrap of trade PnL as a share of equity (vectorised numpy).

The inputs are each trade's PnL divided by the account equity at its entry (what the
trade did to the account; :func:`agents.research.evaluate` computes them), NOT the
trade's return on its position: a trade on 10 % of the equity that gains 50 % moved the
account 5 %. Each path resamples the ``n`` shares in blocks of ``block`` consecutive
trades (moving blocks, circular) and compounds them: equity multiplies by ``1 + r``.
Reported: final-equity and max-drawdown quantiles and the probability of ruin, i.e. of
the equity touching ``1 - ruin_drawdown`` of its running peak on the way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["MonteCarloReport", "bootstrap_paths", "monte_carlo"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CHUNK_ELEMENTS = 1 << 18


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


def monte_carlo(trade_returns: Any, *, paths: int = 10_000, block: int = 1, seed: int = 0,
                ruin_drawdown: float = 0.5) -> MonteCarloReport:
    """Bootstrap ``trade_returns`` (fractions, e.g. 0.02 = +2 %) into ``paths`` paths."""
    r = np.asarray(trade_returns, dtype="float64")
    r = r[np.isfinite(r)]
    if len(r) == 0:
        raise ValueError("monte_carlo needs at least one finite trade return")
    if not 0 < ruin_drawdown < 1:
        raise ValueError(f"ruin_drawdown must be in (0, 1), got {ruin_drawdown}")
    logs = np.log1p(np.maximum(r, -0.999999))
    rng = np.random.default_rng(seed)
    final, mdd = np.empty(paths), np.empty(paths)
    chunk = max(1, CHUNK_ELEMENTS // len(logs))  # bounded memory, cache-friendly
    for lo in range(0, paths, chunk):
        hi = min(paths, lo + chunk)
        log_eq = np.cumsum(bootstrap_paths(logs, hi - lo, block, rng), axis=1)
        final[lo:hi] = np.exp(log_eq[:, -1])
        mdd[lo:hi] = _drawdowns(log_eq)
    obs = np.cumsum(logs)
    q = {f"p{int(p * 100):02d}": float(v) for p, v in zip(QUANTILES, np.quantile(final, QUANTILES), strict=True)}
    d = {f"p{int(p * 100):02d}": float(v) for p, v in zip(QUANTILES, np.quantile(mdd, QUANTILES), strict=True)}
    return MonteCarloReport(
        paths=paths, trades=len(r), block=block, seed=seed, ruin_drawdown=ruin_drawdown,
        prob_ruin=float((mdd >= ruin_drawdown).mean()), prob_loss=float((final < 1.0).mean()),
        final_equity=q, max_drawdown=d, observed_final=float(np.exp(obs[-1])),
        observed_max_drawdown=float(_drawdowns(obs[None, :])[0]),
    )
