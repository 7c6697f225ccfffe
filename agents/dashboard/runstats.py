"""Incremental aggregates over ``backtest_results`` for the health page and /metrics.

Result rows are only ever inserted (the store has no UPDATE or DELETE for them), so the
dashboard keeps counts, sorted run times and error counts in memory and on each request
reads only rows with an id above the last one seen (a primary-key range: cheap even with
hundreds of thousands of rows, where a full scan of the wide rows costs tens of ms).
If the row count no longer adds up (the file was replaced, rows deleted) it starts over.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any

from agents.store.dashboard_events import result_count, runs_after

__all__ = ["RunAggregates", "RunSnapshot"]

@dataclass
class RunSnapshot:
    max_id: int = 0
    count: int = 0
    by_status: dict[tuple[str, str], int] = field(default_factory=dict)  # (backend, status)
    times: dict[str, list[float]] = field(default_factory=dict)  # backend -> sorted seconds
    errors: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # -> [n, last id]
    resource_col: str = "resources_json"
    resources: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def copy(self) -> RunSnapshot:
        return RunSnapshot(
            self.max_id, self.count, dict(self.by_status),
            {k: list(v) for k, v in self.times.items()},
            {k: list(v) for k, v in self.errors.items()}, self.resource_col,
            {b: {k: list(v) for k, v in m.items()} for b, m in self.resources.items()})


def _add_resources(snap: RunSnapshot, backend: str, text: Any) -> None:
    try:
        doc = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return
    if not isinstance(doc, dict):
        return
    for k, v in doc.items():
        if isinstance(v, int | float) and not isinstance(v, bool):
            snap.resources.setdefault(backend, {}).setdefault(k, []).append(float(v))


class RunAggregates:
    """Thread-safe; one per dashboard process and database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snap = RunSnapshot()

    def _read(self, conn: sqlite3.Connection, snap: RunSnapshot) -> int:
        cur = runs_after(conn, snap.max_id)
        n = 0
        new_times: dict[str, list[float]] = {}
        for row in cur:
            n += 1
            rid, backend, status, t, cls = row[0], row[1] or "?", row[2], row[3], row[4]
            key = (backend, status)
            snap.by_status[key] = snap.by_status.get(key, 0) + 1
            if t is not None:
                new_times.setdefault(backend, []).append(float(t))
            if status != "ok":
                e = snap.errors.setdefault((cls or status, backend), [0, 0])
                e[0] += 1
                e[1] = rid
            if row[5] is not None:
                _add_resources(snap, backend, row[5])
            snap.max_id = rid
        for backend, ts in new_times.items():
            lst = snap.times.setdefault(backend, [])
            lst.extend(ts)
            lst.sort()  # Timsort: a sorted run plus a short tail is near-linear
        snap.count += n
        return n

    def snapshot(self, conn: sqlite3.Connection) -> RunSnapshot:
        with self._lock:
            total = result_count(conn)
            snap = self._snap
            if total < snap.count:
                snap = RunSnapshot()
            fresh = snap.copy() if snap is self._snap else snap
            self._read(conn, fresh)
            if fresh.count != total:  # rows vanished or ids went backwards: start over
                fresh = RunSnapshot()
                self._read(conn, fresh)
            self._snap = fresh
            return fresh
