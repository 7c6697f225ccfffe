"""Data-snooping test over a searched grid: Hansen's SPA (a studentised, re-centred
White's Reality Check) with the stationary bootstrap.

Null: no configuration in the grid has a positive expected per-bar return. Statistic:
``max_k sqrt(T) * mean_k / sd_k`` over the N configurations' per-bar returns (T x N).
The bootstrap re-centres each column at ``mean_k * 1{mean_k >= -sd_k sqrt(2 ln ln T / T)}``
(Hansen 2005's consistent p-value: clearly bad configurations do not inflate it) and
resamples blocks of mean length ``block`` (Politis & Romano). p = share of bootstrap
maxima at or above the observed one. Searching noise finds an in-sample winner whose
statistic the bootstrap maxima reach often (large p); a real edge stands out (small p).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["spa_pvalue", "stationary_indices"]

MAX_ROWS = 5000  # longer series are aggregated to at most this many periods


def stationary_indices(t: int, reps: int, block: float, rng: np.random.Generator) -> np.ndarray:
    """``reps`` x ``t`` stationary-bootstrap row indices (mean block length ``block``)."""
    p = 1.0 / max(block, 1.0)
    starts = rng.integers(0, t, size=(reps, t))
    new = rng.random((reps, t)) < p
    new[:, 0] = True
    idx = np.empty((reps, t), dtype=np.int64)
    for j in range(reps):
        pos = np.arange(t)
        anchor = np.maximum.accumulate(np.where(new[j], pos, 0))
        idx[j] = (starts[j, anchor] + pos - anchor) % t
    return idx


def spa_pvalue(returns: Any, *, reps: int = 500, block: float = 10.0,
               seed: int = 0) -> dict[str, Any]:
    """{p_value, statistic, best, n_configs, T} of the grid's T x N per-bar returns."""
    m = np.nan_to_num(np.asarray(returns, dtype="float64"))
    if m.ndim == 1:
        m = m[:, None]
    if m.shape[0] > MAX_ROWS:  # intraday: sum runs of k bars (bounded cost, same ranking)
        k = -(-m.shape[0] // MAX_ROWS)
        m = m[: m.shape[0] - m.shape[0] % k].reshape(-1, k, m.shape[1]).sum(axis=1)
    t, n = m.shape
    if t < 10:
        return {"p_value": None, "statistic": None, "best": None, "n_configs": n, "T": t}
    mean = m.mean(axis=0)
    sd = m.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, np.inf)
    stat_k = math.sqrt(t) * mean / sd
    observed = float(max(stat_k.max(), 0.0))
    keep = mean >= -sd * math.sqrt(2.0 * math.log(max(math.log(t), 1.0 + 1e-9)) / t)
    centre = np.where(keep, mean, 0.0)
    rng = np.random.default_rng(seed)
    idx = stationary_indices(t, reps, block, rng)
    boot = np.empty(reps)
    for j in range(reps):
        bm = m[idx[j]].mean(axis=0)
        boot[j] = max(float((math.sqrt(t) * (bm - centre) / sd).max()), 0.0)
    return {"p_value": float((boot >= observed).mean()), "statistic": observed,
            "best": int(stat_k.argmax()), "n_configs": n, "T": t, "reps": reps}
