# expect: benign-script
from datetime import datetime

import pandas as pd
import talib
from backtesting import Backtest, Strategy

symbol = "ETH-USD"
data = pd.read_csv(f"/home/user/data/{symbol}-1h.csv")
data.columns = data.columns.str.strip()
data = data.loc[:, ~data.columns.str.contains("^Unnamed")]
data.rename(columns={"open": "Open", "high": "High", "low": "Low", "close": "Close",
                     "volume": "Volume"}, inplace=True)
data.index = pd.to_datetime(data["datetime"])
pd.options.mode.chained_assignment = None


class MacdRsi(Strategy):
    def init(self):
        self.macd, self.signal, _ = self.I(talib.MACD, self.data.Close, 12, 26, 9)
        self.rsi = self.I(talib.RSI, self.data.Close, 14)

    def next(self):
        if self.macd[-1] > self.signal[-1] and self.rsi[-1] < 60 and not self.position:
            self.buy()
        elif self.position and self.rsi[-1] > 70:
            self.position.close()


if __name__ == "__main__":
    print(f"started {datetime.now():%Y-%m-%d %H:%M}")
    bt = Backtest(data, MacdRsi, cash=10_000, commission=0.002)
    stats = bt.run()
    print(stats)
    bt.plot(filename="macd_rsi.html", open_browser=False)
