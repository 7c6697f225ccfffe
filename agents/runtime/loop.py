"""``Runtime``: N worker threads claiming events, a main thread for the rest.

Main thread: takes the runner lock, stores the settings snapshot, scans the idea
inbox, heartbeats (lock + leases of in-flight events + cancel flags), decides when
``--once`` is finished, and handles SIGINT/SIGTERM: stop claiming, let in-flight
handlers finish for ``shutdown_grace_seconds``, then release the rest (they are
re-delivered later) and return 0. A second signal skips the grace period.

Idle cost: a worker that finds nothing sleeps until the earliest ``available_ts`` /
lease expiry, at most ``poll_interval``; nothing calls an LLM while idle.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from agents.errors import StoreError
from agents.pipeline import Pipeline
from agents.runtime.context import HandlerContext
from agents.runtime.dispatch import dispatch
from agents.runtime.lock import RunnerLock
from agents.store import Store
from agents.store.queue import Queue

if TYPE_CHECKING:
    from agents.settings import Settings

__all__ = ["Runtime"]

log = logging.getLogger("rbi.runtime")
ScanHook = Callable[[Any, Store], list[int]]
CycleHook = Callable[[Any, Store], object]  # (settings, store): e.g. write the reports


T = TypeVar("T")


def _patiently(fn: Callable[[], T], what: str, wait_s: float = 60.0) -> T:
    """Retry a start-up write while the database is locked by someone else."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return fn()
        except StoreError as e:
            if time.monotonic() >= deadline:
                raise
            log.warning("cannot %s yet (%s); retrying", what, e)
            time.sleep(0.5)


class Runtime:
    def __init__(
        self, settings: Settings, pipeline: Pipeline, *, once: bool = False,
        scan: ScanHook | None = None, on_tick: Callable[[dict[str, Any]], None] | None = None,
        on_cycle: CycleHook | None = None, cycle_interval: float = 3600.0,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.once = once
        self.scan = scan
        self.on_tick = on_tick
        self.on_cycle = on_cycle
        self.cycle_interval = cycle_interval
        self.run_id = uuid.uuid4().hex[:12]
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._hard_stop = threading.Event()
        self._wake = threading.Condition()
        self._slots = threading.BoundedSemaphore(settings.sandbox_concurrency)
        self._inflight: dict[int, HandlerContext] = {}
        self._mu = threading.Lock()

    # -- helpers ----------------------------------------------------------------------
    def _queue(self, store: Store) -> Queue:
        s = self.settings
        return Queue(store, max_attempts=s.max_attempts, retry_base=s.retry_base_seconds,
                     retry_max=s.retry_max_seconds, seed=s.seed)

    def _store(self) -> Store:
        return Store(self.settings.db, busy_timeout_ms=self.settings.busy_timeout_ms)

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def stop(self, *, hard: bool = False) -> None:
        """Stop claiming; ``hard`` skips the grace period for in-flight handlers."""
        self._stop.set()
        if hard:
            self._hard_stop.set()
        self.wake()

    # -- workers ----------------------------------------------------------------------
    def _worker(self, name: str) -> None:
        store = self._store()
        queue = self._queue(store)
        types = self.pipeline.types
        try:
            while not self._stop.is_set():
                try:
                    ev = queue.claim(name, self.settings.lease_seconds, types)
                except StoreError as e:
                    log.warning("%s: claim failed: %s", name, e)
                    self._stop.wait(self.settings.poll_interval)
                    continue
                if ev is None:
                    self._idle(queue, types)
                    continue
                ctx = HandlerContext(ev, settings=self.settings, store=store, queue=queue,
                                     sandbox_slots=self._slots, stopping=self._stop)
                with self._mu:
                    self._inflight[ev.id] = ctx
                try:
                    outcome = dispatch(ctx, self.pipeline)
                finally:
                    with self._mu:
                        self._inflight.pop(ev.id, None)
                self.counts[outcome] += 1
                log.debug("%s: event %d (%s) -> %s", name, ev.id, ev.type, outcome)
                if ctx.emitted or outcome != "done":
                    self.wake()
        finally:
            store.close()

    def _idle(self, queue: Queue, types: tuple[str, ...]) -> None:
        try:
            due = queue.next_due(types)
        except StoreError:
            due = None
        timeout = self.settings.poll_interval
        if due is not None:
            timeout = min(timeout, max(0.005, due - time.time()))
        with self._wake:
            if not self._stop.is_set():
                self._wake.wait(timeout)

    # -- main thread -----------------------------------------------------------------
    def _heartbeat(self, queue: Queue, lock: RunnerLock | None) -> None:
        with self._mu:
            ctxs = list(self._inflight.values())
        try:
            if lock is not None and not lock.heartbeat():
                log.error("the runner lock was taken over by another process; stopping")
                self.stop()
            for eid in queue.extend([c.event for c in ctxs], self.settings.lease_seconds):
                for c in ctxs:
                    if c.event.id == eid:
                        c.cancel_event.set()
        except StoreError as e:
            log.warning("heartbeat failed: %s", e)

    def _tick(self, store: Store, queue: Queue) -> bool:
        """Scan the inbox and report; True when ``--once`` has nothing left to do."""
        if self.scan is not None and not self._stop.is_set():
            try:
                if self.scan(self.settings, store):
                    self.wake()
            except StoreError as e:
                log.warning("idea scan failed: %s", e)
        with self._mu:
            running = [(c.event.type, c.event.strategy_id, c.event.idea_id)
                       for c in self._inflight.values()]
        try:
            by_stage = queue.active_by_type(self.pipeline.types, self.settings.retry_max_seconds)
            pending = sum(v["events"] for v in by_stage.values())
        except StoreError:
            by_stage, pending = {}, -1
        inflight = len(running)
        if self.on_tick is not None:
            self.on_tick({"inflight": inflight, "pending": pending, "by_stage": by_stage,
                          "running": running, **self.counts})
        if self.once and inflight == 0 and self.counts.get("unavailable"):
            # --once cannot wait for a sandbox that is gone: stop; the events stay ready
            log.error("the sandbox is unavailable (see above): %d event(s) wait for it; "
                      "run again once it is back", max(pending, 0))
            return True
        return self.once and inflight == 0 and pending == 0

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: object) -> None:
            log.warning("signal %d: stopping (again to skip the grace period)", signum)
            self.stop(hard=self._stop.is_set())

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def run(self) -> Counter[str]:
        """Run until stopped (or, with ``once``, until nothing handled is pending)."""
        s = self.settings
        self.pipeline.resolve_all()
        store = self._store()
        queue = self._queue(store)
        lock = RunnerLock(store, stale_s=s.lock_stale_seconds)
        stale = _patiently(lock.acquire, "take the runner lock")
        if stale:
            log.warning("took over a stale runner lock from pid %s on %s", stale["pid"], stale["host"])
        _patiently(lambda: store.snapshot_settings(
            self.run_id, s.snapshot(), pid=os.getpid(), host=socket.gethostname()),
            "store the settings snapshot")
        self._install_signals()
        log.info("run %s: %d workers, %d sandbox slots, stages %s", self.run_id, s.workers,
                 s.sandbox_concurrency, ", ".join(self.pipeline.types) or "(none)")
        threads = [threading.Thread(target=self._worker, args=(f"w{i}",), daemon=True,
                                    name=f"rbi-w{i}") for i in range(s.workers)]
        for t in threads:
            t.start()
        beat = min(s.lease_seconds / 3.0, 5.0)
        last_beat = last_tick = 0.0
        last_cycle = time.monotonic()
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if not self.once and now - last_cycle >= self.cycle_interval:
                    last_cycle = now
                    self._cycle_end(store)
                if now - last_beat >= beat:
                    self._heartbeat(queue, lock)
                    last_beat = now
                if now - last_tick >= s.poll_interval or self.once:
                    last_tick = now
                    if self._tick(store, queue):
                        break
                self._stop.wait(min(beat, s.poll_interval, 0.2 if self.once else 60.0))
            self.stop()
            self._drain(threads, queue, lock)
            self._cycle_end(store)
        finally:
            lock.release()
            store.close()
        return self.counts

    def _cycle_end(self, store: Store) -> None:
        """The cycle hook (reports); its failure is logged, never fatal to the loop."""
        if self.on_cycle is None:
            return
        try:
            self.on_cycle(self.settings, store)
        except (StoreError, OSError) as e:
            log.error("cycle-end hook failed: %s", e)

    def _drain(self, threads: list[threading.Thread], queue: Queue, lock: RunnerLock) -> None:
        deadline = time.monotonic() + self.settings.shutdown_grace_seconds
        while any(t.is_alive() for t in threads):
            if self._hard_stop.is_set() or time.monotonic() >= deadline:
                break
            self._heartbeat(queue, lock)
            for t in threads:
                t.join(timeout=0.2)
        with self._mu:
            left = list(self._inflight.values())
        for ctx in left:  # past the grace period: give the events back
            ctx.interrupt_event.set()
            try:
                queue.release(ctx.event, reason="shutdown")
                self.counts["released"] += 1
                log.warning("event %d (%s) released at shutdown", ctx.event.id, ctx.event.type)
            except StoreError as e:
                log.error("cannot release event %d (its lease will expire): %s", ctx.event.id, e)
