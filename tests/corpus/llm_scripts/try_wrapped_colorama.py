import pandas as pd
import numpy as np
import talib
from colorama import Fore, Style, init
from backtesting import Backtest, Strategy
from backtesting.lib import crossover

init(autoreset=True)

CSV_PATH = "/home/trader/data/BTC-USD-1d.csv"


class DualMomentum(Strategy):
    fast = 12
    slow = 48

    def init(self):
        self.fast_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.fast)
        self.slow_ma = self.I(talib.EMA, self.data.Close, timeperiod=self.slow)
        self.roc = self.I(talib.ROC, self.data.Close, timeperiod=20)

    def next(self):
        if crossover(self.fast_ma, self.slow_ma) and self.roc[-1] > 0:
            print(Fore.GREEN + "🌙 Momentum long 🚀" + Style.RESET_ALL)
            self.buy(size=0.95)
        elif crossover(self.slow_ma, self.fast_ma):
            print(Fore.RED + "📉 Momentum fades" + Style.RESET_ALL)
            self.position.close()


try:
    df = pd.read_csv(CSV_PATH)
    df.columns = df.columns.str.strip()
    df = df[['Open', 'High', 'Low', 'Close', 'Volume']]
    bt = Backtest(df, DualMomentum, cash=50_000, commission=0.001)
    stats = bt.run()
    print(Fore.CYAN + str(stats))
except FileNotFoundError as e:
    print(f"Data file not found: {e}")
