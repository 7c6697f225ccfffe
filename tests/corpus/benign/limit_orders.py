# expect: benign
from backtesting import Strategy
from backtesting.test import SMA


class PullbackLimit(Strategy):
    n = 20
    discount = 0.01

    def init(self):
        self.sma = self.I(SMA, self.data.Close, self.n)

    def next(self):
        for order in list(self.orders):
            if not order.is_contingent:
                order.cancel()
        if not self.position and self.data.Close[-1] > self.sma[-1]:
            self.buy(limit=self.data.Close[-1] * (1 - self.discount))
        elif self.position and self.data.Close[-1] < self.sma[-1]:
            self.position.close()
