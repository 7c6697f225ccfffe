# expect: benign
import numpy as np
from backtesting import Strategy


class GapFade(Strategy):
    gap = 0.02

    def init(self):
        self.ranges = self.I(lambda: np.asarray(self.data.High) - np.asarray(self.data.Low), name="range")

    def next(self):
        open = self.data.Open[-1]
        close = self.data.Close[-2]
        high, low = self.data.High[-1], self.data.Low[-1]
        exit = self.position and self.data.Close[-1] > close
        if open < close * (1 - self.gap) and not self.position and high > low:
            self.buy()
        elif exit:
            self.position.close()
