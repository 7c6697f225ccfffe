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

class EquityOverPriceUnits(Strategy):
    fast = 20
    slow = 50

    def init(self):
        self.fast_ema = self.I(talib.EMA, self.data.Close, timeperiod=self.fast)
        self.slow_ema = self.I(talib.EMA, self.data.Close, timeperiod=self.slow)

    def next(self):
        price = self.data.Close[-1]
        if crossover(self.fast_ema, self.slow_ema):
            position_size = self.equity * 0.95 / price
            print(f"🚀 Going long {position_size:.4f} units at {price:.2f}")
            self.buy(size=position_size)
        elif crossover(self.slow_ema, self.fast_ema):
            print("🌑 Exit long")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, EquityOverPriceUnits, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
