"""Sandbox containers reused across requests of ONE code version (``RBI_DOCKER_REUSE``).

A code version's execute run, its review checks and its optimiser batches are several
requests with the same code; starting a container and importing the engine for each
costs ~0.8 s and ~0.6 core-seconds before any backtest. A reused container runs the
harness with ``--reuse`` (:mod:`executor.harness.reuse`): it serves requests one after
the other on the same attach socket, and before each one its trusted parent kills every
other process, wipes the writable scratch mounts and removes SysV IPC objects
(:mod:`executor.harness.reset`); it refuses a request with other code.

:class:`ReusePool` keeps idle containers keyed by (code sha256, Limits, image id): a
container is NEVER handed to another code version. After a clean response (every set
``ok`` or an ordinary strategy error) the container goes back idle; after anything else
(timeout, crash, output cap, tampered or unreplayable result, a ``fatal`` harness) it is
removed. Bounds: ``max_requests`` per container, ``max_idle_s`` idle, ``max_idle``
containers; :meth:`ReusePool.close` (also at interpreter exit) removes the idle ones and
the orphan sweep the rest after a crash. Results are verified exactly as for a fresh
container (the host replays every order log).
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from executor.backends.docker.container import Container
from executor.backends.docker.pool import _discard
from executor.backends.docker.stream import Captured
from executor.errors import ConfigError, SandboxError
from executor.types import Limits, RunResult

REUSE_ENV = "RBI_DOCKER_REUSE"
MAX_REQUESTS = 64
MAX_IDLE_S = 30.0
READY_S = 10.0  # an idle container's reset must be done within this, else a fresh one
# error classes of the strategy's own code (executor/harness/errors_classify.py): the
# sandbox did its job, the container may serve the next request of this code
USER_ERRORS = frozenset({"syntax", "import", "invented_attribute", "size_assertion",
                         "sl_tp_order", "indicator_error", "column_key", "talib_dtype",
                         "missing_parameter", "no_strategy", "data_file", "exception"})

Key = tuple[str, Limits, str]


def reuse_default() -> bool:
    """``RBI_DOCKER_REUSE``: 1 (the default) reuses a container for the requests of one
    code version; 0 gives every request a fresh container."""
    text = os.environ.get(REUSE_ENV, "").strip().lower() or "1"
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{REUSE_ENV}={text!r}: give 1 (reuse a container for one code "
                      f"version's requests) or 0 (a fresh container per request)")


def idle_default() -> int:
    """Idle containers kept by default: 4 per CPU. The review's one-off probe versions
    take slots too, and an idle container costs ~50 MB and no CPU, so fewer slots than
    that evict the container the next run of a version would have used."""
    return 4 * (os.cpu_count() or 1)


class ReusedContainer(Container):
    """A container whose harness serves requests of its code until stdin ends."""

    def __init__(self, api: Any, image: str, limits: Limits, run_id: str, budget_s: float,
                 code_sha256: str) -> None:
        if not code_sha256:
            raise SandboxError("a reused container needs the code's sha256")
        super().__init__(api, image, limits, run_id, budget_s, code_sha256)
        self.requests = 0
        self.idle_since = 0.0

    def config(self) -> dict[str, Any]:
        cfg = super().config()
        cfg["command"] = [*cfg["command"], "--reuse"]
        cfg["labels"]["rbi.reuse"] = "1"
        cfg["host_config"]["Init"] = False  # the harness must be PID 1 (reset.py), whatever
        return cfg                          # the daemon's default init

    def ready(self, timeout_s: float = READY_S) -> bool:
        """Whether the harness reset itself after the last request and waits for the next
        (it reports that on stderr, as a fresh container reports its imports done); False
        when it exited instead (a failed reset) or is still not ready."""
        if self.demux is None:
            return False
        self.demux.warm = False
        self.demux.out = Captured()
        ok = self.demux.wait_warm(time.monotonic() + timeout_s)
        return ok and not self.demux.out.stdout  # a failed reset says so on stdout

    def exchange(self, code_sha256: str, payload: bytes, deadline: float, cap: int,
                 on_stdout: Callable[[bytes], None] | None = None) -> Captured:
        """Send one more request of THIS code (stdin stays open); read its results."""
        if code_sha256 != self.planned_code:
            raise SandboxError(f"container {self.id[:12]} runs code {self.planned_code[:12]}, "
                               f"never {code_sha256[:12]}")
        assert self.demux is not None
        if self.requests:
            self.timings = {}  # start-up timings belong to the first request
        self.requests += 1
        self.code_sha256 = code_sha256
        self.demux.out = Captured()
        t = time.perf_counter()
        try:
            self.demux.sock.settimeout(max(0.1, deadline - time.monotonic()))
            self.demux.sock.sendall(payload)
        except OSError:
            pass  # the harness died: its output (or EOF) says why
        captured = self.demux.read_output(deadline, cap, on_stdout)
        self._mark("docker_exchange_s", t)
        if captured.stdout_first_byte_s is not None:
            self.timings["docker_first_result_s"] = captured.stdout_first_byte_s
        return captured


def clean(captured: Captured, results: list[RunResult]) -> bool:
    """Whether the container may serve another request: the harness finished normally
    and every set ended ``ok`` (or ``unverified``) or with the strategy's own error."""
    if captured.outcome != "done" or _fatal(captured.stdout):
        return False
    for r in results:
        if r.status in ("ok", "unverified"):
            continue
        err = r.error or {}
        if r.status != "error" or err.get("class") not in USER_ERRORS or err.get("type") == "HarnessError":
            return False
    return True


def _fatal(stdout: bytearray) -> bool:
    start = stdout.rfind(b'\n{"rbi": "done"')
    line = bytes(stdout[start + 1:] if start >= 0 else stdout).split(b"\n", 1)[0]
    try:
        return "fatal" in json.loads(line)
    except ValueError:
        return True


class ReusePool:
    """Idle reused containers by key; a sweeper thread removes the ones idle too long."""

    def __init__(self, max_idle: int, max_idle_s: float = MAX_IDLE_S,
                 max_requests: int = MAX_REQUESTS,
                 discard: Callable[[Container], None] | None = None) -> None:
        self.max_idle = max(0, max_idle)
        self.max_idle_s = max_idle_s
        self.max_requests = max_requests
        self.discard = discard or _discard
        self.idle: list[tuple[Key, ReusedContainer]] = []  # oldest first
        self.lock = threading.Condition()
        self.closed = False
        self.sweeper: threading.Thread | None = None
        atexit.register(_close_ref, weakref.ref(self))

    def take(self, key: Key) -> ReusedContainer | None:
        """The most recently used idle container of exactly this key that reports itself
        reset and ready, or None (one that does not is removed)."""
        while True:
            box = None
            with self.lock:
                for i in range(len(self.idle) - 1, -1, -1):
                    if self.idle[i][0] == key:
                        box = self.idle.pop(i)[1]
                        break
            if box is None or box.ready():
                return box
            self.discard(box)

    def give_back(self, key: Key, box: ReusedContainer) -> None:
        """Park a container after a clean response (else the caller removes it)."""
        if box.planned_code != key[0]:
            raise SandboxError("a container goes back under its own code's key only")
        evicted: list[ReusedContainer] = []
        with self.lock:
            if self.closed or box.requests >= self.max_requests or self.max_idle == 0:
                evicted.append(box)
            else:
                box.idle_since = time.monotonic()
                self.idle.append((key, box))
                while len(self.idle) > self.max_idle:
                    evicted.append(self.idle.pop(0)[1])
                self._sweep_later()
        for old in evicted:
            self.discard(old)

    def __len__(self) -> int:
        with self.lock:
            return len(self.idle)

    def _sweep_later(self) -> None:
        if self.sweeper is None or not self.sweeper.is_alive():
            self.sweeper = threading.Thread(target=self._sweep, name="rbi-docker-reuse-sweep",
                                            daemon=True)
            self.sweeper.start()
        self.lock.notify_all()

    def _sweep(self) -> None:
        while True:
            with self.lock:
                if self.closed or not self.idle:
                    self.sweeper = None
                    return
                now = time.monotonic()
                stale = [b for _, b in self.idle if now - b.idle_since >= self.max_idle_s]
                self.idle = [(k, b) for k, b in self.idle if b not in stale]
                if not stale:
                    oldest = min(b.idle_since for _, b in self.idle)
                    self.lock.wait(max(0.01, oldest + self.max_idle_s - now))
            for box in stale:
                self.discard(box)

    def close(self) -> None:
        """Remove every idle container, in parallel (waits for the removals)."""
        with self.lock:
            self.closed = True
            boxes = [b for _, b in self.idle]
            self.idle = []
            self.lock.notify_all()
        threads = [threading.Thread(target=_discard, args=(b,), daemon=True) for b in boxes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)


def _close_ref(ref: weakref.ref[ReusePool]) -> None:
    pool = ref()
    if pool is not None:
        pool.close()
