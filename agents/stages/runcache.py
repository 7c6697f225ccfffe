"""Sandbox results kept, in this process, for the stage that asks for the same run again.

The loop repeats some backtests across stages: a version's final review (``search_ended``)
makes its first review's look-ahead probes again (same code, parameters, frames); the optimiser's logic change (new code,
its defaults, the dataset) is exactly the run the execute stage makes when the change
becomes a child version; the optimiser's parameter search over a version is exactly the
grid the version's final review (``search_ended``) runs for PBO, the reality check and
the trials' Sharpes. A result depends only on what the request says: the code, the
frame's content, the parameter set, the options, the seed and the output asked for
(trades listed, equity points, restricted mode, which class, a plot, the order log).
Backtests are deterministic and every result is the host's replay of the run's order log, so a
request with the same :func:`key` gets the first result (a copy, carrying the new
request's run id).

Only ``ok`` results are kept (a timeout under load says nothing about the code), at
most :data:`MAX_RESULTS` of them holding at most :data:`MAX_ROWS` equity rows and trades
together (least recently used dropped first; a result bigger than a quarter of that, a
run on a very long frame, is not kept).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from executor.types import RunRequest, RunResult

__all__ = ["MAX_RESULTS", "clear", "get", "keys", "put", "size"]

MAX_RESULTS = 256
MAX_ROWS = 400_000  # ~100 MB of equity rows and trades as the results hold them

Key = tuple[str, ...]

_lock = threading.Lock()
_kept: OrderedDict[Key, RunResult] = OrderedDict()
_held = 0  # rows (equity points + trades) the kept results hold


def keys(request: RunRequest, param_sets: list[dict[str, Any]]) -> list[Key]:
    """What the result of each parameter set of ``request`` (on its data) depends on."""
    from executor import frame_sha256

    n = len(request.data)  # asking for at least every row gets every row: the same result
    points = "all" if request.equity_points >= n else str(request.equity_points)
    head = (request.code_sha256, frame_sha256(request.data), repr(request.options),
            repr(request.seed), str(request.max_trades), points,
            str(request.restricted), str(request.script), str(request.strategy_class),
            str(request.plot), str(request.keep_orderlog))
    return [(*head, json.dumps(p, sort_keys=True, default=repr)) for p in param_sets]


def _copy(res: RunResult, run_id: str = "") -> RunResult:
    return replace(res, stats=dict(res.stats), timings=dict(res.timings),
                   run_id=run_id or res.run_id)


def get(k: Key, run_id: str = "") -> RunResult | None:
    """A copy of the result kept for ``k`` (with ``run_id`` when given), or None."""
    with _lock:
        res = _kept.get(k)
        if res is None:
            return None
        _kept.move_to_end(k)
    return _copy(res, run_id)


def _rows(res: RunResult) -> int:
    return (len(res.equity_curve) + len(res.trades) + 1
            + len((res.orderlog or {}).get("actions") or ()))


def put(k: Key, res: RunResult) -> None:
    """Keep a copy of ``res`` (ok results only) under ``k``."""
    global _held
    if not res.ok or _rows(res) > MAX_ROWS // 4:
        return
    with _lock:
        old = _kept.pop(k, None)
        _held -= _rows(old) if old is not None else 0
        _kept[k] = _copy(res)
        _held += _rows(res)
        while len(_kept) > MAX_RESULTS or _held > MAX_ROWS:
            _held -= _rows(_kept.popitem(last=False)[1])


def size() -> int:
    with _lock:
        return len(_kept)


def clear() -> None:
    global _held
    with _lock:
        _kept.clear()
        _held = 0

