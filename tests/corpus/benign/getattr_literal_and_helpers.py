# expect: benign
import math
from backtesting import Strategy
from backtesting.test import SMA


class ParamFromName(Strategy):
    n = 20
    mode = "trend"

    def init(self):
        self.sma = self.I(SMA, self.data.Close, getattr(self, "n"))
        self.handler = getattr(self, "next_trend", None) if hasattr(self, "mode") else None

    def next_trend(self):
        if self.data.Close[-1] > self.sma[-1] and not self.position:
            self.buy()
        elif self.data.Close[-1] < self.sma[-1]:
            self.position.close()

    def next(self):
        if math.isnan(self.sma[-1]):
            return
        self.next_trend()
