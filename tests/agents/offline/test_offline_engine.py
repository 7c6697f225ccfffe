"""The offline research engine: ~30 idea texts -> specs -> code that really runs with
backtesting.py on the bundled data, trades in the large majority, and is deterministic."""

from __future__ import annotations

import types
import warnings

import pytest
from backtesting import Backtest, Strategy
from backtesting.test import EURUSD, GOOG

from agents.offline import idea_to_spec, list_mutations, mutate, spec_to_code
from agents.offline.mutate import MutationNotApplicable
from agents.spec import StrategySpec
from executor import validate

IDEAS = [
    "RSI oversold bounce on GOOG",
    "RSI(2) mean reversion with a 200-day trend filter",
    "Bollinger squeeze breakout",
    "Bollinger band mean reversion: buy the lower band touch, exit at the middle band",
    "MACD momentum crossover",
    "MACD crossover with ADX trend strength filter and ATR stop",
    "Donchian breakout with ATR stop",
    "Turtle-style 55-day breakout with a trailing stop",
    "Golden cross with trend filter",
    "EMA 12/26 crossover",
    "SMA crossover with 5% stop loss and 10% take profit",
    "Time-series momentum: rate of change over 20 days",
    "Stochastic oversold reversal",
    "CCI commodity channel index reversion",
    "Directional movement +DI/-DI trend following",
    "Mean reversion after sharp dips",
    "Trend following on EURUSD with chandelier trailing exit",
    "Volatility expansion breakout above the 20-day high",
    "Buy pullbacks in an uptrend, hold for 10 days",
    "Momentum with volatility filter, long and short",
    "RSI overbought short selling on GOOG",
    "Moving average crossover on EURUSD forex",
    "Keltner-like envelope fade with ATR-based stop and target",
    "Breakout of new highs with percent trailing stop",
    "MOM momentum indicator with time exit after 15 bars",
    "Stochastic %K cross with trend filter",
    "Dual moving average trend system, long and short",
    "Quiet market mean reversion with bollinger bands and adx filter",
    "Something completely different about the moon",
    "Buy when RSI below 25, sell when RSI above 65, 3% stop",
]
DATA = {"GOOG": GOOG, "EURUSD": EURUSD}


def load_strategy(code: str) -> type[Strategy]:
    module = types.ModuleType("generated_strategy")
    exec(compile(code, "<generated>", "exec"), module.__dict__)  # noqa: S102 - test of our own output
    classes = [v for v in module.__dict__.values()
               if isinstance(v, type) and issubclass(v, Strategy) and v is not Strategy]
    assert len(classes) == 1, classes
    return classes[0]


def run(code: str, dataset: str = "GOOG") -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(DATA[dataset], load_strategy(code), cash=100_000,
                         commission=0.001, finalize_trades=True).run()
    return int(stats["# Trades"])


@pytest.fixture(scope="module")
def generated() -> list[tuple[str, StrategySpec, str]]:
    out = []
    for i, idea in enumerate(IDEAS):
        spec = idea_to_spec(idea, seed=i % 3)
        out.append((idea, spec, spec_to_code(spec)))
    return out


def test_every_idea_runs_and_most_trade(generated: list[tuple[str, StrategySpec, str]]) -> None:
    traded, families = 0, set()
    for idea, spec, code in generated:
        for dataset in spec.datasets:
            n = run(code, dataset)
            traded += n > 0
        assert validate(code) == [], idea  # the executor's static gate accepts it
        families.add(spec.blueprint["entry"])
        assert StrategySpec.from_json(spec.to_json()) == spec, idea
    total = sum(len(s.datasets) for _, s, _ in generated)
    print(f"\n{traded}/{total} generated strategy runs traded; {len(families)} entry families")
    assert traded >= 0.9 * total
    assert len(families) >= 8


def test_some_ideas_on_eurusd_too(generated: list[tuple[str, StrategySpec, str]]) -> None:
    assert sum(run(code, "EURUSD") > 0 for _, _, code in generated[:6]) >= 5


def test_keywords_choose_blocks() -> None:
    assert idea_to_spec("RSI oversold bounce on GOOG").blueprint["entry"] == "rsi_reversion"
    assert idea_to_spec("Bollinger squeeze breakout").blueprint["entry"] == "bb_breakout"
    assert idea_to_spec("MACD momentum").blueprint["entry"] == "macd_cross"
    spec = idea_to_spec("Donchian breakout with ATR stop")
    assert spec.blueprint["entry"] == "donchian_breakout" and spec.risk.stop.kind == "atr"
    golden = idea_to_spec("Golden cross with trend filter")
    assert golden.defaults()["fast_period"] == 50 and golden.defaults()["slow_period"] == 200
    assert "trend" in golden.blueprint["filters"]
    assert idea_to_spec("RSI(2) pullbacks").defaults()["rsi_period"] == 2
    assert idea_to_spec("trend following on bitcoin").datasets == ["BTCUSD"]
    assert idea_to_spec("ema crossover, long and short").direction == "both"
    trail = idea_to_spec("breakout with a trailing stop").risk.trailing
    assert trail is not None


def test_same_seed_same_bytes_and_seeds_differ() -> None:
    for idea in IDEAS[:10]:
        assert spec_to_code(idea_to_spec(idea, 7)) == spec_to_code(idea_to_spec(idea, 7))
    vague = "something completely different about the moon"
    assert len({idea_to_spec(vague, s).blueprint["entry"] for s in range(12)}) > 2


def test_every_mutation_runs(generated: list[tuple[str, StrategySpec, str]]) -> None:
    applied, traded = 0, 0
    for idea, spec, _ in generated[:12]:
        for op in list_mutations():
            try:
                child = mutate(spec, op, seed=3)
            except MutationNotApplicable:
                continue
            assert child.blueprint["last_mutation"]["op"] == op
            assert child.to_dict() != spec.to_dict(), (idea, op)
            code = spec_to_code(child)
            assert code == spec_to_code(mutate(spec, op, seed=3))  # deterministic
            assert validate(code) == [], (idea, op)
            applied += 1
            traded += run(code) > 0
    print(f"\n{applied} mutations applied, {traded} traded")
    assert applied >= 40 and traded >= 0.85 * applied


def test_tweak_params_respects_ranges_and_constraints() -> None:
    spec = idea_to_spec("EMA 12/26 crossover")
    for seed in range(30):
        child = mutate(spec, "tweak_params", seed)
        for p in child.parameters:
            assert p.low <= p.default <= p.high
        assert child.violated_constraints() == []
        assert child.defaults() != spec.defaults()


def test_structural_mutation_needs_blueprint() -> None:
    spec = idea_to_spec("MACD momentum")
    spec.blueprint = {}
    with pytest.raises(MutationNotApplicable):
        mutate(spec, "swap_indicator", 0)
    assert mutate(spec, "tweak_params", 0).defaults() != spec.defaults()
