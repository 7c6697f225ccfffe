# expect: benign
import talib
from backtesting import Strategy
from backtesting.lib import crossover


class MacdTrend(Strategy):
    fast = 12
    slow = 26
    signal = 9

    def init(self):
        self.macd, self.macd_signal, self.hist = self.I(
            talib.MACD, self.data.Close, fastperiod=self.fast, slowperiod=self.slow,
            signalperiod=self.signal)

    def next(self):
        if crossover(self.macd, self.macd_signal):
            self.buy()
        elif crossover(self.macd_signal, self.macd):
            self.position.close()
