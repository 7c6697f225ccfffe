"""The look-ahead check through the sandbox compares the runs' own replayed order logs.

Guards: the probes run the version's UNCHANGED code (one code hash: they share its
container) with ``keep_orderlog``; every peeking style of bench/known_cases, a limit
and a take-profit priced from the next bar (they fill intrabar: a fill comparison misses
them) are fatal ``lookahead`` findings; honest strategies and long/short reversals get
none; the comparison itself flags a decision before the cut that differs by 1e-6 and
ignores one at or after the cut.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from agents.research.lookahead import probe, truncation_check
from agents.research.lookahead_actions import actions_of, first_action_difference
from agents.research.runners import sandbox_runner
from agents.stages.common import OPTIONS
from agents.store.records import sha256_text
from bench.known_markets import MARKETS, drifting, random_walk
from tests.agents.research.test_lookahead_replay import (
    REVERSAL,
    TP_FROM_NEXT_HIGH,
    strategy,
)
from tests.conftest import require_docker


class Seen:
    """A sandbox runner that records what each multi-frame call sent."""

    def __init__(self, backend: Any) -> None:
        self.inner = sandbox_runner(backend, OPTIONS)
        self.orderlog = True
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, code: str, data: pd.DataFrame, params: dict[str, Any],
                 options: Any = None) -> Any:
        return self.inner(code, data, params, options)

    def jobs(self, code: str, todo: list[Any], options: Any = None,
             keep_orderlog: bool = False) -> Any:
        self.calls.append((code, keep_orderlog))
        return self.inner.jobs(code, todo, options, keep_orderlog=keep_orderlog)


@pytest.fixture(scope="module")
def walk() -> pd.DataFrame:
    return random_walk(bars=1500, seed=104)


@pytest.fixture(scope="module")
def local() -> Any:
    from executor import get_sandbox

    return get_sandbox("local")


@pytest.mark.parametrize("case", ["peek_roll", "peek_centered", "peek_limit", "peek_shift"])
def test_every_peeking_style_is_fatal_from_the_order_log(case: str, walk: pd.DataFrame,
                                                         local: Any) -> None:
    run = Seen(local)
    code = strategy(case)
    found = truncation_check(code, walk, {}, run)
    assert run.calls and all(c == (code, True) for c in run.calls)  # unchanged code
    fatal = [f for f in found if f.kind == "lookahead"]
    assert len(fatal) == 1 and fatal[0].severity == "fatal", found
    f = fatal[0]
    assert f.bar is not None and f.time == walk.index[f.bar].isoformat()
    assert "order" in f.message and "the strategy uses future data" in f.message


def test_take_profit_from_the_next_bar_is_fatal(walk: pd.DataFrame, local: Any) -> None:
    found = truncation_check(TP_FROM_NEXT_HIGH, walk, {}, Seen(local))
    assert [f.kind for f in found] == ["lookahead"]
    assert "tp=" in found[0].message  # names the decision that differs


@pytest.mark.parametrize("market, seed, params", [
    (random_walk, 2, {}), (drifting, 6, {"fast": 5, "slow": 20}),
])
def test_long_short_reversal_is_never_flagged(market: Any, seed: int, params: dict[str, Any],
                                              local: Any) -> None:
    assert truncation_check(REVERSAL, market(seed=seed), params, Seen(local)) == []


@pytest.mark.parametrize("case, market", [
    ("bounce", "bounce"), ("regime_ma", "regimes"), ("weekday", "weekday"),
    ("beta_monthly", "drifting"),
])
def test_honest_benchmark_strategies_pass(case: str, market: str, local: Any) -> None:
    assert truncation_check(strategy(case), MARKETS[market](seed=3), {}, Seen(local)) == []


def test_docker_probes_share_the_versions_code_and_catch_the_peek(walk: pd.DataFrame) -> None:
    box = require_docker()
    run = Seen(box)
    code = strategy("peek_shift")
    got = probe(code, walk, {}, run, extra=[{}])
    assert [f.kind for f in got.findings] == ["lookahead"]
    assert run.calls == [(code, True)]  # ONE call, the version's own code
    assert got.full is not None and got.full.ok and got.full.orderlog is None  # not kept
    assert got.full.code_sha256 == got.extra[0].code_sha256 == sha256_text(code)
    clean = probe(strategy("bounce"), MARKETS["bounce"](seed=3), {}, Seen(box))
    assert clean.findings == []


BUY = ["buy", 5, {"size": 0.5, "limit": None, "stop": None, "sl": 99.5, "tp": None, "tag": None}]


def _with(bar: int, sl: float) -> list[Any]:
    return ["buy", bar, {**BUY[2], "sl": sl}]


def test_the_comparison_flags_any_decision_before_the_cut() -> None:
    base = [["buy", -1, {"size": 0.1}], BUY, ["pclose", 9, 1.0]]
    assert first_action_difference(base, [list(a) for a in base], cut=20) is None
    moved = [base[0], _with(5, 99.5 * (1 + 1e-6)), base[2]]
    bar, what = first_action_difference(base, moved, cut=20) or (None, "")
    assert bar == 5 and "sl=99.5" in what and "became" in what
    assert first_action_difference(base, [base[0], _with(5, 99.5 * (1 + 1e-13)), base[2]],
                                   cut=20) is None  # the same number, printed differently
    assert first_action_difference(base, base[:2], cut=20) == (9, "order pclose at bar 9 [1.0] "
                                                                  "only in the full run")
    assert first_action_difference(base, base[:2], cut=9) is None  # bar 9 is not before it
    extra = [*base[:2], ["cancel", 7, 0], base[2]]
    assert first_action_difference(base, extra, cut=20)[0] == 7  # type: ignore[index]
    assert first_action_difference(base, [["buy", -1, {"size": 0.2}], *base[1:]], cut=3)[0] == -1  # type: ignore[index]


def test_actions_of_reads_only_a_real_log() -> None:
    assert actions_of(None) is None and actions_of({"v": 1}) is None
    assert actions_of({"actions": [["buy", 3, {}], "junk", [1]]}) == [["buy", 3, {}]]
