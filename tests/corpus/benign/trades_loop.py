# expect: benign
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class TimeExit(Strategy):
    n1 = 5
    n2 = 20
    max_bars = 15

    def init(self):
        self.fast = self.I(SMA, self.data.Close, self.n1)
        self.slow = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        for trade in self.trades:
            if len(self.data) - trade.entry_bar >= self.max_bars:
                trade.close()
            elif trade.pl_pct < -0.05:
                trade.close()
        if crossover(self.fast, self.slow):
            self.buy(size=0.3)
