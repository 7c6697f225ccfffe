"""series_vs_array: a pandas chain on a numpy ``_Array`` is wrapped in ``pd.Series`` and
its trailing element read becomes positional (``.iloc``), so the fixed strategy runs."""

from __future__ import annotations

from backtesting.test import GOOG

from agents.codefix import fix
from agents.codefix.classify import classify
from agents.codefix.run import run_strategy

CODE = '''import pandas as pd
from backtesting import Strategy


class S(Strategy):
    n = 20

    def init(self):
        pass

    def next(self):
        if len(self.data) < self.n:
            return
        avg_vol = self.data.Volume.rolling(self.n).mean()[-1]
        recent = self.data.Close.pct_change()[-3:]
        if not self.position and self.data.Volume[-1] > avg_vol and recent.sum() > 0:
            self.buy()
        elif self.position and self.data.Close.shift(1)[-1] > self.data.Close[-1]:
            self.position.close()
'''


def test_array_to_series_reads_the_last_element_by_position() -> None:
    stats, err = run_strategy(CODE, GOOG)
    assert stats is None and err is not None
    error_class = classify(err)
    assert error_class in {"series_vs_array", "invented_attribute"}
    fixed = fix(CODE, error_class, err)
    assert "pd.Series(self.data.Volume).rolling(self.n).mean().iloc[-1]" in fixed.code
    assert "pd.Series(self.data.Close).pct_change()[-3:]" in fixed.code  # slices stay
    stats, err = run_strategy(fixed.code, GOOG)
    assert err is None, err
    assert stats is not None and stats["# Trades"] > 0
