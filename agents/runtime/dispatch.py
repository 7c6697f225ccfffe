"""Run one claimed event through its handler and settle it: ack, retry, dead, release.

Classification of what a handler raises:

==========================  =============================================
BadPayload, ConfigError      dead letter now (retrying cannot help)
ProviderError(retryable=F)   dead letter now
Cancelled                    event ``cancelled``
Interrupted                  released untouched (shutdown), attempt refunded
BudgetExceeded               released until the budget resets, reason 'budget'
SandboxUnavailable           released for a while, attempt refunded (Docker daemon
                             or Ray cluster gone: the work waits, never dies of it)
LeaseLost                    nothing: another worker owns the event now
anything else                retry with backoff, dead after max_attempts
==========================  =============================================
"""

from __future__ import annotations

import logging
import sqlite3
import time
import traceback
from datetime import UTC, datetime, timedelta

from agents.errors import (
    BadPayload,
    BudgetExceeded,
    Cancelled,
    ConfigError,
    Interrupted,
    ProviderError,
    SandboxUnavailable,
    StoreError,
)
from agents.pipeline import Pipeline
from agents.runtime.context import HandlerContext, LeaseLost
from agents.store.db import describe_sqlite_error

__all__ = ["dispatch", "describe_exception"]

log = logging.getLogger("rbi.runtime")
UNAVAILABLE_WAIT_S = 15.0  # before an event waiting for its sandbox is offered again


def describe_exception(e: BaseException) -> tuple[str, str]:
    """(error_class, one-line message with the innermost frame) for ``last_error``."""
    cls = type(e).__name__
    msg = str(e) or cls
    if isinstance(e, sqlite3.Error):
        cls, msg = "StoreError", describe_sqlite_error(e)
    tb = traceback.extract_tb(e.__traceback__)
    if tb and not isinstance(e, StoreError | BadPayload):
        f = tb[-1]
        msg = f"{msg} (at {f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name})"
    return cls, msg[:2000]


def _next_midnight_utc() -> datetime:
    now = datetime.now(UTC)
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _settle(ctx: HandlerContext, action: str, err: BaseException) -> str:
    q, ev = ctx.queue, ctx.event
    if action == "release":
        q.release(ev, reason="shutdown")
        return "released"
    if action == "cancel":
        q.mark_cancelled(ev, str(err))
        return "cancelled"
    if action == "budget":
        assert isinstance(err, BudgetExceeded)
        q.release(ev, reason=f"budget: {err}", available_at=err.resume_at or _next_midnight_utc())
        return "budget"
    if action == "unavailable":
        delay = min(UNAVAILABLE_WAIT_S, q.retry_max) if q.retry_max else UNAVAILABLE_WAIT_S
        q.release(ev, reason=f"sandbox unavailable: {err}"[:2000],
                  available_at=time.time() + delay)
        return "unavailable"
    cls, msg = describe_exception(err)
    return q.fail(ev, msg, cls, retryable=(action == "retry"))


def _classify(err: BaseException) -> str:
    if isinstance(err, Interrupted):
        return "release"
    if isinstance(err, Cancelled):
        return "cancel"
    if isinstance(err, BudgetExceeded):
        return "budget"
    if isinstance(err, SandboxUnavailable):
        return "unavailable"
    if isinstance(err, BadPayload | ConfigError):
        return "dead"
    if isinstance(err, ProviderError) and not err.retryable:
        return "dead"
    return "retry"


def dispatch(ctx: HandlerContext, pipeline: Pipeline) -> str:
    """Handle ``ctx.event``; returns done|ready|dead|cancelled|released|budget|unavailable|lost."""
    ev = ctx.event
    try:
        payload = ev.payload()
        missing = pipeline.missing_keys(ev.type, payload)
        if missing:
            raise BadPayload(f"corrupt payload: missing key(s) {', '.join(missing)} for {ev.type}")
        handler = pipeline.handler(ev.type)
        handler(ctx, payload)
        ctx.finish()
        return "done"
    except LeaseLost as e:
        log.warning("%s", e)
        return "lost"
    except Exception as e:  # every failure must be settled, never lost
        action = _classify(e)
        if action == "retry":
            log.warning("event %d (%s) attempt %d failed", ev.id, ev.type, ev.attempts,
                        exc_info=True)
        elif action == "unavailable":
            log.error("event %d (%s) waits: %s", ev.id, ev.type, e)
        else:
            log.info("event %d (%s): %s: %s", ev.id, ev.type, action, e)
        return _settle_hard(ctx, action, e)


def _settle_hard(ctx: HandlerContext, action: str, err: BaseException) -> str:
    """Settle, retrying the bookkeeping write while the database is locked or full.
    If it still fails the lease expires and the event is re-delivered (and counted)."""
    if ctx.store.in_tx:  # a failed COMMIT can leave the transaction open
        try:
            ctx.store.rollback()
        except sqlite3.Error:
            pass
    for attempt in range(5):
        try:
            return _settle(ctx, action, err)
        except (StoreError, sqlite3.Error) as e:
            log.error("cannot record outcome of event %d (try %d): %s", ctx.event.id,
                      attempt + 1, e)
            time.sleep(0.2 * (attempt + 1))
    return "unsettled"
