"""A caller killed with SIGKILL mid-run leaves a running container; the next DockerSandbox
made by a NEW process removes it at start-up, and leaves live owners' containers alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from executor.types import Limits
from tests.conftest import ROOT, require_docker

CALLER = """
import sys
from backtesting.test import GOOG
from executor.backends.docker.sandbox import DockerSandbox
from executor.types import Limits, RunRequest
code = ("from backtesting import Strategy\\n\\nclass Spin(Strategy):\\n"
        "    def init(self):\\n        while True:\\n            pass\\n\\n"
        "    def next(self):\\n        pass\\n")
DockerSandbox().run(RunRequest(code=code, data=GOOG, run_id=sys.argv[1], limits=Limits(timeout_s=300)))
"""
STARTUP = "from executor.backends.docker.sandbox import DockerSandbox; DockerSandbox()"


def _containers(label: str, running_only: bool = False) -> list[str]:
    cmd = ["docker", "ps", "-q", "--filter", f"label={label}"]
    if not running_only:
        cmd.insert(2, "-a")
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()


def _python(code: str, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.docker
def test_killed_caller_leaves_no_container_after_next_start_up():
    sandbox = require_docker()
    run_id = f"orphan-{os.getpid()}-{int(time.time())}"
    caller = _python(CALLER, run_id)
    try:
        deadline = time.monotonic() + 120
        while not _containers(f"rbi.run_id={run_id}", running_only=True):
            assert caller.poll() is None, caller.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the caller never started its container"
            time.sleep(0.2)
        os.kill(caller.pid, signal.SIGKILL)
        caller.wait(10)
        time.sleep(0.5)
        assert _containers(f"rbi.run_id={run_id}", running_only=True), \
            "the container should outlive its killed caller (else this test proves nothing)"

        # a live owner's container must survive the sweep: hold one open in THIS process
        from executor.backends.docker.container import Container

        mine = Container(sandbox.api, sandbox.image, Limits(), f"live-{run_id}", 60).start()
        try:
            fresh = _python(STARTUP)
            _, err = fresh.communicate(timeout=120)
            assert fresh.returncode == 0, err.decode()[-2000:]
            assert _containers(f"rbi.run_id={run_id}") == []
            assert _containers(f"rbi.run_id=live-{run_id}", running_only=True) != []
        finally:
            mine.remove()
        assert _containers(f"rbi.run_id=live-{run_id}") == []
    finally:
        if caller.poll() is None:
            caller.kill()
        for cid in _containers(f"rbi.run_id={run_id}"):
            subprocess.run(["docker", "rm", "-f", cid], capture_output=True)


def test_orphan_of_an_unknown_owner_goes_only_after_its_deadline():
    from executor.backends.docker.orphans import is_orphan, owner_labels

    labels = owner_labels(deadline_s=100)
    now = time.time()
    assert not is_orphan(labels, now, grace_s=10)  # this process is alive
    foreign = dict(labels, **{"rbi.owner": "another-host:1:1"})
    assert not is_orphan(foreign, now, grace_s=10)
    assert is_orphan(foreign, now + 111, grace_s=10)
    dead = dict(labels, **{"rbi.owner": labels["rbi.owner"].rsplit(":", 1)[0] + ":1"})
    assert is_orphan(dead, now, grace_s=10)  # same pid, other start time: a reused pid
    assert all(isinstance(v, str) for v in labels.values())  # the daemon takes strings only

