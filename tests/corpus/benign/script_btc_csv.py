# expect: benign-script
import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class VolatilityBreakout(Strategy):
    atr_period = 14
    mult = 1.5

    def init(self):
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, self.atr_period)
        print("🌙 Moon Dev init complete ✨")

    def next(self):
        if len(self.data) < 2:
            return
        price = self.data.Close[-1]
        if price > self.data.Close[-2] + self.mult * self.atr[-1] and not self.position:
            self.buy(size=0.1, sl=price - 2 * self.atr[-1])
            print(f"🚀 Moon Dev BUY signal at {price:.2f} 💎")
        elif self.position and price < self.data.Close[-2]:
            self.position.close()
            print("🌙 exit 💰")


bt = Backtest(data, VolatilityBreakout, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
