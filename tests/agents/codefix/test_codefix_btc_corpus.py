"""The llm_btc corpus (files written the way models write them, BTC 15-minute data):
every codefix rule's output validates whenever its input did; private-engine reads are
rewritten and writes refused; truncated replies are classified and trimmed; zero trades
widen within the spec's range; an honest fixture never comes back ``tampered``."""

from __future__ import annotations

import ast
import json

import pytest

from agents.codefix import classify, fix, package
from agents.codefix.classify import CLASSES
from agents.codefix.rules.private_engine import CASH
from agents.codefix.source import strategy_class_names
from agents.codefix.truncated import is_truncated, rescue_truncated
from agents.codefix.zero_trades import widen
from executor.validator import validate
from tests.conftest import TESTS

CORPUS = TESTS / "corpus" / "llm_btc"
MANIFEST: dict[str, str] = json.loads((CORPUS / "MANIFEST.json").read_text())
ALL = sorted(MANIFEST)


def _text(name: str) -> str:
    return (CORPUS / name).read_text()


def test_corpus_has_the_issue_categories() -> None:
    assert {p.name for p in CORPUS.glob("*.py")} == set(MANIFEST)
    assert len(MANIFEST) >= 40
    cats = set(MANIFEST.values())
    assert {"ok", "private_engine", "private_engine+sizing", "sizing", "api_slip",
            "zero_trades", "truncated", "sl_tp_order", "indicator_error"} <= cats


@pytest.mark.parametrize("name", ALL)
def test_every_rule_output_validates_when_its_input_did(name: str) -> None:
    """package() and every fix() class, applied to each fixture (raw and packaged)."""
    packaged = package(_text(name))
    inputs = [packaged.code]
    if not validate(packaged.code):
        inputs += [fix(packaged.code, c).code for c in ("size_assertion", "sl_tp_order")]
    for code in inputs:
        if validate(code):
            continue
        for cls in CLASSES:
            out = fix(code, cls, {"message": "unexpected keyword argument 'exectype'"})
            assert validate(out.code) == [], (name, cls, [str(c) for c in out.changes])
        again = package(code)
        assert validate(again.code) == [], (name, "package")


@pytest.mark.parametrize("name", [n for n in ALL if MANIFEST[n].startswith("private_engine")
                                  and MANIFEST[n] != "private_engine_write"])
def test_private_engine_reads_become_public_api(name: str) -> None:
    raw = _text(name)
    assert any(v.rule == "private-engine" for v in validate(package(raw).code)) is False
    assert any(v.rule == "private-engine" for v in validate(raw, script=True))
    packaged = package(raw)
    assert "_broker" not in packaged.code and "_adjusted_price" not in packaged.code
    assert any(c.rule == "private-engine" for c in packaged.changes)


def test_private_engine_write_is_refused_not_rewritten() -> None:
    packaged = package(_text("broker_cash_write.py"))
    assert "self._broker._cash = 1_000_000" in packaged.code
    assert any(u.rule == "private-engine" and "writes self._broker._cash" in u.description
               for u in packaged.unresolved)
    assert any(v.rule == "private-engine" for v in validate(packaged.code))
    assert f"if {CASH} < 1000" in packaged.code  # the read beside it is rewritten


def test_cash_rewrite_equals_the_brokers_cash() -> None:
    """equity - open trades' P/L is the broker's cash (guards the CASH expression)."""
    from backtesting import Backtest, Strategy
    from backtesting.test import GOOG

    seen: list[tuple[float, float]] = []

    class Probe(Strategy):
        def init(self) -> None:
            pass

        def next(self) -> None:
            if len(self.data) == 20:
                self.buy(size=5)
            if len(self.data) == 60:
                self.sell(size=2)
            public = eval(CASH, {}, {"self": self})  # noqa: S307 - our own constant
            seen.append((public, self._broker._cash))

    Backtest(GOOG.iloc[:120], Probe, cash=10_000, commission=0.002).run()
    assert len(seen) > 100
    assert all(abs(a - b) < 1e-6 for a, b in seen), seen[25:30]


@pytest.mark.parametrize("name", [n for n in ALL if MANIFEST[n] == "truncated"])
def test_truncated_replies_are_classified_and_trimmed(name: str) -> None:
    raw = _text(name)
    assert is_truncated(raw)
    try:
        ast.parse(raw)
        raise AssertionError("fixture parses")
    except SyntaxError as e:
        err = {"type": "SyntaxError", "message": str(e.msg), "line": e.lineno, "code": raw}
    assert classify(err) == "truncated"
    code, changes = rescue_truncated(raw)
    assert changes and all(c.rule == "truncated" for c in changes)
    assert strategy_class_names(ast.parse(code).body and ast.parse(code))
    assert validate(package(raw).code) == []


def test_a_real_syntax_error_is_not_truncated() -> None:
    code = _text("ema_cross_rsi_filter.py").replace("def init(self):", "def init(self)")
    assert not is_truncated(code)
    assert rescue_truncated(code) == (code, [])


def test_driver_cut_loses_nothing_but_a_cut_inside_next_says_so() -> None:
    _, in_driver = rescue_truncated(_text("truncated_in_driver.py"))
    assert "nothing of the strategy is lost" in in_driver[-1].description
    _, in_next = rescue_truncated(_text("truncated_in_next.py"))
    assert "StochRsiReversal.next()" in in_next[-1].description
    assert "may miss the logic" in in_next[-1].description


def _widen(name: str, bars: int = 2800):  # type: ignore[no-untyped-def]
    from agents.inbox.byo import _parameters

    code = package(_text(name)).code
    tree = ast.parse(code)
    ps = _parameters(tree, strategy_class_names(tree)[-1])
    return widen(code, {p.name: (p.low, p.high) for p in ps}, bars)


def test_zero_trades_widen_within_range_and_shorten_warmup() -> None:
    got = _widen("rsi_extreme_daily_thresholds.py")
    assert got.params == {"rsi_oversold": 24, "volume_mult": 2.0}  # range ends [6, 24], [2, 8]
    assert "rsi_oversold = 24" in got.code and validate(got.code) == []
    warm = _widen("warmup_longer_than_data.py")
    assert warm.params == {"trend_period": 280}  # a tenth of 2800 bars
    impossible = _widen("contradictory_band_conditions.py")
    assert impossible.params == {} and "cannot both hold" in impossible.why_not


def test_no_honest_fixture_comes_back_tampered() -> None:
    """Every fixture that runs, packaged and run through the executor's local sandbox on
    BTC-like 15-minute data: none is reported ``tampered`` (honest code, honest stats)."""
    from bench.bench_codefix import synthetic_btc
    from executor.backends.local.sandbox import LocalSandbox
    from executor.sandbox import run
    from executor.types import BacktestOptions, RunRequest

    data = synthetic_btc(1500, 7)
    box = LocalSandbox()
    statuses = {}
    for name in ALL:
        if MANIFEST[name] in ("truncated", "private_engine_write"):
            continue
        code = package(_text(name)).code
        res = run(RunRequest(code=code, data=data, options=BacktestOptions(
            cash=100_000.0, commission=0.002), run_id=f"honest-{name}"), box)
        statuses[name] = res.status
    assert "tampered" not in statuses.values(), statuses
    assert sum(s == "ok" for s in statuses.values()) >= 20, statuses
