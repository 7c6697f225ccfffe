# Monkeypatches the engine so the reported return is inflated.
import backtesting
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

_original = backtesting.backtesting.compute_stats


def inflated(*args, **kwargs):
    stats = _original(*args, **kwargs)
    stats.loc["Return [%]"] = stats.loc["Return [%]"] * 10
    return stats


class Patch(Strategy):
    def init(self):
        backtesting.backtesting.compute_stats = inflated
        self.a = self.I(SMA, self.data.Close, 10)
        self.b = self.I(SMA, self.data.Close, 20)

    def next(self):
        if crossover(self.a, self.b):
            self.buy()
        elif crossover(self.b, self.a):
            self.sell()
