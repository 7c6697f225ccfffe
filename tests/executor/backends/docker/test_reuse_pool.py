"""ReusePool bookkeeping (no Docker): a container goes back only under its own code's key,
is taken only by that key, and is removed past max_requests, max_idle, max_idle_s and
at close."""

from __future__ import annotations

import time

import pytest

from executor.backends.docker.reuse import ReusePool, reuse_default
from executor.errors import ConfigError, SandboxError
from executor.types import Limits


class Box:
    def __init__(self, code: str) -> None:
        self.planned_code = code
        self.requests = 1
        self.idle_since = 0.0
        self.removed = False

        self.is_ready = True

    def ready(self) -> bool:
        return self.is_ready

    def remove(self) -> None:
        self.removed = True


def _pool(**kw):
    removed: list[Box] = []
    pool = ReusePool(discard=lambda b: (removed.append(b), b.remove()), **kw)
    return pool, removed


def test_only_the_same_key_takes_a_container():
    pool, _ = _pool(max_idle=4)
    a = Box("a")
    pool.give_back(("a", Limits(), "img"), a)
    assert pool.take(("b", Limits(), "img")) is None
    assert pool.take(("a", Limits(timeout_s=1), "img")) is None
    assert pool.take(("a", Limits(), "other-image")) is None
    assert pool.take(("a", Limits(), "img")) is a
    assert pool.take(("a", Limits(), "img")) is None  # handed out once
    with pytest.raises(SandboxError):
        pool.give_back(("b", Limits(), "img"), a)  # never under another code's key


def test_bounds_remove_containers():
    pool, removed = _pool(max_idle=2, max_requests=3)
    boxes = [Box(c) for c in "abc"]
    for b in boxes:
        pool.give_back((b.planned_code, Limits(), "i"), b)
    assert removed == [boxes[0]] and len(pool) == 2  # the oldest idle one went
    worn = Box("d")
    worn.requests = 3
    pool.give_back(("d", Limits(), "i"), worn)
    assert worn.removed and pool.take(("d", Limits(), "i")) is None
    pool.close()
    assert all(b.removed for b in boxes) and len(pool) == 0
    late = Box("e")
    pool.give_back(("e", Limits(), "i"), late)  # a closed pool keeps nothing
    assert late.removed


def test_idle_containers_expire():
    pool, removed = _pool(max_idle=4, max_idle_s=0.2)
    a = Box("a")
    pool.give_back(("a", Limits(), "i"), a)
    end = time.monotonic() + 5
    while not removed and time.monotonic() < end:
        time.sleep(0.02)
    assert removed == [a] and len(pool) == 0


@pytest.mark.parametrize("value,expected", [("", True), ("1", True), ("0", False), ("off", False)])
def test_reuse_default(monkeypatch, value, expected):
    monkeypatch.setenv("RBI_DOCKER_REUSE", value)
    assert reuse_default() is expected


def test_reuse_default_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("RBI_DOCKER_REUSE", "maybe")
    with pytest.raises(ConfigError, match="give 1"):
        reuse_default()


def test_a_container_that_is_not_ready_is_removed_not_handed_out():
    pool, removed = _pool(max_idle=4)
    good, broken = Box("a"), Box("a")
    broken.is_ready = False  # its reset failed: the harness exited
    pool.give_back(("a", Limits(), "i"), good)
    pool.give_back(("a", Limits(), "i"), broken)
    assert pool.take(("a", Limits(), "i")) is good
    assert removed == [broken]
