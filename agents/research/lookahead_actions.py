"""What a strategy DECIDED, bar by bar, read from the run's own order log.

Every sandboxed run already records the strategy's decisions as the public
backtesting.py calls that made them (``executor/harness/orderlog.py``: buy/sell with
size, limit, stop, SL, TP and tag; position and trade closes; SL/TP set on a trade;
order cancels), each with the bar whose ``next()`` made it (-1: ``init()``). The host
replays exactly that log to get the run's numbers, so it is the run's decisions, and
``RunRequest.keep_orderlog`` hands it back on the result.

The look-ahead check compares it between the full run and a run on truncated, altered
data: every decision made at a bar before the cut must be the same, in order and in
every number. This needs no change to the strategy's code, so the probes run the
version's own code, in the container that already serves its other runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["Action", "actions_of", "first_action_difference"]

Action = Sequence[Any]  # [kind, bar, *arguments]
REL_TOL = 1e-9  # same code, same machine: a decision from the same bars is bit-identical
ABS_TOL = 1e-12


def actions_of(orderlog: Any) -> list[Action] | None:
    """The decisions of a result's ``orderlog`` (None when it holds none: no record)."""
    if not isinstance(orderlog, dict) or not isinstance(orderlog.get("actions"), list):
        return None
    return [a for a in orderlog["actions"] if isinstance(a, list | tuple) and len(a) >= 2]


def _bar(a: Action) -> int:
    try:
        return int(a[1])
    except (TypeError, ValueError):
        return -1


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return len(x) == len(y) and all(_same(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y
    if isinstance(x, int | float) and isinstance(y, int | float):
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            return True
        return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(x == y)


def _show(a: Action) -> str:
    kind, bar, *rest = a
    if kind in ("buy", "sell") and rest and isinstance(rest[0], dict):
        parts = [f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                 for k, v in rest[0].items() if v is not None]
        return f"{kind} at bar {bar} ({', '.join(parts)})"
    return f"{kind} at bar {bar}" + (f" {rest}" if rest else "")


def first_action_difference(full: Sequence[Action], probe: Sequence[Action],
                            cut: int) -> tuple[int, str] | None:
    """(bar, what) of the first decision made before bar ``cut`` that differs between the
    full run and the probe, or None when every one agrees."""
    a = [x for x in full if _bar(x) < cut]
    b = [x for x in probe if _bar(x) < cut]
    for x, y in zip(a, b, strict=False):
        if not _same(list(x), list(y)):
            return min(_bar(x), _bar(y)), f"order {_show(x)} became {_show(y)}"
    if len(a) != len(b):
        extra = (a if len(a) > len(b) else b)[min(len(a), len(b))]
        where = "only in the full run" if len(a) > len(b) else "only with the data withheld"
        return _bar(extra), f"order {_show(extra)} {where}"
    return None
