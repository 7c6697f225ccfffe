import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

# 🌙 Moon Dev's data loading - clean those columns! ✨
data_path = '/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv'
data = pd.read_csv(data_path)
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')
print(f"🌙 Loaded {len(data)} candles 🚀")

class ZeroUnitsSmallAccount(Strategy):
    period = 20
    allocation = 0.05

    def init(self):
        self.upper, self.mid, self.lower = self.I(talib.BBANDS, self.data.Close, timeperiod=self.period)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price < self.lower[-1]:
            units = int(self.equity * self.allocation / price)
            print(f"🌙 Buying {units} units 💎")
            self.buy(size=units)
        elif self.position and price > self.mid[-1]:
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, ZeroUnitsSmallAccount, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
