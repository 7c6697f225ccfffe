import pandas as pd
import numpy as np
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


def zscore(series, window):
    mean = series.rolling(window).mean()
    std = series.rolling(window).std()
    return (series - mean) / std


class ZScoreReversion(Strategy):
    window = 20
    entry_z = -2.0
    exit_z = 0.0

    def init(self):
        self.mean = self.I(lambda: self.data.Close.rolling(self.window).mean())
        self.z = self.I(zscore, pd.Series(self.data.Close), self.window)

    def next(self):
        z_now = self.z.iloc[-1] if hasattr(self.z, 'iloc') else self.z[-1]
        if not self.position and z_now < self.entry_z:
            print(f"🌙 Z-score {z_now:.2f} - mean reversion long 🚀")
            self.buy()
        elif self.position and self.data.Close.iloc[-1] > self.mean[-1]:
            print("✨ Back above the mean")
            self.position.close()


bt = Backtest(data, ZScoreReversion, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
