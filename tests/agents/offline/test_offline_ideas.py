"""The offline engine reads what an idea says: 40+ ideas written the way traders write
them (tests/fixtures/trader_ideas.json), each with the spec fields it must produce.

Explicit numbers become v1 defaults inside the optimiser's ranges; stops, targets,
trailing stops, filters and exits appear only when the idea asks for them.
``python bench/bench_offline_ideas.py`` prints the score, for this checkout or another.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.offline import idea_to_spec
from agents.spec import StrategySpec
from tests.conftest import TESTS

FIXTURE = TESTS / "fixtures" / "trader_ideas.json"
IDEAS: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["ideas"]
DEFAULTS: dict[str, Any] = {"direction": "long", "datasets": ["GOOG"], "timeframe": "1d",
                            "filters": [], "stop": None, "target": None, "trailing": None}


def _sig(rule: Any) -> str:
    if rule.kind == "time":
        return f"{rule.side}: time {rule.args.get('bars')}"
    return f"{rule.side}: {rule.kind} {rule.args.get('a')} {rule.args.get('b')}"


def _level(spec: StrategySpec, label: str) -> dict[str, Any] | None:
    level = getattr(spec.risk, label)
    if level is None:
        return None
    value = level.value
    if isinstance(value, str):
        value = spec.defaults().get(value)
    return {"kind": level.kind, "value": value}


def mismatches(spec: StrategySpec, expect: dict[str, Any]) -> list[str]:
    """Every way ``spec`` differs from the fixture's expectation, as sentences."""
    want = {**DEFAULTS, **expect}
    out: list[str] = []
    bp = spec.blueprint
    if bp.get("entry") != want["entry"]:
        out.append(f"entry {bp.get('entry')!r}, want {want['entry']!r}")
    if "ma" in want and bp.get("ma") != want["ma"]:
        out.append(f"ma {bp.get('ma')!r}, want {want['ma']!r}")
    for key in ("direction", "datasets", "timeframe"):
        if want[key] is not None and getattr(spec, key) != want[key]:
            out.append(f"{key} {getattr(spec, key)!r}, want {want[key]!r}")
    if sorted(bp.get("filters", [])) != sorted(want["filters"]):
        out.append(f"filters {bp.get('filters')}, want {want['filters']}")
    for name, value in want.get("params", {}).items():
        p = spec.param(name)
        if p is None:
            out.append(f"no parameter {name}")
        elif p.default != value:
            out.append(f"{name} = {p.default}, want {value}")
        elif p.choices is None and not (p.low <= value <= p.high):  # type: ignore[operator]
            out.append(f"{name} range [{p.low}, {p.high}] does not contain {value}")
    for label in ("stop", "target", "trailing"):
        got, exp = _level(spec, label), want[label]
        if exp is None and got is not None:
            out.append(f"{label} {got} added, the idea asked for none")
        elif exp is not None and (got is None or got["kind"] != exp["kind"]
                                  or ("value" in exp and got["value"] != exp["value"])):
            out.append(f"{label} {got}, want {exp}")
    if "size" in want and spec.risk.size != want["size"]:
        out.append(f"size {spec.risk.size}, want {want['size']}")
    if "entry_rules" in want and [_sig(r) for r in spec.entry] != want["entry_rules"]:
        out.append(f"entry rules {[_sig(r) for r in spec.entry]}, want {want['entry_rules']}")
    if "exits" in want and sorted(_sig(r) for r in spec.exit) != sorted(want["exits"]):
        out.append(f"exits {[_sig(r) for r in spec.exit]}, want {want['exits']}")
    return out


def score() -> list[tuple[str, list[str]]]:
    results = []
    for case in IDEAS:
        try:
            got = mismatches(idea_to_spec(case["idea"], seed=0), case)
        except Exception as exc:  # noqa: BLE001 - scoring another checkout must not stop
            got = [f"raised {type(exc).__name__}: {exc}"]
        results.append((case["idea"], got))
    return results


def test_fixture_is_large_and_varied() -> None:
    assert len(IDEAS) >= 30
    assert len({c["entry"] for c in IDEAS}) >= 9


@pytest.mark.parametrize("case", IDEAS, ids=[c["idea"][:50] for c in IDEAS])
def test_idea_is_read_as_written(case: dict[str, Any]) -> None:
    assert mismatches(idea_to_spec(case["idea"], seed=0), case) == []


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_reading_does_not_depend_on_the_seed(seed: int) -> None:
    """Only a vague idea's free choices are seeded; what an idea says is read the same."""
    wrong = [(c["idea"], m) for c in IDEAS if (m := mismatches(idea_to_spec(c["idea"], seed), c))]
    assert wrong == []


VAGUE = {"RSI oversold bounce": "rsi_reversion", "MACD crossover": "macd_cross",
         "Donchian breakout": "donchian_breakout", "stochastic oversold": "stoch_reversion",
         "CCI reversion": "cci_reversion", "DMI trend": "dmi_trend", "EMA crossover": "ma_cross",
         "momentum": "roc_momentum", "Bollinger mean reversion": "bb_reversion",
         "Bollinger squeeze breakout": "bb_breakout", "fade gaps": "gap_fade"}


@pytest.mark.parametrize("idea", sorted(VAGUE))
def test_an_idea_without_numbers_keeps_the_block_defaults(idea: str) -> None:
    """No number read (so every default is the block's own), no level or filter added."""
    for seed in range(4):
        spec = idea_to_spec(idea, seed)
        assert spec.blueprint["entry"] == VAGUE[idea]
        assert spec.blueprint["overrides"] == {}
        assert (spec.risk.stop, spec.risk.target, spec.risk.trailing) == (None, None, None)
        assert spec.filters == [] and spec.blueprint["filters"] == []


def test_a_data_file_named_in_the_idea_is_its_dataset(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "spy-daily.csv").write_text("Date,Open,High,Low,Close,Volume\n"
                                            "2020-01-02,1,1,1,1,1\n", encoding="utf-8")
    monkeypatch.setenv("RBI_DATA_DIR", str(tmp_path))
    assert idea_to_spec("RSI(2) below 10 on spy-daily, exit above 70").datasets == ["spy-daily"]
    assert idea_to_spec("golden cross on google and SPY-DAILY").datasets == ["GOOG", "spy-daily"]
    missing = idea_to_spec("RSI(2) below 10 on QQQ")
    assert missing.datasets == ["GOOG"] and "QQQ is no available dataset" in missing.hypothesis


def test_an_indicator_the_engine_lacks_is_said_not_swapped_silently() -> None:
    spec = idea_to_spec("buy when price crosses above VWAP with RSI(2) below 10")
    assert "VWAP is not among the offline engine's blocks" in spec.hypothesis
    assert spec.blueprint["entry"] == "rsi_reversion" and spec.defaults()["rsi_low"] == 10
