"""Shared fixtures. Docker tests: skipped with the reason outside CI, FAIL under CI=true."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
STRATEGIES = TESTS / "strategies"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def read_strategy(name: str) -> str:
    return (STRATEGIES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def goog():
    from backtesting.test import GOOG

    return GOOG.copy()


def require_docker() -> object:
    """Return a DockerSandbox, or skip (fail under CI=true) saying why it is unusable."""
    from executor.errors import SandboxUnavailable

    try:
        from executor.backends.docker.sandbox import DockerSandbox

        return DockerSandbox()
    except (SandboxUnavailable, ImportError) as exc:
        if IN_CI:
            pytest.fail(f"CI=true but Docker is unusable: {exc}")
        pytest.skip(f"Docker unusable here: {exc}")
