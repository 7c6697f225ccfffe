# expect: benign
import numpy as np
from backtesting import Strategy


def momentum(close, lookback):
    close = np.asarray(close, dtype=float)
    out = np.full_like(close, np.nan)
    out[lookback:] = close[lookback:] / close[:-lookback] - 1.0
    return out


class Momentum(Strategy):
    lookback = 20
    threshold = 0.05

    def init(self):
        self.mom = self.I(momentum, self.data.Close, self.lookback)

    def next(self):
        m = self.mom[-1]
        if np.isnan(m):
            return
        if m > self.threshold and not self.position:
            self.buy()
        elif m < 0 and self.position:
            self.position.close()
