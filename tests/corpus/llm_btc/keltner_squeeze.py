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

class KeltnerSqueeze(Strategy):
    period = 20
    mult = 1.5

    def init(self):
        self.ema = self.I(talib.EMA, self.data.Close, timeperiod=self.period)
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.period)

    def next(self):
        upper = self.ema[-1] + self.mult * self.atr[-1]
        lower = self.ema[-1] - self.mult * self.atr[-1]
        price = self.data.Close[-1]
        if price > upper and not self.position:
            print(f"💥 Keltner breakout @ {price:.2f}")
            self.buy(size=0.4)
        elif price < self.ema[-1] and self.position:
            print("🌙 Back inside the channel - flat")
            self.position.close()


data = load_data('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')


bt = Backtest(data, KeltnerSqueeze, cash=1_000_000, commission=.002, exclusive_orders=True)
stats = bt.run()
print("\n🌙 MOON DEV BACKTEST RESULTS 🌙")
print("=" * 50)
print(stats)
print("\n✨ Strategy details:")
print(stats._strategy)
