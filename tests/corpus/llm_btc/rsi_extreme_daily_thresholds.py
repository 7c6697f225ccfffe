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

class RsiExtremeDailyThresholds(Strategy):
    rsi_period = 14
    rsi_oversold = 12
    volume_mult = 4.0

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)
        self.vol_avg = self.I(talib.SMA, self.data.Volume.astype(float), timeperiod=20)

    def next(self):
        if not self.position and self.rsi[-1] < self.rsi_oversold \
                and self.data.Volume[-1] > self.volume_mult * self.vol_avg[-1]:
            print("🌙 Capitulation detected! 🚀")
            self.buy(size=0.5)
        elif self.position and self.rsi[-1] > 50:
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, RsiExtremeDailyThresholds, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
