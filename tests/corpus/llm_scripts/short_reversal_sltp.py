import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class ShortReversal(Strategy):
    rsi_period = 14
    sl_pct = 0.02
    tp_pct = 0.04

    def init(self):
        self.rsi = self.I(talib.RSI, self.data.Close, timeperiod=self.rsi_period)

    def next(self):
        price = self.data.Close[-1]
        if not self.position:
            if self.rsi[-1] > 70:
                # 🌙 short the overbought market
                sl = price * (1 - self.sl_pct)
                tp = price * (1 + self.tp_pct)
                print(f"📉 Shorting at {price} SL {sl} TP {tp}")
                self.sell(size=0.1, sl=sl, tp=tp)
            elif self.rsi[-1] < 30:
                self.buy(size=0.1, sl=price * 0.98, tp=price * 1.04)


bt = Backtest(data, ShortReversal, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
