"""The compose ``cluster`` profile: it adds the Ray head (with the loop) and the workers,
publishes no Ray port, and leaves the default ``docker compose up`` exactly as it was.

Needs only the docker CLI with compose (no engine): skipped without it, FAILS with CI=true.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import IN_CI, ROOT


def _config(*profile: str) -> dict:
    if shutil.which("docker") is None or subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode != 0:
        if IN_CI:
            pytest.fail("CI=true but `docker compose` is missing: run .ci/install-docker.sh")
        pytest.skip("no `docker compose` here")
    p = subprocess.run(["docker", "compose", *profile, "config", "--format", "json"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["services"]


def test_default_up_is_unchanged_by_the_cluster_profile():
    assert set(_config()) == {"sandbox-image", "rbi", "dashboard"}


def test_cluster_profile_runs_the_loop_on_the_ray_head_and_publishes_no_ray_port():
    services = _config("--profile", "cluster")
    head, worker = services["rbi-cluster"], services["ray-worker"]
    assert head["environment"]["RBI_BACKEND"] == "ray"
    assert "ray start --head" in " ".join(head["command"])
    assert "--num-cpus=0" in " ".join(head["command"])  # runs go to the workers
    assert "--address=rbi-cluster:6379" in " ".join(worker["command"])
    assert head["image"] == worker["image"] == "rbi-ray:latest"
    assert head["build"]["dockerfile"] == "docker/ray.Dockerfile"
    assert not head.get("ports") and not worker.get("ports")  # Ray's ports: unauthenticated
    assert any(v.get("target") == "/var/run/docker.sock" for v in worker["volumes"])
