"""Jinja filters for numbers, times and JSON."""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment

__all__ = ["install"]


def num(v: Any, digits: int = 2) -> str:
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "–"
        return f"{v:,.{digits}f}"
    return str(v)


def pct(v: Any, digits: int = 1) -> str:
    return "–" if v is None else f"{float(v) * 100:.{digits}f}%"


def secs(v: Any) -> str:
    if v is None:
        return "–"
    v = float(v)
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def signed(v: Any, digits: int = 2) -> str:
    return "–" if v is None else f"{float(v):+.{digits}f}"


def pretty(v: Any) -> str:
    return json.dumps(v, indent=2, sort_keys=True, default=str)


def short(v: Any, n: int = 160) -> str:
    s = "" if v is None else str(v)
    return s if len(s) <= n else s[: n - 1] + "…"


def query(base: dict[str, Any], **changes: Any) -> str:
    d = {k: v for k, v in {**base, **changes}.items() if v not in (None, "")}
    return "?" + urlencode(d)


def install(env: Environment) -> None:
    env.filters.update(num=num, pct=pct, secs=secs, signed=signed, pretty=pretty, short=short)
    env.globals["query"] = query
