"""The host's verification keeps what it prepares per dataset, and loads no plotting stack.

Guards two costs of the research loop's host CPU (bench/bench_loop.py): a review's
one-off look-ahead frames must not push the dataset every other run uses out of the
prepared-frame cache, and the replay's statistics must not import bokeh (~0.7 s).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from backtesting.test import GOOG

from executor import verify as verify_mod
from executor.types import RunRequest


def _req(data) -> RunRequest:
    return RunRequest(code="", data=data)


def test_one_off_frames_do_not_evict_the_dataset(monkeypatch):
    monkeypatch.setattr(verify_mod, "_PREPARED", type(verify_mod._PREPARED)())
    base = _req(GOOG)
    first = verify_mod.prepared_data(base)
    for i in range(12):  # a review: the full frame, then perturbed prefixes of it
        probe = GOOG.iloc[: 1000 + i].copy()
        probe.iloc[-1, probe.columns.get_loc("Close")] *= 1.5
        verify_mod.prepared_data(_req(probe))
    again = verify_mod.prepared_data(base)
    assert again[0] is first[0] and again[1] is first[1]  # kept, not rebuilt


def test_the_cache_is_bounded_by_rows(monkeypatch):
    monkeypatch.setattr(verify_mod, "_PREPARED", type(verify_mod._PREPARED)())
    monkeypatch.setattr(verify_mod, "PREPARED_KEEP_ROWS", 3 * len(GOOG))
    for k in range(6):
        frame = GOOG.copy()
        frame["Close"] = frame["Close"] + np.float64(k)
        verify_mod.prepared_data(_req(frame))
    rows = sum(len(f) for f, _ in verify_mod._PREPARED.values())
    assert len(verify_mod._PREPARED) == 3 and rows == 3 * len(GOOG)


def test_the_newest_frame_is_kept_even_above_the_row_bound(monkeypatch):
    monkeypatch.setattr(verify_mod, "_PREPARED", type(verify_mod._PREPARED)())
    monkeypatch.setattr(verify_mod, "PREPARED_KEEP_ROWS", 10)
    verify_mod.prepared_data(_req(GOOG))
    assert len(verify_mod._PREPARED) == 1


def test_verification_imports_no_plotting_stack():
    code = ("import sys; import executor.verify, executor.replay_fast_stats, executor.replay; "
            "import backtesting; "
            "assert 'bokeh' not in sys.modules, sorted(m for m in sys.modules if 'bokeh' in m)[:3]")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
