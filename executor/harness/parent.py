"""The trusted side of the harness: schedule parameter sets onto forked workers, watch
their time and output, verify what they report, and write the result documents."""

from __future__ import annotations

import json
import os
import resource
import secrets
import selectors
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from executor.harness import caps
from executor.harness.framing import MessageReader
from executor.harness.isolate import die_with_parent
from executor.harness.protocol import (
    STAMPS,
    decode_data,
    frame_sha256,
    raw_frame_sha256,
    read_request,
    stamp,
)
from executor.harness.spare import Spare, discard, fork_spare, hand_over

HEAD_KEEP = 4 * 1024
# called once the harness has forked its spare and waits for its request (a warm
# container reports itself ready with it: see executor/backends/docker/container.py)
READY: Callable[[], object] | None = None
TAIL_KEEP = 256 * 1024


@dataclass
class Worker:
    pid: int
    ctrl: int
    res: int
    out: int
    err: int
    reader: MessageReader = field(default_factory=MessageReader)
    current: int | None = None
    started: float = 0.0
    output: int = 0
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    open_fds: set[int] = field(default_factory=set)
    import_failed: dict[str, Any] | None = None
    nonce: str = ""  # of the current set: messages without it are not this set's
    exit_status: int | None = None
    frame: int = 0  # a multi-frame batch's worker runs the sets of this frame only


class Harness:
    def __init__(self, header: dict[str, Any], code: str, data: Any, result_fd: int,
                 spare: Spare | None = None) -> None:
        self.spare = spare  # the first worker, forked before the request (see spare.py)
        self.header = header
        self.code = code
        self.data = data
        self.result_fd = result_fd
        self.limits = header.get("limits") or {}
        self.param_sets: list[dict[str, Any]] = header["param_sets"]
        self.pending = list(range(len(self.param_sets)))
        self.results: dict[int, dict[str, Any]] = {}
        self.sel = selectors.DefaultSelector()
        self.workers: list[Worker] = []
        self.timeout = float(self.limits.get("timeout_s") or 300)
        self.output_cap = int(self.limits.get("output_bytes") or 32 * 1024 * 1024)
        self.load_data: Callable[[], Any] | None = None  # decodes ``data`` when first needed

    # ---------------------------------------------------------------- workers
    def frame_of(self, idx: int) -> int:
        """The frame set ``idx`` runs on (0 unless a multi-frame batch)."""
        frames = self.header.get("frame_of")
        return int(frames[idx]) if self.header.get("frame_lens") is not None and frames else 0

    def next_frame(self) -> int:
        return self.frame_of(self.pending[0]) if self.pending else 0

    def keep_only(self, frame: int) -> Any:
        """In a new worker of a multi-frame batch, before any strategy code runs: its own
        frame, every other one dropped (no probe run can reach the full data)."""
        if self.header.get("frame_lens") is None:
            return self.data
        import gc
        import weakref

        frames, self.data = self.data, None
        data = frames[frame]
        others = [weakref.ref(f) for i, f in enumerate(frames) if i != frame]
        frames.clear()
        del frames
        self.header = {k: v for k, v in self.header.items() if k not in ("frame_lens", "frame_of")}
        if any(r() is not None for r in others):  # freed by refcount unless in a cycle
            gc.collect()  # (~0.2 s: it touches the whole heap after the fork)
        if any(r() is not None for r in others):
            raise RuntimeError("a multi-frame worker could not drop the other frames")
        return data

    def spawn(self, frame: int = 0) -> Worker:
        if self.data is None and self.load_data is not None:
            self.data = self.load_data()
        ctrl_r, ctrl_w = os.pipe()
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # ---- untrusted from here on
            try:
                os.setpgid(0, 0)
                die_with_parent()
                os.close(self.result_fd)
                for fd in (ctrl_w, res_r, out_r, err_r):
                    os.close(fd)
                for w in self.workers:  # only the fds still open: a closed one's
                    for fd in (w.ctrl, *w.open_fds):  # number may be this worker's pipe now
                        if fd < 0:
                            continue
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace")
                sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace")
                from executor.harness.child import worker_main

                data = self.keep_only(frame)
                self.header["_code"] = self.code
                worker_main(self.header, self.code, data, ctrl_r, res_w)
            finally:
                os._exit(0)
        for fd in (ctrl_r, res_w, out_w, err_w):
            os.close(fd)
        return self._adopt(Worker(pid, ctrl_w, res_r, out_r, err_r, frame=frame))

    def _adopt(self, w: Worker) -> Worker:
        for fd, kind in ((w.res, "res"), (w.out, "out"), (w.err, "err")):
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, (w, kind))
            w.open_fds.add(fd)
        self.workers.append(w)
        return w

    def assign(self, w: Worker) -> None:
        mine = [i for i in self.pending if self.frame_of(i) == w.frame]
        if not mine or w.import_failed is not None:
            self._close_ctrl(w)  # done: a worker for the next frame starts when it is gone
            return
        idx = mine[0]
        self.pending.remove(idx)
        w.current, w.started, w.output = idx, time.monotonic(), 0
        w.nonce = secrets.token_hex(16)
        w.stdout.clear()
        w.stderr.clear()
        # "last": no other set of this frame is left for any worker, so this worker gets
        # none after it and runs it itself (no run child to fork: no later set to shield)
        last = " last" if len(mine) == 1 else ""
        try:
            os.write(w.ctrl, f"{idx} {w.nonce}{last}\n".encode())
        except OSError:
            self.pending.insert(0, idx)
            w.current = None

    def _close_ctrl(self, w: Worker) -> None:
        if w.ctrl >= 0:
            os.close(w.ctrl)
            w.ctrl = -1

    def kill(self, w: Worker) -> None:
        try:
            os.killpg(w.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def start_spare(self) -> None:
        """The spare (it decodes the data itself) starts on the first set at once."""
        spare, self.spare = self.spare, None
        if spare is not None:
            self.assign(self._adopt(Worker(spare.pid, spare.ctrl, spare.res, spare.out, spare.err)))

    # ---------------------------------------------------------------- loop
    def run(self) -> None:
        parallel = max(1, min(int(self.header.get("parallel") or 1), len(self.param_sets)))
        if self.header.get("script"):
            parallel = 1
        self.start_spare()
        for _ in range(parallel - len(self.workers)):
            self.assign(self.spawn(self.next_frame()))
        total = len(self.param_sets)
        while len(self.results) < total and any(w.open_fds for w in self.workers):
            now = time.monotonic()
            deadlines = [w.started + self.timeout for w in self.workers if w.current is not None and w.open_fds]
            wait = max(0.0, min(deadlines) - now) if deadlines else 1.0
            for key, _ in self.sel.select(timeout=min(wait, 1.0)):
                w, kind = key.data
                if key.fd not in w.open_fds:
                    continue  # closed by an earlier event of this round (_worker_gone)
                self._read(w, kind, key.fd)
            now = time.monotonic()
            for w in self.workers:
                if w.current is not None and w.open_fds and now - w.started > self.timeout:
                    self._fail_current(w, "timeout", f"the run exceeded the {self.timeout:g} s time limit")
                    self.kill(w)
        for w in self.workers:
            if w.exit_status is None:
                self.kill(w)  # every set has its result: stray descendants go with the worker
            self._reap(w)
        # sets never run (worker import failure or lost workers) get the reason
        for idx in range(len(self.param_sets)):
            if idx not in self.results:
                failed = next((w.import_failed for w in self.workers if w.import_failed), None)
                self.results[idx] = dict(failed or {
                    "status": "error",
                    "error": {"type": "HarnessError", "message": "the run ended without a result",
                              "class": "exception", "traceback": "", "line": None},
                }, index=idx)

    def _read(self, w: Worker, kind: str, fd: int) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            self.sel.unregister(fd)
            os.close(fd)
            w.open_fds.discard(fd)
            if kind == "res":
                self._worker_gone(w)
            return
        if kind == "res":
            w.reader.feed(chunk)
            self._handle_messages(w)
            return
        buf = w.stdout if kind == "out" else w.stderr
        w.output += len(chunk)
        buf += chunk
        if len(buf) > HEAD_KEEP + TAIL_KEEP:
            del buf[HEAD_KEEP:len(buf) - TAIL_KEEP]
        if w.output > self.output_cap and w.current is not None:
            self._fail_current(w, "output_limit",
                               f"the strategy printed more than {self.output_cap} bytes")
            self.kill(w)

    def _handle_messages(self, w: Worker) -> None:
        script = bool(self.header.get("script"))
        while w.reader.messages:
            raw, blob = w.reader.messages.pop(0)
            kind, doc, problem = caps.checked(raw, blob, script, w.nonce)
            if problem is not None:
                self._protocol_violation(w, problem)
                return
            if kind == "foreign":
                continue  # not from this set's run (no nonce): e.g. a leftover of an earlier set
            if kind == "import_failed":  # every set gets the same error
                w.import_failed = doc
                if w.current is not None:
                    self._store(w, w.current, dict(doc))
                    w.current = None
                self.pending.clear()
                self._close_ctrl(w)
                continue
            if kind == "ack":
                if w.current is not None and w.current not in self.results:
                    self._store(w, w.current, {"status": "error", "error": {
                        "type": "HarnessError", "message": "the run process ended without a result",
                        "class": "exception", "traceback": "", "line": None}})
                w.current = None
                self.assign(w)
                continue
            idx = doc["index"]
            if idx != w.current or idx in self.results:
                continue  # a message for a set this worker is not running: ignore it
            self._store(w, idx, doc)
            if kind == "script_done":
                w.current = None
        if w.reader.corrupt and w.current is not None:
            self._protocol_violation(w, f"the result stream was corrupted: {w.reader.corrupt}")

    def _protocol_violation(self, w: Worker, problem: str) -> None:
        """A worker that breaks the message contract loses its current set and is killed."""
        w.reader.messages.clear()
        self._fail_current(w, "tampered", problem)
        self.kill(w)

    def _store(self, w: Worker, idx: int, doc: dict[str, Any]) -> None:
        doc["index"] = idx
        if isinstance(doc.get("timings"), dict):
            doc["timings"]["t_result_in"] = time.monotonic()
        doc["stdout_tail"] = _text(w.stdout)
        doc["stderr_tail"] = _text(w.stderr)
        doc["output_bytes"] = w.output
        self.results[idx] = doc
        self.emit(idx)

    def _fail_current(self, w: Worker, status: str, message: str) -> None:
        if w.current is None:
            return
        idx = w.current
        w.current = None
        self._store(w, idx, {"status": status, "params": self.param_sets[idx], "error": {
            "type": status.title().replace("_", ""), "message": message, "class": status,
            "traceback": "", "line": None}})

    def _worker_gone(self, w: Worker) -> None:
        self._reap(w)
        if w.current is not None:
            sig = -w.exit_status if w.exit_status is not None and w.exit_status < 0 else None
            status = ("memory" if sig == signal.SIGKILL else "timeout" if sig == signal.SIGXCPU
                      else "error")
            msg = ("the run was killed (out of memory)" if status == "memory"
                   else "the run exceeded its CPU time limit" if status == "timeout"
                   else f"the strategy process died (status {w.exit_status})")
            self._fail_current(w, status, msg)
        self._close_ctrl(w)
        for fd in list(w.open_fds):
            self.sel.unregister(fd)
            os.close(fd)
        w.open_fds.clear()
        if self.pending and w.import_failed is None:
            self.assign(self.spawn(self.next_frame()))

    def _reap(self, w: Worker) -> None:
        if w.exit_status is not None:
            return
        try:
            _, status = os.waitpid(w.pid, 0)
        except ChildProcessError:
            w.exit_status = 0
            return
        w.exit_status = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        try:
            os.killpg(w.pid, signal.SIGKILL)  # stray grandchildren of this worker
        except (ProcessLookupError, PermissionError):
            pass

    # ---------------------------------------------------------------- output
    def emit(self, idx: int) -> None:
        doc = self.results[idx]
        out = finish_doc(doc, self.header, idx)
        os.write(self.result_fd, (json.dumps(out, allow_nan=False, default=str) + "\n").encode())


def _text(buf: bytearray) -> str:
    return bytes(buf[-64 * 1024:]).decode("utf-8", "replace")


def finish_doc(doc: dict[str, Any], header: dict[str, Any], idx: int) -> dict[str, Any]:
    """The result line for set ``idx``. Its numbers are NOT final: the host replays the
    order log (executor/verify.py); script mode's printed stats stay ``unverified``."""
    from executor.harness.statsjson import json_safe

    out: dict[str, Any] = {"rbi": "result", "index": idx}
    status = doc.get("status", "error")
    stats: dict[str, Any] = {}
    source = "replay"
    if header.get("script") and status == "ok":
        from executor.harness.stdout_stats import parse_stats_block

        parsed = parse_stats_block(doc.get("stdout_tail", ""))
        source = "stdout"
        if parsed is None:
            status = "error"
            doc["error"] = {"type": "NoStats", "class": "no_stats", "traceback": "", "line": None,
                            "message": "the script printed no complete backtesting.py stats block; "
                                       "end it with `print(stats)` where `stats = bt.run()`"}
        else:
            status, stats = "unverified", parsed
    if status == "tampered":
        doc.setdefault("error", {"type": "Tampered", "class": "tampered", "traceback": "", "line": None,
                                 "message": doc.get("tamper", "result integrity check failed")})
    out.update(
        status=status,
        stats=stats,
        stats_source=source,
        error=doc.get("error"),
        params=header["param_sets"][idx] if idx < len(header["param_sets"]) else {},
        stdout_tail=doc.get("stdout_tail", ""),
        stderr_tail=doc.get("stderr_tail", ""),
        warnings=doc.get("warnings", []),
        timings=doc.get("timings", {}),
        mapped_paths=doc.get("mapped_paths", []),
        output_bytes=doc.get("output_bytes", 0),
    )
    for key in ("orderlog", "claimed_stats", "strategy_name"):
        if key in doc:
            out[key] = doc[key]
    return json_safe(out)


def serve(stdin: IO[bytes], result_fd: int, isolation: dict[str, Any], t_start: float,
          *, next_request: bool = False,
          check_code: Callable[[str], None] | None = None) -> int | None:
    """Serve one request. ``next_request`` (a reused container, see reuse.py): wait for
    it, and return None without running anything when stdin ends first (``t_start`` < 0:
    time the request from its arrival). ``check_code`` sees the request's code before
    any worker does, and raises to refuse it."""
    t0 = time.perf_counter()
    forked = fork_spare(result_fd)  # while no request exists: off the run's path
    if READY is not None:
        READY()
    if next_request:
        if not stdin.peek(1):  # type: ignore[attr-defined]
            discard(forked)
            return None
        t0 = time.perf_counter()  # the request is here: the wait for it is not import time
        t_start = t_start if t_start >= 0 else t0
    cpu0 = _children_cpu_s()
    header, code, raw = read_request(stdin)
    if check_code is not None:
        check_code(code)
    spare: Spare | None = forked
    # a multi-frame batch's workers are made per frame (Harness.keep_only), not the spare:
    # it gets no request (EOF: it ends even if the kill came before its setpgid)
    multi = header.get("frame_lens") is not None
    if multi:
        os.close(forked.request)
    if multi or not hand_over(forked, header, code, raw):
        discard(forked)
        spare = None
    # Engine and helpers are imported here, before any strategy code exists in memory.
    from executor.harness import lazy_plotting

    lazy_plotting.install()
    import backtesting  # noqa: F401
    import backtesting.lib  # noqa: F401
    import numpy as np
    import pandas as pd

    from executor.harness import child, fastrun, orderlog, statsjson  # noqa: F401

    digest = None if multi else raw_frame_sha256(raw)  # no decode here when the spare runs the set
    if digest:
        header["_data_sha256"] = digest
    stamp("imports")
    header["_code"] = code
    header["param_sets"] = header.get("param_sets") or [{}]
    h = Harness(header, code, None, result_fd, spare)
    h.start_spare()  # the first set runs at once; the spare decodes its own copy
    orderlog.install()
    import_s = time.perf_counter() - t0
    trim_sys_path()
    if multi:  # decoded now and only kept in h.data, which each worker drops but its frame
        h.data = _for_workers(raw, header, code)
        del raw
    else:
        # this process decodes the data only for workers it forks itself (more sets, or a
        # spare that is gone): a lone spare's run does not share its CPU with that decode
        h.load_data = lambda: _for_workers(raw, header, code)
    h.run()
    if "_data_sha256" not in header:
        _parsed(raw, header)  # the hash the done record reports, after the run
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    stamp("done")
    done = {
        "rbi": "done",
        "data_sha256": header["_data_sha256"],
        "isolation": isolation,
        "timings": {"harness_import_s": import_s, "total_s": time.perf_counter() - t_start,
                    **STAMPS},
        "resources": {"peak_rss_mb": usage.ru_maxrss / 1024.0,
                      "cpu_s": usage.ru_utime + usage.ru_stime - cpu0},
        "versions": _versions(),
    }
    del np, pd
    os.write(result_fd, (json.dumps(done, default=str) + "\n").encode())
    return 0


def _for_workers(raw: bytes, header: dict[str, Any], code: str) -> Any:
    """The data, and what only this request's code needs (RestrictedPython, talib, ...:
    see executor/harness/preload.py), loaded once for every worker forked from here on.
    Only then: a lone spare runs its set without sharing its CPU with these imports."""
    from executor.harness.preload import preimport_optional

    restricted = bool(header.get("restricted")) and not header.get("script")
    preimport_optional(restricted, code)
    if restricted:  # compiled once here (compiling runs none of it), not in every worker
        from executor.harness.child import STRATEGY_FILE
        from executor.validator.restricted import compile_once

        try:
            compile_once(code, STRATEGY_FILE)
        except Exception:  # noqa: BLE001 - the worker compiles again and reports it
            pass
    return _parsed(raw, header)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _parsed(raw: bytes, header: dict[str, Any]) -> Any:
    """The request's data as workers forked from here on inherit it: read-only."""
    from executor.harness import child

    data = decode_data(header, raw)
    if "_data_sha256" not in header:
        header["_data_sha256"] = frame_sha256(data) if header.get("frame_lens") is None else ""
    child.lock_data(data)  # read-only before any strategy code exists; workers inherit it
    stamp("data_parsed")
    return data


def trim_sys_path() -> None:
    """Strategy code has no business importing the project itself."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]


def _versions() -> dict[str, str]:
    import platform

    out = {"python": platform.python_version()}
    for name in ("backtesting", "pandas", "numpy", "talib", "RestrictedPython"):
        mod = sys.modules.get(name)
        if mod is not None:
            out[name] = str(getattr(mod, "__version__", "?"))
    return out
