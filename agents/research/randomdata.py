"""Random-data check: a strategy that makes money on most driftless random walks with
the data's own volatility is fitting noise or peeking.

Runs the strategy on ``k`` seeded :func:`executor.synthetic.random_walk_like` copies of
the data; reports the fraction profitable and the mean return, and flags the strategy
when the fraction reaches ``flag_fraction`` (``random_data.max_profitable_fraction`` in
thresholds.yaml). The walks are driftless: an honest strategy's expected return on
them is zero minus costs, so it ends in profit on about half of them or fewer.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from agents.research.runners import Runner

__all__ = ["RandomDataReport", "random_data_check"]


@dataclass
class RandomDataReport:
    k: int
    profitable_fraction: float
    mean_return_pct: float
    returns_pct: list[float | None] = field(default_factory=list)
    flagged: bool = False
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def random_data_check(code: str, data: pd.DataFrame, params: dict[str, Any], runner: Runner,
                      *, k: int = 8, seed: int = 0, flag_fraction: float = 0.75,
                      min_trades: int = 1) -> RandomDataReport:
    """Run on ``k`` random walks shaped like ``data`` (seeds ``seed .. seed+k-1``)."""
    from executor.synthetic import random_walk_like

    rets: list[float | None] = []
    for i in range(k):
        res = runner(code, random_walk_like(data, seed=seed + i), params)
        stats = res.stats if res.ok else {}
        r, n = stats.get("Return [%]"), stats.get("# Trades") or 0
        if isinstance(r, (int, float)) and math.isfinite(r) and n >= min_trades:
            rets.append(float(r))
        else:
            rets.append(None)
    valid = [r for r in rets if r is not None]
    frac = sum(r > 0 for r in valid) / k if k else 0.0
    mean = float(np.mean(valid)) if valid else 0.0
    rep = RandomDataReport(k=k, profitable_fraction=frac, mean_return_pct=mean,
                           returns_pct=rets)
    if frac >= flag_fraction:
        rep.flagged = True
        rep.reason = (f"profitable on {frac:.0%} of {k} random walks with the data's "
                      f"volatility (mean return {mean:+.1f} %): fits noise or peeks")
    return rep
