"""The offline provider answers every agent prompt in the shape a real LLM would, and the
answers chain: research spec -> backtest code that runs -> optimise child -> review."""

from __future__ import annotations

import json
import warnings

from backtesting import Backtest
from backtesting.test import GOOG

from agents.llm import (
    Budget,
    InMemoryCallLog,
    LLMCall,
    RecordedProvider,
    extract_code,
    extract_json,
    get_provider,
    load_prompt,
)
from agents.spec import StrategySpec
from tests.agents.offline.test_offline_engine import load_strategy


def test_research_backtest_optimise_review_chain() -> None:
    log = InMemoryCallLog()
    raw = get_provider("offline", seed=5)
    llm = RecordedProvider(raw, log, Budget(tokens_per_day=1))  # offline is exempt
    log.record(LLMCall("anthropic", "m", "x", "v", 10**6, 0, 50.0, 1.0))  # budget long spent

    research = load_prompt("research")
    reply = llm.complete(research.messages(idea="RSI oversold bounce on GOOG",
                                           knowledge="(none yet)"),
                         purpose="research", prompt_version=research.version)
    spec = StrategySpec.from_dict(extract_json(reply.text)).check()
    assert spec.blueprint["entry"] == "rsi_reversion" and spec.datasets == ["GOOG"]

    backtest = load_prompt("backtest")
    reply = llm.complete(backtest.messages(spec_json=spec.to_json()), purpose="backtest",
                         prompt_version=backtest.version)
    got = extract_code(reply.text)
    assert got.blocks == 1 and not got.truncated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(GOOG, load_strategy(got.code), cash=100_000).run()
    assert stats["# Trades"] > 0

    optimise = load_prompt("optimise")
    reply = llm.complete(optimise.messages(spec_json=spec.to_json(), results_json="{}",
                                           history="(none)"), purpose="optimise")
    proposal = extract_json(reply.text)
    child = StrategySpec.from_dict(proposal["spec"]).check()
    assert proposal["mutation"] in ("swap_indicator", "add_filter", "change_exit",
                                    "tweak_params")
    assert child.to_dict() != spec.to_dict()

    review = load_prompt("review")
    stats_json = json.dumps({"# Trades": int(stats["# Trades"]),
                             "Sharpe Ratio": float(stats["Sharpe Ratio"]),
                             "Max. Drawdown [%]": float(stats["Max. Drawdown [%]"]),
                             "Return [%]": float(stats["Return [%]"])})
    reply = llm.complete(review.messages(spec_json=spec.to_json(), stats_json=stats_json,
                                         gates="passed"), purpose="review")
    verdict = extract_json(reply.text)
    assert verdict["verdict"] in ("approve", "needs_work", "kill") and verdict["learnings"]

    offline_calls = [c for c in log.calls if c.provider == "offline"]
    assert len(offline_calls) == 4 and all(c.cost_usd == 0 for c in offline_calls)
    assert offline_calls[0].prompt_version == "research-v2"
    assert all(c.tokens_in > 0 and c.tokens_out > 0 for c in offline_calls)


def test_offline_is_deterministic_and_purpose_can_be_guessed() -> None:
    prompt = load_prompt("research").messages(idea="MACD momentum", knowledge="-")
    a = get_provider("offline", seed=1).complete(prompt)
    b = get_provider("offline", seed=1).complete(prompt, purpose="research")
    assert a.text == b.text and a.raw_id == b.raw_id
    assert extract_json(a.text)["blueprint"]["entry"] == "macd_cross"


def test_debug_regenerates_from_spec_and_small_budget_truncates() -> None:
    from agents.offline import idea_to_spec

    spec = idea_to_spec("Donchian breakout with ATR stop")
    debug = load_prompt("debug").messages(spec_json=spec.to_json(), code="broken(",
                                          error_class="syntax", error="SyntaxError")
    provider = get_provider("offline")
    fixed = extract_code(provider.complete(debug, purpose="debug").text)
    compile(fixed.code, "<fixed>", "exec")
    short = provider.complete(debug, purpose="debug", max_tokens=50)
    assert short.stop_reason == "max_tokens" and extract_code(short.text).truncated


def test_review_kills_zero_trades() -> None:
    msgs = load_prompt("review").messages(spec_json="{}", stats_json='{"# Trades": 0}',
                                          gates="failed: trades")
    verdict = extract_json(get_provider("offline").complete(msgs, purpose="review").text)
    assert verdict["verdict"] == "kill"
