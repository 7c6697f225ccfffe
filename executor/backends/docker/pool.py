"""Warm sandbox containers: started ahead of need, engine imported, waiting on stdin.

A warm container has not seen any strategy code; it is handed out exactly once (for ONE
code version) and then removed like any other. Containers are made for one set of
Limits (the container's cgroup and tmpfs are fixed at creation): a request with other
limits gets a cold container (see :func:`fits`). Idle containers older than ``max_idle_s`` are replaced.
Refills run on a background thread; :meth:`close` (also at interpreter exit) removes
whatever is still waiting, and the orphan sweep catches the rest after a crash.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable

from executor.backends.docker.container import Container
from executor.errors import SandboxError
from executor.types import Limits


class WarmPool:
    def __init__(self, make: Callable[[Limits], Container], size: int, max_idle_s: float = 300.0) -> None:
        self.make = make
        self.size = size
        self.max_idle_s = max_idle_s
        self.limits: Limits | None = None
        self.ready: list[Container] = []
        self.pending = 0
        self.lock = threading.Condition()
        self.closed = False
        self.last_error = ""
        self.failures = 0
        atexit.register(_close_ref, weakref.ref(self))

    def take(self, limits: Limits, wait_s: float = 0.0) -> Container | None:
        """A warm container for ``limits`` (waiting up to ``wait_s`` for one), or None
        when the pool serves other limits (see :meth:`warm`)."""
        stale: list[Container] = []
        with self.lock:
            if self.limits is None or not fits(self.limits, limits):
                return None  # warm containers are made for other limits: start a cold one
            end = time.monotonic() + wait_s
            failures = self.failures
            box = None
            while box is None:
                now = time.monotonic()
                while self.ready and now - self.ready[0].started_at > self.max_idle_s:
                    stale.append(self.ready.pop(0))
                if self.ready:
                    box = self.ready.pop(0)
                    break
                if now >= end or self.failures > failures or self.closed:
                    break
                self._refill_locked()
                self.lock.wait(max(0.0, end - now))
            self._refill_locked()
        for old in stale:
            _discard(old)
        return box

    def warm(self, limits: Limits) -> None:
        """Start filling the pool for ``limits`` without taking anything."""
        with self.lock:
            if self.limits != limits:
                stale, self.ready = self.ready, []
                self.limits = limits
                for old in stale:
                    threading.Thread(target=_discard, args=(old,), daemon=True).start()
            self._refill_locked()

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until the pool is full (for benchmarks and tests); True if it filled."""
        end = time.monotonic() + timeout_s
        with self.lock:
            while len(self.ready) < self.size and time.monotonic() < end and not self.closed:
                self._refill_locked()
                self.lock.wait(max(0.0, end - time.monotonic()))
            return len(self.ready) >= self.size

    def _refill_locked(self) -> None:
        if self.closed or self.limits is None:
            return
        missing = self.size - len(self.ready) - self.pending
        for _ in range(max(0, missing)):
            self.pending += 1
            threading.Thread(target=self._fill_one, args=(self.limits,), daemon=True).start()

    def _fill_one(self, limits: Limits) -> None:
        box: Container | None = None
        try:
            box = self.make(limits)
        except SandboxError as exc:
            self.last_error = str(exc)
        with self.lock:
            self.pending -= 1
            self.failures += box is None
            keep = box is not None and not self.closed and limits == self.limits
            if keep and box is not None:
                self.ready.append(box)
            self.lock.notify_all()
        if box is not None and not keep:
            _discard(box)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            boxes, self.ready = self.ready, []
            self.lock.notify_all()
        for box in boxes:
            _discard(box)


def fits(made_for: Limits, wanted: Limits) -> bool:
    """A warm container serves a request when its cgroup/tmpfs limits are the same ones
    and the run's time limit is within the one its labels announce."""
    key = ("memory_mb", "cpus", "pids", "scratch_mb")
    return (all(getattr(made_for, k) == getattr(wanted, k) for k in key)
            and wanted.timeout_s <= made_for.timeout_s)


def _discard(box: Container) -> None:
    try:
        box.remove()
    except SandboxError:
        pass  # the orphan sweep will get it


def _close_ref(ref: weakref.ref[WarmPool]) -> None:
    pool = ref()
    if pool is not None:
        pool.close()
