"""The per-node actor: a client of that node's sandbox, fed chunks of one batch.

It never imports or runs strategy code itself; it calls the node's sandbox backend
(``local`` subprocesses or ``docker`` containers) exactly as the loop does on one
machine. It keeps the datasets it has seen, by content hash, so each travels once.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import replace
from typing import Any

from executor.types import RunRequest, RunResult

DATA_CACHE = 16  # datasets kept per node (each is a few MB at most)


class NodeRunner:
    """Wrapped with ``ray.remote`` by the pool; plain here so it is testable alone."""

    def __init__(self, node_backend: str, slots: int) -> None:
        from executor.sandbox import get_sandbox

        self._box = get_sandbox(node_backend)
        self.slots = slots
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(slots)  # the queued chunk waits here
        self._in_flight = 0
        self._batches: Counter[str] = Counter()  # run id of each chunk running -> chunks
        self._chunks = self._sets = self._data_fetches = 0
        self._busy_s = 0.0
        self._started = time.time()

    def ping(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "sandbox": self._box.name, "slots": self.slots}

    def run_chunk(self, request: RunRequest, data_key: str, data_box: list[Any]) -> list[RunResult]:
        """Run ``request.param_sets`` on the dataset ``data_key``; one result per set.

        ``data_box`` holds the dataset's object ref inside a list, so Ray does not fetch
        it for every call: only a node that has not cached ``data_key`` reads it."""
        from executor.sandbox import run_batch

        req = replace(request, data=self._dataset(data_key, data_box))
        with self._slots:
            with self._lock:
                self._in_flight += 1
                self._batches[request.run_id] += 1
            t0 = time.perf_counter()
            try:
                return run_batch(req, self._box, validate=False)  # the loop validated once
            finally:
                self._finish(request.run_id, len(request.all_param_sets()),
                             time.perf_counter() - t0)

    def _finish(self, run_id: str, sets: int, busy_s: float) -> None:
        with self._lock:
            self._in_flight -= 1
            self._batches[run_id] -= 1
            if self._batches[run_id] <= 0:
                del self._batches[run_id]
            self._chunks += 1
            self._sets += sets
            self._busy_s += busy_s

    def _dataset(self, key: str, box: list[Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        import ray

        frame = ray.get(box[0])
        with self._lock:
            self._data_fetches += 1
            self._data[key] = frame
            while len(self._data) > DATA_CACHE:
                self._data.popitem(last=False)
        return frame

    def stats(self) -> dict[str, Any]:
        import ray

        node_id = ray.get_runtime_context().get_node_id()
        with self._lock:
            return {"node_id": node_id, "pid": os.getpid(), "sandbox": self._box.name, "slots": self.slots, "in_flight": self._in_flight,
                    "batches": sorted(self._batches),
                    "chunks_done": self._chunks, "sets_done": self._sets,
                    "busy_s": round(self._busy_s, 3), "data_fetches": self._data_fetches,
                    "datasets_cached": len(self._data),
                    "uptime_s": round(time.time() - self._started, 1)}
