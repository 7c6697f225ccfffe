"""RaySandbox: the ``Sandbox`` protocol over a Ray cluster (``--backend ray``).

The loop's process is never a Ray driver itself: it starts one driver process
(:mod:`executor.backends.ray.driver_process`) and sends it batches. When the head
disappears, that process says so and exits; every batch in flight here raises
:class:`SandboxUnavailable` with what to do (nothing was recorded for them, so their
events wait), later batches fail fast while the head does not answer, and the first
batch after it answers again starts a new driver.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import Any

from executor.backends.ray.connect import Node, slots_for
from executor.backends.ray.frames import read_frame, write_frame
from executor.errors import ConfigError, SandboxError, SandboxUnavailable
from executor.types import RunRequest, RunResult

log = logging.getLogger("rbi.ray")
START_TIMEOUT_S = 300.0  # joining a cluster and starting one actor per node
STATUS_TIMEOUT_S = 10.0
LOST_REASON_WAIT_S = 5.0  # how long status() waits for a dying driver's reason
PUBLISH_EVERY_S = 2.0
ROOT = Path(__file__).resolve().parents[3]
RESTART_HINT = ("Restart the head (`ray start --head --port=6379` on its machine, or "
                "`docker compose --profile cluster up -d rbi-cluster`) and check it with "
                "`python -m executor.backends.ray status`")


class RaySandbox:
    """Runs each batch in chunks on every live node's own sandbox. Thread-safe.

    ``address``: ``host:6379`` of the head (default ``RBI_RAY_ADDRESS``; unset = start
    a local Ray instance). ``node_backend``: the sandbox on each node (default
    ``RBI_RAY_NODE_BACKEND`` or ``auto``: Docker where usable, else local).
    ``status_path``: a JSON file this loop keeps up to date with :meth:`status` (the
    dashboard's cluster page reads it)."""

    name = "ray"

    def __init__(self, address: str | None = None, node_backend: str | None = None,
                 chunks_per_slot: int = 2, min_chunk: int = 8,
                 status_path: str | Path | None = None) -> None:
        slots_for(Node("", "", cpus=1))  # a bad RBI_RAY_SLOTS_PER_NODE fails here, named
        self.address = address or os.environ.get("RBI_RAY_ADDRESS") or ""
        self.node_backend = node_backend or os.environ.get("RBI_RAY_NODE_BACKEND") or "auto"
        self._cfg = {"address": self.address, "node_backend": self.node_backend,
                     "chunks_per_slot": chunks_per_slot, "min_chunk": min_chunk}
        self.chunks_per_slot, self.min_chunk = chunks_per_slot, min_chunk
        self._start_lock = threading.Lock()
        self._driver: _Driver | None = None
        self._gcs = ""  # the head's GCS, learnt from the driver: probed before a restart
        self.lost = ""  # why the last driver ended ("" while none was lost)
        self.losses = 0
        self._closed = threading.Event()
        self._status_path = Path(status_path) if status_path else None
        self._connect()
        if self._status_path is not None:
            threading.Thread(target=self._publish, daemon=True, name="ray-status").start()

    # -- the Sandbox protocol ---------------------------------------------------------
    def run(self, request: RunRequest) -> RunResult:
        return self.run_batch(replace(request, param_sets=None))[0]

    def run_batch(self, request: RunRequest) -> list[RunResult]:
        result: list[RunResult] = self._connect().call("run", request)
        return result

    # -- the cluster ------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Nodes, slots, batches and chunks in flight, per-node throughput (this loop's
        view), or ``connected: false`` with the reason while the cluster is gone."""
        drv = self._driver
        reason, dying = "", drv is not None and not drv.alive
        if drv is not None and drv.alive:
            try:
                doc: dict[str, Any] = drv.call("status", timeout=STATUS_TIMEOUT_S)
                return {**doc, "connected": True, "address": self.address or "local",
                        "gcs": self._gcs, "driver_pid": drv.pid, "losses": self.losses}
            except SandboxError as exc:  # its pipe is closed: it is ending
                reason, dying = str(exc), True
            except TimeoutError:  # alive but slow: nothing to wait for
                reason = f"the Ray driver did not answer within {STATUS_TIMEOUT_S:.0f} s"
        # a dying driver fails the call (a broken pipe) before its reader has recorded
        # why: wait for that reason (the head's, say) and report it instead
        if dying and drv is not None and drv.ended.wait(LOST_REASON_WAIT_S):
            reason = self.lost or reason
        reason = reason or self.lost or "no driver running"
        return {"backend": "ray", "connected": False, "error": reason,
                "address": self.address or "local", "gcs": self._gcs, "losses": self.losses,
                "node_backend": self.node_backend, "nodes": 0, "slots": 0,
                "batches_in_flight": 0, "chunks_in_flight": 0, "per_node": []}

    def refresh(self) -> None:
        """Look for new and departed nodes now."""
        self._connect().call("refresh")

    @property
    def driver_pid(self) -> int | None:
        drv = self._driver
        return drv.pid if drv is not None and drv.alive else None

    def close(self) -> None:
        """Stop this loop's driver and node actors (the cluster itself keeps running)."""
        self._closed.set()
        with self._start_lock:
            drv, self._driver = self._driver, None
        if drv is not None:
            drv.close()
        if self._status_path is not None:
            self._write_status({**self.status(), "error": "the loop stopped"})

    # -- internals --------------------------------------------------------------------
    def _connect(self) -> _Driver:
        with self._start_lock:
            drv = self._driver
            if drv is not None and drv.alive:
                return drv
            if self._closed.is_set():
                raise SandboxUnavailable("the ray backend was closed")
            if self._gcs:
                _probe(self._gcs, self.lost)
            drv = _Driver(self._cfg, self._on_lost)
            self._driver, self._gcs = drv, drv.gcs or self._gcs
            if self.lost:
                log.warning("ray cluster back at %s: backtests resume", self._gcs)
                self.lost = ""
            return drv

    def _on_lost(self, drv: _Driver, why: str) -> SandboxUnavailable:
        if self._closed.is_set():
            with self._start_lock:
                if self._driver is drv:
                    self._driver = None
            return SandboxUnavailable("the ray backend was closed")
        with self._start_lock:  # the reason is there before the driver is gone
            self.lost, self.losses = why, self.losses + 1
            if self._driver is drv:
                self._driver = None
        err = SandboxUnavailable(
            f"the Ray cluster is gone: {why}. Batches in flight were abandoned and nothing "
            "of them was recorded; their events wait and are retried (never dropped) until "
            f"the head answers again. {RESTART_HINT}")
        log.error("%s", err)
        return err

    def _publish(self) -> None:
        while not self._closed.wait(PUBLISH_EVERY_S):
            try:
                self._write_status(self.status())
            except Exception as exc:  # a status file is never worth stopping the loop
                log.debug("cannot write %s: %s", self._status_path, exc)

    def _write_status(self, doc: dict[str, Any]) -> None:
        assert self._status_path is not None
        doc = {**doc, "updated_ts": time.time(), "loop_pid": os.getpid()}
        tmp = self._status_path.with_name(f".{self._status_path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, default=str, indent=1))
        tmp.replace(self._status_path)


def _probe(gcs: str, lost: str) -> None:
    host, _, port = gcs.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=3.0).close()
    except OSError as exc:
        raise SandboxUnavailable(
            f"the Ray head at {gcs} does not answer ({exc}; lost: {lost or 'at start'}). "
            f"Nothing was lost: the queued work waits. {RESTART_HINT}") from None


class _Driver:
    """One driver process and the requests waiting for its answers."""

    def __init__(self, cfg: dict[str, Any], on_lost: Any) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "executor.backends.ray.driver_process", json.dumps(cfg)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        self._on_lost = on_lost
        self._lock = threading.Lock()
        self._pending: dict[int, Future[Any]] = {}
        self._next = 0
        self.alive = False
        self.ended = threading.Event()  # set once the loss is recorded (its reason known)
        kind, _, info = self._first_frame()
        if kind == "fatal":
            self._reap()
            cls, msg = info
            raise (ConfigError if cls == "ConfigError" else SandboxUnavailable)(msg)
        self.pid, self.gcs = int(info["pid"]), str(info["gcs"])
        self.alive = True
        threading.Thread(target=self._read, daemon=True, name=f"ray-driver-{self.pid}").start()

    def _first_frame(self) -> tuple[str, int, Any]:
        ready, _, _ = select.select([self._out], [], [], START_TIMEOUT_S)
        try:
            if not ready:
                raise EOFError(f"no answer within {START_TIMEOUT_S:.0f} s")
            frame: tuple[str, int, Any] = read_frame(self._out)
            return frame
        except EOFError as exc:
            self._reap()
            raise SandboxUnavailable(
                f"the Ray driver process did not start ({exc}; exit code "
                f"{self.proc.poll()}): its error is on stderr above. {RESTART_HINT}") from None

    def call(self, kind: str, payload: Any = None, timeout: float | None = None) -> Any:
        fut: Future[Any] = Future()
        with self._lock:
            if not self.alive:
                raise SandboxUnavailable("the Ray driver process has ended")
            self._next += 1
            rid = self._next
            self._pending[rid] = fut
            try:
                write_frame(self._in, (kind, rid, payload))
            except OSError as exc:
                self._pending.pop(rid, None)
                raise SandboxUnavailable(f"the Ray driver process has ended ({exc})") from exc
        try:
            return fut.result(timeout=timeout)
        except TimeoutError:
            with self._lock:
                self._pending.pop(rid, None)
            raise

    def _read(self) -> None:
        why = "the Ray driver process ended"
        while True:
            try:
                kind, rid, value = read_frame(self._out)
            except (EOFError, OSError, ValueError):
                break
            if kind == "lost":
                why = str(value)
                break
            with self._lock:
                fut = self._pending.pop(rid, None)
            if fut is None:
                continue
            if kind == "ok":
                fut.set_result(value)
            else:
                cls, msg = value
                fut.set_exception({"SandboxUnavailable": SandboxUnavailable,
                                   "ConfigError": ConfigError}.get(cls, SandboxError)(msg))
        code = self._reap()
        with self._lock:
            self.alive = False
            pending, self._pending = list(self._pending.values()), {}
        err = self._on_lost(self, why if code in (0, None) else f"{why} (exit code {code})")
        self.ended.set()
        for fut in pending:
            fut.set_exception(err)

    def close(self) -> None:
        with self._lock:
            try:
                write_frame(self._in, ("close", 0, None))
            except OSError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        self._reap()

    def _reap(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return None
