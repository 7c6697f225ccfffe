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

class MfiCciDoubleExtreme(Strategy):
    period = 14
    mfi_low = 8
    cci_low = -250

    def init(self):
        high, low, close = self.data.High, self.data.Low, self.data.Close
        volume = self.data.Volume.astype(float)
        self.mfi = self.I(talib.MFI, high, low, close, volume, timeperiod=self.period)
        self.cci = self.I(talib.CCI, high, low, close, timeperiod=self.period)

    def next(self):
        if not self.position and self.mfi[-1] < self.mfi_low and self.cci[-1] < self.cci_low:
            print("🌙 Double oversold! 💎")
            self.buy(size=0.5)
        elif self.position and self.mfi[-1] > 60:
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, MfiCciDoubleExtreme, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
