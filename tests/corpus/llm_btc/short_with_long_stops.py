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

class ShortWithLongStops(Strategy):
    period = 20
    stop_pct = 0.02

    def init(self):
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.period)
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=14)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and crossover(self.ema, self.data.Close) and self.rsi[-1] > 45:
            sl = price * (1 - self.stop_pct)
            tp = price * (1 + 2 * self.stop_pct)
            print(f"🌑 Short @ {price:.2f} SL {sl:.2f} TP {tp:.2f}")
            self.sell(size=0.5, sl=sl, tp=tp)


# 🚀 Run the backtest
bt = Backtest(data, ShortWithLongStops, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
