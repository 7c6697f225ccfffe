# expect: benign
from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional

import numpy as np
from backtesting import Strategy
from backtesting.test import SMA


class Regime(Enum):
    BULL = 1
    BEAR = 2


@dataclass
class Config:
    fast: int = 10
    slow: int = 30
    history: List[float] = field(default_factory=list)


class RegimeStrategy(Strategy):
    fast = 10
    slow = 30

    def init(self):
        self.cfg = Config(self.fast, self.slow)
        self.sma_fast = self.I(SMA, self.data.Close, self.cfg.fast)
        self.sma_slow = self.I(SMA, self.data.Close, self.cfg.slow)
        self.regime: Optional[Regime] = None

    def next(self):
        regime = Regime.BULL if self.sma_fast[-1] > self.sma_slow[-1] else Regime.BEAR
        self.cfg.history.append(float(np.round(self.equity, 2)))
        if regime != self.regime:
            self.regime = regime
            self.position.close()
            if regime is Regime.BULL:
                self.buy()
            print(f"regime {regime.name} ({regime.value}) at {self.data.index[-1]}", type(self).__name__)
