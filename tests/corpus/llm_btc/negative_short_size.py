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

class NegativeShortSize(Strategy):
    period = 14
    overbought = 70

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.period)

    def next(self):
        if self.rsi[-1] > self.overbought and not self.position:
            print(f"🌑 RSI {self.rsi[-1]:.0f} overbought - shorting")
            self.sell(size=-0.3)
        elif self.rsi[-1] < 50 and self.position.is_short:
            print("✨ Covering short")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, NegativeShortSize, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
