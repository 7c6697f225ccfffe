# expect: benign
import math
from backtesting import Strategy
from backtesting.test import SMA


class PrivateCounter(Strategy):
    n = 20

    def init(self):
        self._bars_in_trade = 0
        self.__entries = 0
        self._sma = self.I(SMA, self.data.Close, self.n)

    def _should_enter(self):
        return self.data.Close[-1] > self._sma[-1] and not math.isnan(self._sma[-1])

    def next(self):
        if self.position:
            self._bars_in_trade += 1
            if self._bars_in_trade > 10:
                self.position.close()
                self._bars_in_trade = 0
        elif self._should_enter():
            self.__entries += 1
            self.buy()
