import pandas as pd
import talib
from backtesting import Backtest, Strategy

# Moon Dev's ATR Breakout 🌙
data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})


class AtrBreakout(Strategy):
    lookback = 20
    atr_mult = 1.5
    risk_fraction = 0.5

    def init(self):
        self.highest = self.I(talib.MAX, self.data.High, timeperiod=self.lookback)
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=14)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price >= self.highest[-2]:
            size = self.risk_fraction * self.equity / price
            sl = price - self.atr_mult * self.atr[-1]
            print(f"🚀 Breakout at {price:.2f}, size {size:.3f} ✨")
            self.buy(size=size, sl=sl)
        elif self.position and price < self.highest[-1] - 3 * self.atr[-1]:
            self.position.close()


bt = Backtest(data, AtrBreakout, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
