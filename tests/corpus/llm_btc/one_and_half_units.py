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

class OneAndHalfUnits(Strategy):
    rsi_period = 14

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)

    def next(self):
        if self.rsi[-1] < 30 and not self.position:
            print("🚀 RSI < 30, buying 1.5 units")
            self.buy(size=1.5)
        elif self.rsi[-1] > 70 and self.position:
            print("💰 RSI > 70, selling")
            self.position.close()


bt = Backtest(data, OneAndHalfUnits, cash=1_000_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print("\n🌙 MOON DEV BACKTEST RESULTS 🌙")
print("=" * 50)
print(stats)
print("\n✨ Strategy details:")
print(stats._strategy)
