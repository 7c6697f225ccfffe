# expect: benign
import talib
from backtesting import Strategy


class BreakoutWithStops(Strategy):
    lookback = 20
    stop_pct = 0.03
    take_pct = 0.06

    def init(self):
        self.highest = self.I(talib.MAX, self.data.High, timeperiod=self.lookback)

    def next(self):
        if self.position:
            return
        price = self.data.Close[-1]
        if price >= self.highest[-2]:
            sl = price * (1 - self.stop_pct)
            tp = price * (1 + self.take_pct)
            self.buy(size=0.9, sl=sl, tp=tp)
