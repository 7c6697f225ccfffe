# expect: benign
import talib
from backtesting import Strategy


class RsiReversion(Strategy):
    rsi_period = 14
    lower = 30
    upper = 70

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)

    def next(self):
        if not self.position and self.rsi[-1] < self.lower:
            self.buy()
        elif self.position and self.rsi[-1] > self.upper:
            self.position.close()
