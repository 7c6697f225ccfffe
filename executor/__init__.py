"""rbi executor: validate and run untrusted backtesting.py strategies in a sandbox.

Public API::

    from executor import validate, run, get_sandbox, RunRequest, RunResult, Limits

The executor never imports ``agents``; it is usable alone: ``python -m executor --help``.
"""

from __future__ import annotations

from typing import Any

from executor.errors import (
    ConfigError,
    DatasetError,
    RbiError,
    SandboxError,
    SandboxUnavailable,
)
from executor.types import (
    BacktestOptions,
    Limits,
    RunRequest,
    RunResult,
    Sandbox,
    Violation,
)

__all__ = [
    "BacktestOptions",
    "ConfigError",
    "DatasetError",
    "Limits",
    "RbiError",
    "RunRequest",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailable",
    "Violation",
    "get_sandbox",
    "run",
    "validate",
]


def validate(code: str | bytes, **kwargs: Any) -> list[Violation]:
    """Static checks on strategy source; an empty list means it may run."""
    from executor.validator import validate as _validate

    return _validate(code, **kwargs)


def get_sandbox(name: str = "auto", **kwargs: Any) -> Sandbox:
    """Return a sandbox backend by name: ``local``, ``docker`` or ``auto``."""
    from executor.sandbox import get_sandbox as _get

    return _get(name, **kwargs)


def run(request: RunRequest, backend: str = "auto", **kwargs: Any) -> RunResult:
    """Validate then run ``request`` in the chosen sandbox; never raises for strategy faults."""
    from executor.sandbox import run as _run

    return _run(request, backend=backend, **kwargs)
