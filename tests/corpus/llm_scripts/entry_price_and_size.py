import pandas as pd
import talib
import numpy as np
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class TrailingCci(Strategy):
    cci_period = 20
    trail_pct = 0.05

    def init(self):
        self.cci = self.I(talib.CCI, self.data.High, self.data.Low, self.data.Close, timeperiod=self.cci_period)
        self.highest_since_entry = None

    def next(self):
        price = self.data.Close[-1]
        if not self.position:
            if self.cci[-1] > 100 and self.cci[-2] <= 100:
                units = 0.25 * self.equity / price
                print(f"🌙 CCI breakout, buying {units:.4f} units 🚀")
                self.buy(size=units)
                self.highest_since_entry = price
        else:
            self.highest_since_entry = max(self.highest_since_entry or price, price)
            if price < self.highest_since_entry * (1 - self.trail_pct):
                gain = (price - self.position.entry_price) / self.position.entry_price
                print(f"✨ Trailing stop hit, gain {gain:.2%}")
                self.position.close()


bt = Backtest(data, TrailingCci, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
