import pandas as pd
import talib
from backtesting import Backtest, Strategy

data = pd.read_csv('/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv')
data.columns = data.columns.str.strip().str.lower()
data = data.drop(columns=[col for col in data.columns if 'unnamed' in col.lower()])
data = data.rename(columns={'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'})
data['datetime'] = pd.to_datetime(data['datetime'])
data = data.set_index('datetime')


class RiskManagedTrend(Strategy):
    sma_period = 50
    risk_per_trade = 0.01

    def init(self):
        self.sma = self.I(talib.SMA, self.data.Close, timeperiod=self.sma_period)

    def next(self):
        portfolio_value = self.broker.getvalue()
        cash = self.broker.get_cash()
        if not self.position and self.data.Close[-1] > self.sma[-1] and cash > 0:
            print(f"🌙 Portfolio ${portfolio_value:,.0f} - trend up, buying 🚀")
            self.buy(size=0.2, exectype='Market')
        elif self.position and self.data.Close[-1] < self.sma[-1]:
            self.position.close()


bt = Backtest(data, RiskManagedTrend, cash=1_000_000, commission=.002)
stats = bt.run()
print(stats)
