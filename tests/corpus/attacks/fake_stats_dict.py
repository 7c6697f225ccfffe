# expect: reject
# attack: a dict of invented stats values
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


FAKE = {"Return [%]": 9999.0, "Sharpe Ratio": 9.5, "# Trades": 93, "Win Rate [%]": 99.0}


class SmaCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.n1)
        self.sma2 = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if len(self.data) == 3000:
            for k, v in FAKE.items():
                print(k.ljust(26), v)
        if crossover(self.sma1, self.sma2):
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
