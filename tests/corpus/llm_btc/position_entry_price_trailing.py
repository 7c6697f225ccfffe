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

class PositionEntryPriceTrailing(Strategy):
    ema_period = 50
    trail = 0.02

    def init(self):
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_period)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price > self.ema[-1] and self.data.Close[-2] <= self.ema[-2]:
            print("🚀 Crossed above EMA - long")
            self.buy(size=0.5)
        elif self.position:
            entry = self.position.entry_price
            if price < entry * (1 - self.trail):
                print(f"🛑 Stop hit: entry {entry:.2f} now {price:.2f}")
                self.position.close()
            elif price > entry * (1 + 2 * self.trail):
                print(f"💰 Target hit: entry {entry:.2f} now {price:.2f}")
                self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, PositionEntryPriceTrailing, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
