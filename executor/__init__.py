"""rbi executor: validate and run untrusted backtesting.py strategies in a sandbox.

Public API: everything ``agents/`` (or any other caller) needs is importable from here::

    from executor import validate, run, run_batch, get_sandbox, RunRequest, RunResult, Limits

Heavier names (datasets, execution models, paper sessions, the Ray status) are loaded on
first use (:data:`_LAZY`), so ``import executor`` stays cheap inside the sandbox. The
harness (``executor/harness``), the validator's internals and the backends
(``executor/backends/<name>/``) are private: import them only from inside ``executor/``.
The executor never imports ``agents``; it is usable alone: ``python -m executor --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the lazy names, for type checkers (loaded by __getattr__ at run time)
    from executor.backends.docker.reuse import reuse_default
    from executor.backends.ray.status import cluster_status, format_status
    from executor.datasets import default_data_dir, load_dataset
    from executor.errors import (
        ConfigError,
        DatasetError,
        RbiError,
        SandboxError,
        SandboxUnavailable,
    )
    from executor.execution import backtest_kwargs_of, model_from
    from executor.harness.fastrun import FastBacktest
    from executor.harness.growing import bar_row
    from executor.harness.protocol import frame_sha256
    from executor.harness.statsjson import stats_to_json, trades_to_json
    from executor.multiframe import frames_per_batch, run_frames
    from executor.paper.feeds import CsvFeed, Feed, ReplayFeed
    from executor.paper.session import LookAheadDetected, PaperSession, SessionFailed, parity
    from executor.sandbox import rejection, run_batch, validated
    from executor.synthetic import random_walk_like, synthetic_ohlcv
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
    "CsvFeed",
    "DatasetError",
    "FastBacktest",
    "Feed",
    "Limits",
    "LookAheadDetected",
    "PaperSession",
    "RbiError",
    "ReplayFeed",
    "RunRequest",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailable",
    "SessionFailed",
    "Violation",
    "backtest_kwargs_of",
    "bar_row",
    "cluster_status",
    "default_data_dir",
    "format_status",
    "frame_sha256",
    "frames_per_batch",
    "get_sandbox",
    "load_dataset",
    "model_from",
    "parity",
    "random_walk_like",
    "reuse_default",
    "rejection",
    "run",
    "run_batch",
    "run_frames",
    "stats_to_json",
    "synthetic_ohlcv",
    "trades_to_json",
    "validate",
    "validated",
]

# name -> the module it is loaded from on first use (the types too: the sandbox harness,
# a subpackage, imports this package first, and a one-shot container pays for every import)
_LAZY = {
    **dict.fromkeys(("ConfigError", "DatasetError", "RbiError", "SandboxError",
                     "SandboxUnavailable"), "executor.errors"),
    **dict.fromkeys(("BacktestOptions", "Limits", "RunRequest", "RunResult", "Sandbox",
                     "Violation"), "executor.types"),
    "load_dataset": "executor.datasets",
    "default_data_dir": "executor.datasets",
    "model_from": "executor.execution",
    "backtest_kwargs_of": "executor.execution",
    "run_batch": "executor.sandbox",
    "run_frames": "executor.multiframe",
    "frames_per_batch": "executor.multiframe",
    "rejection": "executor.sandbox",
    "validated": "executor.sandbox",
    "frame_sha256": "executor.harness.protocol",
    "stats_to_json": "executor.harness.statsjson",
    "trades_to_json": "executor.harness.statsjson",
    "bar_row": "executor.harness.growing",
    "random_walk_like": "executor.synthetic",
    "synthetic_ohlcv": "executor.synthetic",
    "CsvFeed": "executor.paper.feeds",
    "Feed": "executor.paper.feeds",
    "ReplayFeed": "executor.paper.feeds",
    "PaperSession": "executor.paper.session",
    "LookAheadDetected": "executor.paper.session",
    "SessionFailed": "executor.paper.session",
    "parity": "executor.paper.session",
    "cluster_status": "executor.backends.ray.status",
    "format_status": "executor.backends.ray.status",
    "FastBacktest": "executor.harness.fastrun",
    "reuse_default": "executor.backends.docker.reuse",
}


def __getattr__(name: str) -> Any:
    """Load a name of :data:`_LAZY` from its module on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'executor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def validate(code: str | bytes, **kwargs: Any) -> list[Violation]:
    """Static checks on strategy source; an empty list means it may run."""
    from executor.validator import validate as _validate

    return _validate(code, **kwargs)


def get_sandbox(name: str = "auto", **kwargs: Any) -> Sandbox:
    """Return a sandbox backend by name: ``local``, ``docker`` or ``auto``."""
    from executor.sandbox import get_sandbox as _get

    return _get(name, **kwargs)


def run(request: RunRequest, backend: str | Sandbox = "auto", **kwargs: Any) -> RunResult:
    """Validate then run ``request`` in the chosen sandbox; never raises for strategy faults."""
    from executor.sandbox import run as _run

    return _run(request, backend=backend, **kwargs)
