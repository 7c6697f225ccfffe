"""The Monte Carlo fan: quantiles of the bootstrapped equity after each trade, with the
realised path.

:func:`fan_paths` draws the same paths as :func:`agents.research.montecarlo.monte_carlo`
(same generator, seed, block and chunking), so the fan's last column has the same
quantiles as the review's ``final_equity``. A review that persisted its fan
(``review_series`` name ``monte_carlo_fan``) is drawn as stored; otherwise
:func:`fan_from_result` rebuilds the review's inputs from the stored trades of the
result shown and says how closely they reproduce the review's realised final equity.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np

from agents.research.montecarlo import CHUNK_ELEMENTS, QUANTILES, bootstrap_paths

__all__ = ["fan_from_result", "fan_paths", "trade_inputs"]

MAX_POINTS = 200  # trade indices kept in the stored fan (evenly spaced, last one kept)


def fan_paths(trade_returns: Any, *, paths: int = 10_000, block: int = 1,
              seed: int = 0) -> dict[str, Any]:
    """{"x": trade index, "quantiles": {"p05": [equity multiple]...}, "observed": [...]}
    (equity starts at 1.0 before the first trade)."""
    r = np.asarray(trade_returns, dtype="float64")
    r = r[np.isfinite(r)]
    if len(r) == 0:
        raise ValueError("a Monte Carlo fan needs at least one finite trade return")
    logs = np.log1p(np.maximum(r, -0.999999))
    rng = np.random.default_rng(seed)
    chunk = max(1, CHUNK_ELEMENTS // len(logs))
    cum = np.empty((paths, len(logs)))
    for lo in range(0, paths, chunk):
        hi = min(paths, lo + chunk)
        cum[lo:hi] = np.cumsum(bootstrap_paths(logs, hi - lo, block, rng), axis=1)
    keep = np.unique(np.linspace(0, len(logs) - 1, min(len(logs), MAX_POINTS)).astype(int))
    q = np.quantile(np.exp(cum[:, keep]), QUANTILES, axis=0)
    obs = np.exp(np.cumsum(logs))
    return {"x": [0, *(int(i) + 1 for i in keep)], "paths": paths, "block": block,
            "seed": seed, "trades": len(logs),
            "quantiles": {f"p{int(p * 100):02d}": [1.0, *map(float, row)]
                          for p, row in zip(QUANTILES, q, strict=True)},
            "observed": [1.0, *(float(obs[i]) for i in keep)]}


@lru_cache(maxsize=32)
def _cached_fan(rets: tuple[float, ...], paths: int, block: int, seed: int) -> dict[str, Any]:
    """A page view re-draws the same fan (10,000 paths x 300 trades take ~0.8 s)."""
    return fan_paths(rets, paths=paths, block=block, seed=seed)


def _ts(v: Any) -> float | None:
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def trade_inputs(trades: list[dict[str, Any]],
                 equity: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Candidate Monte Carlo inputs of stored trades: ``return_pct`` (each trade's
    return on its position) and ``equity_share`` (PnL over the equity at entry, read
    from the stored, possibly downsampled, equity curve)."""
    rets = [float(t["ReturnPct"]) for t in trades
            if isinstance(t, dict) and isinstance(t.get("ReturnPct"), int | float)]
    curve = sorted((x, float(p["Equity"])) for p in equity if isinstance(p, dict)
                   and (x := _ts(p.get("time"))) is not None
                   and isinstance(p.get("Equity"), int | float))
    xs = [c[0] for c in curve]
    shares = []
    for t in trades:
        x = _ts(t.get("EntryTime")) if isinstance(t, dict) else None
        pnl = t.get("PnL") if isinstance(t, dict) else None
        if x is None or not isinstance(pnl, int | float) or not curve:
            continue
        i = max(bisect_right(xs, x) - 1, 0)
        if curve[i][1] > 0:
            shares.append(float(pnl) / curve[i][1])
    return {"return_pct": rets, "equity_share": shares}


def fan_from_result(mc: dict[str, Any], trades: list[dict[str, Any]],
                    equity: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The fan rebuilt from a result's stored trades with the review's paths, block and
    seed; ``None`` without trades. Adds ``inputs`` (which candidate) and ``match``
    (relative gap between the rebuilt and the review's realised final equity)."""
    target = mc.get("observed_final")
    best: tuple[float, str, list[float]] | None = None
    for name, rets in trade_inputs(trades, equity).items():
        if not rets:
            continue
        final = math.prod(1.0 + max(r, -0.999999) for r in rets)
        gap = abs(final / target - 1.0) if isinstance(target, int | float) and target else math.inf
        if best is None or gap < best[0]:
            best = (gap, name, rets)
    if best is None:
        return None
    fan = dict(_cached_fan(tuple(best[2]), int(mc.get("paths") or 10_000),
                           int(mc.get("block") or 1), int(mc.get("seed") or 0)))
    fan.update(inputs=best[1], match=best[0] if math.isfinite(best[0]) else None,
               review_trades=mc.get("trades"))
    return fan
