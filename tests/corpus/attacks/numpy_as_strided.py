# expect: reject
# attack: as_strided out-of-bounds memory read
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA
import numpy as np
from numpy.lib.stride_tricks import as_strided


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)
        x = np.zeros(1)
        leak = as_strided(x, shape=(10**6,), strides=(8,))
        print(leak.sum())

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
