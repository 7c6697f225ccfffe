"""The look-ahead replay compares what the strategy DECIDED (every order created before the
cut), on the benchmark's planted markets, in-process.

Guards: every peeking style in bench/known_cases is a fatal ``lookahead`` finding (the
limit priced from the next bar's low and a take-profit from the next bar's high fill
intrabar, so the old market-fills-at-the-cut replay missed them); honest strategies,
including long/short reversals whose closed-trade records the engine splits differently
on truncated data (the old replay's false positive), get no finding; a probe that
crashes is fatal, not a hint.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from agents.research.lookahead import truncation_check
from agents.research.lookahead_orders import (
    Record,
    first_difference,
    instrument,
    parse_record,
    strategy_leaf,
)
from agents.research.runners import inprocess_runner
from agents.stages.common import OPTIONS
from bench.known_markets import drifting, random_walk, regimes
from tests.conftest import ROOT

CASES = ROOT / "bench" / "known_cases"
RUN = inprocess_runner(OPTIONS)  # the loop's options: no exclusive_orders, 0.2 % commission


def strategy(name: str) -> str:
    """A benchmark script without its module-level Backtest (the package stage's view)."""
    return (CASES / f"{name}.py").read_text().split("\ndf = pd.read_csv")[0]


REVERSAL = '''
import pandas as pd
from backtesting import Strategy
from backtesting.lib import crossover


class Reversal(Strategy):
    fast = 10
    slow = 40

    def init(self):
        self.a = self.I(lambda c: pd.Series(c).rolling(self.fast).mean(), self.data.Close)
        self.b = self.I(lambda c: pd.Series(c).rolling(self.slow).mean(), self.data.Close)

    def next(self):
        if crossover(self.a, self.b):
            self.buy()
        elif crossover(self.b, self.a):
            self.sell()
'''

TP_FROM_NEXT_HIGH = '''
import numpy as np
from backtesting import Strategy


class NextHighTarget(Strategy):
    def init(self):
        self.next_high = self.I(lambda h: np.append(np.asarray(h)[1:], np.nan), self.data.High)

    def next(self):
        high = self.next_high[-1]
        if not self.position and len(self.data) % 3 == 0 and high > self.data.Close[-1] * 1.002:
            self.buy(tp=high * 0.999)
'''

NEEDS_FULL_SERIES = '''
from backtesting import Strategy


class FixedIndex(Strategy):
    def init(self):
        self.level = float(self.data.Close[1400])  # a bar the truncated runs do not have

    def next(self):
        if self.data.Close[-1] > self.level and not self.position:
            self.buy()
        elif self.data.Close[-1] < self.level and self.position:
            self.position.close()
'''


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    return random_walk(bars=1500, seed=104)


@pytest.mark.parametrize("case", ["peek_roll", "peek_centered", "peek_limit", "peek_shift"])
def test_every_peeking_style_is_fatal(case: str, walk: pd.DataFrame) -> None:
    found = truncation_check(strategy(case), walk, {}, RUN)
    fatal = [f for f in found if f.kind == "lookahead"]
    assert len(fatal) == 1 and fatal[0].severity == "fatal", found
    f = fatal[0]
    assert f.bar is not None and f.time == walk.index[f.bar].isoformat()
    assert "order" in f.message and "the strategy uses future data" in f.message


def test_take_profit_from_the_next_bar_is_fatal(walk: pd.DataFrame) -> None:
    found = truncation_check(TP_FROM_NEXT_HIGH, walk, {}, RUN)
    assert [f.kind for f in found] == ["lookahead"]
    assert "tp=" in found[0].message  # names the order that differs


@pytest.mark.parametrize("market, seed, params", [
    (random_walk, 2, {}), (random_walk, 4, {"fast": 5, "slow": 20}), (drifting, 1, {}),
    (regimes, 2, {"fast": 5, "slow": 20}), (drifting, 6, {"fast": 5, "slow": 20}),
])
def test_long_short_reversal_is_never_flagged(market, seed: int, params: dict) -> None:
    # each of these was "orders differ from the full run ..." with the fill replay
    assert truncation_check(REVERSAL, market(seed=seed), params, RUN) == []


@pytest.mark.parametrize("case, market", [
    ("bounce", "bounce"), ("regime_ma", "regimes"), ("slow_200", "slow_trend"),
    ("weekday", "weekday"), ("beta_monthly", "drifting"),
])
def test_honest_benchmark_strategies_pass(case: str, market: str) -> None:
    from bench.known_markets import MARKETS

    assert truncation_check(strategy(case), MARKETS[market](seed=3), {}, RUN) == []


def test_sma_cross_example_passes_on_every_planted_market() -> None:
    code = (ROOT / "examples" / "sma_cross.py").read_text()
    for data in (random_walk(seed=2), regimes(seed=2)):  # both flagged by the fill replay
        assert truncation_check(code, data, {"n1": 5, "n2": 20}, RUN) == []


def test_a_probe_that_crashes_blocks_approval(walk: pd.DataFrame) -> None:
    found = truncation_check(NEEDS_FULL_SERIES, walk, {}, RUN)
    [f] = [f for f in found if f.kind == "probe_failed"]
    assert f.severity == "fatal"  # evaluate_candidate kills on every fatal finding
    assert "IndexError" in f.message and "could not be verified" in f.message


def test_recorder_targets_the_leaf_and_keeps_the_output_small(walk: pd.DataFrame) -> None:
    code = REVERSAL + "\n\nclass Faster(Reversal):\n    fast = 5\n"
    assert strategy_leaf(code) == "Faster"
    assert strategy_leaf("x = 1") is None and instrument("x = 1", [10]) is None
    every_bar = TP_FROM_NEXT_HIGH.replace("not self.position and len(self.data) % 3 == 0", "True")
    long = random_walk(bars=6000, seed=1)
    cuts = [1800, 2700, 3600, 4500, 5400]
    res = RUN(instrument(every_bar, cuts) or "", long, {})
    assert res.ok and len(res.stdout_tail) < 16_000  # sandbox keeps the last 64 KB
    rec = parse_record(res.stdout_tail)
    assert rec is not None and set(cuts) <= set(rec.marks)
    assert rec.orders and all(0 < c - r[0] <= 10 for r in rec.orders for c in
                              [min(c for c in cuts if c > r[0])])


def test_a_cut_record_is_never_compared() -> None:
    text = "@rbi-mark 0 0 5\n@rbi-mark 2 10 7\n"  # line 1 lost
    assert parse_record(text) is None
    assert parse_record("no marks here") is None
    full = Record({0: "1", 10: "2", 20: "3"}, [(15, "1.0", "None", "None", "None", "None",
                                                 "False")])
    same = Record(dict(full.marks), list(full.orders))
    assert first_difference(full, same, 20) is None
    later = Record({0: "1", 10: "2", 20: "9"}, [(15, "0.5", "None", "None", "None", "None",
                                                  "False")])
    assert first_difference(full, later, 20) == (15, "order at bar 15 (size=1.0) became at "
                                                     "bar 15 (size=0.5)")
    assert first_difference(full, Record({0: "1"}, []), 20) == (-1, "")  # no mark at the cut


def test_benchmark_cases_exist() -> None:
    from bench.known_answers import CASES as ALL

    assert all(Path(c.script).is_file() for c in ALL)
