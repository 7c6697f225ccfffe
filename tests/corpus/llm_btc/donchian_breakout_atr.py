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

class DonchianBreakoutAtr(Strategy):
    channel = 20
    atr_period = 14
    atr_mult = 2.0

    def init(self):
        self.upper = self.I(talib.MAX, self.data.High, timeperiod=self.channel)
        self.lower = self.I(talib.MIN, self.data.Low, timeperiod=self.channel)
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.atr_period)

    def next(self):
        price = self.data.Close[-1]
        if len(self.data) < self.channel + 2:
            return
        if not self.position and price > self.upper[-2]:
            sl = price - self.atr_mult * self.atr[-1]
            tp = price + 3 * self.atr_mult * self.atr[-1]
            print(f"🚀 Donchian breakout! Entry {price:.2f} SL {sl:.2f} TP {tp:.2f}")
            self.buy(sl=sl, tp=tp)
        elif self.position and price < self.lower[-2]:
            print("🌙 Channel broken to the downside, exiting")
            self.position.close()


# 🚀 Run the backtest
bt = Backtest(data, DonchianBreakoutAtr, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
