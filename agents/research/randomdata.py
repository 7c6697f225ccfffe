"""Random-data check: a strategy that makes money on most driftless random walks with
the data's own volatility is fitting noise or peeking.

Runs the strategy on ``k`` (default 30) seeded :func:`executor.synthetic.random_walk_like`
copies of the data: walks with zero drift in log space (no trend to ride) and the
data's volatility. An honest strategy's expected return on them is zero minus costs,
so under the null it ends in profit on each walk with probability at most 1/2. The
check is a one-sided binomial sign test of the number of profitable walks (a walk
without trades is not profitable): ``p_value = P(Binomial(k, 1/2) >= profitable)``;
the strategy is flagged when ``p_value < alpha`` (``kill.random_data_alpha`` in
thresholds.yaml, 0.01). With 8 walks and a 6-of-8 rule a coin-flip strategy was
falsely flagged 14.5 % of the time; 30 walks at alpha 0.01 flag it under 1 %.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agents.research.runners import Runner, run_jobs

__all__ = ["RandomDataReport", "random_data_check", "sign_test_pvalue"]


@dataclass
class RandomDataReport:
    k: int
    profitable_fraction: float
    mean_return_pct: float
    profitable: int = 0
    p_value: float = 1.0
    returns_pct: list[float | None] = field(default_factory=list)
    flagged: bool = False
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sign_test_pvalue(successes: int, k: int) -> float:
    """One-sided binomial p-value P(Binomial(k, 1/2) >= successes)."""
    if k <= 0:
        return 1.0
    return sum(math.comb(k, i) for i in range(max(successes, 0), k + 1)) / 2.0 ** k


def random_data_check(code: str, data: pd.DataFrame, params: dict[str, Any], runner: Runner,
                      *, k: int = 30, seed: int = 0, alpha: float = 0.01,
                      min_trades: int = 1) -> RandomDataReport:
    """Run on ``k`` random walks shaped like ``data`` (seeds ``seed .. seed+k-1``)."""
    from executor import frames_per_batch, random_walk_like

    per = frames_per_batch(data)
    results: list[Any] = []
    for i in range(0, k, per):  # the walks as multi-frame batches, a few frames at a time
        results += run_jobs(runner, code, [(random_walk_like(data, seed=seed + j), params)
                                           for j in range(i, min(k, i + per))])
    rets: list[float | None] = []
    for res in results:
        stats = res.stats if res.ok else {}
        r, n = stats.get("Return [%]"), stats.get("# Trades") or 0
        if isinstance(r, (int, float)) and math.isfinite(r) and n >= min_trades:
            rets.append(float(r))
        else:
            rets.append(None)
    valid = [r for r in rets if r is not None]
    wins = sum(r > 0 for r in valid)
    frac = wins / k if k else 0.0
    mean = float(np.mean(valid)) if valid else 0.0
    p = sign_test_pvalue(wins, k)
    rep = RandomDataReport(k=k, profitable_fraction=frac, mean_return_pct=mean,
                           profitable=wins, p_value=p, returns_pct=rets)
    if p < alpha:
        rep.flagged = True
        rep.reason = (f"profitable on {wins} of {k} driftless random walks (sign test "
                      f"p = {p:.3g} < {alpha}; mean return {mean:+.1f} %): fits noise or peeks")
    return rep
