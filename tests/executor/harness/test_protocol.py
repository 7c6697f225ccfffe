"""The harness's data frame codec: every frame comes back equal, a damaged one is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from backtesting.test import GOOG

from executor.harness.protocol import decode_frame, encode_frame, frame_sha256, raw_frame_sha256

FRAMES = {
    "datetime": GOOG,
    "tz-aware": GOOG.tz_localize("UTC"),
    "named index": GOOG.rename_axis("when"),
    "range": GOOG.reset_index(drop=True),
    "int index": GOOG.reset_index(drop=True).set_axis(np.arange(10, 10 + len(GOOG)), axis=0),
    "empty": GOOG.iloc[:0],
}


@pytest.mark.parametrize("name", list(FRAMES))
def test_round_trip_keeps_values_index_and_hash(name: str) -> None:
    df = FRAMES[name]
    back = decode_frame(encode_frame(df))
    pd.testing.assert_frame_equal(back, df.astype("float64"), check_freq=False)
    assert frame_sha256(back) == frame_sha256(df)
    assert type(back.index) is type(df.index)
    if len(df):  # its own memory, not a read-only view of the request's bytes (the
        back.iloc[0, 0] = -1.0  # harness locks it itself, after the decode)


def test_nan_and_extreme_values_survive() -> None:
    df = GOOG.iloc[:5].copy()
    df.iloc[0, 0], df.iloc[1, 1], df.iloc[2, 2] = np.nan, np.inf, -1e308
    back = decode_frame(encode_frame(df))
    assert np.array_equal(back.to_numpy(), df.to_numpy(), equal_nan=True)


def test_truncated_or_foreign_bytes_are_refused() -> None:
    raw = encode_frame(GOOG)
    with pytest.raises(ValueError, match="has"):
        decode_frame(raw[:-8])  # one float short
    with pytest.raises(ValueError, match="has"):
        decode_frame(raw + b"\0" * 8)
    with pytest.raises(ValueError, match="magic"):
        decode_frame(b"PK\x03\x04" + raw[4:])  # e.g. an old .npz archive
    with pytest.raises(ValueError, match="truncated"):
        decode_frame(raw[:3])


@pytest.mark.parametrize("name", [n for n in FRAMES if n != "tz-aware"])
def test_the_hash_from_the_wire_bytes_is_the_decoded_frames_hash(name: str) -> None:
    """The harness reports ``data_sha256`` from the request's bytes (no decode in the
    parent): it must be exactly the hash of the frame the strategy ran on."""
    raw = encode_frame(FRAMES[name])
    assert raw_frame_sha256(raw) == frame_sha256(decode_frame(raw))


def test_the_wire_hash_tracks_every_value_and_column_name() -> None:
    df = GOOG.iloc[:50].copy()
    base = raw_frame_sha256(encode_frame(df))
    changed = df.copy()
    changed.iloc[49, 3] += 0.01
    assert raw_frame_sha256(encode_frame(changed)) != base
    assert raw_frame_sha256(encode_frame(df.rename(columns={"Close": "close"}))) != base
    with_nan = df.copy()
    with_nan.iloc[0, 0] = np.nan
    raw = encode_frame(with_nan)
    assert raw_frame_sha256(raw) == frame_sha256(decode_frame(raw)) != base


def test_the_wire_hash_declines_where_the_bytes_differ_from_the_frame() -> None:
    """None (the harness then decodes and hashes the frame) for a tz-aware index (sent as
    wall time, hashed as UTC), repeated column names, and damaged bytes."""
    assert raw_frame_sha256(encode_frame(GOOG.tz_localize("America/New_York"))) is None
    dup = GOOG.iloc[:5].copy()
    dup.columns = ["Open", "Open", "Low", "Close", "Volume"]
    assert raw_frame_sha256(encode_frame(dup)) is None
    raw = encode_frame(GOOG.iloc[:5])
    assert raw_frame_sha256(raw[:-8]) is None
    assert raw_frame_sha256(b"XXXX" + raw[4:]) is None
    assert raw_frame_sha256(b"") is None
