"""Whatever a trader writes, the offline engine returns a valid spec whose code passes the
executor's validator: 400 seeded random ideas stitched from real phrasings, odd numbers
(0, 1, 999, negative, inverted pairs) and noise."""

from __future__ import annotations

import random

from agents.offline import idea_to_spec, spec_to_code
from executor import validate

ENTRIES = ["RSI({n}) below {n}", "buy when RSI crosses back above {n}", "EMA {n}/{n} cross",
           "golden cross", "MACD {n}/{n}/{n} histogram flip", "MACD zero-line cross",
           "Bollinger({n}, {x}) mean reversion", "squeeze breakout", "{n}-day breakout",
           "Donchian {n}/{n}", "fade gaps over {x}%", "CCI({n}) crosses above -{n}",
           "stochastic({n},{n}) oversold below {n}", "DMI({n}) trend", "ROC({n}) > 0",
           "short the {n}-day low breakdown", "sell short when RSI > {n}",
           "price {x} std below the {n}-day average", "buy the dip", "moon phases"]
EXITS = ["exit above {n}", "sell on close above {n}-day MA", "exit after {n} bars",
         "cover below {n}", "exit at the middle band", "sell at the upper band",
         "exit when close > yesterday's high", "exit on a {n}-day low", "sell when RSI > {n}",
         "exit at {n}"]
RISK = ["{x}% stop", "ATR({n})x{x} stop", "{x} pct trailing stop", "take profit at {x}R",
        "{x}N stop", "no stop", "dont use a stop, {x}% target", "trail {x} ATR",
        "stop loss of two percent", "no target"]
EXTRA = ["long and short", "short too", "only when above the {n} SMA", "ADX > {n} filter",
         "on EURUSD hourly", "on bitcoin", "4h chart", "weekly", "with a trend filter",
         "volatility filter", ""]
NUMBERS = [0, 1, 2, 3, 5, 9, 10, 14, 20, 26, 30, 50, 70, 99, 200, 999]


def _fill(rng: random.Random, template: str) -> str:
    out = template
    while "{n}" in out or "{x}" in out:
        out = out.replace("{n}", str(rng.choice(NUMBERS)), 1)
        out = out.replace("{x}", str(rng.choice([0, 0.5, 1, 1.5, 2, 2.5, 3, 10, 50])), 1)
    return out


def _idea(rng: random.Random) -> str:
    parts = [rng.choice(ENTRIES)] + rng.sample(EXITS, rng.choice([0, 1, 2]))
    parts += rng.sample(RISK, rng.choice([0, 1, 2])) + [rng.choice(EXTRA)]
    sep = rng.choice([", ", "; ", " then ", " and ", ". "])
    text = sep.join(_fill(rng, p) for p in parts if p)
    return text.upper() if rng.random() < 0.1 else text


def test_any_idea_gives_a_valid_spec_and_valid_code() -> None:
    rng = random.Random(20261203)
    failures = []
    for _ in range(400):
        idea = _idea(rng)
        try:
            spec = idea_to_spec(idea, seed=rng.randrange(5))
            code = spec_to_code(spec)
            problems = [str(v) for v in validate(code)]
        except Exception as exc:  # noqa: BLE001 - every failure is collected and shown
            problems = [f"{type(exc).__name__}: {exc}"]
        if problems:
            failures.append((idea, problems[:2]))
    assert failures == [], f"{len(failures)} of 400 ideas failed, e.g. {failures[:5]}"
