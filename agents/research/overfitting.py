"""Multiple-testing corrections: PSR, Deflated Sharpe Ratio, PBO via CSCV.

All Sharpe ratios here are *per period* (not annualised) and computed from the
per-period returns the estimate is based on; ``T`` is the number of returns.

* PSR (Bailey & López de Prado 2012): probability that the true Sharpe exceeds a
  benchmark ``SR*``, given the estimate's skew ``g3`` and (non-excess) kurtosis ``g4``::

      PSR = Phi( (SR - SR*) * sqrt(T - 1) / sqrt(1 - g3*SR + (g4 - 1)/4 * SR^2) )

* DSR (Bailey & López de Prado 2014): PSR with ``SR*`` the expected maximum Sharpe of
  ``N`` independent trials whose Sharpe estimates have variance ``V``::

      SR* = sqrt(V) * ((1 - gamma) * Phi^-1(1 - 1/N) + gamma * Phi^-1(1 - 1/(N e)))

  (gamma = Euler-Mascheroni). ``V`` is the variance of a Sharpe estimate under the
  null of no skill, ``1/(T-1)``, widened by the returns' autocorrelation (Lo 2002:
  the Newey-West long-run variance over the plain variance, never below 1). It is NOT
  the cross-sectional variance of the trials' Sharpe ratios: that variance also holds
  the trials' TRUE differences (a real edge among its variants, variants that lose to
  costs), which are not luck, and ``N`` is already the effective number of independent
  trials (correlated trials clustered), so a cross-sectional ``V`` either counts the
  edge against itself (one real weekday among four costly ones: V 28 x the null, DSR
  0.005 for a t-stat 3.4 edge) or discounts correlation twice. The trials' variance is
  still reported (``trial_variance``).

* PBO (Bailey, Borwein, López de Prado, Zhu 2017), combinatorially symmetric cross
  validation: split the T x N matrix of per-period returns of N configurations into S
  contiguous blocks; for every choice of S/2 blocks as in-sample, pick the in-sample
  best configuration and take the logit of its relative out-of-sample rank; PBO is the
  share of logits <= 0 (the IS winner is at or below the OOS median).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = [
    "PBOResult", "SharpeMoments", "deflated_sharpe", "expected_max_sharpe",
    "null_sharpe_variance", "pbo_cscv", "probabilistic_sharpe", "sharpe_moments",
]

EULER_GAMMA = 0.5772156649015329
_N = NormalDist()


@dataclass(frozen=True)
class SharpeMoments:
    sharpe: float  # per period
    skew: float
    kurtosis: float  # non-excess (normal = 3)
    n: int


def sharpe_moments(returns: Any) -> SharpeMoments:
    """Per-period Sharpe, skew and kurtosis of a return series (NaNs dropped)."""
    r = np.asarray(returns, dtype="float64")
    r = r[np.isfinite(r)]
    n = len(r)
    if n < 3:
        return SharpeMoments(float("nan"), 0.0, 3.0, n)
    mu, sd = float(r.mean()), float(r.std(ddof=1))
    if sd == 0:
        return SharpeMoments(0.0 if mu == 0 else math.copysign(math.inf, mu), 0.0, 3.0, n)
    z = (r - mu) / r.std(ddof=0)
    return SharpeMoments(mu / sd, float((z ** 3).mean()), float((z ** 4).mean()), n)


def probabilistic_sharpe(sr: float, sr_benchmark: float, n: int, skew: float = 0.0,
                         kurtosis: float = 3.0) -> float:
    """PSR: P(true SR > ``sr_benchmark``) for an estimate ``sr`` from ``n`` returns."""
    if math.isinf(sr):
        return float(sr > 0)
    if n < 2 or math.isnan(sr):
        return float("nan")
    var = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr
    if var <= 0:
        var = 1e-12
    return _N.cdf((sr - sr_benchmark) * math.sqrt(n - 1) / math.sqrt(var))


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """E[max SR] of ``n_trials`` independent zero-skill trials with SR variance ``variance``."""
    if n_trials <= 1 or variance <= 0:
        return 0.0
    a = _N.inv_cdf(1.0 - 1.0 / n_trials)
    b = _N.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(variance) * ((1.0 - EULER_GAMMA) * a + EULER_GAMMA * b)


def null_sharpe_variance(returns: Any) -> float:
    """Variance of a per-period Sharpe estimate from these returns if the true Sharpe
    were 0: ``1/(T-1)`` times the Newey-West long-run variance ratio (Bartlett weights,
    ``floor(4 (T/100)^(2/9))`` lags), never below 1 (autocorrelated returns make the
    Sharpe noisier than T independent returns; anti-correlation is not trusted)."""
    r = np.asarray(returns, dtype="float64")
    r = r[np.isfinite(r)]
    t = len(r)
    if t < 3:
        return 1.0
    x = r - r.mean()
    v0 = float(x @ x) / t
    ratio = 1.0
    if v0 > 0:
        q = min(int(4 * (t / 100.0) ** (2.0 / 9.0)), t - 1)
        lr = v0 + 2.0 * sum((1.0 - k / (q + 1.0)) * float(x[k:] @ x[:-k]) / t
                            for k in range(1, q + 1))
        ratio = max(1.0, lr / v0)
    return ratio / (t - 1)


def deflated_sharpe(returns: Any, n_trials: int | float,
                    trial_sharpes: Any = None) -> dict[str, Any]:
    """DSR of the chosen configuration's per-period ``returns`` after ``n_trials``
    EFFECTIVE (independent) trials; V is :func:`null_sharpe_variance` (see the module
    doc for why not the trials' variance). ``trial_sharpes``: per-period Sharpe ratios
    of all trials, reported as ``trial_variance`` only. Returns a dict with ``dsr``,
    ``psr`` (vs 0), ``sr`` (per period), ``sr_star``, ``variance``, ``n_trials``, ``T``."""
    m = sharpe_moments(returns)
    tvar = None
    if trial_sharpes is not None:
        ts = np.asarray(trial_sharpes, dtype="float64")
        ts = ts[np.isfinite(ts)]
        if len(ts) >= 2:
            tvar = float(ts.var(ddof=1))
    var = null_sharpe_variance(returns)
    sr_star = expected_max_sharpe(max(int(math.ceil(n_trials - 1e-9)), 1), var)
    return {
        "dsr": probabilistic_sharpe(m.sharpe, sr_star, m.n, m.skew, m.kurtosis),
        "psr": probabilistic_sharpe(m.sharpe, 0.0, m.n, m.skew, m.kurtosis),
        "sr": m.sharpe, "sr_star": sr_star, "variance": var, "trial_variance": tvar,
        "skew": m.skew, "kurtosis": m.kurtosis, "n_trials": int(math.ceil(n_trials - 1e-9)),
        "T": m.n,
    }


@dataclass(frozen=True)
class PBOResult:
    pbo: float
    n_combinations: int
    n_configs: int
    blocks: int
    logit_median: float
    prob_oos_loss: float  # share of splits where the IS winner lost money OOS
    degradation_slope: float  # OLS slope of OOS Sharpe on IS Sharpe of the winners

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _block_sharpes(sums: np.ndarray, sq: np.ndarray, counts: np.ndarray,
                   mask: np.ndarray) -> np.ndarray:
    """Sharpe of every config over the blocks selected by each row of ``mask`` (C x S)."""
    s = mask @ sums  # C x N
    q = mask @ sq
    n = (mask @ counts)[:, None]
    mean = s / n
    var = np.maximum(q / n - mean * mean, 0.0) * n / np.maximum(n - 1, 1)
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(sd > 0, mean / np.where(sd > 0, sd, 1.0), 0.0)
    return np.asarray(out)


def pbo_cscv(returns: Any, blocks: int = 16) -> PBOResult:
    """PBO of selecting the in-sample best of N configurations (T x N return matrix)."""
    m = np.asarray(returns, dtype="float64")
    if m.ndim != 2 or m.shape[1] < 2:
        raise ValueError("pbo_cscv needs a T x N matrix with N >= 2 configurations")
    if blocks < 2 or blocks % 2:
        raise ValueError(f"blocks must be an even number >= 2, got {blocks}")
    t, n_cfg = m.shape
    if t < 2 * blocks:
        raise ValueError(f"{t} periods are too few for {blocks} blocks (need >= {2 * blocks})")
    m = np.nan_to_num(m[: t - t % blocks], nan=0.0)
    parts = m.reshape(blocks, -1, n_cfg)
    sums, sq = parts.sum(axis=1), (parts ** 2).sum(axis=1)
    counts = np.full(blocks, parts.shape[1], dtype="float64")
    combos = np.array(list(itertools.combinations(range(blocks), blocks // 2)))
    is_mask = np.zeros((len(combos), blocks))
    np.put_along_axis(is_mask, combos, 1.0, axis=1)
    sr_is = _block_sharpes(sums, sq, counts, is_mask)
    sr_oos = _block_sharpes(sums, sq, counts, 1.0 - is_mask)
    best = sr_is.argmax(axis=1)
    rows = np.arange(len(combos))
    oos_best = sr_oos[rows, best]
    rank = (sr_oos < oos_best[:, None]).sum(axis=1) + 1  # 1 = worst ... N = best
    omega = rank / (n_cfg + 1.0)
    logits = np.log(omega / (1.0 - omega))
    x, y = sr_is[rows, best], oos_best
    slope = float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else 0.0
    return PBOResult(
        pbo=float((logits <= 0).mean()), n_combinations=len(combos), n_configs=n_cfg,
        blocks=blocks, logit_median=float(np.median(logits)),
        prob_oos_loss=float((y < 0).mean()), degradation_slope=slope,
    )
