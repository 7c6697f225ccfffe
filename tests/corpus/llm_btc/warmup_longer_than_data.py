import os
import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy
from backtesting.lib import crossover


def load_data(path):
    """Load and clean the BTC data 🌙"""
    df = pd.read_csv(path, parse_dates=['datetime'])
    df.columns = [c.strip().capitalize() for c in df.columns]
    df = df.loc[:, ~df.columns.str.contains('^Unnamed')]
    df = df.rename(columns={'Datetime': 'Date'}).set_index('Date')
    return df[['Open', 'High', 'Low', 'Close', 'Volume']]

class WarmupLongerThanData(Strategy):
    trend_period = 20000
    fast = 20

    def init(self):
        self.trend = self.I(talib.SMA, self.data.Close, timeperiod=self.trend_period)
        self.fast_ma = self.I(talib.SMA, self.data.Close, timeperiod=self.fast)

    def next(self):
        if crossover(self.fast_ma, self.trend):
            print("🚀 Long-term trend turned up")
            self.buy(size=0.5)
        elif crossover(self.trend, self.fast_ma):
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, WarmupLongerThanData, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
