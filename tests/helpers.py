"""Shared test helpers: the rbi CLI in a subprocess, stage set-up, fake handlers,
a loopback LLM server. Paths and fixtures live in ``tests/conftest.py``."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agents.inbox import submit_idea
from agents.pipeline import Stage, load_pipeline
from agents.runtime import HandlerContext, Runtime
from agents.settings import Settings, load_settings
from agents.store import Store
from agents.store.queue import Queue
from tests.conftest import ROOT

# --- from helpers_agents.py ---------------------------------------------------

REPO = ROOT


def _work(ctx: Any, scale: float = 1.0) -> None:
    """Pretend sandbox work: a few ms, with cancellation checkpoints."""
    scale *= float(os.environ.get("RBI_TEST_WORK_SCALE", "1"))
    with ctx.sandbox_slot():
        for _ in range(3):
            ctx.check_cancelled()
            time.sleep(((ctx.event.id * 37) % 17) / 1000.0 * scale)


def research(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    with ctx.write() as s:
        sid, _ = s.add_strategy(payload["idea_id"], f"idea{payload['idea_id']}", {"kind": "sma"})
        ctx.emit("backtest", {"idea_id": payload["idea_id"], "strategy_id": sid})


def backtest(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    with ctx.write() as s:
        vid, _ = s.add_version(payload["strategy_id"], f"# strategy {payload['strategy_id']} v1\n",
                               agent="scripted", params={"n": 10})
        ctx.emit("execute", {"version_id": vid, "strategy_id": payload["strategy_id"]})


def execute(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx, 2.0)
    vid = payload["version_id"]
    with ctx.write() as s:
        for i, ds in enumerate(ctx.settings.datasets):
            result = {"status": "ok", "stats": {"Sharpe Ratio": (vid % 7) / 3 + i,
                                                "Return [%]": vid * 1.5, "# Trades": 12 + vid,
                                                "Win Rate [%]": 50.0, "Max. Drawdown [%]": -10.0},
                      "params": {"n": 10}, "backend": "scripted", "timings": {"total": 0.01}}
            _, created = s.record_result(vid, result, ds, seed=ctx.settings.seed,
                                         event_id=ctx.event.id)
            if not created:  # a committed event ran again: the exactly-once promise broke
                raise AssertionError(f"duplicate result write for version {vid} on {ds}")
        ctx.emit("review", {"version_id": vid, "strategy_id": payload["strategy_id"]})


def review(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    v = ctx.store.version(payload["version_id"])
    idea = ctx.store.strategy(v.strategy_id).idea_id
    with ctx.write() as s:
        if v.version == 1:
            s.add_review(v.id, "needs_work", summary="try a longer window", event_id=ctx.event.id)
            ctx.emit("optimise", {"version_id": v.id, "strategy_id": v.strategy_id})
        else:
            s.add_review(v.id, "approve", summary="good enough", event_id=ctx.event.id)
            s.set_strategy_status(v.strategy_id, "approved")
            s.set_idea_status(idea, "done")


def optimise(ctx: Any, payload: dict[str, Any]) -> None:
    _work(ctx)
    parent = ctx.store.version(payload["version_id"])
    with ctx.write() as s:
        child, _ = s.add_version(parent.strategy_id, parent.code + "# n = 20\n",
                                 parent_id=parent.id, agent="scripted-optimiser",
                                 params={"n": 20})
        s.add_optimization(parent.id, child, "params", changes_made="n 10 -> 20",
                           performance_delta=0.1, event_id=ctx.event.id)
        ctx.emit("execute", {"version_id": child, "strategy_id": parent.strategy_id})


# -- fault stages ---------------------------------------------------------------------
def boom(ctx: Any, payload: dict[str, Any]) -> None:
    raise ValueError(f"scripted failure on attempt {ctx.event.attempts}")


def flaky(ctx: Any, payload: dict[str, Any]) -> None:
    if ctx.event.attempts < payload.get("succeed_on", 3):
        raise RuntimeError(f"flaky attempt {ctx.event.attempts}")
    with ctx.write() as s:
        s.add_learning(f"flaky event {ctx.event.id} succeeded", kind="test")


def noop(ctx: Any, payload: dict[str, Any]) -> None:
    return None


def contend(ctx: Any, payload: dict[str, Any]) -> None:
    """Attempt 1: another connection holds the write lock while we try to write."""
    if ctx.event.attempts == 1:
        held, done = threading.Event(), threading.Event()

        def hold() -> None:
            c = sqlite3.connect(ctx.settings.db, isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            held.set()
            done.wait(5)
            c.execute("ROLLBACK")
            c.close()

        t = threading.Thread(target=hold)
        t.start()
        held.wait(5)
        try:
            with ctx.write() as s:
                s.add_learning(f"contend {ctx.event.id}", kind="test")
        finally:
            done.set()
            t.join()
    with ctx.write() as s:
        s.add_learning(f"contend {ctx.event.id}", kind="test")


def fill_pages(ctx: Any, payload: dict[str, Any]) -> None:
    """The database may not grow (``max_page_count``) while we write a big row."""
    conn = ctx.store.conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    try:
        with ctx.write() as s:
            s.add_learning("x" * 200_000 + str(ctx.event.id), kind="big")
    finally:
        conn.execute("PRAGMA max_page_count = 1073741823")


def write_big(ctx: Any, payload: dict[str, Any]) -> None:
    with ctx.write() as s:
        s.add_learning("y" * payload.get("size", 2_000_000) + str(ctx.event.id), kind="big")


def slow(ctx: Any, payload: dict[str, Any]) -> None:
    """Runs ``seconds`` with checkpoints; writes a marker when it finishes."""
    end = time.time() + payload.get("seconds", 2.0)
    while time.time() < end:
        ctx.check_cancelled()
        time.sleep(0.05)
    with ctx.write() as s:
        s.add_learning(f"slow {ctx.event.id} finished", kind="test")


PIPELINE: dict[str, str | Stage] = {
    "research": Stage("tests.helpers:research", ("idea_id",)),
    "backtest": Stage("tests.helpers:backtest", ("strategy_id",)),
    "execute": Stage("tests.helpers:execute", ("version_id",)),
    "review": Stage("tests.helpers:review", ("version_id",)),
    "optimise": Stage("tests.helpers:optimise", ("version_id",)),
    "boom": "tests.helpers:boom",
    "flaky": "tests.helpers:flaky",
    "noop": Stage("tests.helpers:noop", ("n",)),
    "contend": "tests.helpers:contend",
    "fill_pages": "tests.helpers:fill_pages",
    "write_big": "tests.helpers:write_big",
    "slow": "tests.helpers:slow",
}
NO_RESEARCH = {k: v for k, v in PIPELINE.items() if k != "research"}


# -- process helpers ---------------------------------------------------------------------
def rbi_env(db: Path, **extra: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RBI_") and k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    env.update(PYTHONPATH=str(REPO), RBI_DB=str(db), RBI_IDEAS_DIR=str(db.parent / "ideas"),
               RBI_RESULTS_DIR=str(db.parent), RBI_PIPELINE="tests.helpers:PIPELINE",
               RBI_RETRY_BASE_SECONDS="0.02", RBI_RETRY_MAX_SECONDS="0.5",
               RBI_POLL_INTERVAL="0.2", RBI_LEASE_SECONDS="3", RBI_WORKERS="2")
    env.update({f"RBI_{k.upper()}": str(v) for k, v in extra.items()})
    return env


def rbi(db: Path, *args: str, timeout: float = 120, **extra: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agents.rbi", *args], cwd=REPO,
                          env=rbi_env(db, **extra), capture_output=True, text=True, timeout=timeout)


def rbi_popen(db: Path, *args: str, **extra: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "agents.rbi", *args], cwd=REPO,
                            env=rbi_env(db, **extra), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def rbi_json(db: Path, *args: str, **extra: Any) -> Any:
    p = rbi(db, *args, "--json", **extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def wait_for(pred: Any, timeout: float = 30.0, every: float = 0.05) -> Any:
    end = time.time() + timeout
    while time.time() < end:
        try:
            got = pred()
        except sqlite3.Error:  # the database is still being created by the other process
            got = None
        if got:
            return got
        time.sleep(every)
    raise AssertionError("condition not reached in time")


def sql(db: Path, query: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    c = sqlite3.connect(db)
    try:
        return c.execute(query, args).fetchall()
    finally:
        c.close()


# --- from stages_helpers.py ---------------------------------------------------

REAL_PIPELINE = "agents.stages:PIPELINE"


def stage_settings(tmp: Path, **over: Any) -> Settings:
    base = dict(db=tmp / "rbi.sqlite", ideas_dir=tmp / "ideas", results_dir=tmp,
                provider="offline", backend="local", pipeline=REAL_PIPELINE, workers=1,
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


# --- from loopback_llm.py -----------------------------------------------------

@dataclass
class Scripted:
    status: int = 200
    body: Any = None  # dict -> JSON; str/bytes sent verbatim
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def anthropic_message(text: str, *, tokens_in: int = 11, tokens_out: int = 7,
                      stop_reason: str = "end_turn", model: str = "claude-test") -> dict:
    return {
        "id": "msg_loopback_1", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
    }


def anthropic_error(kind: str, message: str) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


def openai_completion(text: str, *, tokens_in: int = 13, tokens_out: int = 5,
                      finish_reason: str = "stop", model: str = "gpt-test") -> dict:
    return {
        "id": "chatcmpl-loopback-1", "object": "chat.completion", "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                  "total_tokens": tokens_in + tokens_out},
    }


def openai_error(message: str, kind: str = "invalid_request_error") -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class LoopbackLLM:
    """``with LoopbackLLM() as srv: srv.push(Scripted(...)); ... srv.requests``."""

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                owner._seen(SeenRequest("POST", self.path, dict(self.headers), body))
                reply = owner._next()
                payload = reply.body
                if isinstance(payload, dict | list):
                    data = json.dumps(payload).encode()
                    ctype = "application/json"
                elif isinstance(payload, str):
                    data, ctype = payload.encode(), "application/json"
                else:
                    data, ctype = payload or b"", "application/json"
                self.send_response(reply.status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *replies: Scripted) -> LoopbackLLM:
        with self._lock:
            self._script.extend(replies)
        return self

    def _seen(self, req: SeenRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _next(self) -> Scripted:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return Scripted(599, {"error": "loopback script exhausted"})

    def __enter__(self) -> LoopbackLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """One holder at a time on this machine (a file lock): the compose tests build images
    and share the wheelhouses, so two stacks starting at once starve or break each other."""
    with open(Path(tempfile.gettempdir()) / f"rbi-tests-{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
