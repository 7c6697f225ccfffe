"""``HandlerContext``: what a stage handler gets besides its payload.

Transaction model (why handlers never block each other):

1. the slow part first — LLM calls, sandbox runs (inside ``ctx.sandbox_slot()``),
   with ``ctx.check_cancelled()`` at checkpoints — and NO write transaction open;
2. then ``with ctx.write() as store:`` — one ``BEGIN IMMEDIATE`` transaction holding
   the handler's writes, the events it ``emit``-ted (buffered until now) and the ack
   of its own event. If the process dies before COMMIT nothing of it is visible and
   the lease expiry re-delivers the event; if the lease was lost meanwhile (another
   worker owns the event now) or the work was cancelled, the transaction rolls back.

A handler that never calls ``ctx.write()`` is acked (with its emits) when it returns.
LLM calls are recorded at once through ``ctx.call_log`` (spent money stays spent).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agents.errors import Cancelled, Interrupted, RbiError, StoreError
from agents.queue import Event, Queue
from agents.store import Store, StoreCallLog

if TYPE_CHECKING:
    from agents.settings import Settings

__all__ = ["HandlerContext", "LeaseLost"]


class LeaseLost(RbiError):
    """Our lease on the event ended (expired and re-claimed, or released at shutdown)."""


@dataclass
class _Emit:
    type: str
    payload: dict[str, Any]
    key: str | None
    available_at: datetime | float | None


class HandlerContext:
    """Per-event context. Use from the handler's own thread only."""

    def __init__(
        self, event: Event, *, settings: Settings, store: Store, queue: Queue,
        sandbox_slots: threading.BoundedSemaphore, stopping: threading.Event,
        log: logging.Logger | None = None,
    ) -> None:
        self.event = event
        self.settings = settings
        self.store = store
        self.queue = queue
        self.log = log or logging.getLogger(f"rbi.stage.{event.type}")
        self.cancel_event = threading.Event()  # set by the heartbeat when cancel is requested
        self.interrupt_event = threading.Event()  # set when shutdown passes its grace period
        self._slots = sandbox_slots
        self._stopping = stopping
        self._emits: list[_Emit] = []
        self.committed = False
        self.call_log = StoreCallLog(store)

    # -- checkpoints ----------------------------------------------------------------
    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` if the user cancelled this work, :class:`Interrupted`
        if the runtime is shutting down past its grace period. Cheap: call it often."""
        if self.interrupt_event.is_set():
            raise Interrupted(f"event {self.event.id} interrupted by shutdown")
        if self.cancel_event.is_set() or self.queue.cancel_requested(self.event):
            self.cancel_event.set()
            raise Cancelled(f"event {self.event.id} ({self.event.type}) cancelled by user")

    @contextmanager
    def sandbox_slot(self) -> Iterator[None]:
        """Hold one of ``sandbox_concurrency`` slots for a sandbox run (never in a tx)."""
        if self.store.in_tx:
            raise StoreError("run the sandbox before ctx.write(): a write transaction is open")
        while not self._slots.acquire(timeout=0.25):
            self.check_cancelled()
        try:
            self.check_cancelled()
            yield
        finally:
            self._slots.release()

    # -- results --------------------------------------------------------------------
    def emit(
        self, type: str, payload: dict[str, Any], *, key: str | None = None,
        available_at: datetime | float | None = None,
    ) -> None:
        """Queue a follow-up event; it is inserted in the same transaction as the ack.
        The default idempotency key is derived from this event, so a re-run of a
        rolled-back handler emits the same keys."""
        if self.committed:
            raise RuntimeError("ctx.emit() after ctx.write() committed: emit before or inside it")
        self._emits.append(_Emit(type, dict(payload), key, available_at))

    @contextmanager
    def write(self) -> Iterator[Store]:
        """The handler's one write transaction; the ack and the emits commit with it."""
        if self.committed:
            raise RuntimeError("ctx.write() may be used once per event")
        with self.store.tx():
            yield self.store
            self._flush_and_ack()
        self.committed = True

    def finish(self) -> None:
        """Ack with any emits (the runtime calls this when the handler did not write)."""
        if not self.committed:
            with self.write():
                pass

    def _flush_and_ack(self) -> None:
        if self.queue.cancel_requested(self.event):
            raise Cancelled(f"event {self.event.id} ({self.event.type}) cancelled by user")
        for n, e in enumerate(self._emits):
            idea_id = e.payload.get("idea_id", self.event.idea_id)
            strategy_id = e.payload.get("strategy_id", self.event.strategy_id)
            self.queue.enqueue(
                e.type, e.payload, idempotency_key=e.key or f"ev{self.event.id}:{n}:{e.type}",
                available_at=e.available_at, idea_id=idea_id, strategy_id=strategy_id,
                parent_event_id=self.event.id,
            )
        if not self.queue.ack(self.event):
            raise LeaseLost(f"event {self.event.id}: lease lost before commit; rolled back")

    @property
    def emitted(self) -> int:
        return len(self._emits)
