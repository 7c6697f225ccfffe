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

class TinyFractionBtc(Strategy):
    fast = 12
    slow = 26
    position_pct = 0.1

    def init(self):
        self.fast_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.fast)
        self.slow_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.slow)

    def next(self):
        if crossover(self.fast_ma, self.slow_ma):
            print(f"🌙 Allocating {self.position_pct:.0%} of equity 🚀")
            self.buy(size=self.position_pct)
        elif crossover(self.slow_ma, self.fast_ma) and self.position:
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, TinyFractionBtc, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
