"""entry_condition_report(): how often each order guard held, on a real backtest."""

from __future__ import annotations

import json

import talib
from backtesting.test import GOOG

from agents.codefix import entry_condition_report
from agents.codefix.diagnose import diagnose
from tests.conftest import TESTS

CORPUS = TESTS / "corpus" / "llm_scripts"


def test_zero_trade_script_shows_the_condition_that_never_holds() -> None:
    report = entry_condition_report((CORPUS / "zero_trades_impossible.py").read_text(), GOOG)
    by_expr = {s.expr: s for s in report}
    trend = by_expr["self.data.Close[-1] > self.sma200[-1]"]
    rsi = by_expr["self.rsi[-1] < 5"]
    both = by_expr["self.rsi[-1] < 5 and self.data.Volume[-1] > 3 * self.vol_ma[-1]"]
    outer = by_expr["not self.position"]
    bars = outer.bars
    assert bars == len(GOOG) - 200  # next() starts after the 200-bar SMA warm-up
    assert outer.true_count == outer.evaluated == bars  # never in a position
    assert 0 < trend.true_count < trend.evaluated == bars
    assert rsi.kind == "and-operand" and rsi.evaluated == trend.true_count
    assert rsi.true_count == 0 and both.true_count == 0
    assert all(s.orders == "buy" for s in (trend, rsi, both))
    json.dumps([s.to_dict() for s in report])  # JSON-able


def test_counts_match_an_independent_computation() -> None:
    code = """
import talib
from backtesting import Strategy

class S(Strategy):
    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, 14)

    def next(self):
        if self.rsi[-1] < 30:
            self.buy(size=1)
        elif self.rsi[-1] > 70:
            self.sell(size=1)
"""
    report = entry_condition_report(code, GOOG)
    rsi = talib.RSI(GOOG.Close.to_numpy(dtype=float), 14)
    first_valid = int((rsi != rsi).sum())
    valid = rsi[first_valid + 1:]  # backtesting starts next() one bar after the warm-up
    assert [s.expr for s in report] == ["self.rsi[-1] < 30", "self.rsi[-1] > 70"]
    low, high = report
    assert low.bars == len(valid) == low.evaluated
    assert low.true_count == int((valid < 30).sum())
    assert high.evaluated == low.bars - low.true_count
    assert high.true_count == int((valid > 70).sum())
    assert high.orders == "sell"


def test_failing_strategy_returns_partial_counts() -> None:
    code = """
from backtesting import Strategy

class S(Strategy):
    def init(self):
        pass

    def next(self):
        if len(self.data) > 100:
            raise RuntimeError("boom")
        if self.data.Close[-1] > 0:
            self.buy()
"""
    (second,) = entry_condition_report(code, GOOG)
    assert second.expr == "self.data.Close[-1] > 0"
    assert second.true_count == second.evaluated > 0 and second.bars == second.evaluated + 1
    result = diagnose(code, GOOG)
    assert result["error"]["type"] == "RuntimeError" and result["error"]["message"] == "boom"
    assert result["conditions"] == [second.to_dict()] and result["trades"] == 0
    json.dumps(result)



