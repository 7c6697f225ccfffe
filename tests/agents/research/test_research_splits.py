"""Splits, the append-only holdout ledger (real SQLite) and walk-forward analysis."""

from __future__ import annotations

import itertools
import sqlite3

import pandas as pd
import pytest

from agents.research.runners import inprocess_runner
from agents.research.splits import split_frame
from agents.research.walkforward import walk_forward, wf_windows
from agents.store import Store
from agents.store.holdout import HoldoutAlreadyRead, HoldoutLedger
from executor.synthetic import synthetic_ohlcv
from executor.types import RunResult
from tests.agents.research.cases import OPTS, SMA_CROSS


def test_split_by_fractions_dates_and_last_n_days(goog: pd.DataFrame) -> None:
    s = split_frame(goog)
    assert (len(s.in_sample), len(s.validation), len(s.holdout)) == (1289, 429, 430)
    assert s.in_sample.index[-1] < s.validation.index[0] < s.holdout.index[0]
    assert len(s.research) == len(s.in_sample) + len(s.validation)
    d = split_frame(goog, validation_start="2010-01-01", holdout_start="2012-01-01")
    assert d.validation.index[0] >= pd.Timestamp("2010-01-01") > d.in_sample.index[-1]
    assert d.holdout.index[0] >= pd.Timestamp("2012-01-01") > d.validation.index[-1]
    n = split_frame(goog, holdout_last_n_days=365)
    assert goog.index[-1] - n.holdout.index[0] <= pd.Timedelta(days=365)
    assert goog.index[-1] - n.validation.index[-1] > pd.Timedelta(days=364)
    with pytest.raises(ValueError, match="holdout_start: 'soon' is not a date"):
        split_frame(goog, validation_start="2010-01-01", holdout_start="soon")
    with pytest.raises(ValueError, match="must be before"):
        split_frame(goog, validation_start="2012-01-01", holdout_start="2010-01-01")
    with pytest.raises(ValueError, match="sum to 1"):
        split_frame(goog, fractions=(0.5, 0.2, 0.2))


def test_holdout_ledger_refuses_a_second_read_in_the_store_db(tmp_path, goog) -> None:
    store = Store(tmp_path / "rbi.sqlite")
    sid, _ = store.add_strategy(None, "SmaCross")
    vid, _ = store.add_version(sid, SMA_CROSS)
    ledger = HoldoutLedger(store.conn)
    split = split_frame(goog)
    hold = ledger.read(split, strategy_id=sid, version_id=vid, dataset="GOOG", event_id=3)
    assert len(hold) == len(split.holdout)
    with pytest.raises(HoldoutAlreadyRead, match="promote:v"):
        ledger.read(split, strategy_id=sid, version_id=vid, dataset="GOOG")
    # another decision (a re-review after changes) or another dataset is a new read
    ledger.record(strategy_id=sid, version_id=vid, dataset="GOOG", decision="promote:retry")
    ledger.record(strategy_id=sid, version_id=vid, dataset="EURUSD")
    rows = ledger.reads(vid)
    assert [(r["dataset"], r["reason"]) for r in rows] == [
        ("GOOG", f"promote:v{vid}"), ("GOOG", "promote:retry"), ("EURUSD", f"promote:v{vid}")]
    assert rows[0]["event_id"] == 3 and rows[0]["split"] == "holdout"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # the store's trigger
        store.conn.execute("DELETE FROM holdout_reads")
    store.close()


def test_holdout_ledger_creates_its_table_on_a_bare_db(tmp_path) -> None:
    conn = sqlite3.connect(tmp_path / "bare.sqlite")
    ledger = HoldoutLedger(conn)
    ledger.record(strategy_id=1, version_id=2, dataset="GOOG", when="2024-01-01T00:00:00Z")
    with pytest.raises(HoldoutAlreadyRead):
        ledger.record(strategy_id=1, version_id=2, dataset="GOOG")
    assert len(HoldoutLedger(sqlite3.connect(tmp_path / "bare.sqlite")).reads()) == 1


def test_wf_windows_rolling_and_anchored() -> None:
    roll = wf_windows(100, train=40, test=20)
    assert [(a.start, a.stop, b.start, b.stop) for a, b in roll] == [
        (0, 40, 40, 60), (20, 60, 60, 80), (40, 80, 80, 100)]
    anch = wf_windows(100, train=40, test=20, anchored=True)
    assert [(a.start, a.stop) for a, _ in anch] == [(0, 40), (0, 60), (0, 80)]
    assert wf_windows(50, train=40, test=20) == []


def test_walk_forward_on_noise_has_low_oos_efficiency() -> None:
    """Re-optimising on a random walk: in-sample winners look good, OOS they do not."""
    data = synthetic_ohlcv(900, freq="1d", seed=4)
    run = inprocess_runner(OPTS)
    grid = [{"n1": a, "n2": b} for a, b in itertools.product([3, 5, 10], [15, 30, 60])]

    def batch(ps: list[dict], d: pd.DataFrame) -> list:
        return [run(SMA_CROSS, d, p) for p in ps]

    rep = walk_forward(data, grid, batch, train=300, test=150)
    assert len(rep.folds) == 4 and rep.evaluations == 4 * (len(grid) + 1)
    assert rep.is_mean is not None and rep.is_mean > 0.5  # the IS winners look good
    assert rep.oos_efficiency is None or rep.oos_efficiency < 0.5
    assert all(f.params in grid for f in rep.folds)
    assert rep.folds[0].test[0] == data.index[300].isoformat()


def test_walk_forward_prunes_a_hopeless_trial() -> None:
    """A result whose equity rises before bar 200 and falls after it (every test window
    starts at bar 200 or later): hopeless out of sample, pruned after 2 folds."""
    data = synthetic_ohlcv(600, freq="1d", seed=1)

    def batch(ps: list[dict], d: pd.DataFrame) -> list:
        eq, rows = 100.0, []
        for i, t in enumerate(d.index):  # with warm-up every frame starts at bar 0
            eq *= (0.998 if i >= 200 else 1.002) + 0.0005 * (i % 3)
            rows.append({"time": t.isoformat(), "Equity": eq, "DrawdownPct": 0.0})
        trades = [{"EntryTime": t.isoformat()} for t in d.index[::10]]
        return [RunResult(status="ok", params=p, equity_curve=rows, trades=trades) for p in ps]

    rep = walk_forward(data, [{"a": 1}], batch, train=200, test=50, prune_after=2)
    assert rep.pruned and len(rep.folds) == 2
    assert rep.oos_efficiency is not None and rep.oos_efficiency < 0
    assert rep.oos_psr is not None and rep.oos_psr < 0.01  # steady losses out of sample
