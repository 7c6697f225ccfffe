# expect: benign
import pandas as pd
from backtesting import Strategy
from backtesting.lib import crossover


def ema(values, span):
    return pd.Series(values).ewm(span=span, adjust=False).mean().values


class EmaCross(Strategy):
    fast = 12
    slow = 48

    def init(self):
        self.fast_ema = self.I(ema, self.data.Close, self.fast)
        self.slow_ema = self.I(ema, self.data.Close, self.slow)

    def next(self):
        if crossover(self.fast_ema, self.slow_ema):
            self.position.close()
            self.buy(size=0.5)
        elif crossover(self.slow_ema, self.fast_ema):
            self.position.close()
