# expect: benign
import talib
from backtesting import Strategy


class ShortRsi(Strategy):
    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, 14)
        self.sma = self.I(talib.SMA, self.data.Close, 50)

    def next(self):
        price = self.data.Close[-1]
        if self.rsi[-1] > 75 and price < self.sma[-1] and not self.position:
            self.sell(size=0.5, sl=price * 1.05, tp=price * 0.9)
        elif self.position.is_short and self.rsi[-1] < 40:
            self.position.close()
