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

class KellyFractionAboveOne(Strategy):
    fast = 10
    slow = 40
    win_rate = 0.55
    payoff = 2.0

    def init(self):
        self.fast_ma = self.I(talib.SMA, self.data.Close, timeperiod=self.fast)
        self.slow_ma = self.I(talib.SMA, self.data.Close, timeperiod=self.slow)

    def next(self):
        kelly = self.win_rate - (1 - self.win_rate) / self.payoff
        leverage = kelly * 4
        if crossover(self.fast_ma, self.slow_ma):
            print(f"🚀 Kelly sizing {leverage:.3f}")
            self.buy(size=leverage)
        elif crossover(self.slow_ma, self.fast_ma):
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, KellyFractionAboveOne, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
