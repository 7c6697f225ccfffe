"""pandas_ta-style keyword names on talib calls are renamed to talib's own parameters."""

from __future__ import annotations

from backtesting.test import GOOG

from agents.codefix import fix, package
from agents.codefix.classify import classify
from agents.codefix.rules.talib_kwargs import talib_keyword, talib_parameters
from agents.codefix.run import run_strategy

CODE = '''import talib
from backtesting import Strategy


class S(Strategy):
    rsi_len = 14

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, period=self.rsi_len, name="RSI")
        self.sma = self.I(talib.SMA, self.data.Close, length=50)
        self.ema = talib.EMA(self.data.Close, window=20)
        macd, signal, _ = talib.MACD(self.data.Close, fast=12, slow_period=26, signal=9)
        self.macd = self.I(lambda: macd)

    def next(self):
        if not self.position and self.rsi[-1] < 40 and self.data.Close[-1] > self.sma[-1]:
            self.buy()
        elif self.position and self.rsi[-1] > 60:
            self.position.close()
'''


def test_talib_keywords_follow_talib_metadata() -> None:
    assert talib_parameters("RSI") == ("timeperiod",)
    assert talib_keyword("period", ("timeperiod",)) == "timeperiod"
    assert talib_keyword("n", ("timeperiod", "nbdevup", "nbdevdn", "matype")) == "timeperiod"
    assert talib_keyword("fast", ("fastperiod", "slowperiod", "signalperiod")) == "fastperiod"
    assert talib_keyword("period", ("acceleration", "maximum")) is None  # SAR: no period


def test_package_renames_period_keywords_and_the_strategy_runs() -> None:
    stats, err = run_strategy(CODE, GOOG)
    assert stats is None and err is not None  # talib: unexpected keyword
    out = package(CODE)
    assert "self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_len, name=\"RSI\")" \
        in out.code
    assert "self.I(talib.SMA, self.data.Close, timeperiod=50)" in out.code
    assert "talib.EMA(self.data.Close, timeperiod=20)" in out.code
    assert "fastperiod=12, slowperiod=26, signalperiod=9" in out.code
    stats, err = run_strategy(out.code, GOOG)
    assert err is None, err
    assert stats is not None and stats["# Trades"] > 0


def test_indicator_error_fix_renames_the_keyword() -> None:
    code = CODE.replace("length=50", "timeperiod=50").replace("window=20", "timeperiod=20")
    code = code.replace("fast=12, slow_period=26, signal=9", "12, 26, 9")
    stats, err = run_strategy(code, GOOG)
    assert err is not None
    error_class = classify(err)
    fixed = fix(code, error_class, err)
    assert "timeperiod=self.rsi_len" in fixed.code, (error_class, err.get("message"))
    assert run_strategy(fixed.code, GOOG)[1] is None
