"""Shared set-up for the stage tests: settings on a temp database, a runtime run in a
thread (so pytest keeps its own signal handlers), a real handler context."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from agents.inbox import submit_idea
from agents.pipeline import load_pipeline
from agents.queue import Queue
from agents.runtime import HandlerContext, Runtime
from agents.settings import Settings, load_settings
from agents.store import Store

PIPELINE = "agents.stages:PIPELINE"


def stage_settings(tmp: Path, **over: Any) -> Settings:
    base = dict(db=tmp / "rbi.sqlite", ideas_dir=tmp / "ideas", results_dir=tmp,
                provider="offline", backend="local", pipeline=PIPELINE, workers=1,
                sandbox_concurrency=1, poll_interval=0.1, retry_base_seconds=0.05,
                retry_max_seconds=1.0, lease_seconds=10.0, optimise_max_iterations=0)
    base.update(over)
    return load_settings(None, **base)


def run_once(settings: Settings, timeout: float = 300) -> dict[str, int]:
    rt = Runtime(settings, load_pipeline(settings.pipeline), once=True)
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.update(rt.run()))
    t.start()
    t.join(timeout)
    if t.is_alive():
        rt.stop(hard=True)
        t.join(30)
        raise AssertionError("the runtime did not finish in time")
    return out


def add_idea(settings: Settings, text: str) -> int:
    with Store(settings.db) as store:
        idea_id, _ = submit_idea(store, text)
    return idea_id


def make_ctx(store: Store, settings: Settings, type: str, payload: dict[str, Any]) -> HandlerContext:
    """A real context around a real claimed event of ``type``."""
    q = Queue(store)
    q.enqueue(type, payload, idempotency_key=f"test:{type}:{sorted(payload.items())}")
    ev = q.claim("test", 30.0, [type])
    assert ev is not None
    return HandlerContext(ev, settings=settings, store=store, queue=q,
                          sandbox_slots=threading.BoundedSemaphore(1), stopping=threading.Event())
