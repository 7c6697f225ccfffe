# 🌙 Moon Dev's SMA + RSI momentum strategy (an LLM-written script, kept as users have it)
import pandas as pd
import talib
from backtesting import Backtest, Strategy

# Load the data 📈
data_path = '/Users/moon/dev/trading/src/data/rbi/BTC-USD-1d.csv'
data = pd.read_csv(data_path)
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low',
                            'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class MoonSmaRsi(Strategy):
    fast = 10
    slow = 30
    rsi_period = 14
    rsi_max = 70

    def init(self):
        self.sma_fast = self.I(talib.SMA, self.data.Close, timeperiod=self.fast)
        self.sma_slow = self.I(talib.SMA, self.data.Close, timeperiod=self.slow)
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)

    def next(self):
        if not self.position and self.sma_fast[-1] > self.sma_slow[-1] \
                and self.rsi[-1] < self.rsi_max:
            print(f"🚀 MOON ENTRY at {self.data.Close[-1]:.2f} | RSI {self.rsi[-1]:.1f} 🌙✨")
            self.buy()
        elif self.position and self.sma_fast[-1] < self.sma_slow[-1]:
            print(f"💥 EXIT at {self.data.Close[-1]:.2f} 🛑")
            self.position.close()


bt = Backtest(data, MoonSmaRsi, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
