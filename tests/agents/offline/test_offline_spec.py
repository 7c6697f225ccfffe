"""StrategySpec: JSON round-trip, validation messages, constraints."""

from __future__ import annotations

import json

import pytest

from agents.offline import idea_to_spec
from agents.spec import SpecError, StrategySpec


def minimal() -> dict:
    return {
        "name": "SmaCross", "hypothesis": "trends persist",
        "indicators": [{"name": "fast", "function": "SMA", "params": {"timeperiod": "n1"}},
                       {"name": "slow", "function": "SMA", "params": {"timeperiod": "n2"}}],
        "entry": [{"text": "fast crosses above slow", "kind": "cross_above",
                   "args": {"a": "fast", "b": "slow"}}],
        "exit": ["close when the trend turns"],
        "parameters": [{"name": "n1", "default": 10, "low": 5, "high": 30, "step": 5},
                       {"name": "n2", "default": 50, "low": 20, "high": 200, "step": 10}],
        "constraints": ["n1 < n2"],
    }


def test_round_trip_and_defaults() -> None:
    spec = StrategySpec.from_dict(minimal()).check()
    assert spec.exit[0].kind == "text" and spec.datasets == ["GOOG"]
    assert spec.direction == "long" and spec.risk.size == 0.95
    again = StrategySpec.from_json(spec.to_json())
    assert again == spec and again.to_json() == spec.to_json()
    assert json.loads(spec.to_json())["parameters"][0]["type"] == "int"


def test_generated_specs_round_trip() -> None:
    spec = idea_to_spec("Bollinger squeeze breakout with trailing stop, long and short", 4)
    assert StrategySpec.from_json(spec.to_json()) == spec


def test_validation_lists_every_problem() -> None:
    bad = minimal()
    bad["name"] = "sma cross"
    bad["direction"] = "sideways"
    bad["parameters"][0]["default"] = 99
    bad["entry"][0]["args"]["b"] = "bb.lower"
    bad["constraints"].append("n1 < n3")
    bad["risk"] = {"stop": {"kind": "pips", "value": -1}, "size": 1.5}
    with pytest.raises(SpecError) as info:
        StrategySpec.from_dict(bad).check()
    text = str(info.value)
    for needle in ("CamelCase", "direction", "outside [5, 30]", "'bb.lower' names no",
                   "unknown parameter(s) ['n3']", "kind 'pips'", "must be > 0", "risk.size"):
        assert needle in text, needle
    assert len(info.value.problems) >= 8


def test_shape_errors_are_spec_errors() -> None:
    with pytest.raises(SpecError, match="unknown field"):
        StrategySpec.from_dict({**minimal(), "colour": "red"})
    with pytest.raises(SpecError, match="missing required field 'hypothesis'"):
        StrategySpec.from_dict({"name": "X"})
    with pytest.raises(SpecError, match="not JSON"):
        StrategySpec.from_json("{nope")
    with pytest.raises(SpecError, match="wrong shape"):
        StrategySpec.from_dict({**minimal(), "parameters": [{"nme": "x"}]})


def test_constraints_are_safe_expressions() -> None:
    spec = StrategySpec.from_dict(minimal())
    assert spec.violated_constraints({"n1": 60}) == ["n1 < n2"]
    assert spec.violated_constraints({"n1": 5, "n2": 20}) == []
    spec.constraints = ["__import__('os').system('true')"]
    assert any("Call" in p or "Attribute" in p for p in spec.validate())


def test_multi_output_indicator_needs_output_name() -> None:
    data = minimal()
    data["indicators"].append({"name": "bb", "function": "BBANDS", "params": {},
                               "outputs": ["upper", "middle", "lower"]})
    data["entry"].append({"text": "x", "kind": "lt", "args": {"a": "Close", "b": "bb"}})
    problems = StrategySpec.from_dict(data).validate()
    assert any("say which" in p for p in problems)
