"""Multi-frame batches (executor/multiframe.py) through the real local sandbox: ONE code
version on several frames in one sandbox gives, job by job, exactly the result the
single run on that frame gives (stats, trades, equity, data hash: each the host's replay
on ITS frame); frames shared by jobs are sent once; chunks and backends without
multi-frame requests give the same results; rejected code is rejected for every job."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from executor import frame_sha256, frames_per_batch, run, run_frames
from executor.backends.local.sandbox import LocalSandbox
from executor.codec import encode
from executor.errors import ConfigError
from executor.harness.protocol import decode_data, read_request
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import read_strategy

OPTS = BacktestOptions(cash=100_000, commission=0.002, finalize_trades=True)


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return LocalSandbox()


def _req(data: Any, **kw: Any) -> RunRequest:
    kw.setdefault("code", read_strategy("sma_cross.py"))
    return RunRequest(data=data, options=OPTS, limits=Limits(timeout_s=60), max_trades=10**6,
                      equity_points=10**6, **kw)


def _jobs(goog: Any) -> list[tuple[Any, dict[str, Any]]]:
    short, mid = goog.iloc[:700], goog.iloc[300:1500]
    return [(short, {"n1": 5, "n2": 15}), (goog, {"n1": 10, "n2": 30}),
            (mid, {"n1": 10, "n2": 30}), (short, {"n1": 20, "n2": 50})]


def _assert_same(got: list[Any], want: list[Any]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.status == b.status == "ok", (a.error, b.error)
        assert a.params == b.params
        assert a.stats == b.stats
        assert a.trades == b.trades
        assert a.equity_curve == b.equity_curve
        assert a.data_sha256 == b.data_sha256
        assert a.stats_source == "replay"


class Counting:
    """The local sandbox, counting the requests it gets (and how many frames each held)."""

    def __init__(self, box: Any, multi: bool = True) -> None:
        self.box, self.name, self.multi_frame = box, box.name, multi
        self.requests: list[int] = []

    def run(self, request: RunRequest) -> Any:
        self.requests.append(1)
        return self.box.run(request)

    def run_batch(self, request: RunRequest) -> Any:
        self.requests.append(len(request.frames) if request.frames is not None else 1)
        return self.box.run_batch(request)


def test_jobs_give_exactly_the_single_runs_results(sandbox, goog):
    jobs = _jobs(goog)
    box = Counting(sandbox)
    got = run_frames(_req(goog), jobs, box)
    assert box.requests == [3]  # ONE sandbox, the short frame sent once for its two jobs
    singles = [run(_req(d, params=p), sandbox) for d, p in jobs]
    _assert_same(got, singles)
    assert [r.stats["# Trades"] for r in got] != [got[0].stats["# Trades"]] * 4  # they differ
    assert got[1].data_sha256 == frame_sha256(goog) != got[0].data_sha256


def test_chunks_and_plain_backends_give_the_same_results(sandbox, goog):
    jobs = _jobs(goog)
    want = run_frames(_req(goog), jobs, sandbox)
    small = Counting(sandbox)  # room for about one GOOG-sized frame per request
    _assert_same(run_frames(_req(goog), jobs, small, max_bytes=len(goog) * 6 * 8 + 1), want)
    assert len(small.requests) >= 3
    plain = Counting(sandbox, multi=False)  # a backend without multi-frame requests
    _assert_same(run_frames(_req(goog), jobs, plain), want)
    assert plain.requests == [1, 1, 1]  # one ordinary batch per distinct frame


def test_rejected_code_is_rejected_for_every_job(sandbox, goog):
    code = "import os\n" + read_strategy("sma_cross.py")
    got = run_frames(_req(goog, code=code), _jobs(goog), sandbox)
    assert [r.status for r in got] == ["rejected"] * 4
    assert [r.params for r in got] == [p for _, p in _jobs(goog)]


def test_script_mode_is_refused(sandbox, goog):
    with pytest.raises(ConfigError, match="script"):
        run_frames(_req(goog, script=True), _jobs(goog), sandbox)


def test_the_wire_carries_each_frame_once_and_maps_every_set(goog):
    import io

    jobs = _jobs(goog)
    frames = [goog.iloc[:700], goog, goog.iloc[300:1500]]
    req = replace(_req(goog), param_sets=[p for _, p in jobs], frames=frames, frame_of=[0, 1, 2, 0])
    header, _, raw = read_request(io.BytesIO(encode(req)))
    assert len(header["frame_lens"]) == 3 and header["frame_of"] == [0, 1, 2, 0]
    data = decode_data(header, raw)
    for i in range(4):
        assert frame_sha256(data[header["frame_of"][i]]) == frame_sha256(req.frame(i))
    with pytest.raises(ValueError, match="frame_lens"):
        decode_data(dict(header, frame_lens=header["frame_lens"][:2]), raw)


def test_frames_per_batch_keeps_a_request_bounded(goog):
    assert frames_per_batch(goog) > 30  # a daily dataset: every walk in one request
    assert frames_per_batch(goog, max_bytes=1) == 1  # a huge frame: one per request


def test_a_multi_frame_worker_keeps_only_its_own_frame(goog):
    """A probe run must not reach the full data: the worker of frame 1 drops every other
    frame before the strategy's code is imported."""
    import weakref

    from executor.harness.parent import Harness

    frames = [goog.iloc[:900].copy(), goog.iloc[:300].copy()]
    refs = [weakref.ref(f) for f in frames]
    header = {"param_sets": [{}, {}], "frame_lens": [1, 1], "frame_of": [0, 1]}
    h = Harness(header, "", frames, result_fd=-1)
    del frames
    mine = h.keep_only(1)
    assert mine is refs[1]() and len(mine) == 300
    assert refs[0]() is None  # the other frame is gone from this process
    assert h.data is None and "frame_lens" not in h.header
