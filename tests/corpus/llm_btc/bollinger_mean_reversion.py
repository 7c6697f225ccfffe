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

class BollingerMeanReversion(Strategy):
    bb_period = 20
    bb_std = 2

    def init(self):
        self.upper, self.middle, self.lower = self.I(
            talib.BBANDS, self.data.Close, timeperiod=self.bb_period,
            nbdevup=self.bb_std, nbdevdn=self.bb_std, matype=0)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price < self.lower[-1]:
            print(f"🌙 Price {price:.2f} below lower band {self.lower[-1]:.2f} - buying the dip 💎")
            self.buy()
        elif self.position and price > self.middle[-1]:
            print(f"✨ Back to the middle band - taking profit 💰")
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


# 🚀 Run the backtest
bt = Backtest(data, BollingerMeanReversion, cash=1_000_000, commission=0.002)
stats = bt.run()
print(stats)
print(stats._strategy)
