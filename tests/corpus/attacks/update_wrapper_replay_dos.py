# expect: reject
# attack: recorder hijack (functools.update_wrapper -> __globals__) appends a cheap forged log of never-filling orders at an early bar: the host replay pays O(orders x bars) with no time limit
import functools
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

BOX = {}
NAME = 'globals'.center(11, '_')
N_FAKE = 150  # 5000 made the host replay run > 300 s (killed); 150 to measure the scaling


class Sink:
    def __setattr__(self, name, value):
        BOX[name] = value


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)
        self.total = len(self.data)
        functools.update_wrapper(Sink(), self.buy, assigned=(NAME,), updated=())
        self.rec = BOX[NAME]['REC']

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
        if len(self.data) == self.total:
            fake = [['buy', 30, {'size': 1.0, 'limit': 0.01}] for _ in range(N_FAKE)]
            self.rec.actions.extend(fake)
