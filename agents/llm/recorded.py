"""Budget + recording around any provider.

Before a call: the day's spend (``call_log.spent_since(day_start)``) is checked against
the :class:`Budget`; when spent, :class:`BudgetExceeded` says when it resets and no
request is made. After a call, successful or not, one :class:`LLMCall` is recorded.
The offline provider is exempt from the budget (cost 0) but still recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agents.errors import BudgetExceeded
from agents.llm.base import CallLog, LLMCall, LLMProvider, Message, Reply
from agents.llm.prices import PriceTable


@dataclass(frozen=True)
class Budget:
    """Daily limits; None means unlimited. The day starts at ``reset_hour_utc``."""

    tokens_per_day: int | None = None
    usd_per_day: float | None = None
    reset_hour_utc: int = 0

    def day_start(self, now: datetime) -> datetime:
        now = now.astimezone(UTC)
        start = now.replace(hour=self.reset_hour_utc, minute=0, second=0, microsecond=0)
        return start if start <= now else start - timedelta(days=1)

    def resets_at(self, now: datetime) -> datetime:
        return self.day_start(now) + timedelta(days=1)

    def exceeded(self, tokens: int, usd: float) -> str | None:
        if self.tokens_per_day is not None and tokens >= self.tokens_per_day:
            return f"{tokens} of {self.tokens_per_day} tokens"
        if self.usd_per_day is not None and usd >= self.usd_per_day:
            return f"${usd:.4f} of ${self.usd_per_day:.2f}"
        return None


class RecordedProvider:
    """Wraps ``inner`` (any LLMProvider); same ``complete`` plus ``event_id`` and
    ``prompt_version`` keywords."""

    def __init__(self, inner: LLMProvider, call_log: CallLog, budget: Budget | None = None,
                 prices: PriceTable | None = None, prompt_version: str = "",
                 *, clock: Callable[[], datetime] | None = None) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", type(inner).__name__)
        self.call_log = call_log
        self.budget = budget or Budget()
        self.prices = prices or PriceTable()
        self.prompt_version = prompt_version
        self.clock = clock or (lambda: datetime.now(UTC))

    @property
    def exempt(self) -> bool:
        return bool(getattr(self.inner, "exempt_from_budget", False))

    def check_budget(self) -> None:
        if self.exempt:
            return
        now = self.clock()
        tokens, usd = self.call_log.spent_since(self.budget.day_start(now))
        spent = self.budget.exceeded(tokens, usd)
        if spent:
            resume = self.budget.resets_at(now)
            raise BudgetExceeded(f"daily LLM budget spent ({spent}); resets at "
                                 f"{resume.isoformat()} (LLM stages pause until then)",
                                 resume_at=resume)

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 4096,
                 purpose: str = "", model: str | None = None, event_id: int | None = None,
                 prompt_version: str | None = None) -> Reply:
        self.check_budget()
        version = prompt_version if prompt_version is not None else self.prompt_version
        start = time.perf_counter()
        try:
            reply = self.inner.complete(messages, max_tokens=max_tokens, purpose=purpose,
                                        model=model)
        except Exception as exc:
            chosen = model or _model_for(self.inner, purpose) or "?"
            self.call_log.record(LLMCall(
                provider=self.name, model=chosen, purpose=purpose, prompt_version=version,
                tokens_in=0, tokens_out=0, cost_usd=0.0,
                latency_ms=(time.perf_counter() - start) * 1000.0,
                error=f"{type(exc).__name__}: {exc}", event_id=event_id,
                created_at=self.clock()))
            raise
        cost = 0.0 if self.exempt else self.prices.cost(reply.model, reply.tokens_in,
                                                        reply.tokens_out)
        self.call_log.record(LLMCall(
            provider=self.name, model=reply.model, purpose=purpose, prompt_version=version,
            tokens_in=reply.tokens_in, tokens_out=reply.tokens_out, cost_usd=cost,
            latency_ms=reply.latency_ms or (time.perf_counter() - start) * 1000.0,
            error=None, event_id=event_id, stop_reason=reply.stop_reason,
            created_at=self.clock()))
        return reply


def _model_for(inner: object, purpose: str) -> str | None:
    fn = getattr(inner, "model_for", None)
    return fn(purpose) if callable(fn) else None
