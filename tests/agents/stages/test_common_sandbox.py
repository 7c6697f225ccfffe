"""agents/stages/common.py:sandbox: the loop's Docker sandbox reuses a container per code
version unless RBI_DOCKER_REUSE=0; other backends get no such option."""

from __future__ import annotations

import pytest

import executor
from agents.settings import Settings
from agents.stages import common


@pytest.mark.parametrize("backend,env,expected", [
    ("docker", None, {"reuse": True}), ("auto", None, {"reuse": True}),
    ("docker", "0", {"reuse": False}), ("local", None, {})])
def test_loop_sandbox_reuse_switch(monkeypatch, backend, env, expected):
    seen: list[dict] = []
    monkeypatch.setattr(executor, "get_sandbox", lambda name, **kw: seen.append(kw) or object())
    monkeypatch.setattr(common, "_sandboxes", {})
    if env is None:
        monkeypatch.delenv("RBI_DOCKER_REUSE", raising=False)
    else:
        monkeypatch.setenv("RBI_DOCKER_REUSE", env)
    common.sandbox(Settings(backend=backend))
    assert seen == [expected]
