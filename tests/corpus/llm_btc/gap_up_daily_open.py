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

class GapUpDailyOpen(Strategy):
    gap_pct = 0.03
    rsi_period = 14

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)

    def next(self):
        gap = self.data.Open[-1] / self.data.Close[-2] - 1
        if not self.position and gap > self.gap_pct and self.rsi[-1] < 60:
            print(f"🚀 Gap up {gap:.2%}!")
            self.buy(size=0.5)
        elif self.position and self.rsi[-1] > 70:
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, GapUpDailyOpen, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
