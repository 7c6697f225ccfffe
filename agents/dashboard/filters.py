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


def duration(seconds: Any) -> str:
    """Seconds as people read them: ``68 days``, ``3 days 4 h``, ``5 h 12 min``, ``42 s``."""
    if seconds is None or isinstance(seconds, bool):
        return "–"
    try:
        total = float(seconds)
    except (TypeError, ValueError):
        return str(seconds)
    if not math.isfinite(total):
        return "–"
    sign, total = ("-" if total < 0 else ""), abs(total)
    days, rest = divmod(round(total), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs_ = divmod(rest, 60)
    if days:
        text = f"{days:,} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    elif hours:
        text = f"{hours} h" + (f" {minutes} min" if minutes else "")
    elif minutes:
        text = f"{minutes} min" + (f" {secs_} s" if secs_ else "")
    else:
        text = f"{total:.3g} s" if total < 10 else f"{secs_} s"
    return sign + text


def timestamp(v: Any) -> str:
    """An ISO timestamp without the noise: the date alone at midnight, else to the minute."""
    text = "" if v is None else str(v)
    date, _, clock = text.partition("T")
    if not clock:
        return text or "–"
    utc = clock.endswith(("Z", "+00:00"))
    clock = clock.split("+")[0].rstrip("Z").split(".")[0]
    if clock in ("00:00:00", "00:00"):
        return date
    return f"{date} {clock[:5]}" + (" UTC" if utc else "")


def stat(v: Any, key: str = "") -> str:
    """One backtesting.py statistic for people: durations (stored in seconds) as days and
    hours, start/end as dates, numbers with three decimals."""
    if "Duration" in key:
        return duration(v)
    if key in ("Start", "End") or (isinstance(v, str) and len(v) >= 19 and v[10:11] == "T"):
        return timestamp(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return num(v, 3)
    return "–" if v is None else str(v)


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
    env.filters.update(num=num, pct=pct, secs=secs, signed=signed, stat=stat, duration=duration,
                       timestamp=timestamp, pretty=pretty, short=short)
    env.globals["query"] = query
