"""When Docker cannot work, DockerSandbox says exactly what to do, and ``auto`` falls back
to the local sandbox saying why."""

from __future__ import annotations

import pytest

from executor.errors import SandboxUnavailable


def test_daemon_not_reachable_says_how_to_fix_it(tmp_path, monkeypatch):
    pytest.importorskip("docker")
    sock = tmp_path / "no-daemon.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{sock}")
    from executor.backends.docker.sandbox import DockerSandbox
    from executor.sandbox import get_sandbox

    with pytest.raises(SandboxUnavailable) as err:
        DockerSandbox()
    text = str(err.value)
    assert f"Docker daemon not reachable at unix://{sock}" in text
    assert "systemctl start docker" in text and "--backend local" in text
    chosen = get_sandbox("auto")
    assert chosen.name == "local"
    assert "Docker daemon not reachable" in chosen.chosen_because  # type: ignore[attr-defined]


def test_missing_image_says_make_image_and_auto_falls_back():
    from conftest import require_docker

    require_docker()  # a daemon to ask; skipped (or failed under CI) without one
    from executor.backends.docker.sandbox import DockerSandbox
    from executor.sandbox import get_sandbox

    with pytest.raises(SandboxUnavailable, match=r"image rbi-sandbox:no-such-tag not found: run `make image`"):
        DockerSandbox(image="rbi-sandbox:no-such-tag")
    chosen = get_sandbox("auto", image="rbi-sandbox:no-such-tag")
    assert chosen.name == "local"
    assert "rbi-sandbox:no-such-tag not found" in chosen.chosen_because  # type: ignore[attr-defined]
    assert get_sandbox("auto").name == "docker"
