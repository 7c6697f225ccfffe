"""RestrictedPython layer: strategies still run with backtesting.py; attribute walks are refused."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from executor.validator.restricted import exec_restricted, restricted_violations
from tests.conftest import TESTS

SMACROSS = (TESTS / "corpus" / "benign" / "sma_cross.py").read_text()


def run(strategy: type, **kw: object) -> object:
    from backtesting import Backtest
    from backtesting.test import GOOG

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(GOOG, strategy, cash=10_000, commission=.002, **kw).run()


def test_smacross_under_restricted_matches_reference() -> None:
    module = exec_restricted(SMACROSS, "rbi_restricted_smacross", "sma_cross.py")
    stats = run(module.SmaCross, exclusive_orders=True)
    assert stats["# Trades"] == 93
    assert round(stats["Return [%]"], 3) == 462.635


def test_private_state_super_init_and_augassign() -> None:
    code = '''
from dataclasses import dataclass
from backtesting import Strategy
from backtesting.test import SMA


@dataclass
class Cfg:
    n: int = 10


class Base(Strategy):
    def init(self):
        self.sma = self.I(SMA, self.data.Close, Cfg().n)


class Child(Base):
    def __init__(self, broker, data, params):
        super().__init__(broker, data, params)
        self._count = 0
        self.__hidden = 0

    def next(self):
        self._count += 1
        self.__hidden += 2
        if self.data.Close[-1] > self.sma[-1] and not self.position:
            self.buy()
        elif self.position and self._count % 10 == 0:
            self.position.close()
        print(type(self).__name__, self.__class__.__name__, end="")
'''
    module = exec_restricted(code, "rbi_restricted_child", "child.py")
    stats = run(module.Child)
    assert stats["# Trades"] > 10


@pytest.mark.parametrize("code,exc", [
    ("import numpy as np\nx = getattr(np, 'o' + 's')", AttributeError),
    ("import numpy as np\nx = getattr(np, ''.join(['lo', 'ad']))", AttributeError),
    ("import pandas as pd\nm = pd.io", AttributeError),
    ("import typing\nm = typing.types", AttributeError),
    ("import backtesting\nm = backtesting.backtesting.sys", AttributeError),
    ("import numpy as np\nn = 'ctypes'\nx = getattr(np.zeros(1), n)", AttributeError),
    ("x = getattr(1, '__cl' + 'ass__')\ny = getattr(x, '__sub' + 'classes__')", AttributeError),
    ("import backtesting\nbacktesting.Backtest.run = 1", TypeError),
    ("from backtesting import Strategy\nsetattr(Strategy, 'buy', None)", TypeError),
    ("import os", ImportError),
    ("from numpy import load", AttributeError),
    ("import backtesting._stats", ImportError),
])
def test_runtime_refusals(code: str, exc: type[BaseException]) -> None:
    with pytest.raises(exc, match="restricted"):
        exec_restricted(code, "rbi_restricted_attack", "attack.py")


@pytest.mark.parametrize("code", [
    "x = ().__class__.__bases__",  # compile-time refusal
    "g = (i for i in [1])\nf = g.gi_frame",
    "x = eval('1')",
])
def test_compile_time_refusals(code: str) -> None:
    with pytest.raises((SyntaxError, NameError)):
        exec_restricted(code, "rbi_restricted_attack2", "attack.py")


def test_data_tamper_refused_at_run_time() -> None:
    code = '''
from backtesting import Strategy


class Tamper(Strategy):
    def init(self):
        name = "Cl" + "ose"
        arr = getattr(self.data, name)
        arr[:] = 1.0

    def next(self):
        pass
'''
    module = exec_restricted(code, "rbi_restricted_tamper", "tamper.py")
    with pytest.raises(TypeError, match="restricted"):
        run(module.Tamper)


def test_restricted_violations_maps_lines() -> None:
    v = restricted_violations("x = 1\ny = x.__dict__\n")
    assert v and v[0].rule == "restricted-python" and v[0].line == 2
    assert restricted_violations(SMACROSS) == []


# Run-time twins of the static bypass tests (issue 16): names built at run time reach the
# same refusals through the guards.
@pytest.mark.parametrize("code,exc", [
    ("t = '{0.' + '_' + '_globals__}'\nx = t.format(len)", AttributeError),
    ("t = '{0[x]._' + '_dict__}'\nf = getattr(str, 'form' + 'at')\nx = f(t, {'x': 1})",
     AttributeError),
    ("import pandas as pd\nx = getattr(pd.DataFrame(), 'sty' + 'le')", AttributeError),
    ("import pandas as pd\nx = getattr(pd.DataFrame(), 'to_' + 'xarray')", AttributeError),
    ("import pandas as pd\nf = getattr(pd, 'show_' + 'versions')", AttributeError),
    ("from backtesting import Backtest\nf = getattr(Backtest, '__in' + 'it__')", AttributeError),
])
def test_runtime_refusals_generic(code: str, exc: type[BaseException]) -> None:
    with pytest.raises(exc, match="restricted"):
        exec_restricted(code, "rbi_restricted_attack3", "attack.py")


def test_runtime_format_and_own_init_still_work() -> None:
    code = ("class A:\n    def __init__(self):\n        self.v = 1\n"
            "class B(A):\n    def __init__(self):\n        A.__init__(self)\n"
            "s = '{:.2f} {}'.format(1.5, B().v)\nt = str.format('{0}', 2)\n")
    module = exec_restricted(code, "rbi_restricted_ok", "ok.py")
    assert (module.s, module.t) == ("1.50 1", "2")


BENIGN = sorted(p for p in (TESTS / "corpus" / "benign").glob("*.py")
                if p.read_text().startswith("# expect: benign\n"))


@pytest.mark.parametrize("path", BENIGN, ids=lambda p: p.stem)
def test_benign_corpus_same_result_under_guards(path: Path) -> None:
    """On-by-default needs every benign strategy to give the very same result guarded."""
    import inspect

    from backtesting import Strategy

    from tests.executor.validator.test_validator_corpus import load_strategy

    module = exec_restricted(path.read_text(), f"rbi_guarded_{path.stem}", path.name)
    classes = [c for _, c in inspect.getmembers(module, inspect.isclass)
               if issubclass(c, Strategy) and c.__module__ == module.__name__]
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    guarded, plain = run(leaves[0]), run(load_strategy(path))
    assert guarded["# Trades"] == plain["# Trades"]  # type: ignore[index]
    assert guarded["Equity Final [$]"] == plain["Equity Final [$]"]  # type: ignore[index]
