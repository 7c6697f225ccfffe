"""executor.datasets and executor.synthetic on real files, the real backtesting data."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from backtesting.test import BTCUSD, EURUSD, GOOG

from executor.datasets import infer_timeframe, list_datasets, load_dataset, normalise_ohlcv
from executor.errors import DatasetError
from executor.harness.protocol import decode_frame, encode_frame, frame_sha256
from executor.synthetic import random_walk_like, synthetic_ohlcv
from tests.conftest import ROOT

REPO = ROOT


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(("ref", "frame", "tf"), [("GOOG", GOOG, "1d"), ("eurusd", EURUSD, "1h"),
                                                   ("BtcUsd", BTCUSD, "1mo")])
def test_builtins_equal_backtesting_test_frames(ref: str, frame: pd.DataFrame, tf: str) -> None:
    ds = load_dataset(ref)
    assert ds.name == ref.upper() and ds.source == "builtin" and ds.timeframe == tf
    pd.testing.assert_frame_equal(ds.df, frame)
    assert ds.sha256 == frame_sha256(frame)


def test_goog_hash_stable_across_processes_and_copies() -> None:
    code = "from executor.datasets import load_dataset; print(load_dataset('GOOG').sha256)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.strip()
    first = load_dataset("GOOG")
    first.df.iloc[0, 0] = -1.0  # mutating a returned frame must not poison the cache
    again = load_dataset("GOOG")
    assert out == again.sha256 == frame_sha256(GOOG)
    assert again.df.iloc[0, 0] == GOOG.iloc[0, 0]
    assert frame_sha256(decode_frame(encode_frame(again.df))) == again.sha256


def test_llm_world_csv_normalised(tmp_path: Path) -> None:
    # header with leading spaces + trailing comma, lowercase names, unsorted, a duplicate
    write(tmp_path, "BTC-15m.csv",
          "datetime, open, high, low, close, volume,\n"
          "2023-01-01 00:30:00,16533.4,16536.0,16527.1,16527.5,100.0,\n"
          "2023-01-01 00:00:00,16531.8,16532.7,16509.1,16510.8,231.0,\n"
          "2023-01-01 00:15:00,16509.7,16534.6,16509.1,16533.4,308.1,\n"
          "2023-01-01 00:15:00,16509.7,16534.6,16509.1,16533.0,308.1,\n")
    ds = load_dataset("btc-15m", data_dir=tmp_path)
    assert ds.source == "file" and ds.name == "BTC-15m" and ds.timeframe == "15m"
    assert list(ds.df.columns) == ["Open", "High", "Low", "Close", "Volume"]
    assert ds.df.index.is_monotonic_increasing and ds.df.index.name is None
    assert len(ds.df) == 3 and ds.df["Close"].iloc[1] == 16533.0  # duplicate: last kept
    assert all(dt == np.float64 for dt in ds.df.dtypes)
    assert load_dataset(str(tmp_path / "BTC-15m.csv")).sha256 == ds.sha256
    assert load_dataset("BTC-15m.csv", data_dir=tmp_path).sha256 == ds.sha256


@pytest.mark.parametrize(("text", "first", "tf"), [
    ("Date, Open ,HIGH,low, Close ,Adj Close,VOLUME\n2020-01-02,1,2,0.5,1.5,1.4,10\n"
     "2020-01-03,1,2,0.5,1.5,1.4,10\n", "2020-01-02", "1d"),
    ("Gmt time,Open,High,Low,Close,Volume\n13.01.2020 00:00:00.000,1,2,0.5,1.5,9\n"
     "13.01.2020 01:00:00.000,1,2,0.5,1.5,9\n", "2020-01-13", "1h"),
    ("ts,o,h,l,c\n1700000000000,1,2,0.5,1.5\n1700000060000,1,2,0.5,1.5\n", "2023-11-14 22:13:20",
     "1m"),
    ("timestamp,Open,High,Low,Close\n1700000000,1,2,0.5,1.5\n1700003600,1,2,0.5,1.5\n",
     "2023-11-14 22:13:20", "1h"),
    (",Open,High,Low,Close\n2021-03-01 10:00:00+01:00,1,2,0.5,1.5\n"
     "2021-03-01 11:00:00+01:00,1,2,0.5,1.5\n", "2021-03-01 09:00:00", "1h"),
    ("Date,Open,High,Low,Close\n01/31/2024,1,2,0.5,1\n02/01/2024,1,2,.5,1\n", "2024-01-31", "1d"),
    ("Date,Open,High,Low,Close\n31/01/2024,1,2,0.5,1\n01/02/2024,1,2,.5,1\n", "2024-01-31", "1d"),
    ("Date,Time,Open,High,Low,Close\n2020.01.02,13:00,1,2,0.5,1.5\n2020.01.02,13:05,1,2,0.5,1.5\n",
     "2020-01-02 13:00", "5m"),
])
def test_header_and_date_variants(tmp_path: Path, text: str, first: str, tf: str) -> None:
    ds = load_dataset(str(write(tmp_path, "x.csv", text)))
    assert ds.df.index[0] == pd.Timestamp(first) and ds.timeframe == tf
    assert {"Open", "High", "Low", "Close"} <= set(ds.df.columns)
    assert "Adj Close" not in ds.df.columns


@pytest.mark.parametrize(("text", "needles"), [
    ("", ["empty", "header"]),
    ("Date,Open,High,Low,Close\n", ["no data rows"]),
    ("Date,Open,Close\n2020-01-01,1,2\n", ["High, Low", "found columns", "'Open', 'Close'"]),
    ("Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1.5\n2020-01-02,1,2,0.5,$1.6\n",
     ["Close", "'$1.6'", "data row 2", "line 3"]),
    ("Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1.5\nnot a date,1,2,0.5,1.5\n",
     ["'not a date'", "data row 2", "ISO 8601"]),
    ("Open,High,Low,Close\n1,2,0.5,1.5\n", ["no date/time column"]),
    ("Date,Open,High,Low,Close\n2020-01-01,1,2,,1.5\n", ["missing price", "data row 1"]),
])
def test_bad_files_say_what_and_how(tmp_path: Path, text: str, needles: list[str]) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(DatasetError) as err:
        load_dataset(str(path))
    for needle in needles:
        assert needle in str(err.value)


def test_unknown_name_lists_available(tmp_path: Path) -> None:
    write(tmp_path, "mine.csv", "Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1.5\n")
    with pytest.raises(DatasetError, match=r"GOOG, EURUSD, BTCUSD, mine\.csv.*synthetic:"):
        load_dataset("SPY", data_dir=tmp_path)
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(str(tmp_path / "nope.csv"))


def test_data_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "envdata.csv", "Date,Open,High,Low,Close\n2020-01-01,1,2,0.5,1.5\n")
    monkeypatch.setenv("RBI_DATA_DIR", str(tmp_path))
    assert load_dataset("envdata").bars == 1


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    has_engine = any(importlib.util.find_spec(m) for m in ("pyarrow", "fastparquet"))
    if not has_engine:
        path.write_bytes(b"PAR1")
        with pytest.raises(DatasetError, match="pip install pyarrow"):
            load_dataset(str(path))
        return
    GOOG.to_parquet(path)
    assert load_dataset(str(path)).sha256 == frame_sha256(GOOG.astype("float64"))


def test_list_datasets_summarises_without_loading_everything(tmp_path: Path) -> None:
    rows = "".join(f"2020-01-{d:02d},1,2,0.5,1.5\n" for d in range(31, 0, -1))  # descending
    write(tmp_path, "jan.csv", "Date,Open,High,Low,Close\n" + rows)
    write(tmp_path, "broken.csv", "a,b\n1,2\n")
    (tmp_path / "notes.txt").write_text("ignored")
    listing = {d["name"]: d for d in list_datasets(tmp_path)}
    assert set(listing) == {"GOOG", "EURUSD", "BTCUSD", "jan", "broken"}
    assert listing["GOOG"]["bars"] == 2148 and listing["GOOG"]["start"] == "2004-08-19T00:00:00"
    jan = listing["jan"]
    assert (jan["bars"], jan["start"], jan["end"], jan["timeframe"]) == (
        31, "2020-01-01T00:00:00", "2020-01-31T00:00:00", "1d")
    assert "lacks price column" in listing["broken"]["error"]


def test_synthetic_spec_and_determinism() -> None:
    a = load_dataset("synthetic:5000:5min:7")
    b = load_dataset("SYNTHETIC:5000:5m:7")
    c = load_dataset("synthetic:5000:5min:8")
    assert a.name == "synthetic:5000:5min:7" and a.source == "synthetic" and a.timeframe == "5m"
    assert a.sha256 == b.sha256 != c.sha256
    assert load_dataset("synthetic:10").timeframe == "1m"
    for bad in ("synthetic:", "synthetic:0", "synthetic:10:fortnight", "synthetic:10_000_000_000"):
        with pytest.raises(DatasetError):
            load_dataset(bad)


def test_synthetic_ohlcv_is_plausible_ohlc() -> None:
    df = synthetic_ohlcv(200_000, "1min", seed=42)
    assert frame_sha256(df) == frame_sha256(synthetic_ohlcv(200_000, "1min", seed=42))
    assert frame_sha256(df) != frame_sha256(synthetic_ohlcv(200_000, "1min", seed=43))
    o, h, lo, c = (df[k].to_numpy() for k in ("Open", "High", "Low", "Close"))
    assert (h >= np.maximum(o, c)).all() and (lo <= np.minimum(o, c)).all() and (lo > 0).all()
    assert df["Volume"].dtype == np.int64 and (df["Volume"] >= 0).all()
    assert infer_timeframe(df.index) == "1m" and len(df) == 200_000
    trended = synthetic_ohlcv(1000, "1d", seed=1, drift=0.01, vol=0.0)
    assert np.allclose(np.diff(np.log(trended["Close"])), 0.01)


def test_random_walk_like_matches_shape_not_path() -> None:
    rw = random_walk_like(GOOG, seed=3)
    assert rw.index.equals(GOOG.index) and rw["Open"].iloc[0] == GOOG["Open"].iloc[0]
    assert (rw["Volume"].to_numpy() == GOOG["Volume"].to_numpy()).all()
    real_vol = np.log(GOOG["Close"]).diff().std()
    assert abs(np.log(rw["Close"]).diff().std() / real_vol - 1) < 0.1
    assert not np.allclose(rw["Close"].to_numpy(), GOOG["Close"].to_numpy())
    assert (rw["High"] >= rw[["Open", "Close"]].max(axis=1)).all()
    assert frame_sha256(rw) == frame_sha256(random_walk_like(GOOG, seed=3))


def test_normalise_keeps_datetime_index_frames() -> None:
    df = normalise_ohlcv(EURUSD.tz_localize("Europe/Berlin"))
    assert df.index.tz is None and df.index[0] == pd.Timestamp("2017-04-19 07:00:00")
