# 🌙 Moon Dev's RSI Oversold Bounce Strategy 🚀
import pandas as pd
import talib
from backtesting import Backtest, Strategy

# Load the data 📊
data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')

# Clean column names 🧹
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class RSIOversoldBounce(Strategy):
    rsi_period = 14
    oversold = 30
    overbought = 70

    def init(self):
        # Calculate RSI using talib 🌙
        self.rsi = self.I(talib.RSI, self.data.Close, self.rsi_period)
        print("🌙 Moon Dev indicators initialized! ✨")

    def next(self):
        if not self.position:
            if self.rsi[-1] < self.oversold:
                print(f"🚀 BUY signal! RSI: {self.rsi[-1]:.2f}")
                self.buy()
        elif self.rsi[-1] > self.overbought:
            print(f"💰 Closing position, RSI: {self.rsi[-1]:.2f}")
            self.position.close()


bt = Backtest(data, RSIOversoldBounce, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
