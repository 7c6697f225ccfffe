"""The agents' error tree; re-exports the executor's and adds the loop's own.

Every error rbi raises on purpose is an ``RbiError`` (``str(err)`` is for users and says
what to do next). The classes defined elsewhere live next to the code that raises them::

    RbiError
    ├── ConfigError                        a setting or argument is wrong
    │   ├── ResearchConfigError            agents.research.config: names the bad key
    │   ├── ThresholdsError                agents.research.thresholds
    │   └── UsageError                     executor.cli: a bad command-line argument
    ├── DatasetError                       executor: unknown dataset, unreadable data
    ├── ReplayError (also ValueError)      executor.replay: an order log that cannot replay
    ├── SandboxError                       the sandbox itself failed (not the strategy)
    │   ├── SandboxUnavailable             docker daemon down, image missing: says the fix
    │   ├── SessionFailed                  executor.paper.channel: a paper session died
    │   └── LiveTradingRefused             executor.paper.live
    ├── ProviderError (.retryable)         rate limit / network -> retry with backoff
    │   └── ProviderCallError              agents.llm.base: the SDK call failed
    ├── ExtractError (also ValueError)     agents.llm.extract: no code/JSON in a reply
    ├── BudgetExceeded (.resume_at)        daily LLM budget spent: the event waits
    ├── StoreError                         database locked / disk full / schema too new
    ├── BadPayload                         an event cannot be handled -> dead letter now
    ├── Cancelled                          the idea/strategy was cancelled (checkpoints)
    ├── LeaseLost                          agents.runtime.context: another worker owns
    │                                      the event now; the handler's writes rolled back
    ├── AlreadyRunning                     agents.runtime.lock: a runner holds the lock
    ├── HoldoutAlreadyRead                 agents.research.splits: the sealed holdout of
    │                                      this decision was read before (once only)
    ├── SpecError (also ValueError)        agents.spec: a strategy spec is invalid
    ├── MutationNotApplicable (ValueError) agents.offline.mutate: try another mutation
    └── NotFound                           agents.dashboard.app: HTTP 404

Outside the tree on purpose: ``Interrupted`` (raised at a checkpoint when the runtime
shuts down past its grace period: the event is released and re-delivered later, so no
``except RbiError`` may swallow it) and what runs inside the sandbox (the harness turns
every exception, the strategy's included, into ``RunResult`` data).
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
