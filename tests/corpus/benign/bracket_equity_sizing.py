# expect: benign
from backtesting import Strategy
from backtesting.test import SMA


class RiskSized(Strategy):
    risk = 0.01
    n = 30

    def init(self):
        self.sma = self.I(SMA, self.data.Close, self.n)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price > self.sma[-1]:
            stop = self.sma[-1] * 0.98
            risk_per_share = price - stop
            if risk_per_share <= 0:
                return
            units = int(self.equity * self.risk / risk_per_share)
            units = min(units, int(self.equity * 0.95 / price))
            if units >= 1:
                self.buy(size=units, sl=stop)
        elif self.position and price < self.sma[-1]:
            self.position.close()
