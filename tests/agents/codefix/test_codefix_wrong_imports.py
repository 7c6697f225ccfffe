"""backtesting names imported from the wrong submodule move to the one that exports them."""

from __future__ import annotations

from backtesting.test import GOOG

from agents.codefix import package
from agents.codefix.rules.wrong_imports import home_of, module_exports
from agents.codefix.run import run_strategy

CODE = '''from backtesting import Strategy, crossover
from backtesting.lib import SMA, resample_apply
from backtesting.test import cross as crossed


class S(Strategy):
    def init(self):
        self.fast = self.I(SMA, self.data.Close, 10)
        self.slow = self.I(SMA, self.data.Close, 30)

    def next(self):
        if crossover(self.fast, self.slow):
            self.buy()
        elif crossed(self.fast, self.slow) and self.position:
            self.position.close()
'''


def test_homes_come_from_the_installed_package() -> None:
    exports = module_exports()
    assert home_of("SMA", exports) == "backtesting.test"
    assert home_of("crossover", exports) == "backtesting.lib"
    assert home_of("Strategy", exports) == "backtesting"
    assert home_of("no_such_name", exports) is None


def test_wrong_module_imports_move_and_the_strategy_runs() -> None:
    stats, err = run_strategy(CODE, GOOG)
    assert stats is None and err is not None and "ImportError" in err["type"]
    out = package(CODE)
    assert "from backtesting import Strategy\n" in out.code
    assert "from backtesting.lib import crossover" in out.code
    assert "from backtesting.lib import resample_apply" in out.code
    assert "from backtesting.test import SMA" in out.code
    assert "from backtesting.lib import cross as crossed" in out.code
    assert sum(c.rule == "wrong-import" for c in out.changes) == 3  # resample_apply is in backtesting.lib already
    stats, err = run_strategy(out.code, GOOG)
    assert err is None, err
    assert stats is not None and stats["# Trades"] > 0
