"""Multi-frame batches: ONE code version run on several data frames in one sandbox.

    run_frames(request, [(frame_a, params_a), (frame_b, params_b), ...], backend)
        -> [RunResult for each job, in order]

A check that runs the same code on many frames (the look-ahead check's truncated and
perturbed copies, the random-data check's walks) would otherwise pay a whole sandbox
round trip per frame: a container (or jailed process) started, the engine imported,
the code imported, then torn down. Here the code is validated once and, on a backend
that takes multi-frame requests (``multi_frame = True``: docker, local), goes to ONE
sandbox with every distinct frame sent once (``RunRequest.frames``; job ``i`` runs on
``frames[frame_of[i]]``), each job in its own forked run process as in any batch. Every
result is still the host's replay of that job's order log on the caller's copy of ITS
frame (:class:`executor.verify.Verifier` keeps one replayer per frame), so a job's
numbers are exactly those of the single run it replaces.

Jobs go in chunks of at most :data:`MAX_BATCH_BYTES` of frame data (a few 1M-bar
frames must not make one giant request). Other backends (and a chunk of one job) run
one ordinary batch per distinct frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from executor.errors import ConfigError
from executor.types import RunRequest, RunResult, Sandbox

__all__ = ["MAX_BATCH_BYTES", "frames_per_batch", "run_frames"]

MAX_BATCH_BYTES = 64 << 20

Job = tuple[Any, dict[str, Any]]  # (DataFrame, parameter set)


def _bytes(frame: Any) -> int:
    return int(len(frame)) * (len(getattr(frame, "columns", ())) + 1) * 8


def frames_per_batch(frame: Any, max_bytes: int = MAX_BATCH_BYTES) -> int:
    """How many frames the size of ``frame`` one multi-frame request holds (>= 1): a
    caller making frames (walks, probes) builds that many at a time."""
    return max(1, max_bytes // max(1, _bytes(frame)))


def _chunks(jobs: Sequence[Job], budget: int) -> list[list[int]]:
    """Job indices in consecutive chunks whose distinct frames hold <= ``budget`` bytes
    (a frame bigger than the budget gets a chunk of its own jobs)."""
    out: list[list[int]] = []
    seen: set[int] = set()
    size = 0
    for i, (frame, _) in enumerate(jobs):
        extra = 0 if id(frame) in seen else _bytes(frame)
        if out and size + extra > budget and size > 0:
            out.append([])
            seen, size, extra = set(), 0, _bytes(frame)
        if not out:
            out.append([])
        out[-1].append(i)
        seen.add(id(frame))
        size += extra
    return out


def run_frames(request: RunRequest, jobs: Sequence[Job], backend: str | Sandbox = "auto", *,
               validate: bool = True, max_bytes: int = MAX_BATCH_BYTES) -> list[RunResult]:
    """Run ``request.code`` (with ``request``'s options, limits and flags) on every
    ``(frame, params)`` job; one result per job, in order (see the module doc).
    ``request.data`` / ``params`` / ``param_sets`` / ``frames`` are ignored."""
    from executor.sandbox import get_sandbox, run_batch, validated, vouched

    if request.script:
        raise ConfigError("run_frames: script mode runs one frame per request; use run()")
    if not jobs:
        return []
    box = get_sandbox(backend) if isinstance(backend, str) else backend
    token = request.validated
    if validate and not vouched(request):
        rejected, token = validated(request, box.name)
        if rejected is not None:
            return [replace(rejected, params=dict(p)) for _, p in jobs]
    base = replace(request, validated=token, frames=None, frame_of=None, param_sets=None)
    out: list[RunResult | None] = [None] * len(jobs)
    for chunk in _chunks(jobs, max_bytes):
        frames: list[Any] = []
        where: dict[int, int] = {}
        for i in chunk:
            frame = jobs[i][0]
            if id(frame) not in where:
                where[id(frame)] = len(frames)
                frames.append(frame)
        if len(chunk) > 1 and len(frames) > 1 and getattr(box, "multi_frame", False):
            sets = [dict(jobs[i][1]) for i in chunk]
            sub = replace(base, data=frames[0], params=sets[0], param_sets=sets, frames=frames,
                          frame_of=[where[id(jobs[i][0])] for i in chunk])
            for i, res in zip(chunk, box.run_batch(sub), strict=True):
                out[i] = res
            continue
        for k, frame in enumerate(frames):  # one ordinary batch per distinct frame
            idx = [i for i in chunk if where[id(jobs[i][0])] == k]
            sets = [dict(jobs[i][1]) for i in idx]
            sub = replace(base, data=frame, params=sets[0],
                          param_sets=sets if len(sets) > 1 else None)
            for i, res in zip(idx, run_batch(sub, box, validate=validate), strict=True):
                out[i] = res
    return [r for r in out if r is not None]
