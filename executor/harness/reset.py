"""Reset a reused sandbox container between two requests (``--reuse``, see reuse.py).

Between two requests of the SAME code version, the trusted harness parent removes
everything the untrusted workers of the previous request could have left behind:

* every other process of the container: ``kill(-1, SIGKILL)`` (as PID 1 of the
  container's pid namespace the parent is the one process this spares), then reap;
  repeated until /proc lists no process but the parent, else the reset fails;
* every file and directory in the writable scratch mounts (/tmp, /dev/shm, /dev/mqueue,
  and /var/tmp, /run/lock when writable);
* every System V IPC object (shared memory, semaphores, message queues) of the
  container's private IPC namespace.

The parent is not ptrace-able by the workers (``PR_SET_DUMPABLE`` 0, set at start-up in
``executor.harness.__main__``, inherited by nothing it does not fork; the container has
no capabilities), and it never runs strategy code, so its own memory is what it was.
A reset that cannot prove its work raises :class:`ResetFailed`; the parent then exits
and the host discards the container.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import stat
import time
from typing import Any

SCRATCH = ("/tmp", "/dev/shm", "/dev/mqueue", "/var/tmp", "/run/lock")
IPC_RMID = 0
SYSV = (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl"))
SETTLE_S = 5.0

_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


class ResetFailed(RuntimeError):
    """Something of a previous request survived the reset: the container must go."""


def reset_sandbox() -> dict[str, Any]:
    """Kill, wipe, remove; returns counts of what was removed (for the done record)."""
    t = time.monotonic()
    report: dict[str, Any] = {"killed": kill_others()}
    report["files"] = sum(wipe(path) for path in SCRATCH)
    report["ipc"] = remove_sysv_ipc()
    report["reset_s"] = time.monotonic() - t
    return report


def other_pids() -> list[int]:
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]


def kill_others() -> int:
    """SIGKILL every other process we can signal and reap our children, until none is
    left; raises when one survives ``SETTLE_S`` seconds."""
    end = time.monotonic() + SETTLE_S
    killed = 0
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass  # nothing else to signal
        killed += _reap()
        left = [p for p in other_pids() if _same_uid(p)]
        if not left:
            return killed
        if time.monotonic() >= end:
            raise ResetFailed(f"processes {left[:10]} survived SIGKILL")
        time.sleep(0.005)


def _reap() -> int:
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


def _same_uid(pid: int) -> bool:
    """A process of the sandbox uid (a zombie not yet reaped counts: it is retried)."""
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except FileNotFoundError:
        return False


def wipe(root: str) -> int:
    """Remove everything under ``root`` (a scratch mount), never ``root`` itself.
    Returns how many entries went; raises if one could not be removed."""
    if not os.path.isdir(root) or not os.access(root, os.W_OK):
        return 0
    n = 0
    for entry in os.scandir(root):
        n += _remove(entry.path)
    if os.listdir(root):
        raise ResetFailed(f"{root} is not empty after the reset: {os.listdir(root)[:5]}")
    return n


def _remove(path: str) -> int:
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return 1
    if st.st_mode & 0o700 != 0o700:
        os.chmod(path, 0o700)  # a worker may have left a directory we cannot enter
    n = 1
    for entry in os.scandir(path):
        n += _remove(entry.path)
    os.rmdir(path)
    return n


def remove_sysv_ipc() -> int:
    """IPC_RMID every SysV object listed in /proc/sysvipc (the container's namespace)."""
    n = 0
    for kind, call in SYSV:
        for ident in sysv_ids(kind):
            fn = getattr(_libc, call)
            rc = fn(ident, 0, IPC_RMID, None) if kind == "sem" else fn(ident, IPC_RMID, None)
            if rc != 0:
                raise ResetFailed(f"could not remove SysV {kind} {ident}: "
                                  f"{os.strerror(ctypes.get_errno())}")
            n += 1
        if sysv_ids(kind):
            raise ResetFailed(f"SysV {kind} objects survived the reset")
    return n


def sysv_ids(kind: str) -> list[int]:
    try:
        with open(f"/proc/sysvipc/{kind}") as fh:
            lines = fh.read().splitlines()[1:]
    except OSError:
        return []
    col = 1  # key, shmid/semid/msqid, ...
    return [int(line.split()[col]) for line in lines if line.split()]
