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

class EntryPriceAndIloc(Strategy):
    fast = 5
    slow = 20

    def init(self):
        self.fast_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.fast)
        self.slow_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.slow)

    def next(self):
        price = self.data.Close.iloc[-1]
        if crossover(self.fast_ma, self.slow_ma) and not self.position:
            self.buy(size=0.5)
            print("🚀 EMA cross long")
        elif self.position and price > self.position.entry_price * 1.01:
            print("💰 +1% take profit")
            self.position.close()
        elif crossover(self.slow_ma, self.fast_ma):
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, EntryPriceAndIloc, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
