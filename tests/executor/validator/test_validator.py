"""Rule-level tests for executor.validator.validate (each asserts a specific rule or a clean pass)."""

from __future__ import annotations

import pytest

from executor import validate as executor_validate
from executor.validator import DEFAULT_ALLOWED_IMPORTS, RULES, validate

HEAD = "import numpy as np\nimport pandas as pd\nimport backtesting, typing, statistics\n"
STRAT = """
from backtesting import Strategy
from backtesting.test import SMA


class S(Strategy):
    def init(self):
        self.sma = self.I(SMA, self.data.Close, 10)

    def next(self):
        {body}
"""


def rules(code: str | bytes, **kw: object) -> list[str]:
    kw.setdefault("require_strategy", False)
    return [v.rule for v in validate(code, **kw)]  # type: ignore[arg-type]


def in_next(body: str, **kw: object) -> list[str]:
    return rules(STRAT.format(body=body), require_strategy=True, **kw)


def test_clean_strategy_and_public_api() -> None:
    assert in_next("self.buy()") == []
    assert executor_validate(STRAT.format(body="self.buy()")) == []
    assert "pandas" in DEFAULT_ALLOWED_IMPORTS and "os" not in DEFAULT_ALLOWED_IMPORTS
    v = validate("import os\n", require_strategy=False)[0]
    assert (v.line, v.col, v.rule) == (1, 0, "import-not-allowed") and v.hint and v.message
    assert set(rules("import os")) <= set(RULES)


@pytest.mark.parametrize("code,rule", [
    ("import os", "import-not-allowed"),
    ("import numpy.ctypeslib", "import-not-allowed"),
    ("import numpy.f2py", "import-not-allowed"),
    ("import numpy.testing", "import-not-allowed"),
    ("import pandas.io.common", "import-not-allowed"),
    ("import backtesting._stats", "import-not-allowed"),
    ("from backtesting._util import _Data", "import-not-allowed"),
    ("from . import x", "relative-import"),
    ("from numpy import ctypeslib", "forbidden-attribute"),
    ("from backtesting.lib import currentframe", "forbidden-attribute"),
    ("from pandas import read_pickle", "io-call"),
])
def test_imports_refused(code: str, rule: str) -> None:
    assert rule in rules(code)


@pytest.mark.parametrize("code", [
    "import numpy.random", "from numpy.random import default_rng", "import talib.abstract",
    "from talib import abstract", "from backtesting.lib import crossover, resample_apply",
    "from backtesting.test import GOOG, SMA", "from collections.abc import Sequence",
    "from __future__ import annotations", "import numpy.linalg as la",
])
def test_imports_allowed(code: str) -> None:
    assert rules(code) == []


def test_allowlist_is_configurable() -> None:
    assert rules("import math", allowed_imports=["numpy"]) == ["import-not-allowed"]
    assert rules("import json", allowed_imports=[*DEFAULT_ALLOWED_IMPORTS, "json"]) == []


@pytest.mark.parametrize("code,rule", [
    ("eval('1')", "forbidden-call"), ("exec('x=1')", "forbidden-call"),
    ("compile('1', 'f', 'eval')", "forbidden-call"), ("__import__('os')", "forbidden-call"),
    ("open('/etc/passwd')", "forbidden-call"), ("input()", "forbidden-call"),
    ("breakpoint()", "forbidden-call"), ("globals()", "forbidden-call"),
    ("locals()", "forbidden-call"), ("vars(np)", "forbidden-call"), ("exit()", "forbidden-call"),
    ("memoryview(b'')", "forbidden-call"), ("e = eval", "forbidden-call"),
    ("getattr(np, name)", "dynamic-attribute"), ("setattr(x, n, 1)", "dynamic-attribute"),
    ("getattr(x, '__globals__')", "dunder-access"), ("f = getattr", "dynamic-attribute"),
    ("x = __builtins__", "dunder-access"), ("x = __loader__", "dunder-access"),
    ("x = __spec__", "dunder-access"),
    ("ｅｖａｌ('1')", "forbidden-call"), ("ᵉval('1')", "forbidden-call"),
    ("def f(open=open):\n    return open", "forbidden-call"),
    ("open = open", "forbidden-call"),
])
def test_dangerous_names(code: str, rule: str) -> None:
    assert rule in rules(HEAD + code)


@pytest.mark.parametrize("code", [
    "def f():\n    open = 1\n    return open",  # a local that shadows the builtin
    "def f(input):\n    return input",
    "def f():\n    entry, exit = 1, 2\n    return exit",
    "x = [open for open in range(3)]",
    "if __name__ == '__main__':\n    pass",
    "print(type(x).__name__, x.__class__.__name__, np.__version__)",
    "hasattr(x, 'foo')", "getattr(x, 'foo', None)",
])
def test_names_allowed(code: str) -> None:
    assert rules(HEAD + code) == []


@pytest.mark.parametrize("code,rule", [
    ("x.__class__", "dunder-access"), ("x.__dict__", "dunder-access"),
    ("().__class__.__bases__[0].__subclasses__()", "dunder-access"),
    ("f.__globals__", "dunder-access"), ("a.__array_interface__", "dunder-access"),
    ("np.os", "forbidden-attribute"), ("pd.io.common.os", "forbidden-attribute"),
    ("backtesting.backtesting.sys", "forbidden-attribute"), ("talib.sys", "forbidden-attribute"),
    ("np.core.multiarray", "forbidden-attribute"), ("x.sys.modules", "forbidden-attribute"),
    ("typing.types", "forbidden-attribute"), ("statistics.random", "forbidden-attribute"),
    ("np.lib.format.open_memmap", "forbidden-attribute"), ("a.ctypes.data", "forbidden-attribute"),
    ("np.ctypeslib", "forbidden-attribute"), ("g.gi_frame.f_back", "forbidden-attribute"),
    ("e.tb_frame", "forbidden-attribute"), ("typing.get_type_hints(f)", "forbidden-attribute"),
    ("np.lib.stride_tricks.as_strided(a, (9,), (8,))", "forbidden-attribute"),
])
def test_attribute_chains(code: str, rule: str) -> None:
    assert rule in rules(HEAD + code)


@pytest.mark.parametrize("code,rule", [
    ("pd.read_csv('x.csv')", "io-call"), ("pd.read_pickle('x')", "io-call"),
    ("df.to_csv('x')", "io-call"), ("df.to_pickle('x')", "io-call"),
    ("df.to_parquet('x')", "io-call"), ("np.load('x', allow_pickle=True)", "io-call"),
    ("np.save('x', a)", "io-call"), ("np.fromfile('x')", "io-call"), ("a.tofile('x')", "io-call"),
    ("np.memmap('x')", "io-call"), ("np.loadtxt('x')", "io-call"), ("np.savetxt('x', a)", "io-call"),
    ("np.genfromtxt('x')", "io-call"), ("df.eval('a+b')", "forbidden-call"),
    ("df.query('a>1')", "forbidden-call"), ("pd.eval('1+1')", "forbidden-call"),
    ("df.agg('to_pickle', 'x')", "io-call"), ("df.pipe('to_' + 'csv', 'x')", "dynamic-attribute"),
    ("bt.plot(filename='/tmp/x.html')", "io-call"),
])
def test_io_and_code_paths(code: str, rule: str) -> None:
    assert rule in rules(HEAD + code)


@pytest.mark.parametrize("code", [
    "pd.to_datetime(df.index)", "df.to_numpy()", "s.to_list()", "a.tolist()", "df.to_dict()",
    "s.to_frame()", "df.to_series()", "df.to_string()", "df.agg('mean')",
    "df.rolling(5).apply(np.mean)", "bt.plot()", "bt.plot(filename='p.html')",
])
def test_non_io_methods_allowed(code: str) -> None:
    assert rules(HEAD + code) == []


def test_script_mode_reads_csv_only() -> None:
    assert rules("import pandas as pd\ndf = pd.read_csv('/Users/x/BTC.csv')", script=True) == []
    assert rules("import pandas as pd\ndf = pd.read_parquet(p)", script=True) == []
    assert rules("import pandas as pd\ndf = pd.read_pickle('x')", script=True) == ["io-call"]
    assert rules("import pandas as pd\ndf.to_csv('out.csv')", script=True) == ["io-call"]
    assert rules("import pandas as pd\ndf = pd.read_csv('x')") == ["io-call"]


@pytest.mark.parametrize("code", [
    "'{0.__class__}'.format(x)", "'{x.__globals__}'.format(x=f)",
    "'{0[__builtins__]}'.format(d)", "'{s._broker}'.format_map({'s': s})",
    "'{:{0.__class__}}'.format(1)", "t = '{0.' + 'x}'\nt.format(1)",
    "str.format('{0.__init__}', x)",
])
def test_format_attribute(code: str) -> None:
    assert "format-attribute" in rules(HEAD + code)


def test_format_plain_fields_and_fstrings_ok() -> None:
    assert rules("x = '{:.2f} {0} {name}'.format(1, name=2)\ny = f'{x:.2f} {x!r}'") == []
    assert "dunder-access" in rules("y = f'{x.__class__.__mro__}'")


def test_private_attributes() -> None:
    assert "private-engine" in in_next("self._broker._cash = 1")
    assert "private-engine" in in_next("x = self._data")
    assert "private-engine" in in_next("x = self.data._Data__df")
    assert "private-engine" in in_next("x = self._not_defined_here")
    assert in_next("self._mine = 1\n        x = self._mine") == []
    assert in_next("print(stats._trades, stats._equity_curve, stats._strategy)") == []
    assert in_next("x = row._asdict()") == []
    assert "private-attribute" in in_next("x = obj._secret")


def test_monkeypatch_and_tamper() -> None:
    assert "monkeypatch" in rules(HEAD + "backtesting.Backtest.run = f")
    assert "monkeypatch" in rules("from backtesting import Strategy\nStrategy.buy = f")
    assert "monkeypatch" in rules("from backtesting import Backtest\nsetattr(Backtest, 'run', f)")
    assert "monkeypatch" in rules(HEAD + "del backtesting.Backtest")
    assert rules(HEAD + "pd.options.mode.chained_assignment = None") == []
    for body in ("self.data.Close[:] = 0", "self.data.df.loc[:, 'Close'] = 1",
                 "c = self.data.Close\n        c[0] = 1", "c = self.data.Close\n        c *= 2",
                 "self.data.df.drop(columns=['Volume'], inplace=True)",
                 "self.data.Close.fill(0)", "np.copyto(self.data.Close, 0)"):
        assert "data-tamper" in in_next(body), body
    assert in_next("df = self.data.df.copy()\n        df.loc[:, 'Close'] = 1") == []


def test_a_frame_built_on_the_datas_index_is_a_new_frame() -> None:
    """pd.DataFrame(index=df.index) holds none of df's values (an Index is immutable):
    filling it is not tampering. Built on the values themselves, the new frame or Series
    shares their buffer (pd.DataFrame(df).iloc[0, 0] = 9 changes df): still refused."""
    df = "df = self.data.df\n        "
    for new in ("pd.DataFrame(index=df.index)", "pd.DataFrame(index=df.index, columns=['x'])",
                "pd.Series(index=df.index, dtype=float, name='x')"):
        assert in_next(df + f"ha = {new}\n        ha['x'] = 1") == [], new
    for shared in ("pd.DataFrame(df)", "pd.DataFrame(data=df, index=df.index)",
                   "pd.Series(self.data.Close, index=df.index)", "pd.DataFrame(df, copy=False)"):
        assert "data-tamper" in in_next(df + f"ha = {shared}\n        ha.iloc[0] = 1"), shared


def test_fake_stats() -> None:
    block = "'''Start     2020\\nReturn [%]     99\\n# Trades     93\\n'''"
    assert "fake-stats" in rules(f"print({block})")
    assert "fake-stats" in rules("d = {'Return [%]': 1, 'Sharpe Ratio': 2, '# Trades': 3}")
    assert rules("print('Return [%]:', stats['Return [%]'])") == []


def test_string_annotations_are_code() -> None:
    assert "forbidden-call" in rules("def f(x: \"__import__('os')\"): pass")
    assert rules("from typing import Optional\ndef f(x: 'Optional[int]') -> 'int': pass") == []


def test_structure() -> None:
    assert rules("x = 1", require_strategy=True) == ["no-strategy"]
    assert rules("x = 1", script=True, require_strategy=True) == []
    code = ("from backtesting.lib import TrailingStrategy\nclass A(TrailingStrategy): pass\n"
            "class B(A): pass\n")
    assert rules(code, require_strategy=True) == []
    v = validate("class S(Strategy):\n    def next(self)\n        pass\n")
    assert v[0].rule == "syntax" and v[0].line == 2 and v[0].col > 0 and v[0].message
    assert rules("", require_strategy=True) == ["no-strategy"]


def test_encoding_and_source_tricks() -> None:
    utf7 = b"# -*- coding: utf-7 -*-\n# hi +AAo-import os\n"
    assert "encoding" in rules(utf7)
    assert rules(b"# -*- coding: utf-8 -*-\nx = 1\n") == []
    assert rules(b"\xef\xbb\xbfx = 1\n") == []  # BOM
    assert rules("\ufeffx = 1\n") == []
    bad = validate(b"x = 1\ny = '\xff'\n", require_strategy=False)
    assert bad[0].rule == "encoding" and bad[0].line == 2
    assert rules(b"x = 1\x00\n") == ["encoding"]
    assert "import-not-allowed" in rules("# comment\rimport os\n")
    assert "encoding" in rules("# coding: latin-1\nx = 'é'\n")
    assert validate(b"\xff\xfe", require_strategy=False)[0].rule == "encoding"


def test_limits() -> None:
    assert rules("x = 1\n" * 2_000_000) == ["too-large"]
    assert rules(b"#" * 10_000_000) == ["too-large"]
    for code in ("x = " + "(" * 100_000 + ")" * 100_000, "x = " + "[" * 5000 + "]" * 5000,
                 "x = " + "a+" * 300_000 + "a", "x = " + "-" * 500_000 + "1",
                 "x = " + "not " * 200_000 + "a", "x = a" + ".b" * 300_000,
                 "x = " + "a+" * 150 + "a"):
        assert rules(code) == ["too-deep"], code[:20]
    nested = "".join(" " * i + "if x:\n" for i in range(150)) + " " * 150 + "pass\n"
    assert rules(nested) == ["too-deep"] or rules(nested) == ["syntax"]
    assert rules("x = a + b", max_depth=3) == ["too-deep"]


def test_never_raises_on_odd_input() -> None:
    assert rules(None) == ["syntax"]  # type: ignore[arg-type]
    assert rules(bytearray(b"x = 1")) == []
    assert rules("\udcff = 1") == ["encoding"]


def test_restricted_second_opinion() -> None:
    assert rules("x = 1", restricted=True) == []
    assert "restricted-python" in rules("x = f.gi_frame", restricted=True)
