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

class EmaCrossRsiFilter(Strategy):
    fast = 9
    slow = 21
    rsi_period = 14

    def init(self):
        self.ema_fast = self.I(talib.EMA, self.data.Close, timeperiod=self.fast)
        self.ema_slow = self.I(talib.EMA, self.data.Close, timeperiod=self.slow)
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)
        print("🌙 Moon Dev indicators ready! EMA + RSI ✨")

    def next(self):
        if crossover(self.ema_fast, self.ema_slow) and self.rsi[-1] < 70:
            print(f"🚀 BUY signal at {self.data.Close[-1]:.2f} | RSI {self.rsi[-1]:.1f}")
            self.buy(size=0.5)
        elif crossover(self.ema_slow, self.ema_fast) and self.position:
            print(f"🌑 Closing position at {self.data.Close[-1]:.2f}")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, EmaCrossRsiFilter, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
