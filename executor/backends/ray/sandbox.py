"""RaySandbox: the ``Sandbox`` protocol over a Ray cluster (``--backend ray``)."""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from executor.backends.ray.connect import Node, connect, slots_for
from executor.backends.ray.dispatch import run_chunks, split
from executor.backends.ray.pool import ActorPool
from executor.codec import new_run_id
from executor.types import RunRequest, RunResult

DATA_REFS = 32  # datasets whose object-store copy the driver keeps alive


class RaySandbox:
    """Runs each batch in chunks on every live node's own sandbox. Thread-safe.

    ``address``: ``host:6379`` of the head (default ``RBI_RAY_ADDRESS``; unset = start
    a local Ray instance). ``node_backend``: the sandbox on each node (default
    ``RBI_RAY_NODE_BACKEND`` or ``auto``: Docker where usable, else local)."""

    name = "ray"

    def __init__(self, address: str | None = None, node_backend: str | None = None,
                 chunks_per_slot: int = 2, min_chunk: int = 8) -> None:
        slots_for(Node("", "", cpus=1))  # a bad RBI_RAY_SLOTS_PER_NODE fails here, named
        self._ray = connect(address)
        self.node_backend = node_backend or os.environ.get("RBI_RAY_NODE_BACKEND") or "auto"
        self.chunks_per_slot, self.min_chunk = chunks_per_slot, min_chunk
        self._pool = ActorPool(self._ray, self.node_backend)
        self._pool.refresh(force=True)
        self._refs: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._batches_in_flight = 0
        self._started = time.monotonic()

    def run(self, request: RunRequest) -> RunResult:
        return self.run_batch(replace(request, param_sets=None))[0]

    def run_batch(self, request: RunRequest) -> list[RunResult]:
        if not request.run_id:
            request.run_id = new_run_id()
        self._pool.refresh()
        sets = request.all_param_sets()
        chunks = split(sets, max(1, self._pool.slots), self.chunks_per_slot, self.min_chunk)
        key, ref = self._dataset(request.data)
        with self._lock:
            self._batches_in_flight += 1
        try:
            return run_chunks(self._ray, self._pool, request, chunks, key, ref)
        finally:
            with self._lock:
                self._batches_in_flight -= 1

    def _dataset(self, data: Any) -> tuple[str, Any]:
        """The dataset's content hash and its object-store copy (put once per content)."""
        from executor.codec import data_hash

        key = data_hash(RunRequest(code="", data=data))
        with self._lock:
            if key in self._refs:
                self._refs.move_to_end(key)
                return key, self._refs[key]
        ref = self._ray.put(data)
        with self._lock:
            self._refs[key] = ref
            while len(self._refs) > DATA_REFS:
                self._refs.popitem(last=False)
        return key, ref

    def status(self) -> dict[str, Any]:
        """Nodes, slots, chunks in flight and per-node throughput, as the loop sees them."""
        members = self._pool.members()
        with self._lock:
            batches = self._batches_in_flight
        return {
            "backend": "ray", "node_backend": self.node_backend,
            "nodes": len([m for m in members if m.alive]),
            "slots": sum(m.slots for m in members if m.alive),
            "batches_in_flight": batches,
            "chunks_in_flight": sum(m.in_flight for m in members),
            "chunks_resubmitted": self._pool.resubmitted,
            "per_node": [{"node_id": m.node.node_id, "address": m.node.address,
                          "alive": m.alive, "slots": m.slots, "in_flight": m.in_flight,
                          "chunks_done": m.chunks_done, "sets_done": m.sets_done,
                          "sets_per_s": round(m.sets_per_s(), 2)} for m in members],
        }

    def close(self) -> None:
        """Stop this loop's node actors (the cluster itself keeps running)."""
        self._pool.shutdown()
