"""A worker forked before the request arrives, so the fork is not on the run's path.

Forking the harness parent (numpy, pandas and the engine loaded) costs copying its page
tables and the scheduler's hand-over to a new process: tens of milliseconds on a busy
machine, on every run. A harness that waits for its request (a warm container, a run the
local sandbox made ahead of need) forks its first worker while it waits: the spare holds
nothing of any request (none has arrived), and when the request comes the parent hands
it the same bytes it read itself, over a pipe only the two of them hold. The spare then
does what the parent does before it forks a worker (decode and lock the data, install
the order log, trim ``sys.path``) and becomes an ordinary worker
(:func:`executor.harness.child.worker_main`).
"""

from __future__ import annotations

import fcntl
import os
import select
import sys
from dataclasses import dataclass

from executor.harness.isolate import die_with_parent


@dataclass
class Spare:
    pid: int
    request: int  # write end: the request goes in here, once
    ctrl: int
    res: int
    out: int
    err: int


def fork_spare(result_fd: int) -> Spare:
    """Fork the spare; it blocks until :func:`hand_over` (or dies with the parent)."""
    req_r, req_w = os.pipe()
    try:  # a request up to 1 MB goes in without waiting for the spare to read
        fcntl.fcntl(req_w, 1031, 1 << 20)  # F_SETPIPE_SZ
    except OSError:
        pass
    ctrl_r, ctrl_w = os.pipe()
    res_r, res_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            die_with_parent()
            os.close(result_fd)
            for fd in (req_w, ctrl_w, res_r, out_r, err_r):
                os.close(fd)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace")
            sys.stderr = os.fdopen(2, "w", buffering=1, encoding="utf-8", errors="replace")
            _become_worker(req_r, ctrl_r, res_w)
        finally:
            os._exit(0)
    for fd in (req_r, ctrl_r, res_w, out_w, err_w):
        os.close(fd)
    return Spare(pid, req_w, ctrl_w, res_r, out_r, err_r)


def hand_over(spare: Spare, header: dict, code: str, raw: bytes) -> bool:
    """Send the request to the spare; False when it is gone (the caller forks anew)."""
    from executor.harness.protocol import encode_request

    payload = memoryview(encode_request(header, code, raw))
    try:
        while payload:
            payload = payload[os.write(spare.request, payload):]
        return True
    except OSError:
        return False
    finally:
        os.close(spare.request)


def discard(spare: Spare) -> None:
    import signal

    try:
        os.killpg(spare.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for fd in (spare.ctrl, spare.res, spare.out, spare.err):
        os.close(fd)
    try:
        os.waitpid(spare.pid, 0)
    except ChildProcessError:
        pass


def _become_worker(req_fd: int, ctrl_fd: int, result_fd: int) -> None:
    """What the parent does before forking a worker, then the worker itself."""
    from executor.harness import child, orderlog
    from executor.harness.parent import trim_sys_path
    from executor.harness.protocol import decode_frame, read_request

    orderlog.install()  # nothing of the request in either: done while it is awaited
    if not select.select([req_fd], [], [], 0)[0]:  # no request yet (a run made ahead of it)
        warm_decode()
    with os.fdopen(req_fd, "rb") as stream:
        header, code, raw = read_request(stream)
    if header.get("restricted"):
        import executor.validator.restricted  # noqa: F401
    data = decode_frame(raw)
    del raw
    child.lock_data(data)
    header["_code"] = code
    header["_spare"] = True
    header["param_sets"] = header.get("param_sets") or [{}]
    trim_sys_path()
    child.worker_main(header, code, data, ctrl_fd, result_fd)


def warm_decode() -> None:
    """Decode a two-row frame: a forked process's first decode pays for pandas' first-call
    paths and copy-on-write faults (~2-5 ms, up to tens on a loaded machine); the
    request's decode then takes ~0.5 ms."""
    import numpy as np
    import pandas as pd

    from executor.harness.protocol import OHLCV, decode_frame, encode_frame

    index = pd.DatetimeIndex(np.array([0, 86_400_000_000_000], dtype="datetime64[ns]"))
    decode_frame(encode_frame(pd.DataFrame({c: np.ones(2) for c in OHLCV}, index=index)))
