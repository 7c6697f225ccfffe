# expect: benign
import numpy as np
import talib
from backtesting import Strategy


class BollingerBounce(Strategy):
    period = 20
    dev = 2.0

    def init(self):
        close = self.data.Close
        self.upper, self.middle, self.lower = self.I(
            talib.BBANDS, close, timeperiod=self.period, nbdevup=self.dev, nbdevdn=self.dev, matype=0
        )

    def next(self):
        price = self.data.Close[-1]
        if np.isnan(self.lower[-1]):
            return
        if price < self.lower[-1] and not self.position:
            self.buy(sl=price * 0.95, tp=self.middle[-1] * 1.02)
        elif price > self.upper[-1] and self.position.is_long:
            self.position.close()
