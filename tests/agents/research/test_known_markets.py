"""The benchmark's markets carry the effects they claim, at the size asked for, on any
seed (the cases are checked on markets they were not tuned on)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.known_markets import MARKETS, bounce, breakout, drifting, random_walk, weekday


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


def test_breakout_drifts_after_new_highs_and_lows() -> None:
    vol, window, hold = 0.01, 20, 10
    lr = _lr(breakout(bars=6000, vol=vol, seed=4, effect=0.3, window=window, hold=hold))
    logp = np.concatenate([[0.0], np.cumsum(lr)])
    up, down = [], []
    for t in range(window, len(lr) - hold):
        past = logp[t - window:t]
        if logp[t] > past.max():
            up.append(lr[t:t + hold].mean())
        elif logp[t] < past.min():
            down.append(lr[t:t + hold].mean())
    assert 0.15 * vol < np.mean(up) < 0.45 * vol  # the planted +0.3 x vol
    assert -0.45 * vol < np.mean(down) < -0.15 * vol
    assert abs(lr.mean()) < 2e-5


@pytest.mark.parametrize("seed", [21, 22])
def test_every_planted_edge_is_worth_finding(seed: int) -> None:
    """Each edge case's own strategy earns an annualised Sharpe > 1 net of the lab's
    0.2 % commission on the research part (first 80 %) of a seed it was not tuned on:
    weaker planted effects (the first defaults gave 0.3-1.2) are not findable by any
    honest test on every seed (see bench/known_markets.py)."""
    from backtesting import Backtest, Strategy

    from bench.known_answers import CASES

    for c in [c for c in CASES if c.kind == "edge"]:
        src = c.script.read_text().split("df = pd.read_csv")[0]
        ns: dict[str, object] = {}
        exec(compile(src, str(c.script), "exec"), ns)
        cls = [v for v in ns.values() if isinstance(v, type) and issubclass(v, Strategy)
               and v is not Strategy][-1]
        df = MARKETS[c.market](seed=seed * 1000 + c.seed_offset, **c.kwargs)
        research = df.iloc[: int(len(df) * 0.8)]
        st = Backtest(research, cls, cash=100_000, commission=0.002,
                      finalize_trades=True).run()
        assert st["Sharpe Ratio"] > 1.0, (c.name, st["Sharpe Ratio"])
