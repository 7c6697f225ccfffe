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

class ArrayIlocLast(Strategy):
    rsi_period = 14
    sma_period = 50

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)
        self.sma = self.I(talib.SMA, self.data.Close, timeperiod=self.sma_period)

    def next(self):
        close = self.data.Close.iloc[-1]
        if self.rsi.iloc[-1] < 35 and close > self.sma.iloc[-1] * 0.98 and not self.position:
            print(f"🌙 Buying at {close:.2f} ✨")
            self.buy(size=0.5)
        elif self.rsi.iloc[-1] > 65 and self.position:
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, ArrayIlocLast, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
