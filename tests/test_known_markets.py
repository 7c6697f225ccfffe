"""The benchmark's markets carry the effects they claim, at the size asked for, on any
seed (the cases are checked on markets they were not tuned on)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.known_markets import MARKETS, bounce, drifting, random_walk, weekday


def _lr(df) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.diff(np.log(df["Close"].to_numpy()))


@pytest.mark.parametrize("name", list(MARKETS))
def test_bars_are_valid_ohlc_and_seeded(name: str) -> None:
    df = MARKETS[name](bars=600, seed=7)
    assert len(df) == 600 and df.index.is_monotonic_increasing
    assert (df["High"] >= df[["Open", "Close"]].max(axis=1)).all()
    assert (df["Low"] <= df[["Open", "Close"]].min(axis=1)).all()
    assert df.equals(MARKETS[name](bars=600, seed=7)) and not df.equals(MARKETS[name](bars=600, seed=8))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_bounce_follows_sharp_drops_without_drift(seed: int) -> None:
    vol = 0.015
    lr = _lr(bounce(bars=5000, vol=vol, seed=seed, effect=1.0))
    after = lr[1:][lr[:-1] < -2.5 * vol]
    assert abs(lr.mean()) < 2e-5  # no net drift in log space (0.1 % of vol per bar)
    assert 0.6 * vol < after.mean() < 1.4 * vol  # the planted next-day rise (1 x vol)
    assert abs(lr[1:][lr[:-1] > -vol].mean()) < 0.15 * vol  # nothing on ordinary days


def test_weekday_effect_is_on_its_day_only() -> None:
    df = weekday(bars=5000, vol=0.01, seed=3, effect=0.5, day=2)
    lr = _lr(df)
    days = df.index.weekday[1:]
    assert 0.003 < lr[days == 2].mean() - lr[days != 2].mean() < 0.007  # 0.5 x vol
    assert abs(lr.mean()) < 2e-5


def test_random_walk_has_no_drift_and_drifting_has_its_drift() -> None:
    walks = [_lr(random_walk(bars=2520, seed=s)).mean() for s in range(20)]
    assert abs(np.mean(walks)) < 0.015 / np.sqrt(2520 * 20) * 3  # drift-free in log space
    assert abs(_lr(drifting(bars=20000, seed=1, drift=0.001)).mean() - 0.001) < 0.0003
