# expect: benign-script
import pandas as pd
from backtesting import Backtest
from backtesting.lib import SignalStrategy

price = pd.read_csv("BTC.csv", index_col=0, parse_dates=True)
price.columns = [c.strip().title() for c in price.columns]


class Signals(SignalStrategy):
    def init(self):
        super().init()
        sig = (pd.Series(self.data.Close).pct_change() < -0.02).astype(int)
        self.set_signal(entry_size=sig * 0.5)


stats = Backtest(price, Signals, cash=10_000).run()
print(stats)
trades = stats["_trades"]
print(trades[["EntryTime", "ExitTime", "PnL"]].to_string())
