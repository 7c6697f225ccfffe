"""Docker batch mode: many parameter sets of ONE code version in ONE container, results
equal to the same sets run one by one; a container never serves a second code version;
warm containers give the same results and are removed too."""

from __future__ import annotations

import subprocess
import time

import pytest

from executor.errors import SandboxError
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy, require_docker

pytestmark = pytest.mark.docker
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)
SETS = [{"n1": 5, "n2": 15}, {"n1": 10, "n2": 30}, {"n1": 20, "n2": 50}, {"n1": 8, "n2": 40}]


@pytest.fixture(scope="module")
def sandbox():
    return require_docker()


def _req(data, **kw):
    kw.setdefault("code", read_strategy("sma_cross.py"))
    kw.setdefault("limits", Limits(timeout_s=60))
    return RunRequest(data=data, options=OPTS, **kw)


def settle(timeout_s: float) -> bool:
    from executor.backends.docker.sandbox import settle as wait_for_removals

    return wait_for_removals(timeout_s)


def _exists(container: str) -> bool:
    out = subprocess.run(["docker", "ps", "-aq", "--no-trunc"], capture_output=True, text=True,
                         check=True).stdout
    return any(line.startswith(container) for line in out.split())


def test_batch_equals_one_by_one(sandbox, goog):
    batch = sandbox.run_batch(_req(goog, param_sets=SETS))
    singles = [sandbox.run(_req(goog, params=p)) for p in SETS]
    assert [r.params for r in batch] == SETS
    for b, s in zip(batch, singles, strict=True):
        assert b.status == s.status == "ok", (b.error, s.error)
        assert b.stats == s.stats
        assert b.trades == s.trades
    assert len({r.isolation["container"] for r in batch}) == 1  # one container for the batch
    assert len({r.isolation["container"] for r in singles}) == len(SETS)
    assert settle(60)  # removed off the run's path, on a thread
    assert not _exists(batch[0].isolation["container"])


def test_a_container_never_serves_a_second_code_version(sandbox, goog):
    from executor.backends.docker.container import Container
    from executor.codec import encode

    first = _req(goog)
    other = _req(goog, code=first.code.replace("n1 = 10", "n1 = 12"))
    assert first.code_sha256 != other.code_sha256
    box = Container(sandbox.api, sandbox.image, first.limits, "two-codes", 60, first.code_sha256)
    try:
        with pytest.raises(SandboxError, match="made for code"):
            box.exchange(other.code_sha256, encode(other), 0, 1)
        box.start()
        captured = box.exchange(first.code_sha256, encode(first), time.monotonic() + 60, 1 << 24)
        assert captured.outcome == "done"
        with pytest.raises(SandboxError, match="never serves a second request"):
            box.exchange(other.code_sha256, encode(other), time.monotonic() + 60, 1 << 24)
    finally:
        box.remove()
    assert not _exists(box.id)
    a = sandbox.run_batch(_req(goog, param_sets=SETS[:2]))
    b = sandbox.run_batch(_req(goog, code=other.code, param_sets=SETS[:2]))
    assert {r.isolation["container"] for r in a}.isdisjoint({r.isolation["container"] for r in b})
    assert {r.code_sha256 for r in a} == {first.code_sha256}
    assert {r.code_sha256 for r in b} == {other.code_sha256}


def test_warm_container_gives_the_same_result_and_is_removed(goog):
    cold = require_docker()
    from executor.backends.docker.sandbox import DockerSandbox

    warm = DockerSandbox(warm=1, cleanup=False)
    try:
        assert warm.pool is not None and warm.pool.wait_ready(180), warm.pool.last_error
        waiting = [box.id for box in warm.pool.ready]
        res = warm.run(_req(goog))
        ref = cold.run(_req(goog))
        assert res.isolation["warm_start"] is True and ref.isolation["warm_start"] is False
        assert res.status == ref.status == "ok"
        assert res.stats == ref.stats
        assert res.isolation["container"] == waiting[0][:12]
        assert settle(60)
        assert not _exists(waiting[0])
        odd = warm.run(_req(goog, limits=Limits(timeout_s=30, memory_mb=1024)))
        assert odd.status == "ok" and odd.isolation["warm_start"] is False  # other limits: cold
        assert warm.pool.wait_ready(180)
        waiting = [box.id for box in warm.pool.ready]
    finally:
        warm.close()
    assert waiting and not any(_exists(c) for c in waiting)


def test_cgroup_oom_kill_is_memory(goog):
    """Without RLIMIT_AS the container's memory cgroup is the only limit: the kernel's
    OOM kill of the strategy process must still come back as status ``memory``."""
    require_docker()
    from executor.backends.docker.sandbox import DockerSandbox

    sandbox = DockerSandbox(rlimit_as=False, cleanup=False)
    code = ("import numpy as np\nfrom backtesting import Strategy\n\n\nclass Hog(Strategy):\n"
            "    def init(self):\n        self.hog = []\n        while True:\n"
            "            self.hog.append(np.ones(16 * 1024 * 1024))\n\n"
            "    def next(self):\n        pass\n")
    res = sandbox.run(_req(goog, code=code, limits=Limits(timeout_s=60, memory_mb=512)))
    assert res.status == "memory", res.error
    assert "MemoryError" not in str(res.error)  # the kernel did it, not an rlimit
