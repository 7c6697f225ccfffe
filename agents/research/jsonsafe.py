"""JSON helpers: NaN/inf -> None, numpy -> Python, and one canonical text form."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np

__all__ = ["canonical", "clean"]


def clean(obj: Any, digits: int | None = None) -> Any:
    """Plain JSON types; non-finite floats become None; floats rounded to ``digits``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return clean(dataclasses.asdict(obj), digits)
    if isinstance(obj, dict):
        return {str(k): clean(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v, digits) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        if not math.isfinite(f):
            return None
        return round(f, digits) if digits is not None else f
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist(), digits)
    return obj


def canonical(obj: Any, digits: int | None = 6) -> str:
    """Sorted keys, 2-space indent, floats rounded, trailing newline: byte-stable."""
    return json.dumps(clean(obj, digits), indent=2, sort_keys=True, allow_nan=False,
                      ensure_ascii=False) + "\n"
