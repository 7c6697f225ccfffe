import pandas as pd
import numpy as np
import talib
from backtesting import Backtest, Strategy

# 🌙 Moon Dev's signal-column strategy: everything is precomputed on the frame
data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data['rsi'] = talib.RSI(data['close'], timeperiod=14)
data['ema50'] = talib.EMA(data['close'], timeperiod=50)
data['signal'] = np.where((data['rsi'] < 30) & (data['close'] > data['ema50']), 1, 0)
data['exit_signal'] = np.where(data['rsi'] > 60, 1, 0)
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})


class SignalColumns(Strategy):
    def init(self):
        print("🌙 Using precomputed signals ✨")

    def next(self):
        if not self.position and self.data.signal[-1] == 1:
            print("🚀 Signal! Buying")
            self.buy()
        elif self.position and self.data.exit_signal[-1] == 1:
            self.position.close()


bt = Backtest(data, SignalColumns, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
