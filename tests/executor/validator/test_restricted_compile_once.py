"""RestrictedPython compiles a code version once per process (the harness parent does it
before forking the workers); every exec still makes a fresh module.

Guards: the second exec of the same source does not compile again, another source (or
file name) does and replaces the kept one, two execs share no module state, and a
refused source raises on every exec, not only the first."""

from __future__ import annotations

import pytest

from executor.validator import restricted

CODE = "STATE = []\n\ndef add(x):\n    STATE.append(x)\n    return len(STATE)\n"


def test_one_compile_per_source(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = restricted.compile_restricted_exec

    def counting(code: str, filename: str, **kw: object) -> object:
        calls.append(filename)
        return real(code, filename, **kw)

    monkeypatch.setattr(restricted, "compile_restricted_exec", counting)
    restricted._COMPILED.clear()
    a = restricted.exec_restricted(CODE, "strategy", "strategy.py")
    b = restricted.exec_restricted(CODE, "strategy", "strategy.py")
    assert calls == ["strategy.py"]
    assert a is not b and a.add(1) == 1 and a.add(2) == 2 and b.add(3) == 1  # fresh state
    restricted.exec_restricted(CODE + "\nX = 1\n", "strategy", "strategy.py")
    restricted.exec_restricted(CODE, "strategy", "other.py")
    restricted.exec_restricted(CODE, "strategy", "strategy.py")
    assert calls == ["strategy.py", "strategy.py", "other.py", "strategy.py"]
    assert len(restricted._COMPILED) == 1


def test_a_refused_source_raises_every_time() -> None:
    bad = "import os\nx = os.__dict__\n"
    for _ in range(2):
        with pytest.raises(SyntaxError):
            restricted.exec_restricted(bad, "strategy", "strategy.py")
