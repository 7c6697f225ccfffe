"""classify() and fix(): each error class on a small strategy, run before and after."""

from __future__ import annotations

import textwrap

import pytest
from backtesting.test import GOOG

from agents.codefix import classify, fix, package
from agents.codefix.classify import CLASSES
from agents.codefix.run import run_strategy

HEAD = "import numpy as np\nimport pandas as pd\nimport talib\nfrom backtesting import Strategy\n\n"


def strategy(init: str, next_: str) -> str:
    return HEAD + "class S(Strategy):\n    def init(self):\n" + textwrap.indent(
        textwrap.dedent(init).strip() or "pass", " " * 8) + "\n\n    def next(self):\n" \
        + textwrap.indent(textwrap.dedent(next_).strip(), " " * 8) + "\n"


CASES = {
    "column_key": strategy("self.sma = self.I(talib.SMA, self.data.close, 20)",
                           """
                           if self.data['close'][-1] > self.sma[-1] and not self.position:
                               self.buy()
                           """),
    "talib_dtype": strategy("self.obv = self.I(talib.OBV, self.data.Close, self.data.Volume)",
                            "if self.obv[-1] > self.obv[-2] and not self.position:\n"
                            "    self.buy()"),
    "series_vs_array": strategy(
        "self.ma = self.I(lambda: self.data.Close.rolling(20).mean())",
        "if self.data.Close.iloc[-1] > self.ma[-1] and not self.position:\n    self.buy()"),
    "invented_attribute": strategy(
        "self.rsi = self.I(talib.RSI, self.data.Close, 14)",
        """
        if not self.position and self.rsi[-1] < 30:
            self.buy(exectype='Market')
        elif self.position and self.data.Close[-1] > self.position.entry_price * 1.05:
            self.position.close()
        """),
    "size_assertion": strategy("", """
        if not self.position:
            self.buy(size=0.3 * self.equity / self.data.Close[-1])
        elif len(self.trades) and len(self.data) % 20 == 0:
            self.position.close()
        """),
    "sl_tp_order": strategy("", """
        price = self.data.Close[-1]
        if not self.position and len(self.data) % 10 == 0:
            self.sell(size=0.2, sl=price * 0.95, tp=price * 1.10)
        """),
    "indicator_error": strategy(
        "self.atr = self.I(talib.ATR, self.data.Close, 14)\n"
        "self.rsi = self.I(talib.RSI(self.data.Close, 14))",
        "if self.rsi[-1] < 30 and not self.position:\n    self.buy()"),
}


@pytest.mark.parametrize("expected", sorted(CASES))
def test_each_class_is_produced_classified_and_fixed(expected: str) -> None:
    code = CASES[expected]
    stats, err = run_strategy(code, GOOG)
    assert err is not None
    assert classify(err) == expected
    result = fix(code, expected, err)
    assert result.changes and all(c.description for c in result.changes)
    stats, err2 = run_strategy(result.code, GOOG, finalize_trades=True)
    assert err2 is None, err2 and err2["traceback"][-600:]
    assert stats is not None and stats["# Trades"] > 0


def test_fix_texts() -> None:
    r = fix(CASES["column_key"], "column_key")
    assert "self.data.Close, 20" in r.code and "self.data['Close'][-1]" in r.code
    r = fix(CASES["talib_dtype"], "talib_dtype")
    assert "np.asarray(self.data.Volume, dtype=float)" in r.code
    r = fix(CASES["series_vs_array"], "series_vs_array")
    assert "pd.Series(self.data.Close).rolling(20)" in r.code
    assert "self.data.Close[-1] > self.ma[-1]" in r.code
    r = fix(CASES["invented_attribute"], "invented_attribute",
            {"type": "TypeError", "message": "Strategy.buy() got an unexpected keyword "
                                             "argument 'exectype'"})
    assert "self.buy()" in r.code
    assert "(self.trades[-1].entry_price if self.trades else self.data.Close[-1])" in r.code
    r = fix(CASES["indicator_error"], "indicator_error")
    assert "self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, 14)" in r.code
    assert "self.I(talib.RSI, self.data.Close, 14)" in r.code


def test_broker_and_data_frame_attributes() -> None:
    code = strategy("", """
        value = self.broker.getvalue() + self.broker.get_cash() + self.broker.cash
        cols = self.data.columns
        t = self.position.entry_time
    """)
    r = fix(code, "invented_attribute")
    assert "value = self.equity + self.equity + self.equity" in r.code
    assert "cols = self.data.df.columns" in r.code
    assert "self.trades[-1].entry_time if self.trades" in r.code


def test_order_guard_semantics() -> None:
    """The inserted helper: units floored, fractions kept, NaN skipped, 0 -> the smallest
    valid order (1 unit), SL/TP swapped."""
    code = strategy("", """
        n = len(self.data)
        price = self.data.Close[-1]
        if n == 30:
            self.buy(size=2.7)
        if n == 40:
            self.position.close()
        if n == 50:
            self.buy(size=float('nan'))
        if n == 60:
            self.buy(size=0, sl=price * 0.9)
        if n == 65:
            self.position.close()
        if n == 70:
            self.sell(size=0.1, sl=price * 0.9, tp=price * 1.1)
    """)
    r = fix(code, "size_assertion")
    r = fix(r.code, "sl_tp_order")
    assert r.code.count("def _rbi_order") == 1
    stats, err = run_strategy(r.code, GOOG)
    assert err is None, err
    trades = stats["_trades"]
    assert trades["Size"].iloc[0] == 2  # 2.7 units floored; the NaN order skipped
    assert trades["Size"].iloc[1] == 1  # size 0 -> one unit
    assert trades["Size"].iloc[2] < 0
    assert len(trades) == 3
    assert trades["SL"].iloc[2] > trades["EntryPrice"].iloc[2]  # swapped: short SL above
    assert trades["TP"].iloc[2] < trades["EntryPrice"].iloc[2]


def test_no_rule_applies_returns_code_unchanged() -> None:
    code = CASES["column_key"]
    for cls in ("nan_stats", "zero_trades", "other", "sl_tp_order"):
        r = fix(code, cls)
        assert r.code == code and r.changes == []
    assert fix("def broken(:\n", "column_key").code == "def broken(:\n"
    with pytest.raises(ValueError):
        fix(code, "no-such-class")


@pytest.mark.parametrize(("error", "expected"), [
    ({"type": "KeyError", "message": "close"}, "column_key"),
    ({"type": "KeyError", "message": "'Adj Close'"}, "column_key"),
    ({"type": "KeyError", "message": "signal"}, "other"),
    ({"type": "AttributeError", "message": "Column 'columns' not in data"}, "invented_attribute"),
    ({"type": "AttributeError", "message": "'_Indicator' object has no attribute 'shift'"},
     "series_vs_array"),
    ({"type": "AttributeError", "message": "'Position' object has no attribute 'entry_price'"},
     "invented_attribute"),
    ({"type": "AssertionError", "message": "size must be a positive fraction of equity, or a "
                                           "positive whole number of units"}, "size_assertion"),
    ({"type": "ValueError", "message": "Short orders require: TP (None) < LIMIT (1.0) < SL (0.9)"},
     "sl_tp_order"),
    ({"type": "SyntaxError", "message": "'(' was never closed"}, "truncated"),
    ({"type": "SyntaxError", "message": "invalid syntax"}, "syntax"),
    ({"type": "ModuleNotFoundError", "message": "No module named 'pandas_ta'"}, "import"),
    ({"type": "zero_trades", "message": ""}, "zero_trades"),
    ({"type": "ZeroDivisionError", "message": "division by zero"}, "other"),
])
def test_classify_messages(error: dict, expected: str) -> None:
    assert classify(error) == expected
    assert expected in CLASSES


CHAINED = """Traceback (most recent call last):
  File "backtesting.py", line 144, in I
    value = func(*args, **kwargs)
Exception: input array type is not double

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "<strategy>", line 9, in init
RuntimeError: Indicator "OBV(C,V)" error. See traceback above.
"""


def test_classify_uses_the_chained_cause() -> None:
    err = {"type": "RuntimeError", "message": 'Indicator "OBV(C,V)" error. See traceback above.',
           "traceback": CHAINED}
    assert classify(err) == "talib_dtype"
    assert classify({"traceback": CHAINED}) == "talib_dtype"
    other = CHAINED.replace("Exception: input array type is not double",
                            "ZeroDivisionError: division by zero")
    assert classify({"type": "RuntimeError", "message": "Indicator \"X\" error",
                     "traceback": other}) == "indicator_error"


def test_package_then_fix_keeps_working_on_clean_code() -> None:
    """Clean harness-ready code passes through package() untouched."""
    code = strategy("self.rsi = self.I(talib.RSI, self.data.Close, 14)",
                    "if self.rsi[-1] < 30 and not self.position:\n    self.buy()")
    result = package(code)
    assert result.code == code and result.changes == [] and result.unresolved == []
    assert not result.is_script and result.strategy_classes == ["S"]


def test_syntax_error_on_the_last_line_is_truncation() -> None:
    code = "from backtesting import Strategy\nclass S(Strategy):\n    def next(self):\n" \
           "        print(f\"🚀 {self.data.Close[-1]:.2f\n"
    stats, err = run_strategy(code, GOOG)
    assert err is not None and err["type"] == "SyntaxError"
    assert classify(err) == "syntax"
    assert classify(err | {"code": code}) == "truncated"
    assert classify(err | {"code": code + "\nx = 1\ny = 2\n"}) == "syntax"


def test_import_class_maps_pandas_ta_to_talib() -> None:
    code = HEAD.replace("import talib\n", "import pandas_ta as ta\n") + textwrap.dedent("""
        class S(Strategy):
            def init(self):
                self.rsi = self.I(ta.rsi, pd.Series(self.data.Close), length=14)

            def next(self):
                if self.rsi[-1] < 30 and not self.position:
                    self.buy()
    """)
    stats, err = run_strategy(code, GOOG)
    assert err is not None and classify(err) == "import"  # pandas_ta is not installed
    result = fix(code, "import", err)
    assert "pandas_ta" not in result.code and "self.I(talib.RSI" in result.code
    stats, err = run_strategy(result.code, GOOG, finalize_trades=True)
    assert err is None and stats["# Trades"] > 0
