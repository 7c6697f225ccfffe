# expect: benign
import talib
from backtesting import Strategy


class AdxBreakout(Strategy):
    adx_period = 14
    atr_period = 14
    adx_threshold = 25
    atr_mult = 2.0

    def init(self):
        h, l, c = self.data.High, self.data.Low, self.data.Close
        self.adx = self.I(talib.ADX, h, l, c, timeperiod=self.adx_period)
        self.atr = self.I(talib.ATR, h, l, c, timeperiod=self.atr_period)
        self.hh = self.I(talib.MAX, h, timeperiod=20)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and self.adx[-1] > self.adx_threshold and price >= self.hh[-2]:
            stop = price - self.atr_mult * self.atr[-1]
            if stop > 0:
                self.buy(sl=stop)
        for trade in self.trades:
            if self.data.Close[-1] < trade.entry_price - 3 * self.atr[-1]:
                trade.close()
