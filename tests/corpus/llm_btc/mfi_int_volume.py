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

class MfiIntVolume(Strategy):
    period = 14

    def init(self):
        self.mfi = self.I(talib.MFI, self.data.High, self.data.Low, self.data.Close,
                          self.data.df['Volume'].values.astype(int), timeperiod=self.period)

    def next(self):
        if self.mfi[-1] < 20 and not self.position:
            print("🌙 MFI oversold 🚀")
            self.buy(size=0.5)
        elif self.mfi[-1] > 80 and self.position:
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, MfiIntVolume, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
