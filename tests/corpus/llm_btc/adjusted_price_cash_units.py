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

class AdjustedPriceCashUnits(Strategy):
    rsi_period = 14
    oversold = 30

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)
        self.sma = self.I(talib.SMA, self.data.Close, timeperiod=100)

    def next(self):
        if not self.position and self.rsi[-1] < self.oversold:
            fill = self._broker._adjusted_price(1)
            size = self._broker._cash * 0.5 / fill
            print(f"🌙 Size {size:.5f} at adjusted {fill:.2f} 🚀")
            self.buy(size=size)
        elif self.position and self.data.Close[-1] > self.sma[-1]:
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, AdjustedPriceCashUnits, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
