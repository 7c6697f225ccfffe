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

def rolling_vwap(high, low, close, volume, window):
    typical = (pd.Series(high) + pd.Series(low) + pd.Series(close)) / 3
    vol = pd.Series(volume).astype(float)
    return ((typical * vol).rolling(window).sum() / vol.rolling(window).sum()).values


class RollingVwapPullback(Strategy):
    window = 48
    ema_period = 100

    def init(self):
        self.vwap = self.I(rolling_vwap, self.data.High, self.data.Low, self.data.Close,
                           self.data.Volume, self.window)
        self.trend = self.I(talib.EMA, self.data.Close, timeperiod=self.ema_period)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price > self.trend[-1] and price < self.vwap[-1]:
            print(f"🌙 Pullback to VWAP in uptrend @ {price:.2f} 🚀")
            self.buy(size=0.5, sl=price * 0.98, tp=price * 1.03)


# 🚀 Run the backtest
bt = Backtest(data, RollingVwapPullback, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
