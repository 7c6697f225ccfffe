"""A failed run's message says what went wrong, not only where to look: backtesting.py's
``Indicator "X" error. See traceback above.`` carries its cause, and a pandas Series read
by position (``KeyError: -1``) says how to read it. Through the real local sandbox."""

from __future__ import annotations

from backtesting.test import GOOG

from executor.backends.local.sandbox import LocalSandbox
from executor.types import RunRequest

HEAD = "import pandas as pd\nimport talib\nfrom backtesting import Strategy\nclass S(Strategy):\n"


def _error(init: str, nxt: str = "pass") -> dict:
    code = HEAD + f"    def init(self):\n        {init}\n    def next(self):\n        {nxt}\n"
    r = LocalSandbox().run(RunRequest(code=code, data=GOOG))
    assert r.status == "error", r
    assert isinstance(r.error, dict)
    return r.error


def test_an_indicator_error_names_its_cause() -> None:
    err = _error("self.r = self.I(talib.RSI, self.data.Close, period=14)")
    assert err["class"] == "indicator_error"
    assert err["message"] == ('Indicator "RSI(C,14)" error. TypeError: RSI() got an unexpected '
                              "keyword argument 'period'")
    assert "See traceback above" in err["traceback"]  # the traceback itself is untouched


def test_a_series_read_by_position_says_to_use_iloc() -> None:
    err = _error("pass", "v = pd.Series(self.data.Volume).rolling(5).mean()[-1]")
    assert err["type"] == "KeyError"
    assert err["message"].startswith("-1: no row or column labelled -1")
    assert "use .iloc[-1]" in err["message"]


def test_a_missing_column_keeps_its_own_message() -> None:
    err = _error("self.x = self.data.df['Adj Close']")
    assert err["type"] == "KeyError" and err["message"] == "'Adj Close'"


def test_a_strategy_without_init_is_named_with_what_it_lacks() -> None:
    code = "from backtesting import Strategy\nclass OnlyNext(Strategy):\n    def next(self):\n        pass\n"
    r = LocalSandbox().run(RunRequest(code=code, data=GOOG))
    assert r.status == "error" and isinstance(r.error, dict)
    assert r.error["message"].startswith("class OnlyNext(Strategy) does not define init()")
    assert "def init(self): pass" in r.error["message"]
