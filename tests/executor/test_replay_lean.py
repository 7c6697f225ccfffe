"""The lean replay (executor/replay_lean.py) gives exactly what the full replay gives.

Gate: over hundreds of random order logs (market, limit, stop, stop-limit orders, SL/TP
at entry and set later, relative and unit sizes, partial and whole closes of the
position and of single trades, cancels, orders from init()) under random options
(exclusive_orders, hedging, trade_on_close, commission fixed/relative, spread, margin
down to 2 % so margin calls happen, finalize_trades, small cash), every statistic, the
trades table and the whole equity curve of the lean replay equal those of a full
``Backtest.run`` replay bit for bit, and a log one refuses the other refuses with the
same message. A wrong fast-forward (equity booked with stale trades, a skipped fill, a
missed margin call) changes at least the equity curve and fails here. The numpy
drawdown helper is checked against backtesting's own on random curves.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest, Strategy
from backtesting._stats import compute_drawdown_duration_peaks
from backtesting._util import _indicator_warmup_nbars
from backtesting.test import GOOG

from executor.harness import orderlog
from executor.harness.statsjson import stats_to_json
from executor.replay import Replayer, ReplayError
from executor.replay_stats import drawdown_peaks

DATA = GOOG.iloc[:600]
N_LOGS = 240


def _price(rng: random.Random, bar: int, above: bool) -> float:
    close = float(DATA.Close.iloc[max(bar, 0)])
    f = rng.uniform(0.002, 0.08)
    return round(close * (1 + f if above else 1 - f), 2)


def _order(rng: random.Random, bar: int) -> list:
    side = rng.choice(["buy", "sell"])
    long = side == "buy"
    kw: dict = {}
    r = rng.random()
    kw["size"] = rng.choice([0.1, 0.3, 0.5, 0.9999]) if r < 0.6 else float(rng.randint(1, 40))
    kind = rng.random()
    if kind < 0.2:
        kw["limit"] = _price(rng, bar, not long)
    elif kind < 0.35:
        kw["stop"] = _price(rng, bar, long)
    elif kind < 0.42:
        kw["stop"] = _price(rng, bar, long)
        kw["limit"] = kw["stop"]
    entry = kw.get("limit") or kw.get("stop") or float(DATA.Close.iloc[max(bar, 0)])
    if rng.random() < 0.35:
        kw["sl"] = round(entry * (0.9 if long else 1.1), 2)
    if rng.random() < 0.35:
        kw["tp"] = round(entry * (1.15 if long else 0.85), 2)
    if rng.random() < 0.2:
        kw["tag"] = f"t{bar}"
    return [side, bar, kw]


class RandomTrader(Strategy):
    """Random decisions from a seeded RNG, only on things that exist at the time (as a
    real strategy's): its recorded log is what the replays are given."""

    seed = 0
    density = 0.05
    warm = 0

    def init(self) -> None:
        self.rng = random.Random(self.seed)
        if self.warm:
            self.I(lambda c: pd.Series(c).rolling(self.warm).mean(), self.data.Close)
        if self.rng.random() < 0.2:
            self._try(lambda: getattr(self, self.rng.choice(["buy", "sell"]))(size=0.5))

    def _try(self, act) -> None:
        try:
            act()
        except ValueError:
            pass  # an order the engine refuses (SL/TP on the wrong side) is not placed

    def next(self) -> None:
        rng, bar = self.rng, len(self.data) - 1
        if rng.random() >= self.density:
            return
        r = rng.random()
        if r < 0.55:
            side, _, kw = _order(rng, bar)
            self._try(lambda: getattr(self, side)(**kw))
        elif r < 0.65:
            self.position.close(rng.choice([1.0, 0.5, 0.3]))
        elif r < 0.75 and self.trades:
            rng.choice(self.trades).close(rng.choice([1.0, 0.5]))
        elif r < 0.85 and self.trades:
            trade = rng.choice(self.trades)
            price = round(self.data.Close[-1] * rng.choice([0.9, 1.1]), 2)
            self._try(lambda: setattr(trade, rng.choice(["sl", "tp"]), price))
        elif self.orders:
            rng.choice(self.orders).cancel()


def random_options(rng: random.Random) -> dict:
    """Backtest options drawn from every kind the replay must honour."""
    return {
        "cash": rng.choice([10_000, 100_000, 1_000]),
        "commission": rng.choice([0.0, 0.002, (1.0, 0.001)]),
        "spread": rng.choice([0.0, 0.0005]),
        "margin": rng.choice([1.0, 0.5, 0.1, 0.02]),
        "trade_on_close": rng.random() < 0.3,
        "hedging": rng.random() < 0.3,
        "exclusive_orders": rng.random() < 0.3,
        "finalize_trades": rng.random() < 0.5,
    }


def random_log(seed: int) -> tuple[dict, dict]:
    """A random strategy's recorded order log and the options it ran with."""
    rng = random.Random(seed)
    opts = random_options(rng)
    params = {"seed": seed, "density": rng.choice([0.01, 0.05, 0.2]), "warm": rng.choice([0, 0, 5, 30])}
    orderlog.install()
    recorded = orderlog.wrap_strategy(RandomTrader)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with orderlog.recording(recorded) as rec:
            light = Backtest(DATA, recorded, **opts).run(**params)
    return orderlog.log_doc(rec, _indicator_warmup_nbars(light["_strategy"])), opts


def _outcome(rp: Replayer, log: dict):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return rp.run(log, {"seed": 0, "density": 0.0, "warm": 0}, "RandomTrader").stats
    except ReplayError as exc:
        return str(exc)


def _assert_same(full, lean, seed: int) -> None:
    if isinstance(full, str) or isinstance(lean, str):
        assert full == lean, seed
        return
    assert stats_to_json(lean) == stats_to_json(full), seed
    assert lean["_trades"].equals(full["_trades"]), seed
    assert lean["_equity_curve"].equals(full["_equity_curve"]), seed
    assert str(lean["_strategy"]) == str(full["_strategy"])


@pytest.mark.parametrize("chunk", range(4))
def test_lean_replay_equals_the_full_replay_on_random_logs(chunk: int) -> None:
    replayed = margin_calls = 0
    for seed in range(chunk, N_LOGS, 4):
        log, opts = random_log(seed)
        full = _outcome(Replayer(DATA, opts, lean=False), log)
        lean = _outcome(Replayer(DATA, opts), log)
        _assert_same(full, lean, seed)
        if not isinstance(full, str):
            replayed += 1
            margin_calls += bool((full["_equity_curve"]["Equity"] == 0).any())
    assert replayed >= N_LOGS // 5, "too few random logs replayed: the comparison proves little"
    assert margin_calls >= 1, "no random log hit a margin call"


def test_a_margin_call_inside_a_quiet_stretch_stops_both_alike() -> None:
    """Buy with 50x leverage, then nothing: the equity goes <= 0 in a stretch the lean
    replay fast-forwards, and it must hand that bar to the real broker."""
    log = {"v": 1, "warmup": 0, "actions": [["buy", 5, {"size": 0.99}]]}
    opts = {"cash": 10_000, "margin": 0.02, "finalize_trades": True}
    full = _outcome(Replayer(DATA, opts, lean=False), log)
    lean = _outcome(Replayer(DATA, opts), log)
    assert not isinstance(full, str)
    assert (full["_equity_curve"]["Equity"] == 0).any(), "the scenario must reach a margin call"
    _assert_same(full, lean, -1)


@pytest.mark.parametrize("seed", range(60))
def test_numpy_drawdown_peaks_equal_backtestings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    equity = np.cumprod(1 + rng.normal(0, 0.02, n)) * 100
    if seed % 5 == 0:
        equity[rng.integers(0, n, 3)] = np.nan
    if seed % 7 == 0:
        equity[:] = 100.0
    if seed % 11 == 0:
        equity[n // 2:] = 0.0
    with np.errstate(all="ignore"):
        dd = 1 - equity / np.maximum.accumulate(equity)
    index = pd.date_range("2020", periods=n, freq="D") if seed % 2 else pd.RangeIndex(n)
    series = pd.Series(dd, index=index)
    with np.errstate(all="ignore"):
        want, got = compute_drawdown_duration_peaks(series), drawdown_peaks(series)
    for a, b in zip(want, got, strict=True):
        assert a.dtype == b.dtype and a.equals(b)
