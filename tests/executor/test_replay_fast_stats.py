"""The numpy statistics (executor/replay_fast_stats.py) equal backtesting's compute_stats.

Gate: on random order logs (market, limit, stop, stop-limit orders, SL/TP at entry and
later, partial closes, cancels; random cash, commission — a rate, a (fixed, relative)
pair and the execution models' commission callables —, spread, margin down to 2 %,
trade_on_close, hedging, exclusive_orders, finalize_trades) on datasets of every
period ``compute_stats`` treats differently (daily weekdays, calendar days with
weekends, hourly, weekly, month-end, tz-aware), the lean replay (numpy statistics) and
the full ``Backtest.run`` replay (backtesting's own ``compute_stats``) give the same
JSON stats bit for bit, the same trades and equity frames, and the same trades/equity
JSON, also when a stats-only replay writes that JSON from its columns without frames.
A wrong reduction (a mean over the wrong array, a missed NaN, a resample bin off
by one, a Timedelta rounded differently) changes at least one stat and fails here. The
fast path must also actually run (counted), and a stats-only replay (``frames=False``)
must give the same stats.
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest
from backtesting import Backtest
from backtesting._util import _indicator_warmup_nbars
from backtesting.test import GOOG

import executor.replay_fast_stats as fast
from executor.execution import backtest_kwargs_of
from executor.harness import orderlog
from executor.harness.statsjson import equity_to_json, stats_to_json, trades_to_json
from executor.replay import Replayer, ReplayError
from executor.replay_json import equity_json, equity_json_of, trades_json, trades_json_of
from tests.executor.test_replay_lean import RandomTrader, random_options

BASE = GOOG.iloc[:600]  # RandomTrader prices its orders off these closes


def _reindexed(index: pd.DatetimeIndex) -> pd.DataFrame:
    return BASE.set_axis(index[:len(BASE)])


DATASETS = {
    "daily": BASE,
    "calendar_days": _reindexed(pd.date_range("2015-01-01", periods=len(BASE), freq="D")),
    "hourly": _reindexed(pd.date_range("2021-03-01 09:00", periods=len(BASE), freq="h")),
    "weekly": _reindexed(pd.date_range("2000-01-02", periods=len(BASE), freq="W")),
    "month_end": _reindexed(pd.date_range("1960-01-31", periods=len(BASE), freq="ME")),
    "tz_new_york": _reindexed(pd.date_range("2019-01-01", periods=len(BASE), freq="B", tz="America/New_York")),
}
OPTION_SETS = 12


def _options(rng: random.Random) -> dict:
    """test_replay_lean's options, sometimes with an execution model's commission callable."""
    opts = random_options(rng)
    if rng.random() < 0.3:
        opts["execution"] = rng.choice(["equities", "crypto"])
    return opts


def _record(data: pd.DataFrame, seed: int) -> tuple[dict, dict]:
    rng = random.Random(seed)
    opts = _options(rng)
    params = {"seed": seed, "density": rng.choice([0.02, 0.05, 0.2]), "warm": rng.choice([0, 5, 30])}
    orderlog.install()
    recorded = orderlog.wrap_strategy(RandomTrader)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with orderlog.recording(recorded) as rec:
            light = Backtest(data, recorded, **backtest_kwargs_of(opts)).run(**params)
    return orderlog.log_doc(rec, _indicator_warmup_nbars(light["_strategy"])), opts


def _replay(rp: Replayer, log: dict, frames: bool = True):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return rp.run(log, {"seed": 0, "density": 0.0, "warm": 0}, "RandomTrader", frames=frames).stats
    except ReplayError as exc:
        return str(exc)


@pytest.mark.parametrize("name", list(DATASETS))
def test_numpy_stats_equal_backtestings_on_every_period(name: str, monkeypatch) -> None:
    data = DATASETS[name]
    used = []
    real = fast.fast_stats

    def counted(*args, **kwargs):
        out = real(*args, **kwargs)
        used.append(out is not None)
        return out

    monkeypatch.setattr(fast, "fast_stats", counted)
    compared = 0
    for seed in range(OPTION_SETS):
        log, opts = _record(data, seed)
        full = _replay(Replayer(data, opts, lean=False), log)
        lean_rp = Replayer(data, opts)
        lean = _replay(lean_rp, log)
        if isinstance(full, str) or isinstance(lean, str):
            assert full == lean, seed
            continue
        compared += 1
        assert stats_to_json(lean) == stats_to_json(full), (name, seed)
        assert lean["_trades"].equals(full["_trades"]), (name, seed)
        assert lean["_equity_curve"].equals(full["_equity_curve"]), (name, seed)
        times = lean_rp.facts().iso_times()
        assert trades_json(lean["_trades"], 10_000, times) == trades_to_json(full["_trades"], 10_000)[0]
        for points in (3, 50, 10_000):
            assert equity_json(lean["_equity_curve"], points, times) == equity_to_json(
                full["_equity_curve"], points)
        bare = _replay(lean_rp, log, frames=False)
        assert stats_to_json(bare) == stats_to_json(full), (name, seed)
        ns = getattr(lean_rp.facts(), "ns", None)
        for cap in (1, 7, 10_000):  # a frameless replay writes the same JSON from its columns
            assert trades_json_of(bare, cap, times, ns) == trades_to_json(full["_trades"], cap)[0], (name, seed)
        for points in (3, 50, 10_000):
            assert equity_json_of(bare, points, times) == equity_to_json(full["_equity_curve"], points)
    assert compared >= OPTION_SETS // 2, "too few logs replayed: the comparison proves little"
    assert sum(used) >= compared // 2, f"the numpy statistics ran {sum(used)} times in {compared} replays"


def test_no_trade_and_odd_indexes_fall_back_to_backtestings_function() -> None:
    """Where the numpy path is not proven (no trade, an index that is not datetime) the
    replay still gives backtesting's numbers."""
    ranged = BASE.reset_index(drop=True)
    assert not fast.DatasetFacts(ranged).ok
    for data in (BASE, ranged):
        log = {"warmup": 0, "actions": []}
        opts = {"cash": 10_000}
        full = _replay(Replayer(data, opts, lean=False), log)
        lean = _replay(Replayer(data, opts), log)
        assert stats_to_json(lean) == stats_to_json(full)
    log = {"warmup": 0, "actions": [["buy", 3, {"size": 0.5}], ["pclose", 40, 1.0]]}
    full = _replay(Replayer(ranged, {"cash": 10_000}, lean=False), log)
    lean = _replay(Replayer(ranged, {"cash": 10_000}), log)
    assert stats_to_json(lean) == stats_to_json(full) and full["# Trades"] == 1


@pytest.mark.parametrize("seed", range(20))
def test_column_wise_trades_json_equals_json_safe(seed: int) -> None:
    """trades_to_json with the host's time strings equals the per-value conversion on
    frames with NaN/None, int-only and mixed columns, tags of every JSON type."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    index = pd.date_range("2020-01-01", periods=200, freq="h", tz="UTC" if seed % 2 else None)
    entry = np.sort(rng.integers(0, 150, n))
    exit_ = entry + rng.integers(0, 50, n)
    sl = [None if rng.random() < 0.5 else float(rng.normal(100, 5)) for _ in range(n)]
    tags = [rng.choice(np.array(["a", None, 3, 2.5, True], dtype=object)) for _ in range(n)]
    df = pd.DataFrame({
        "Size": rng.integers(-50, 50, n), "EntryBar": entry, "ExitBar": exit_,
        "EntryPrice": rng.normal(100, 5, n), "ExitPrice": np.where(rng.random(n) < 0.1, np.nan, 1.0),
        "SL": sl, "TP": [None] * n, "PnL": np.where(rng.random(n) < 0.1, np.inf, rng.normal(0, 9, n)),
        "Commission": rng.integers(0, 3, n), "ReturnPct": rng.normal(0, 0.1, n),
        "EntryTime": index[entry], "ExitTime": index[exit_]})
    df["Duration"] = df["ExitTime"] - df["EntryTime"]
    df["Tag"] = tags
    times = [t.isoformat() for t in index]
    for cap in (0, 1, n, 10_000):
        assert trades_json(df, cap, times) == trades_to_json(df, cap)[0]


@pytest.mark.parametrize("values", [
    [1, 2, 3], [1, 2.5], [None, 1], [None, None], [np.float64(1.5), None, 2], [1.0, float("nan"), float("inf")],
    ["a", None], [1, "a"], [True, False], [np.int64(3), 4], [None, 2.0, 3], [0, 0.0],
])
def test_a_column_list_converts_as_pandas_infers_it(values: list) -> None:
    from executor.harness.statsjson import json_safe
    from executor.replay_json import _as_column

    want = [json_safe(v) for v in pd.DataFrame({"x": values})["x"].tolist()]
    got = _as_column(values)
    assert got == want and [type(v) for v in got] == [type(v) for v in want]
