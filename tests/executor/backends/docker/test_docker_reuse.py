"""A Docker container reused across requests of ONE code version (executor/backends/docker/reuse.py,
executor/harness/reuse.py, executor/harness/reset.py): what request 1 leaves (a background
process, files in /tmp and /dev/shm, a SysV shared-memory segment) is gone for request 2;
another code version never gets a used container; a timeout, a crash or a tampered result
discards the container; results equal cold-container results; idle containers are removed."""

from __future__ import annotations

import subprocess
import time

import pytest

from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy, require_docker

pytestmark = pytest.mark.docker
OPTS = BacktestOptions(cash=10_000, commission=0.002, exclusive_orders=True)

# one code version whose ``mode`` parameter says what request it is
CODE = '''
import ctypes, os, time
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

libc = ctypes.CDLL(None)


def plant():
    with open("/tmp/planted", "w") as fh:
        fh.write("x")
    with open("/dev/shm/planted", "w") as fh:
        fh.write("x")
    os.makedirs("/tmp/locked/inner")
    os.chmod("/tmp/locked", 0)
    seg = libc.shmget(0x5EED, 4096, 0o1600)  # IPC_CREAT | 0600
    print("shmid", seg)
    if os.fork() == 0:  # a daemon: new session, parent gone, out of the worker's group
        os.setsid()
        if os.fork() == 0:
            open("/tmp/daemon-alive", "w").close()
            while True:
                time.sleep(0.05)
                open("/tmp/daemon-alive", "w").close()
        os._exit(0)
    time.sleep(0.2)


def look():
    me, parent = os.getpid(), os.getppid()
    others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (me, parent, 1)]
    with open("/proc/sysvipc/shm") as fh:
        segments = len(fh.read().splitlines()) - 1
    print("LEFT", sorted(os.listdir("/tmp")), sorted(os.listdir("/dev/shm")), others, segments)


class Reuse(Strategy):
    mode = "plain"
    n1, n2 = 10, 30

    def init(self):
        if self.mode == "plant":
            plant()
        elif self.mode == "look":
            look()
        elif self.mode == "sleep":
            time.sleep(600)
        elif self.mode == "crash":
            os._exit(3)
        self.a = self.I(SMA, self.data.Close, self.n1)
        self.b = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if self.mode == "tamper" and len(self.data) == 50:  # a forged script-mode report
            try:
                raise RuntimeError("x")
            except RuntimeError as e:
                f = e.__traceback__.tb_frame
            while f is not None and "result_fd" not in f.f_locals:
                f = f.f_back
            loc, g = f.f_locals, f.f_globals
            g["write_message"](loc["result_fd"], {
                "index": loc["index"], "nonce": loc.get("nonce", ""), "status": "ok",
                "script_done": True, "stats": {"Return [%]": 31337.0, "# Trades": 50}})
        if crossover(self.a, self.b):
            self.buy()
        elif crossover(self.b, self.a):
            self.sell()
'''


@pytest.fixture
def sandbox():
    require_docker()
    from executor.backends.docker.sandbox import DockerSandbox

    box = DockerSandbox(reuse=True, cleanup=False)
    yield box
    box.close()


def _req(data, code=CODE, timeout_s=60.0, **params):
    return RunRequest(code=code, data=data, options=OPTS, limits=Limits(timeout_s=timeout_s),
                      params=params, restricted=False)  # the attack needs os, ctypes


def _exists(container: str) -> bool:
    out = subprocess.run(["docker", "ps", "-aq", "--no-trunc"], capture_output=True, text=True,
                         check=True).stdout
    return any(line.startswith(container) for line in out.split())


def _gone(container: str) -> bool:
    from executor.backends.docker.sandbox import settle

    assert settle(60)
    return not _exists(container)


def test_request_two_sees_nothing_request_one_left(sandbox, goog):
    first = sandbox.run(_req(goog, mode="plant"))
    assert first.status == "ok", first.error
    assert "shmid -1" not in first.stdout_tail and "shmid" in first.stdout_tail
    second = sandbox.run(_req(goog, mode="look"))
    assert second.isolation["container"] == first.isolation["container"]
    assert second.isolation["reused_container"] is True
    assert second.status == "ok", second.error  # verified by the host's replay as ever
    assert "LEFT [] [] [] 0" in second.stdout_tail, second.stdout_tail
    reset = second.isolation["reset"]
    assert reset["killed"] >= 1 and reset["files"] >= 4 and reset["ipc"] == 1, reset


def test_another_code_version_never_gets_a_used_container(sandbox, goog):
    a1 = sandbox.run(_req(goog))
    a2 = sandbox.run(_req(goog, n1=12))
    other = CODE + "\n# another version\n"
    b = sandbox.run(_req(goog, code=other))
    assert a1.status == a2.status == b.status == "ok", (a1.error, a2.error, b.error)
    assert a1.isolation["container"] == a2.isolation["container"]
    assert b.isolation["container"] != a1.isolation["container"]
    assert b.isolation["reused_container"] is False


def test_the_harness_refuses_a_second_code_version(sandbox, goog):
    """Even if the host handed a used container to other code, the harness ends it."""
    from executor.backends.docker.reuse import ReusedContainer, clean
    from executor.codec import build_results, encode

    first = _req(goog)
    box = ReusedContainer(sandbox.api, sandbox.image, first.limits, "t-refuse", 120,
                          first.code_sha256).start()
    try:
        out = box.exchange(first.code_sha256, encode(first, 1), time.monotonic() + 60, 1 << 24)
        assert out.outcome == "done"
        other = _req(goog, code=CODE + "\n# other\n")
        box.planned_code = other.code_sha256  # a host bug, simulated
        out = box.exchange(other.code_sha256, encode(other, 1), time.monotonic() + 60, 1 << 24)
        assert b"serves one code version only" in out.stdout, bytes(out.stdout)
        res = build_results(out.stdout.decode(), other, backend="docker", isolation={})
        assert res[0].status != "ok" and not clean(out, res)
    finally:
        box.remove()


@pytest.mark.parametrize("mode,status", [("sleep", "timeout"), ("crash", "error"),
                                         ("tamper", "tampered")])
def test_a_failed_request_discards_the_container(sandbox, goog, mode, status):
    ok = sandbox.run(_req(goog, timeout_s=3))
    assert ok.status == "ok", ok.error
    bad = sandbox.run(_req(goog, timeout_s=3, mode=mode))
    assert bad.status == status, (bad.status, bad.error)
    assert bad.isolation["container"] == ok.isolation["container"]  # it ran in the reused one
    assert len(sandbox.reuse) == 0
    assert _gone(ok.isolation["container"])
    after = sandbox.run(_req(goog, timeout_s=3))
    assert after.status == "ok" and after.isolation["container"] != ok.isolation["container"]


def test_reused_results_equal_cold_results(sandbox, goog):
    from executor.backends.docker.sandbox import DockerSandbox

    code = read_strategy("sma_cross.py")
    sets = [{"n1": 5, "n2": 15}, {"n1": 10, "n2": 30}, {"n1": 20, "n2": 50}, {"n1": 8, "n2": 40}]
    cold = DockerSandbox(cleanup=False)
    reqs = [RunRequest(code=code, data=goog, options=OPTS, params=p) for p in sets]
    reused = [sandbox.run(r) for r in reqs]
    batch = sandbox.run_batch(RunRequest(code=code, data=goog, options=OPTS, param_sets=sets))
    fresh = [cold.run(r) for r in reqs]
    assert len({r.isolation["container"] for r in [*reused, *batch]}) == 1
    assert len({r.isolation["container"] for r in fresh}) == len(sets)
    for a, b, c in zip(reused, batch, fresh, strict=True):
        assert a.status == b.status == c.status == "ok", (a.error, b.error, c.error)
        assert a.stats == b.stats == c.stats
        assert a.trades == b.trades == c.trades
        assert a.data_sha256 == c.data_sha256


def test_idle_containers_are_removed(goog):
    require_docker()
    from executor.backends.docker.sandbox import DockerSandbox

    sandbox = DockerSandbox(reuse=True, reuse_idle=1, cleanup=False)
    try:
        sandbox.reuse.max_idle_s = 1.0
        a = sandbox.run(_req(goog))
        b = sandbox.run(_req(goog, code=CODE + "\n# b\n"))  # max 1 idle: a's container goes
        assert a.status == b.status == "ok"
        assert len(sandbox.reuse) == 1 and _gone(a.isolation["container"])
        time.sleep(2.5)  # b's idles past max_idle_s
        assert len(sandbox.reuse) == 0 and _gone(b.isolation["container"])
        c = sandbox.run(_req(goog))
        assert c.status == "ok"
    finally:
        sandbox.close()
    assert _gone(c.isolation["container"])  # close() removes the idle ones


@pytest.mark.parametrize("seen_ready", [False, True])
def test_an_idle_container_whose_harness_died_is_not_used(sandbox, goog, seen_ready):
    """An idle harness that exits (here: SIGINT from outside) after or before take()
    saw its ready report: the request, of which nothing ran, goes to a fresh container.
    (A failed reset exits before the report: ready() is False and take() removes it,
    tests/executor/backends/docker/test_reuse_pool.py.)"""
    first = sandbox.run(_req(goog))
    assert first.status == "ok" and len(sandbox.reuse) == 1
    if seen_ready:
        box = sandbox.reuse.idle[0][1]
        assert box.ready()
        box.ready = lambda *a: True  # type: ignore[method-assign]
    cid = first.isolation["container"]
    subprocess.run(["docker", "kill", "--signal", "INT", cid], check=True, capture_output=True)
    subprocess.run(["docker", "wait", cid], check=True, capture_output=True, timeout=60)
    second = sandbox.run(_req(goog))
    assert second.status == "ok", second.error  # not the dead container's error
    assert second.isolation["container"] != cid
    assert _gone(cid)
