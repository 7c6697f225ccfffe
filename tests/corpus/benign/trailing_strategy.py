# expect: benign
from backtesting.lib import TrailingStrategy, crossover
from backtesting.test import SMA


class SmaTrailing(TrailingStrategy):
    n1 = 10
    n2 = 30

    def init(self):
        super().init()
        self.set_trailing_sl(3)
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        super().next()
        if crossover(self.sma1, self.sma2) and not self.position:
            self.buy()
