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

class DataColumnsCheck(Strategy):
    period = 20
    vol_mult = 1.5

    def init(self):
        self.sma = self.I(talib.SMA, self.data.Close, timeperiod=self.period)
        self.vol_sma = self.I(talib.SMA, self.data.Volume.astype(float), timeperiod=self.period)

    def next(self):
        has_volume = 'Volume' in self.data.columns
        volume_ok = self.data.Volume[-1] > self.vol_mult * self.vol_sma[-1] if has_volume else True
        if crossover(self.data.Close, self.sma) and volume_ok:
            print("🚀 Breakout with volume")
            self.buy(size=0.5)
        elif crossover(self.sma, self.data.Close):
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, DataColumnsCheck, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
