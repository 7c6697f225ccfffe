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

class KeltnerSqueeze(Strategy):
    period = 20
    mult = 1.5

    def init(self):
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.period)
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.period)

    def next(self):
        upper = self.ema[-1] + self.mult * self.atr[-1]
        lower = self.ema[-1] - self.mult * self.atr[-1]
        price = self.data.Close[-1]
        if price > upper and not self.position:
            print(f"💥 Keltner breakout @ {price:.2f}")
            self.buy(size=0.4)
        elif price < self.ema[-1] and self.position:
            print("🌙 Back inside the channel - flat")
            self.position.close()


bt = Backtest(data, KeltnerSqueeze, 