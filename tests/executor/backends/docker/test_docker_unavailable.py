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
    from tests.conftest import require_docker

    require_docker()  # a daemon to ask; skipped (or failed under CI) without one
    from executor.backends.docker.sandbox import DockerSandbox
    from executor.sandbox import get_sandbox

    with pytest.raises(SandboxUnavailable, match=r"image rbi-sandbox:no-such-tag not found: run `make image`"):
        DockerSandbox(image="rbi-sandbox:no-such-tag")
    chosen = get_sandbox("auto", image="rbi-sandbox:no-such-tag")
    assert chosen.name == "local"
    assert "rbi-sandbox:no-such-tag not found" in chosen.chosen_because  # type: ignore[attr-defined]
    assert get_sandbox("auto").name == "docker"


def test_run_once_stops_when_the_sandbox_is_gone_and_keeps_the_work(tmp_path):
    """A sandbox that cannot start makes events wait (never dead); ``run --once`` cannot
    wait for it, so it stops, exits 1 saying so, and the event is still there to run."""
    from tests.helpers import rbi, sql

    db = tmp_path / "rbi.sqlite"
    add = rbi(db, "ideas", "add", "Buy GOOG when the 10-day SMA crosses above the 30-day SMA",
              pipeline="agents.stages:PIPELINE")
    assert add.returncode == 0, add.stderr
    done = rbi(db, "--backend", "docker", "run", "--once", timeout=90,
               pipeline="agents.stages:PIPELINE", sandbox_image="rbi-sandbox:no-such-tag")
    assert done.returncode == 1, done.stderr[-2000:]
    assert "sandbox is unavailable" in done.stderr and "run again once it is back" in done.stderr
    waiting = sql(db, "SELECT type, status, wait_reason FROM events WHERE status NOT IN ('done')")
    assert waiting and all(s == "ready" for _, s, _ in waiting), waiting
    assert any("sandbox unavailable" in (w or "") for _, _, w in waiting), waiting
    assert not sql(db, "SELECT id FROM events WHERE status = 'dead'")
