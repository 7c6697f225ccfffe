"""Errors for the system's own faults. Expected bad outcomes are RunResult data instead.

    RbiError
    ├── ConfigError
    ├── DatasetError          # unknown dataset, unreadable or malformed data file
    └── SandboxError
        └── SandboxUnavailable  # docker daemon down, image missing: the message says the fix

``agents`` re-exports this tree and adds ProviderError, BudgetExceeded and StoreError.
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
