"""Parameter samplers over a spec's ranges: grid, random and a small TPE, all seeded.

Every sampler returns parameter dicts that satisfy the spec's constraints, with ints as
ints and values snapped to ``step`` (or taken from ``choices``).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from typing import Any

from agents.spec import Parameter, SpecError, StrategySpec

__all__ = ["grid", "grid_size", "random_sets", "tpe_sets", "values_of"]

Params = dict[str, Any]


def values_of(p: Parameter, max_values: int = 12) -> list[Any]:
    """The discrete values of one parameter (at most ``max_values``, evenly spread)."""
    if p.choices:
        vals: list[Any] = list(p.choices)
    elif p.low is None or p.high is None:
        vals = [p.default]
    else:
        step = p.step or (1 if p.type == "int" else (p.high - p.low) / 10 or 1)
        n = int(math.floor((p.high - p.low) / step + 1e-9)) + 1
        vals = [_cast(p, p.low + i * step) for i in range(n)]
    if len(vals) > max_values:
        idx = sorted({round(i * (len(vals) - 1) / (max_values - 1)) for i in range(max_values)})
        vals = [vals[i] for i in idx]
    return vals


def _cast(p: Parameter, v: float) -> Any:
    return int(round(v)) if p.type == "int" else round(float(v), 10)


def _ok(spec: StrategySpec, params: Params) -> bool:
    try:
        return not spec.violated_constraints(params)
    except SpecError:
        return False


def grid_size(spec: StrategySpec) -> int:
    return math.prod(len(values_of(p)) for p in spec.parameters) if spec.parameters else 0


def grid(spec: StrategySpec) -> list[Params]:
    names = [p.name for p in spec.parameters]
    combos = itertools.product(*(values_of(p) for p in spec.parameters))
    return [d for c in combos if _ok(spec, d := dict(zip(names, c, strict=True)))]


def random_sets(spec: StrategySpec, n: int, seed: int, exclude: Sequence[Params] = ()) -> list[Params]:
    rng = random.Random(seed)
    seen = {_key(p) for p in exclude}
    out: list[Params] = []
    for _ in range(n * 50):
        if len(out) >= n:
            break
        d = {p.name: rng.choice(values_of(p, 10_000)) for p in spec.parameters}
        if _key(d) not in seen and _ok(spec, d):
            seen.add(_key(d))
            out.append(d)
    return out


def _key(d: Params) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(d.items()))


def tpe_sets(spec: StrategySpec, trials: Sequence[tuple[Params, float]], n: int, seed: int,
             gamma: float = 0.25, candidates: int = 64) -> list[Params]:
    """Tree-structured Parzen proposals: sample near the best ``gamma`` share of the trials,
    keep the candidates with the highest good/bad density ratio (normalised coordinates)."""
    rng = random.Random(seed)
    scored = sorted((t for t in trials if math.isfinite(t[1])), key=lambda t: -t[1])
    if len(scored) < 4:
        return random_sets(spec, n, seed, [t[0] for t in trials])
    cut = max(1, int(len(scored) * gamma))
    good, bad = [t[0] for t in scored[:cut]], [t[0] for t in scored[cut:]]
    grids = {p.name: values_of(p, 10_000) for p in spec.parameters}
    seen = {_key(t[0]) for t in trials}
    bw = 0.15

    def pos(name: str, v: Any) -> float:
        vals = grids[name]
        i = vals.index(v) if v in vals else min(range(len(vals)), key=lambda j: abs(vals[j] - v))
        return i / max(1, len(vals) - 1)

    def density(x: Params, pts: list[Params]) -> float:
        return sum(math.exp(-sum((pos(k, x[k]) - pos(k, q[k])) ** 2 for k in x) / (2 * bw * bw))
                   for q in pts) / max(1, len(pts)) + 1e-12

    pool: dict[tuple[tuple[str, Any], ...], tuple[float, Params]] = {}
    for _ in range(candidates * 4):
        if len(pool) >= candidates:
            break
        centre = rng.choice(good)
        d: Params = {}
        for name, vals in grids.items():
            i = round(pos(name, centre[name]) * (len(vals) - 1) + rng.gauss(0, bw * len(vals)))
            d[name] = vals[min(len(vals) - 1, max(0, i))]
        k = _key(d)
        if k in seen or k in pool or not _ok(spec, d):
            continue
        pool[k] = (density(d, good) / density(d, bad), d)
    ranked = sorted(pool.values(), key=lambda t: -t[0])
    return [d for _, d in ranked[:n]]
