"""Score the sealed holdout: run on history + holdout, score the holdout bars only.

The holdout run starts at the first research bar so indicators are warm when the
holdout opens (no cold start); only the holdout's own per-bar returns are scored.
Every read of a dataset's holdout is one more look at the same data, so its PSR is
deflated like a DSR by the number of reads of that dataset's holdout so far (the
ledger's count, this one included)::

    holdout_psr = PSR(SR_holdout > SR*(N = reads, V = 1 / (T - 1)))

The holdout's figures go to the review's ``gates_json`` and the exported report only:
never to ``strategies.reason``, learnings or anything a prompt reads.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from agents.research.overfitting import expected_max_sharpe, probabilistic_sharpe, sharpe_moments
from agents.research.splits import Split
from agents.research.windowstats import window_returns, window_stats

__all__ = ["holdout_frame", "score_holdout"]


def holdout_frame(split: Split) -> pd.DataFrame:
    """History + holdout: what the holdout run is given (scored on the holdout only)."""
    return pd.concat([split.research, split.holdout])


def score_holdout(result: Any, split: Split, reads: int) -> dict[str, Any]:
    """{sharpe, psr, sr_star, reads, bars, stats} of the holdout window of ``result``."""
    lo, hi = split.holdout.index[0], split.holdout.index[-1]
    stats = window_stats(result, lo, hi)
    rets = window_returns(result, lo, hi) if getattr(result, "ok", False) else pd.Series()
    m = sharpe_moments(rets.to_numpy(dtype="float64"))
    sr_star = expected_max_sharpe(max(reads, 1), 1.0 / max(m.n - 1, 1))
    psr = probabilistic_sharpe(m.sharpe, sr_star, m.n, m.skew, m.kurtosis)
    sharpe = stats.get("Sharpe Ratio")
    return {"sharpe": sharpe if isinstance(sharpe, float) and math.isfinite(sharpe) else None,
            "psr": psr if math.isfinite(psr) else None, "sr_star": sr_star,
            "reads": reads, "bars": len(rets), "stats": stats}
