"""Names NumPy 2 removed are rewritten through the module's own numpy alias."""

from __future__ import annotations

from backtesting.test import GOOG

from agents.codefix import package
from agents.codefix.run import run_strategy

NUMPY1 = '''import numpy as xp
from numpy import NaN
from backtesting import Strategy


def rolling_mean(values, n):
    out = xp.full(len(values), xp.NaN, dtype=xp.float_)
    for i in range(n - 1, len(values)):
        out[i] = xp.mean(values[i - n + 1:i + 1])
    return out


class S(Strategy):
    def init(self):
        self.ma = self.I(rolling_mean, self.data.Close, 20)
        self.best = xp.NINF
        self.cap = xp.Inf if NaN != NaN else 0.0

    def next(self):
        self.best = max(self.best, self.data.Close[-1])
        if not self.position and self.data.Close[-1] > self.ma[-1] and self.cap == xp.PINF:
            self.buy()
        elif self.position and self.data.Close[-1] < self.ma[-1]:
            self.position.close()
'''


def test_numpy2_removed_names_are_renamed_and_the_strategy_runs() -> None:
    stats, err = run_strategy(NUMPY1, GOOG)
    assert stats is None and err is not None and "NaN" in str(err.get("message"))  # NumPy 2
    out = package(NUMPY1)
    for gone in ("xp.NaN", "xp.float_", "xp.NINF", "xp.Inf", "xp.PINF", "import NaN"):
        assert gone not in out.code, gone
    assert "xp.nan" in out.code and "xp.float64" in out.code and "(-xp.inf)" in out.code
    assert "from numpy import nan as NaN" in out.code
    assert any(c.rule == "numpy2" for c in out.changes)
    stats, err = run_strategy(out.code, GOOG)
    assert err is None and stats is not None and stats["# Trades"] > 0


def test_numpy2_leaves_other_objects_alone() -> None:
    code = ("import numpy as np\nfrom backtesting import Strategy\n\n\nclass S(Strategy):\n"
            "    NaN = 1\n\n    def init(self):\n        self.x = self.NaN + np.nan\n\n"
            "    def next(self):\n        pass\n")
    assert package(code).code == code
