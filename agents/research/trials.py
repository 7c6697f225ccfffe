"""How many independent trials a set of backtests is worth (for the DSR's N).

Forty moving-average variants that differ by one bar of look-back are not forty
chances to find an edge: their returns move together. :func:`effective_trials` is the
participation ratio of the eigenvalues of the trials' return correlation matrix::

    N_eff = (sum_i lambda_i)^2 / sum_i lambda_i^2

1 when every trial is the same series, N when they are uncorrelated. :func:`lab_trials`
(in :mod:`agents.stages.evaluation`) adds every other strategy's trials on the same dataset, so the N the Deflated
Sharpe Ratio deflates by counts every variant the lab tried there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["effective_trials"]


def effective_trials(returns: Any) -> float:
    """Effective number of independent columns of a T x N return matrix (>= 1)."""
    m = np.asarray(returns, dtype="float64")
    if m.ndim != 2 or m.shape[1] < 2:
        return 1.0
    m = np.nan_to_num(m)
    keep = m.std(axis=0) > 0
    if keep.sum() < 2:
        return 1.0
    corr = np.corrcoef(m[:, keep], rowvar=False)
    lam = np.clip(np.linalg.eigvalsh(np.nan_to_num(corr)), 0.0, None)
    total = float(lam.sum())
    val = total * total / float((lam * lam).sum()) if total > 0 else 1.0
    return max(1.0, val) if math.isfinite(val) else 1.0
