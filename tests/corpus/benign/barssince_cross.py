# expect: benign
from backtesting import Strategy
from backtesting.lib import barssince, cross
from backtesting.test import SMA


class CooldownCross(Strategy):
    n = 15
    cooldown = 5

    def init(self):
        self.sma = self.I(SMA, self.data.Close, self.n)

    def next(self):
        above = self.data.Close > self.sma
        if cross(self.data.Close, self.sma):
            if barssince(above) == 0 and not self.position:
                self.buy()
            elif self.position and barssince(self.data.Close < self.sma) < self.cooldown:
                self.position.close()
