"""Code is validated once: the validate stage's token lets the run skip the validator,
but only for the byte-identical source with the same flags, and only in this process."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import executor.validator as validator_mod
from executor.sandbox import run, validated, vouched
from executor.types import RunRequest, RunResult

CLEAN = """from backtesting import Strategy


class Hold(Strategy):
    def init(self):
        pass

    def next(self):
        if not self.position:
            self.buy()
"""
EVIL = CLEAN.replace("        pass\n", "        open('/etc/passwd').read()\n")


class Recorder:
    """A backend that records what reached it (the validator's verdict is the subject)."""

    name = "recorder"

    def __init__(self) -> None:
        self.ran: list[str] = []

    def run(self, request: RunRequest) -> RunResult:
        self.ran.append(request.code)
        return RunResult(status="ok", backend=self.name)

    def run_batch(self, request: RunRequest) -> list[RunResult]:
        return [self.run(request) for _ in request.all_param_sets()]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = validator_mod.validate

    def counting(code: Any, **kw: Any) -> Any:
        seen.append(code)
        return real(code, **kw)

    monkeypatch.setattr(validator_mod, "validate", counting)
    return seen


def test_a_validated_source_is_not_validated_again(calls: list[str]) -> None:
    req = RunRequest(code=CLEAN, data=None)
    rejected, token = validated(req, "validator")
    assert rejected is None and token and len(calls) == 1
    box = Recorder()
    res = run(replace(req, validated=token), box)
    assert res.status == "ok" and box.ran == [CLEAN]
    assert len(calls) == 1  # the run trusted the token: one validation in all


def test_without_a_token_the_run_validates(calls: list[str]) -> None:
    box = Recorder()
    assert run(RunRequest(code=CLEAN, data=None), box).status == "ok"
    assert len(calls) == 1


@pytest.mark.parametrize("change", [
    lambda r: replace(r, code=EVIL),                       # other source, same token
    lambda r: replace(r, code=r.code + " "),               # one byte more
    lambda r: replace(r, restricted=not r.restricted),     # other flags
    lambda r: replace(r, validated="0" * 64),              # a made-up token
])
def test_a_token_vouches_for_its_exact_source_only(calls: list[str], change: Any) -> None:
    req = RunRequest(code=CLEAN, data=None)
    _, token = validated(req, "validator")
    other = change(replace(req, validated=token))
    assert not vouched(other)
    box = Recorder()
    run(other, box)
    assert len(calls) == 2  # validated again


def test_evil_code_with_a_clean_token_is_still_rejected() -> None:
    _, token = validated(RunRequest(code=CLEAN, data=None), "validator")
    box = Recorder()
    res = run(RunRequest(code=EVIL, data=None, validated=token), box)
    assert res.status == "rejected" and box.ran == []


def test_rejected_code_gets_no_token() -> None:
    rejected, token = validated(RunRequest(code=EVIL, data=None), "validator")
    assert rejected is not None and rejected.status == "rejected" and token == ""
