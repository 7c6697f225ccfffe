"""The agents' error tree; re-exports the executor's and adds the loop's own.

    RbiError
    ├── ConfigError
    ├── ProviderError (.retryable)   # rate limit / network -> retry with backoff
    ├── BudgetExceeded (.resume_at)  # daily LLM budget spent: the event waits, no attempt used
    ├── SandboxError
    │   └── SandboxUnavailable
    ├── StoreError                   # database locked / disk full / schema too new
    ├── BadPayload                   # an event cannot be handled at all -> dead letter now
    └── Cancelled                    # the idea/strategy was cancelled; raised at checkpoints

``Interrupted`` (not an RbiError) is raised at a checkpoint when the runtime shuts
down past its grace period: the event is released and re-delivered later.
"""

from __future__ import annotations

from datetime import datetime

from executor.errors import ConfigError, RbiError, SandboxError, SandboxUnavailable

__all__ = [
    "BadPayload",
    "BudgetExceeded",
    "Cancelled",
    "ConfigError",
    "Interrupted",
    "ProviderError",
    "RbiError",
    "SandboxError",
    "SandboxUnavailable",
    "StoreError",
]


class ProviderError(RbiError):
    """An LLM provider failed. ``retryable`` is True for rate limits, 5xx, timeouts."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class BudgetExceeded(RbiError):
    """The daily token/cost budget is spent; ``resume_at`` is when it resets (UTC)."""

    def __init__(self, message: str, *, resume_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class StoreError(RbiError):
    """The results database cannot be used (locked, full, newer schema, unreadable)."""


class BadPayload(RbiError):
    """An event's payload is corrupt or incomplete; retrying cannot help."""


class Cancelled(RbiError):
    """The work was cancelled by the user (``rbi cancel``)."""


class Interrupted(Exception):
    """The runtime is shutting down; the event goes back to the queue untouched."""
