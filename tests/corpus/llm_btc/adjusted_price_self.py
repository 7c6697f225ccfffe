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

class AdjustedPriceSelf(Strategy):
    rsi_period = 7
    lower = 30
    upper = 70

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)

    def next(self):
        if self.rsi[-1] < self.lower and not self.position:
            fill = self._adjusted_price(0.5)
            print(f"🌙 Expected fill {fill:.2f}")
            self.buy(size=0.5, tp=fill * 1.02)
        elif self.rsi[-1] > self.upper and self.position:
            print("✨ RSI high - close")
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, AdjustedPriceSelf, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
