# expect: benign-script
import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

DATA_PATH = "/Users/x/data/BTC-USD-15m.csv"
df = pd.read_csv(DATA_PATH, parse_dates=["datetime"], index_col="datetime")
df.columns = [c.strip().capitalize() for c in df.columns]
df = df[["Open", "High", "Low", "Close", "Volume"]].dropna()


def sma(values, n):
    return pd.Series(values).rolling(n).mean().values


class Cross(Strategy):
    n1 = 10
    n2 = 40

    def init(self):
        self.a = self.I(sma, self.data.Close, self.n1)
        self.b = self.I(sma, self.data.Close, self.n2)

    def next(self):
        if crossover(self.a, self.b):
            self.buy()
        elif crossover(self.b, self.a):
            self.position.close()


bt = Backtest(df, Cross, cash=100_000, commission=0.001, exclusive_orders=True)
stats = bt.run()
print(stats)
print("Sharpe Ratio:", stats["Sharpe Ratio"])
for key in ["Return [%]", "Max. Drawdown [%]", "# Trades"]:
    print(f"{key}: {stats[key]}")
print(stats["_trades"].tail())
print(stats._equity_curve.tail())
opt = bt.optimize(n1=range(5, 20, 5), n2=range(20, 60, 20), maximize="Equity Final [$]",
                  constraint=lambda p: p.n1 < p.n2)
print(opt._strategy)
print(np.round(opt["Return [%]"], 2))
