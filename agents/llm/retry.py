"""Explicit retries for provider calls: exponential backoff + jitter, honouring retry-after.

The SDKs' own retries are switched off (``max_retries=0``) so that what happens on a
429/5xx/timeout is decided here, visible in ``RetryPolicy.delays`` and testable with
tiny delays (pass ``base_delay``/``max_delay``/``max_retry_after``; time is not mocked).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from agents.llm.base import ProviderCallError

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 529})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``retry-after`` (or ``retry-after-ms``) header value.

    Accepts delta-seconds (``"3"``, ``"0.5"``) or an HTTP date; None when absent/garbled.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def retry_after_from_headers(headers: object) -> float | None:
    get = getattr(headers, "get", None)
    if get is None:
        return None
    ms = get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    return parse_retry_after(get("retry-after"))


@dataclass
class RetryPolicy:
    """``max_attempts`` counts the first try. Delay for retry *n* (0-based) is
    ``min(max_delay, base_delay * 2**n) * (1 ± jitter)``, or the server's retry-after
    capped at ``max_retry_after`` when it sent one."""

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 60.0
    jitter: float = 0.25
    seed: int | None = None
    sleep: Callable[[float], None] = time.sleep
    delays: list[float] = field(default_factory=list)  # what was actually waited, in order

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def delay_for(self, attempt: int, err: ProviderCallError) -> float:
        if err.retry_after is not None:
            return min(err.retry_after, self.max_retry_after)
        base = min(self.max_delay, self.base_delay * (2 ** attempt))
        return max(0.0, base * (1 + self._rng.uniform(-self.jitter, self.jitter)))

    def run(self, fn: Callable[[], T], *, what: str = "LLM call") -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except ProviderCallError as err:
                if not err.retryable or attempt + 1 >= self.max_attempts:
                    if err.retryable:
                        err.args = (f"{err.args[0]} (gave up after {attempt + 1} attempts)",)
                    raise
                delay = self.delay_for(attempt, err)
                log.warning("%s failed (%s); retry %d/%d in %.2fs", what, err, attempt + 1,
                            self.max_attempts - 1, delay)
                self.delays.append(delay)
                self.sleep(delay)
                attempt += 1
