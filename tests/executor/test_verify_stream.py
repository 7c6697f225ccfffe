"""Replaying results as they arrive (executor/verify_stream.py) changes no result.

Gate: the same harness stdout, fed to a StreamVerifier in arbitrary chunks (cut inside
lines), whole, not at all, or only half of it, gives RunResults equal to those of the
plain path in every field but timings; the replays of a fed stream are done on the
stream's thread (build_results re-verifies nothing it already has), and a line that
the stream never saw is still verified. A stream that replayed a wrong number, or
dropped a result, fails the equality.
"""

from __future__ import annotations

import json
import random
import warnings

from backtesting import Backtest
from backtesting._util import _indicator_warmup_nbars
from backtesting.test import GOOG

from executor import verify as verify_mod
from executor.codec import build_results
from executor.harness import orderlog
from executor.types import BacktestOptions, RunRequest
from executor.verify_stream import StreamVerifier
from tests.executor.test_replay import _strategy

CODE = open("examples/sma_cross.py", encoding="utf-8").read()
OPTS = {"cash": 10_000, "commission": 0.002, "exclusive_orders": True}
SETS = [{"n1": 5 + k, "n2": 20 + 3 * k} for k in range(6)]


def _stdout() -> str:
    """What the harness parent writes for SETS (result lines, noise, the done line)."""
    cls = _strategy(CODE)
    orderlog.install()
    lines = ["some log line the harness never writes as a result"]
    for i, params in enumerate(SETS):
        recorded = orderlog.wrap_strategy(cls)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with orderlog.recording(recorded) as rec:
                light = Backtest(GOOG, recorded, **OPTS).run(**params)
        doc = {"rbi": "result", "index": i, "status": "ok", "nonce": "n",
               "orderlog": orderlog.log_doc(rec, _indicator_warmup_nbars(light["_strategy"])),
               "claimed_stats": dict(rec.claims), "strategy_name": "SmaCross", "timings": {}}
        lines.append(json.dumps(doc))
    lines.append(json.dumps({"rbi": "done", "timings": {}}))
    return "\n".join(lines) + "\n"


def _request() -> RunRequest:
    return RunRequest(code=CODE, data=GOOG, options=BacktestOptions(**OPTS), param_sets=SETS,
                      max_trades=5, equity_points=20)


def _results(stdout: str, stream: StreamVerifier | None) -> list[dict]:
    out = build_results(stdout, _request(), backend="test", isolation={}, stream=stream)
    return [{k: v for k, v in r.to_dict().items() if k not in ("timings", "run_id")} for r in out]


def test_streamed_replays_equal_the_plain_path(monkeypatch) -> None:
    stdout = _stdout()
    plain = _results(stdout, None)
    assert all(r["status"] == "ok" and r["stats"]["# Trades"] > 0 for r in plain)
    raw = stdout.encode()
    rng = random.Random(7)
    calls = {"n": 0}
    real = verify_mod.Verifier.verify

    def counted(self, doc):
        calls["n"] += 1
        return real(self, doc)

    monkeypatch.setattr(verify_mod.Verifier, "verify", counted)
    for cut in ("chunks", "whole", "half", "none"):
        stream = StreamVerifier(_request())
        if cut == "chunks":
            pos = 0
            while pos < len(raw):
                step = rng.randint(1, 4000)
                stream.feed(raw[pos:pos + step])
                pos += step
        elif cut == "whole":
            stream.feed(raw)
        elif cut == "half":
            stream.feed(raw[: len(raw) // 2])
        calls["n"] = 0
        got = _results(stdout, stream if cut != "none" else None)
        assert got == plain, cut
        assert calls["n"] == len(SETS), cut  # each set replayed once, by the stream or after it
        if cut in ("chunks", "whole"):
            assert len(stream.done) == len(SETS)


def test_feed_never_raises_into_the_backend() -> None:
    stream = StreamVerifier(_request())
    stream.feed(b'{"rbi": "result", not json\n\xff\xfe\n')
    stream.feed(None)  # type: ignore[arg-type]
    assert stream.finish() == {}
