import pandas as pd
import talib
import numpy as np
from backtesting import Backtest, Strategy

# Moon Dev 🌙 volatility contraction
data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')
data.columns = ['Open', 'High', 'Low', 'Close', 'Volume']


def bandwidth(df, n):
    mid = df['close'].rolling(n).mean()
    std = df['close'].rolling(n).std()
    return ((mid + 2 * std) - (mid - 2 * std)) / mid


class VolContraction(Strategy):
    n = 20
    squeeze = 0.05

    def init(self):
        self.bw = self.I(bandwidth, self.data.df, self.n)
        self.high20 = self.I(talib.MAX, self.data['high'], timeperiod=self.n)

    def next(self):
        close = self.data['close'][-1]
        if not self.position and self.bw[-1] < self.squeeze and close >= self.high20[-2]:
            print("🌙 Squeeze breakout ✨")
            self.buy()
        elif self.position and close < self.data.low[-2]:
            self.position.close()


bt = Backtest(data, VolContraction, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
