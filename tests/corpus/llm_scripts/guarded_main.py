"""VWAP reversion strategy (guarded entry point)."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import talib
from backtesting import Backtest, Strategy

DATA_DIR = Path(__file__).parent / "data"
DATA_FILE = os.path.join(DATA_DIR, "SOL-USD-1h.csv")


def load_data(path):
    df = pd.read_csv(path)
    df.columns = [c.strip().lower() for c in df.columns]
    df = df.rename(columns=str.capitalize)
    df["Datetime"] = pd.to_datetime(df["Datetime"])
    return df.set_index("Datetime")


def rolling_vwap(high, low, close, volume, window):
    typical = (np.asarray(high) + np.asarray(low) + np.asarray(close)) / 3
    pv = pd.Series(typical * np.asarray(volume, dtype=float)).rolling(window).sum()
    vol = pd.Series(np.asarray(volume, dtype=float)).rolling(window).sum()
    return (pv / vol).values


class VwapReversion(Strategy):
    window = 20
    band = 0.02

    def init(self):
        self.vwap = self.I(rolling_vwap, self.data.High, self.data.Low, self.data.Close,
                           self.data.Volume, self.window)
        self.rsi = self.I(talib.RSI, self.data.Close, 14)

    def next(self):
        price = self.data.Close[-1]
        if not self.position and price < self.vwap[-1] * (1 - self.band) and self.rsi[-1] < 40:
            self.buy()
        elif self.position and price >= self.vwap[-1]:
            self.position.close()


if __name__ == "__main__":
    data = load_data(DATA_FILE)
    bt = Backtest(data, VwapReversion, cash=100_000, commission=0.001, margin=1.0,
                  trade_on_close=True)
    stats = bt.run()
    print(stats)
    bt.plot()
