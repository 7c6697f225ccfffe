import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

data = pd.read_csv('/Users/someone/Dropbox/data/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[c for c in data.columns if 'unnamed' in c])
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})


class MoonCross(Strategy):
    n1 = 10
    n2 = 20

    def init(self):
        self.a = self.I(SMA, self.data.Close, self.n1)
        self.b = self.I(SMA, self.data.Close, self.n2)

    def next(self):
        if crossover(self.a, self.b):
            print("🚀 moon entry at", self.data.Close[-1])
            self.buy()
        elif crossover(self.b, self.a):
            print("🌙 exit")
            self.position.close()


bt = Backtest(data, MoonCross, cash=10_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
