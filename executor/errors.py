"""Errors for the system's own faults. Expected bad outcomes are RunResult data instead.

    RbiError
    ├── ConfigError
    │   └── UsageError        # executor.cli: a bad command-line argument
    ├── DatasetError          # unknown dataset, unreadable or malformed data file
    ├── ReplayError           # executor.replay: an order log that cannot be replayed
    └── SandboxError
        ├── SandboxUnavailable  # docker daemon down, image missing: the message says the fix
        ├── SessionFailed       # executor.paper.channel: a paper session died
        └── LiveTradingRefused  # executor.paper.live

Inside the sandbox (``executor/harness``) every exception becomes ``RunResult`` data.
``agents.errors`` re-exports this tree and documents the whole of it, the loop's
errors (ProviderError, BudgetExceeded, StoreError, ...) included.
"""


class RbiError(Exception):
    """Base of every error rbi raises on purpose. ``str(err)`` is meant for users."""


class ConfigError(RbiError):
    """A setting or argument is wrong; the message says which and what is accepted."""


class DatasetError(RbiError):
    """A dataset cannot be resolved or loaded."""


class SandboxError(RbiError):
    """The sandbox itself failed (not the strategy)."""


class SandboxUnavailable(SandboxError):
    """The chosen backend cannot run here; the message says how to fix it."""
