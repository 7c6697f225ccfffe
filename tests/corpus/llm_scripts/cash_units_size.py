import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class RiskParityMomentum(Strategy):
    risk_pct = 0.02
    atr_period = 14
    mom_period = 10

    def init(self):
        self.atr = self.I(talib.ATR, self.data.High, self.data.Low, self.data.Close, timeperiod=self.atr_period)
        self.mom = self.I(talib.MOM, self.data.Close, timeperiod=self.mom_period)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and self.mom[-1] > 0 and self.mom[-2] <= 0:
            risk_amount = self.equity * self.risk_pct
            stop_distance = 2 * self.atr[-1]
            position_size = risk_amount / stop_distance
            print(f"🌙 Risk ${risk_amount:,.0f} -> {position_size} units 🚀")
            self.buy(size=position_size, sl=price - stop_distance, tp=price + 3 * stop_distance)
        elif self.position and self.mom[-1] < 0:
            self.position.close()


bt = Backtest(data, RiskParityMomentum, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
print(stats._strategy)
