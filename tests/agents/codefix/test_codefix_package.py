"""package(): pandas_ta / ta -> talib mapping, import rewriting, robustness on odd input."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
import talib
from backtesting.test import GOOG

from agents.codefix import fix, package
from agents.codefix.classify import CLASSES
from agents.codefix.run import load_strategy
from tests.conftest import TESTS

CORPUS = TESTS / "corpus" / "llm_scripts"


def pkg(code: str) -> str:
    return package(textwrap.dedent(code)).code


@pytest.mark.parametrize(("before", "after"), [
    ("ta.rsi(close, length=14)", "talib.RSI(close, timeperiod=14)"),
    ("ta.rsi(close, 21)", "talib.RSI(close, timeperiod=21)"),
    ("ta.sma(close)", "talib.SMA(close, timeperiod=10)"),
    ("ta.ema(close=c, length=n)", "talib.EMA(c, timeperiod=n)"),
    ("ta.atr(h, l, c, length=10)", "talib.ATR(h, l, c, timeperiod=10)"),
    ("ta.adx(h, l, c)['ADX_14']", "talib.ADX(h, l, c, timeperiod=14)"),
    ("ta.adx(h, l, c)['DMP_14']", "talib.PLUS_DI(h, l, c, timeperiod=14)"),
    ("ta.bbands(c, length=20, std=2)['BBU_20_2.0']",
     "talib.BBANDS(c, timeperiod=20, nbdevup=2, nbdevdn=2)[0]"),
    ("ta.bbands(c, length=20, std=2).iloc[:, 0]",
     "talib.BBANDS(c, timeperiod=20, nbdevup=2, nbdevdn=2)[2]"),
    ("ta.macd(c)['MACDs_12_26_9']",
     "talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)[1]"),
    ("ta.stoch(h, l, c)['STOCHd_14_3_3']",
     "talib.STOCH(h, l, c, fastk_period=14, slowd_period=3, slowk_period=3)[1]"),
    ("self.I(ta.rsi, self.data.Close, length=7, name='RSI')",
     "self.I(talib.RSI, self.data.Close, timeperiod=7, name='RSI')"),
    ("ta.ema(ta.rsi(c, length=14), length=5)",
     "talib.EMA(talib.RSI(c, timeperiod=14), timeperiod=5)"),
])
def test_pandas_ta_calls(before: str, after: str) -> None:
    result = package(f"import pandas_ta as ta\nx = {before}\n")
    assert result.code == f"import talib\nx = {after}\n"
    assert result.unresolved == [c for c in result.unresolved if c.rule == "no-strategy"]


@pytest.mark.parametrize(("before", "after"), [
    ("ta.momentum.RSIIndicator(c, window=10).rsi()", "talib.RSI(c, timeperiod=10)"),
    ("ta.trend.SMAIndicator(c, 50).sma_indicator()", "talib.SMA(c, timeperiod=50)"),
    ("ta.trend.MACD(c).macd_diff()",
     "talib.MACD(c, slowperiod=26, fastperiod=12, signalperiod=9)[2]"),
    ("ta.volatility.BollingerBands(c, 20, 2).bollinger_mavg()",
     "talib.BBANDS(c, timeperiod=20, nbdevup=2, nbdevdn=2)[1]"),
    ("ta.trend.ADXIndicator(h, l, c).adx_neg()", "talib.MINUS_DI(h, l, c, timeperiod=14)"),
])
def test_ta_library_calls(before: str, after: str) -> None:
    result = package(f"import ta\nx = {before}\n")
    assert result.code == f"import talib\nx = {after}\n"


def test_ta_mapping_matches_the_library_definitions() -> None:
    """The mapped STOCH of ta's StochasticOscillator equals its definition (fast %K)."""
    h, lo, c = (GOOG[k].to_numpy(dtype=float) for k in ("High", "Low", "Close"))
    code = pkg("""
        from ta.momentum import StochasticOscillator
        def k(h, lo, c):
            return StochasticOscillator(h, lo, c, window=14, smooth_window=3).stoch()
    """)
    ns: dict = {}
    exec(code, ns)
    lowest = pd.Series(lo).rolling(14).min()
    highest = pd.Series(h).rolling(14).max()
    expected = 100 * (c - lowest) / (highest - lowest)
    got = ns["k"](h, lo, c)
    assert np.allclose(got[20:], expected[20:], equal_nan=True)
    assert np.allclose(got[20:], talib.STOCHF(h, lo, c, 14, 3)[0][20:])


def test_unmappable_usage_is_reported_and_import_kept() -> None:
    result = package("import pandas_ta as ta\nx = ta.supertrend(h, l, c)\n"
                     "y = ta.bbands(c)['BBB_5_2.0']\n")
    assert result.code == ("import pandas_ta as ta\nx = ta.supertrend(h, l, c)\n"
                           "y = ta.bbands(c)['BBB_5_2.0']\n")
    texts = " ".join(u.description for u in result.unresolved if u.rule == "ta-to-talib")
    assert "no talib equivalent for this output column" in texts
    assert {u.line for u in result.unresolved if u.rule == "ta-to-talib"} == {2, 3}


def test_bound_result_with_other_use_is_unresolved() -> None:
    result = package("import pandas_ta as ta\ndef f(c):\n    bb = ta.bbands(c)\n"
                     "    return bb[bb.columns[0]]\n")
    assert any(u.rule == "ta-to-talib" and "bb" in u.description for u in result.unresolved)
    assert "bb = ta.bbands(c)" in result.code
    other = package("import pandas_ta as ta\ndef f(c):\n    bb = ta.bbands(c)\n"
                    "    return bb['BBU_5_2.0'], bb.columns\n")
    assert any("used other than by column key" in u.description for u in other.unresolved)


def test_disallowed_import_still_used_is_unresolved() -> None:
    result = package("import scipy.stats as st\nfrom backtesting import Strategy\n"
                     "class S(Strategy):\n    def init(self):\n"
                     "        self.z = self.I(st.zscore, self.data.Close)\n"
                     "    def next(self):\n        pass\n")
    assert "import scipy.stats as st" in result.code
    assert any("scipy" in u.description for u in result.unresolved)


def test_termcolor_prints_become_print() -> None:
    code = pkg("""
        from termcolor import cprint, colored
        def f(x):
            cprint(f"🌙 {x}", "green", attrs=["bold"])
            print(colored("a", "red") + colored(x + "b", "blue"))
    """)
    assert "termcolor" not in code
    assert 'print(f"🌙 {x}")' in code and 'print("a" + (x + "b"))' in code


def test_comments_and_helpers_survive_driver_removal() -> None:
    code = pkg("""
        import pandas as pd
        from backtesting import Backtest, Strategy

        RISK = 0.02  # risk per trade 🌙
        df = pd.read_csv("/data/x.csv")
        df["sma"] = df["Close"].rolling(5).mean()


        def helper(a):
            # keep me
            return a * RISK


        class S(Strategy):
            def init(self):
                pass

            def next(self):
                pass


        for n in range(3):
            print(Backtest(df, S).run())
    """)
    assert "RISK = 0.02  # risk per trade 🌙" in code and "# keep me" in code
    assert "read_csv" not in code and "for n in range" not in code and "df[" not in code
    cls = load_strategy(code)
    assert cls.__name__ == "S"


def test_every_truncation_of_every_fixture_is_handled() -> None:
    """Cut each fixture at every line: package() and fix() never raise."""
    for path in sorted(CORPUS.glob("*.py")):
        lines = path.read_text().splitlines(keepends=True)
        for k in range(0, len(lines) + 1, 3):
            code = "".join(lines[:k])
            result = package(code)
            assert isinstance(result.code, str)
        for cls in CLASSES:
            assert isinstance(fix(path.read_text(), cls).code, str)


@pytest.mark.parametrize("odd", ["", "\x00", "(" * 300 + ")" * 300, "x = 1" + "+1" * 20000,
                                 "# only a comment\n", "\ufeffimport os\n", "def f(:\n"])
def test_odd_input_never_crashes(odd: str) -> None:
    result = package(odd)
    assert isinstance(result.code, str)
    if result.changes and result.changes[0].rule == "syntax-error":
        assert result.code == odd


def test_precomputed_columns_move_into_init_unless_modified_elsewhere() -> None:
    code = textwrap.dedent("""
        import pandas as pd
        from backtesting import Backtest, Strategy
        data = pd.read_csv("/x/BTC.csv")
        data['ma'] = data['close'].rolling(10).mean()
        data['signal'] = 0
        data.loc[data['Close'] > data['ma'], 'signal'] = 1
        data['entry'] = data['signal'].diff()
        data['trend'] = data['ma'].diff()
        class S(Strategy):
            def init(self):
                pass
            def next(self):
                if self.data.ma[-1] > 0 and self.data['trend'][-1] > 0 and self.data.entry[-1]:
                    self.buy()
        print(Backtest(data, S).run())
    """)
    result = package(code)
    assert "df['ma'] = df['Close'].rolling(10).mean()" in result.code
    assert "self.ma[-1] > 0 and self.trend[-1] > 0 and self.data.entry[-1]" in result.code
    assert [c.description for c in result.unresolved if c.rule == "precomputed-column"] == [
        "strategy reads column 'entry' that the script computed on its own frame; compute it "
        "in init() with self.I(...)"]
    ns: dict = {}
    cls = load_strategy(result.code, ns)
    ma = ns["_rbi_columns"](GOOG)["ma"]
    assert np.allclose(ma.iloc[9:], GOOG.Close.rolling(10).mean().iloc[9:])
    assert cls.__name__ == "S"


def test_names_computed_by_the_driver_are_reported() -> None:
    result = package(textwrap.dedent("""
        import pandas as pd
        from backtesting import Strategy
        data = pd.read_csv("/x.csv")
        PIP = data["Close"].mean() * 0.001
        class S(Strategy):
            def init(self):
                pass
            def next(self):
                if self.data.Close[-1] > PIP:
                    self.buy()
    """))
    assert [(u.rule, "PIP" in u.description) for u in result.unresolved] == [
        ("driver-name", True)]
