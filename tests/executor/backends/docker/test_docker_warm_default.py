"""RBI_DOCKER_WARM: how many containers a DockerSandbox keeps started ahead by default."""

from __future__ import annotations

import pytest

from executor.backends.docker.sandbox import warm_default
from executor.errors import ConfigError


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("", 0), ("0", 0), ("1", 1), (" 2 ", 2)])
def test_warm_default_reads_the_variable(monkeypatch: pytest.MonkeyPatch, value: str | None,
                                         expected: int) -> None:
    if value is None:
        monkeypatch.delenv("RBI_DOCKER_WARM", raising=False)
    else:
        monkeypatch.setenv("RBI_DOCKER_WARM", value)
    assert warm_default() == expected


@pytest.mark.parametrize("value", ["yes", "-1", "1.5"])
def test_bad_values_say_what_to_give(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("RBI_DOCKER_WARM", value)
    with pytest.raises(ConfigError, match="RBI_DOCKER_WARM"):
        warm_default()
