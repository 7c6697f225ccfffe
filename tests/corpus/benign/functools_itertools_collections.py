# expect: benign
import itertools
from collections import deque, namedtuple
from functools import lru_cache, partial

import numpy as np
from backtesting import Strategy

Signal = namedtuple("Signal", ["bar", "side"])


@lru_cache(maxsize=None)
def weights(n):
    w = np.arange(1, n + 1, dtype=float)
    return tuple(w / w.sum())


def wma(values, n):
    w = np.array(weights(n))
    out = np.full(len(values), np.nan)
    for i in range(n - 1, len(values)):
        out[i] = float(np.dot(values[i - n + 1:i + 1], w))
    return out


class WeightedMa(Strategy):
    n = 10

    def init(self):
        self.wma = self.I(partial(wma, n=self.n), self.data.Close)
        self.recent = deque(maxlen=5)
        self.signals = []

    def next(self):
        self.recent.append(self.data.Close[-1])
        rising = all(a < b for a, b in itertools.pairwise(self.recent))
        if rising and self.data.Close[-1] > self.wma[-1] and not self.position:
            self.signals.append(Signal(len(self.data), "long"))
            self.buy()
        elif self.position and self.data.Close[-1] < self.wma[-1]:
            self.position.close()
            last = self.signals[-1]._asdict() if self.signals else {}
            _ = last.get("side")
