import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

class AdxExtremeCross(Strategy):
    adx_period = 14
    adx_min = 60
    fast = 10
    slow = 30

    def init(self):
        self.adx = self.I(talib.ADX, self.data.High, self.data.Low, self.data.Close, timeperiod=self.adx_period)
        self.fast_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.fast)
        self.slow_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.slow)

    def next(self):
        if self.adx[-1] > self.adx_min and crossover(self.fast_ma, self.slow_ma):
            print(f"🚀 Very strong trend ADX={self.adx[-1]:.0f}")
            self.buy(size=0.5)
        elif crossover(self.slow_ma, self.fast_ma) and self.position:
            self.position.close()


if __name__ == "__main__":
    data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
    data.columns = data.columns.str.strip()
    data = data.drop(columns=[c for c in data.columns if c.startswith('Unnamed')])
    data.columns = [c.capitalize() for c in data.columns]
    data['Datetime'] = pd.to_datetime(data['Datetime'])
    data.set_index('Datetime', inplace=True)
    bt = Backtest(data, AdxExtremeCross, cash=1_000_000, commission=0.002)
    stats = bt.run()
    print("🌙 Results:")
    print(stats)
