"""Look-ahead: static hints and the truncation check, on GOOG with in-process backtests."""

from __future__ import annotations

import pandas as pd

from agents.research.lookahead import probe_frame, truncation_check
from agents.research.lookahead_static import static_hints
from agents.research.runners import inprocess_runner
from tests.agents.research.cases import OPTS, PEEK, SMA_CROSS, WHOLE_MEAN


def test_static_hints_name_the_lines() -> None:
    code = '''
import numpy as np
import pandas as pd
from backtesting import Strategy

class S(Strategy):
    def init(self):
        c = pd.Series(self.data.Close)
        self.a = self.I(lambda x: pd.Series(x).shift(-2), self.data.Close)
        self.b = self.I(lambda x: pd.Series(x).rolling(5, center=True).mean(), self.data.Close)
        self.top = c.max()
        self.avg = c.rolling(20).mean()
        self.last = self.data.Close[-1]
        self.q = np.percentile(c, 90)

    def next(self):
        if self.data.Close[-1] > self.data.Close[-2]:
            self.buy()
'''
    got = [(f.kind, f.line) for f in static_hints(code)]
    assert ("negative_shift", 9) in got
    assert ("centered_window", 10) in got
    assert ("whole_frame_statistic", 11) in got
    assert ("last_value_in_init", 13) in got
    assert ("whole_frame_statistic", 14) in got
    assert not [g for g in got if g[1] in (12, 17)]  # rolling mean, [-1] in next: fine
    assert static_hints(SMA_CROSS) == []
    assert static_hints("def broken(:") == []


def test_peeking_strategy_is_flagged_statically_and_dynamically(goog: pd.DataFrame) -> None:
    hints = static_hints(PEEK)
    assert [(h.kind, h.line) for h in hints] == [("negative_shift", 7)]
    data = goog.iloc[-900:]
    found = truncation_check(PEEK, data, {}, inprocess_runner(OPTS))
    assert [f.kind for f in found] == ["lookahead"]
    f = found[0]
    assert f.severity == "fatal" and f.bar is not None
    assert f.time == data.index[f.bar].isoformat()
    assert f"first offending bar {f.bar} ({f.time})" in f.message


def test_clean_sma_cross_passes(goog: pd.DataFrame) -> None:
    assert truncation_check(SMA_CROSS, goog.iloc[-900:], {"n1": 10, "n2": 30},
                            inprocess_runner(OPTS)) == []


def test_whole_series_threshold_is_caught_with_an_early_bar(goog: pd.DataFrame) -> None:
    assert [h.kind for h in static_hints(WHOLE_MEAN)] == ["whole_frame_statistic"]
    data = goog.iloc[-900:]
    found = truncation_check(WHOLE_MEAN, data, {}, inprocess_runner(OPTS),
                             cuts=[300, 600])
    assert found and found[0].kind == "lookahead"
    assert found[0].bar is not None and found[0].bar < 300  # differs long before the cut


def test_probe_frame_keeps_the_open_and_moves_the_close(goog: pd.DataFrame) -> None:
    p = probe_frame(goog, 100, 0.1)
    assert len(p) == 102
    assert p["Open"].iloc[100] == goog["Open"].iloc[100]
    assert p["Close"].iloc[100] == goog["Open"].iloc[100] * 1.1
    assert p["High"].iloc[100] == p["Close"].iloc[100]
    assert (p.iloc[101][["Open", "High", "Low", "Close"]] == p["Close"].iloc[100]).all()
    pd.testing.assert_frame_equal(p.iloc[:100], goog.iloc[:100])
