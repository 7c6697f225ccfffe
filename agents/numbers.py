"""Numbers out of stats dicts and JSON: a value is a finite float or it is nothing.

    finite(v)                 float(v) when that is a finite number, else None
    metric_of(stats, key)     a stat as a finite float, -inf when missing or NaN (so a
                              missing value ranks last and fails every ``>=`` gate)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["finite", "metric_of"]


def finite(v: Any) -> float | None:
    """``float(v)`` when it is a finite number; None for None, NaN, inf and non-numbers."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def metric_of(stats: Mapping[str, Any] | None, key: str = "Sharpe Ratio") -> float:
    """A stat as a finite float, or -inf when missing / NaN."""
    v = finite((stats or {}).get(key))
    return -math.inf if v is None else v
