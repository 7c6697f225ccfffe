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

class StochRsiReversal(Strategy):
    rsi_period = 14
    k_period = 5
    d_period = 3
    oversold = 20
    overbought = 80

    def init(self):
        self.k, self.d = self.I(talib.STOCHRSI, self.data.Close, timeperiod=self.rsi_period,
                                fastk_period=self.k_period, fastd_period=self.d_period, fastd_matype=0)

    def next(self):
        if crossover(self.k, self.d) and self.k[-1] < self.oversold:
            print(f"🌙✨ StochRSI bullish cross in oversold zone ({self.k[-1]:.1f})")
            self.buy(size=0.25)
        elif crossover(self.d, self.k) a