"""Run the chunks of one batch on the pool: ``ray.wait`` for whichever finishes first.

Every chunk has exactly one submission in flight at a time, and its result is stored
in the chunk's own slot only once: a chunk whose node dies is sent again (to another
node), so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Any

from executor.backends.ray.pool import ActorPool, Member
from executor.errors import SandboxError, SandboxUnavailable
from executor.types import RunRequest, RunResult

MAX_ATTEMPTS = 4  # per chunk: the first try and three other nodes
WAIT_S = 1.0


def split(sets: list[dict[str, Any]], slots: int, chunks_per_slot: int = 2,
          min_chunk: int = 8) -> list[list[dict[str, Any]]]:
    """Contiguous chunks, about ``chunks_per_slot`` per slot and never tiny.

    Two per slot lets a fast node take the tail of a slow one's share; a floor on the
    size keeps the per-chunk cost (a harness start, the request frame) small next to
    the runs. Order is kept, so concatenating the chunks' results gives the batch's."""
    n = len(sets)
    if n == 0:
        return []
    count = max(1, min(slots * chunks_per_slot, -(-n // min_chunk)))
    size, extra = divmod(n, count)
    out, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(sets[start:end])
        start = end
    return out


def _lost_node(exc: BaseException) -> bool:
    """The chunk's node or actor went away (resubmit) rather than its sandbox failing."""
    from ray import exceptions as rx

    return isinstance(exc, rx.RayActorError | rx.NodeDiedError | rx.WorkerCrashedError
                      | rx.ObjectLostError | rx.LocalRayletDiedError)


def run_chunks(ray: Any, pool: ActorPool, request: RunRequest, chunks: list[list[dict[str, Any]]],
               data_key: str, data_ref: Any) -> list[RunResult]:
    """All chunks' results, in order. Raises only for the system's faults."""
    bare = replace(request, data=None, params={}, param_sets=None)
    pending = deque(range(len(chunks)))
    done: list[list[RunResult] | None] = [None] * len(chunks)
    attempts = [0] * len(chunks)
    flying: dict[Any, tuple[int, Member]] = {}
    tried_on: dict[int, str] = {}  # a retried chunk goes to another node when there is one
    try:
        while pending or flying:
            while pending:
                member = pool.acquire(block=not flying, avoid=tried_on.get(pending[0], ""))
                if member is None:
                    break
                i = pending.popleft()
                tried_on[i] = member.node.node_id
                attempts[i] += 1
                part = replace(bare, params=dict(chunks[i][0]), param_sets=chunks[i])
                try:
                    ref = member.actor.run_chunk.remote(part, data_key, [data_ref])
                except Exception as exc:
                    pool.release(member)
                    raise SandboxUnavailable(f"the Ray cluster stopped answering: {exc}") from exc
                flying[ref] = (i, member)
            try:
                ready, _ = ray.wait(list(flying), num_returns=1, timeout=WAIT_S)
            except Exception as exc:  # the driver lost the cluster itself
                raise SandboxUnavailable(
                    f"the Ray cluster stopped answering ({_first_line(exc)}); nothing was "
                    "recorded for this batch and the event will be retried: check the head "
                    "(`python -m executor.backends.ray status`)") from exc
            for ref in ready:
                i, member = flying.pop(ref)
                try:
                    results = ray.get(ref)
                except Exception as exc:
                    pool.release(member)
                    if _lost_node(exc):
                        pool.mark_dead(member)
                    if attempts[i] >= MAX_ATTEMPTS:
                        raise SandboxError(
                            f"a chunk of {len(chunks[i])} runs failed on {attempts[i]} nodes; "
                            f"last: {_first_line(exc)}. Check the nodes' sandboxes "
                            "(`python -m executor.backends.ray status`)") from exc
                    pool.resubmitted += 1
                    pending.appendleft(i)
                    continue
                pool.release(member, sets=len(chunks[i]))
                if done[i] is None:  # one submission at a time: never twice, kept anyway
                    done[i] = _mark(results, member)
    except BaseException:
        for ref in flying:  # our own stop: do not leave work running for nobody
            try:
                ray.cancel(ref)
            except Exception:
                pass
        for _i, member in flying.values():
            pool.release(member)
        raise
    return [r for part in done for r in (part or [])]


def _mark(results: list[RunResult], member: Member) -> list[RunResult]:
    for r in results:
        r.isolation = {**r.isolation, "node_backend": r.backend, "ray_node": member.node.node_id,
                       "ray_node_address": member.node.address}
        r.backend = "ray"
    return results


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
