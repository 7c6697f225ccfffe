import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

class BrokerGetCash(Strategy):
    fast = 8
    slow = 24

    def init(self):
        self.fast_ma = self.I(talib.WMA, self.data.Close, timeperiod=self.fast)
        self.slow_ma = self.I(talib.WMA, self.data.Close, timeperiod=self.slow)

    def next(self):
        available = self._broker.get_cash()
        if crossover(self.fast_ma, self.slow_ma) and available > self.data.Close[-1]:
            print(f"🌙 Cash {available:,.0f} - entering 🚀")
            self.buy(size=0.5)
        elif crossover(self.slow_ma, self.fast_ma):
            self.position.close()


if __name__ == "__main__":
    data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
    data.columns = data.columns.str.strip()
    data = data.drop(columns=[c for c in data.columns if c.startswith('Unnamed')])
    data.columns = [c.capitalize() for c in data.columns]
    data['Datetime'] = pd.to_datetime(data['Datetime'])
    data.set_index('Datetime', inplace=True)
    bt = Backtest(data, BrokerGetCash, cash=1_000_000, commission=0.002)
    stats = bt.run()
    print("🌙 Results:")
    print(stats)
