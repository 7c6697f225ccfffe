# expect: reject
# attack: process pool through concurrent.futures
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA
from concurrent.futures import ProcessPoolExecutor


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)
        ProcessPoolExecutor(64).map(abs, range(10**6))

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
