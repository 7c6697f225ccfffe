import pandas as pd
import pandas_ta as ta
from termcolor import cprint, colored
from backtesting import Backtest, Strategy

data = pd.read_csv("/Users/md/Dropbox/dev/github/moon-dev-ai-agents-for-trading/src/data/rbi/BTC-USD-15m.csv", parse_dates=['datetime'], index_col='datetime')
data.columns = [c.strip().capitalize() for c in data.columns]


class BollingerSqueeze(Strategy):
    bb_len = 20
    bb_std = 2

    def init(self):
        close = pd.Series(self.data.Close)
        bb = ta.bbands(close, length=self.bb_len, std=self.bb_std)
        self.upper = self.I(lambda: bb['BBU_20_2.0'], name='BB Upper')
        self.lower = self.I(lambda: bb['BBL_20_2.0'], name='BB Lower')
        self.mid = self.I(lambda: ta.bbands(close, length=20, std=2)['BBM_20_2.0'])
        cprint("🌙 Bollinger bands ready", "cyan")

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price < self.lower[-1]:
            print(colored(f"🚀 Price {price:.2f} below lower band, buying", "green"))
            self.buy()
        elif self.position and price > self.mid[-1]:
            cprint("💰 Back to the middle band, closing", "yellow", attrs=['bold'])
            self.position.close()


bt = Backtest(data, BollingerSqueeze, cash=1_000_000, commission=.002)
stats = bt.run()
cprint(stats, "white")
print(stats._strategy)
