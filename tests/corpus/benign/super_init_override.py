# expect: benign
from backtesting import Strategy
from backtesting.test import SMA


class BaseSma(Strategy):
    n = 20

    def init(self):
        self.sma = self.I(SMA, self.data.Close, self.n)


class ChildSma(BaseSma):
    n = 15

    def __init__(self, broker, data, params):
        super().__init__(broker, data, params)
        self.entries = 0

    def init(self):
        super().init()
        self.long_sma = self.I(SMA, self.data.Close, self.n * 3)

    def next(self):
        if self.sma[-1] > self.long_sma[-1] and not self.position:
            self.entries += 1
            self.buy()
        elif self.sma[-1] < self.long_sma[-1] and self.position:
            self.position.close()
