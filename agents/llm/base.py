"""The LLM boundary: messages in, a normalised reply out, every call recorded.

    LLMProvider.complete(messages, *, max_tokens, purpose, model) -> Reply
    CallLog.record(LLMCall) -> int ;  CallLog.spent_since(ts) -> (tokens, usd)

Errors (from :mod:`agents.errors`)::

    ProviderError (.retryable)
    └── ProviderCallError (.status)   # HTTP status or None (timeout, connection, bad body)
    BudgetExceeded (.resume_at)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol, runtime_checkable

from agents.errors import BudgetExceeded, ProviderError

__all__ = [
    "BudgetExceeded",
    "CallLog",
    "InMemoryCallLog",
    "LLMCall",
    "LLMProvider",
    "Message",
    "ProviderCallError",
    "ProviderError",
    "Reply",
    "StopReason",
    "estimate_tokens",
    "messages_from",
]

Role = Literal["system", "user", "assistant"]
StopReason = Literal["end", "max_tokens", "stop_sequence", "tool_use", "refusal", "other"]


class ProviderCallError(ProviderError):
    """A provider call failed; ``status`` is the HTTP status, or None when there was none."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Reply:
    text: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    stop_reason: StopReason = "end"
    latency_ms: float = 0.0
    raw_id: str = ""
    provider: str = ""

    @property
    def truncated(self) -> bool:
        return self.stop_reason == "max_tokens"


@runtime_checkable
class LLMProvider(Protocol):
    name: str

    def complete(self, messages: Sequence[Message], *, max_tokens: int = 4096,
                 purpose: str = "", model: str | None = None) -> Reply: ...


@dataclass
class LLMCall:
    """One row of ``llm_calls``: written after every call, successful or not."""

    provider: str
    model: str
    purpose: str
    prompt_version: str
    tokens_in: int
    tokens_out: int
    cost_usd: float
    latency_ms: float
    error: str | None = None
    event_id: int | None = None
    stop_reason: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class CallLog(Protocol):
    def record(self, call: LLMCall) -> int: ...

    def spent_since(self, ts: datetime) -> tuple[int, float]: ...


class InMemoryCallLog:
    """A CallLog kept in a list (tests, one-off scripts). Thread-safe."""

    def __init__(self) -> None:
        self.calls: list[LLMCall] = []
        self._lock = threading.Lock()

    def record(self, call: LLMCall) -> int:
        with self._lock:
            self.calls.append(call)
            return len(self.calls)

    def spent_since(self, ts: datetime) -> tuple[int, float]:
        with self._lock:
            rows = [c for c in self.calls if c.created_at >= ts]
        return sum(c.tokens_in + c.tokens_out for c in rows), sum(c.cost_usd for c in rows)


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) for providers without usage data."""
    return max(1, (len(text) + 3) // 4) if text else 0


def messages_from(raw: Sequence[Message | dict[str, str]]) -> list[Message]:
    """Accept Message objects or ``{"role", "content"}`` dicts."""
    out: list[Message] = []
    for m in raw:
        if isinstance(m, Message):
            out.append(m)
        else:
            out.append(Message(role=m["role"], content=m["content"]))  # type: ignore[arg-type]
    return out

