"""Golden cross on a random walk."""
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class GoldenCross(Strategy):
    n1 = 10
    n2 = 40

    def init(self):
        self.a = self.I(SMA, self.data.Close, self.n1)
        self.b = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.a, self.b):
            self.buy()
        elif crossover(self.b, self.a):
            self.position.close()


df = pd.read_csv("walk_ma.csv", index_col=0, parse_dates=True)
bt = Backtest(df, GoldenCross, cash=100_000, commission=0.002)
stats = bt.run()
print(stats)
