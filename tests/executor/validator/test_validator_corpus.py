"""The attack and benign corpora: every attack is rejected or marked for run-time containment,
every benign strategy validates clean and really runs with backtesting.py on GOOG."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import warnings
from pathlib import Path

import pytest

from executor.validator import validate
from tests.conftest import ROOT, TESTS

CORPUS = TESTS / "corpus"
ATTACKS = sorted((CORPUS / "attacks").glob("*.py"))
BENIGN = sorted((CORPUS / "benign").glob("*.py"))


def expectation(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: ...'"
    return first.removeprefix("# expect: ").strip()


def test_corpus_sizes() -> None:
    assert len(ATTACKS) >= 40
    assert len([p for p in BENIGN if expectation(p) == "benign"]) >= 25
    assert any(expectation(p) == "benign-script" for p in BENIGN)
    assert {expectation(p) for p in ATTACKS} == {"reject", "contain"}


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_attack(path: Path) -> None:
    expect = expectation(path)
    violations = validate(path.read_bytes())
    assert all(v.rule != "validator-internal" for v in violations), violations
    if expect == "reject":
        assert violations, f"{path.name} must be rejected statically"
        assert all(v.hint and v.message and v.line >= 1 for v in violations)
    else:  # contained at run time: must be a well-formed strategy the validator lets through
        assert expect == "contain"
        assert violations == [], violations


@pytest.mark.parametrize("path", BENIGN, ids=lambda p: p.stem)
def test_benign_validates_clean(path: Path) -> None:
    script = expectation(path) == "benign-script"
    assert validate(path.read_bytes(), script=script) == []
    if script:  # scripts read their own CSV: refused when judged as a plain strategy module
        assert validate(path.read_bytes(), script=False) != []


def load_strategy(path: Path) -> type:
    from backtesting import Strategy

    name = f"rbi_benign_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Strategy) and c.__module__ == name]
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    assert len(leaves) == 1, f"{path.name}: expected one leaf Strategy, got {leaves}"
    return leaves[0]


@pytest.mark.parametrize("path", [p for p in BENIGN if expectation(p) == "benign"],
                         ids=lambda p: p.stem)
def test_benign_runs_on_goog(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from backtesting import Backtest
    from backtesting.test import GOOG

    strategy = load_strategy(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(GOOG, strategy, cash=10_000, commission=.002).run()
    assert stats["Equity Final [$]"] > 0
    assert len(stats["_equity_curve"]) == len(GOOG)


# Real strategies outside the corpus: the shipped examples, the harness fixtures, the
# bring-your-own script and every LLM script once codefix has packaged it. None may be
# refused by the validator (the generic bypass rules must not cost benign code).
REPO = ROOT
MODULES = [REPO / "examples" / "sma_cross.py", REPO / "tests" / "strategies" / "sma_cross.py"]
SCRIPTS = [REPO / "tests" / "strategies" / "script_style.py", CORPUS / "byo" / "moon_sma_rsi.py"]
LLM_SCRIPTS = sorted(p for p in (CORPUS / "llm_scripts").glob("*.py")
                     if p.name not in ("backtrader_strategy.py", "truncated_reply.py"))


@pytest.mark.parametrize("path", MODULES + SCRIPTS, ids=lambda p: p.stem)
def test_shipped_strategies_validate(path: Path) -> None:
    assert validate(path.read_bytes(), script=path in SCRIPTS) == []


@pytest.mark.parametrize("path", LLM_SCRIPTS, ids=lambda p: p.stem)
def test_packaged_llm_scripts_validate(path: Path) -> None:
    from agents.codefix import package

    assert validate(package(path.read_text()).code) == []
