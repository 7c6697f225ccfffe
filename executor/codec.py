"""The one request/response codec every backend shares: the harness request out, RunResults in."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from executor.harness.protocol import encode_frame, encode_request, frame_sha256, parse_response
from executor.types import RunRequest, RunResult
from executor.verify import verify_docs
from executor.verify_stream import StreamVerifier

RESULT_FIELDS = (
    "stats", "stats_source", "error", "params", "trades", "equity_curve",
    "stdout_tail", "stderr_tail", "warnings", "orderlog",
)


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


def harness_header(request: RunRequest, parallel: int = 1, rlimit_as: bool = True) -> dict[str, Any]:
    limits = request.limits.to_dict()
    limits["rlimit_as"] = rlimit_as
    return {
        "v": 1,
        "run_id": request.run_id,
        "param_sets": request.all_param_sets(),
        "options": request.options.to_dict(),
        "limits": limits,
        "script": request.script,
        "strategy_class": request.strategy_class,
        "restricted": request.restricted,
        "max_trades": request.max_trades,
        "equity_points": request.equity_points,
        "plot": request.plot,
        "parallel": parallel,
        "seed": request.seed,
    }


def encode(request: RunRequest, parallel: int = 1, rlimit_as: bool = True) -> bytes:
    header = harness_header(request, parallel, rlimit_as)
    if request.frames is None:
        return encode_request(header, request.code, encode_frame(request.data))
    parts = [encode_frame(f) for f in request.frames]  # a multi-frame batch: each frame once
    header.update(frame_lens=[len(p) for p in parts], frame_of=[
        request.frame_index(i) for i in range(len(request.all_param_sets()))])
    return encode_request(header, request.code, b"".join(parts))


def data_hash(request: RunRequest, index: int = 0) -> str:
    """SHA-256 of the frame set ``index`` runs on."""
    return frame_sha256(request.frame(index))


def default_parallel(request: RunRequest) -> int:
    n = len(request.all_param_sets())
    cpus = max(1, int(round(request.limits.cpus))) if request.limits.cpus else 1
    return max(1, min(n, cpus, os.cpu_count() or 1))


def build_results(
    stdout: str,
    request: RunRequest,
    *,
    backend: str,
    isolation: dict[str, Any],
    outer_status: str | None = None,
    outer_message: str = "",
    stderr: str = "",
    wall_s: float = 0.0,
    stream: StreamVerifier | None = None,
) -> list[RunResult]:
    """Map harness documents onto RunResults, one per parameter set, in order.

    ``outer_status`` is what the backend itself observed (timeout, memory, killed, ...);
    it applies to every set the harness did not report on. ``stream`` is the
    :class:`StreamVerifier` the backend fed the sandbox's stdout to as it arrived.
    """
    t0 = time.perf_counter()
    early = stream.finish() if stream is not None else {}
    t1 = time.perf_counter()
    docs, done = parse_response(stdout, early)
    t2 = time.perf_counter()
    # every number below comes from the host's replay (most already done by the stream)
    verify_docs(docs, request, verifier=stream.verifier if stream is not None else None,
                skip={id(d) for d in early.values()})
    host = {"host_decode_s": t2 - t1, "replay_s": (t1 - t0) + time.perf_counter() - t2}
    by_index = {d.get("index"): d for d in docs}
    sets = request.all_param_sets()
    done = done or {}
    hashes: dict[int, str] = {}
    out: list[RunResult] = []
    for i, params in enumerate(sets):
        doc = by_index.get(i)
        if doc is None:
            status = outer_status or "error"
            message = outer_message or done.get("fatal") or "the sandbox ended without a result"
            if not outer_status and stderr.strip():
                message += f"; harness stderr: {stderr.strip()[-1500:]}"
            res = RunResult(status=status, params=params, error={
                "type": status.title().replace("_", ""), "message": message, "class": status,
                "traceback": done.get("traceback", ""), "line": None})
        else:
            res = RunResult(status=doc.get("status", "error"))
            for key in RESULT_FIELDS:
                if key in doc and doc[key] is not None:
                    setattr(res, key, doc[key])
            res.error = doc.get("error")
            res.timings = dict(doc.get("timings") or {})
            if doc.get("degenerate"):
                res.warnings = [*res.warnings, f"degenerate: {doc['degenerate']}"]
            res.resources = {"output_bytes": doc.get("output_bytes", 0)}
            if doc.get("mapped_paths"):
                res.artifacts["mapped_paths"] = ", ".join(doc["mapped_paths"])
            if doc.get("plot_html"):
                res.artifacts["plot_html"] = doc["plot_html"]
            res.degenerate = doc.get("degenerate")
        res.backend = backend
        res.isolation = dict(isolation, **(done.get("isolation") or {}))
        res.code_sha256 = request.code_sha256
        k = request.frame_index(i)
        if request.frames is None and done.get("data_sha256"):
            hashes[k] = done["data_sha256"]
        elif k not in hashes:
            hashes[k] = data_hash(request, i)
        res.data_sha256 = hashes[k]
        res.versions = done.get("versions") or {}
        res.run_id = request.run_id
        res.resources.update(done.get("resources") or {})
        res.timings.update({k: v for k, v in (done.get("timings") or {}).items()})
        res.timings.update(host)
        res.timings["wall_s"] = wall_s
        out.append(res)
    return out


class Stopwatch:
    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0
