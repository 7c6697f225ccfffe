"""Mutation operators for the optimiser: each returns a new, validated spec and leaves a
note of what changed in ``spec.blueprint["last_mutation"]`` (``{"op", "change"}``).

``tweak_params`` works on any spec; the structural ops (swap_indicator, add_filter,
change_exit) need the blueprint the offline engine stores in specs it builds.
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Callable
from typing import Any

from agents.errors import RbiError
from agents.offline.assemble import FILTERS, build
from agents.offline.blocks import ENTRIES
from agents.spec import Parameter, SpecError, StrategySpec

FAMILIES = {
    "mean_reversion": ["rsi_reversion", "bb_reversion", "stoch_reversion", "cci_reversion",
                       "willr_reversion"],
    "trend": ["ma_cross", "macd_cross", "donchian_breakout", "dmi_trend", "roc_momentum",
              "bb_breakout", "sar_trend"],
}


class MutationNotApplicable(RbiError, ValueError):
    """The operator cannot change this spec (e.g. every filter is already on)."""


def _rng(spec: StrategySpec, op: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{op}\x00{spec.to_json(indent=None)}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _blueprint(spec: StrategySpec, op: str) -> dict[str, Any]:
    if spec.blueprint.get("entry") not in ENTRIES:
        raise MutationNotApplicable(f"{op} needs an offline-engine blueprint in the spec; "
                                    "only tweak_params works on other specs")
    bp = copy.deepcopy(spec.blueprint)
    bp.pop("last_mutation", None)
    bp["overrides"] = {**bp.get("overrides", {}), **spec.defaults()}
    return bp


def _rebuild(spec: StrategySpec, bp: dict[str, Any], op: str, change: str) -> StrategySpec:
    bp["last_mutation"] = {"op": op, "change": change}
    return build(bp, name=spec.name, hypothesis=spec.hypothesis, datasets=spec.datasets,
                 source_idea_hash=spec.source_idea_hash, timeframe=spec.timeframe)


def swap_indicator(spec: StrategySpec, rng: random.Random) -> StrategySpec:
    bp = _blueprint(spec, "swap_indicator")
    old = bp["entry"]
    options: list[tuple[str, str]] = []
    if old == "ma_cross":
        other = "EMA" if bp.get("ma", "SMA") == "SMA" else "SMA"
        options.append(("ma", other))
    if old == "roc_momentum":
        options.append(("mom", "MOM" if bp.get("mom", "ROC") == "ROC" else "ROC"))
    group = next((g for g in FAMILIES.values() if old in g), sorted(ENTRIES))
    options += [("entry", f) for f in group if f != old]
    key, value = rng.choice(options)
    before = bp.get(key, "SMA" if key == "ma" else "ROC" if key == "mom" else old)
    bp[key] = value
    return _rebuild(spec, bp, "swap_indicator", f"{key}: {before} -> {value}")


def add_filter(spec: StrategySpec, rng: random.Random) -> StrategySpec:
    bp = _blueprint(spec, "add_filter")
    missing = [f for f in sorted(FILTERS) if f not in bp.get("filters", [])]
    if not missing:
        raise MutationNotApplicable("every filter is already on")
    chosen = rng.choice(missing)
    bp["filters"] = [*bp.get("filters", []), chosen]
    return _rebuild(spec, bp, "add_filter", f"filters += {chosen}")


def change_exit(spec: StrategySpec, rng: random.Random) -> StrategySpec:
    bp = _blueprint(spec, "change_exit")
    choices: list[tuple[str, Any]] = []
    for key in ("stop", "target", "trailing"):
        for value in (None, "atr", "percent"):
            if bp.get(key) != value:
                choices.append((key, value))
    choices.append(("time_exit", not bp.get("time_exit", False)))
    choices.append(("exit_signal", not bp.get("exit_signal", True)))
    for _ in range(len(choices)):
        key, value = rng.choice(choices)
        trial = dict(bp, **{key: value})
        leaves_exit = trial.get("exit_signal", True) or any(
            trial.get(k) for k in ("stop", "target", "trailing", "time_exit"))
        if leaves_exit:
            before = bp.get(key)
            return _rebuild(spec, trial, "change_exit", f"{key}: {before} -> {value}")
        choices.remove((key, value))
    raise MutationNotApplicable("no exit change keeps the strategy able to exit")


def _step(p: Parameter) -> float:
    if p.step:
        return float(p.step)
    if p.low is not None and p.high is not None:
        span = float(p.high) - float(p.low)
        return max(1.0, round(span / 10)) if p.type == "int" else span / 10
    return 1.0


def tweak_params(spec: StrategySpec, rng: random.Random) -> StrategySpec:
    tunable = [p for p in spec.parameters if p.choices or (p.low is not None and p.low != p.high)]
    if not tunable:
        raise MutationNotApplicable("no parameter has a range to move in")
    for _ in range(50):
        values = spec.defaults()
        changed = []
        for p in rng.sample(tunable, k=min(len(tunable), rng.choice([1, 1, 2]))):
            if p.choices:
                new: float = rng.choice([c for c in p.choices if c != p.default] or p.choices)
            else:
                moved = float(p.default) + rng.choice([-2, -1, 1, 2]) * _step(p)
                new = min(max(moved, float(p.low)), float(p.high))  # type: ignore[arg-type]
                new = int(round(new)) if p.type == "int" else round(new, 6)
            if new != p.default:
                values[p.name] = new
                changed.append(f"{p.name}: {p.default} -> {new}")
        if changed and not spec.violated_constraints(values):
            out = StrategySpec.from_dict(copy.deepcopy(spec.to_dict()))
            for p in out.parameters:
                p.default = values[p.name]
            out.blueprint.pop("last_mutation", None)
            if out.blueprint:
                out.blueprint["overrides"] = {**out.blueprint.get("overrides", {}), **values}
                out.blueprint["last_mutation"] = {"op": "tweak_params",
                                                  "change": "; ".join(changed)}
            return out.check()
    raise MutationNotApplicable("no parameter move satisfied the constraints")


MUTATIONS: dict[str, Callable[[StrategySpec, random.Random], StrategySpec]] = {
    "swap_indicator": swap_indicator,
    "add_filter": add_filter,
    "change_exit": change_exit,
    "tweak_params": tweak_params,
}


def list_mutations() -> list[str]:
    return list(MUTATIONS)


def mutate(spec: StrategySpec, op: str, seed: int = 0) -> StrategySpec:
    """A new spec: ``op`` applied to ``spec``; same inputs + seed -> same output."""
    fn = MUTATIONS.get(op)
    if fn is None:
        raise SpecError([f"unknown mutation {op!r}; choose one of {list_mutations()}"])
    return fn(spec, _rng(spec, op, seed))
