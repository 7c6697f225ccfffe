"""LocalSandbox: the embedded default when Docker is absent.

One subprocess per run (``python -I`` with an empty environment, a fresh temp working
directory, its own session so a timeout kills the whole process group). The harness
isolates itself before reading the request (see :mod:`executor.harness.isolate`):
network + mount namespaces, read-only mounts, private tmpfs scratch, and an
unprivileged uid when started as root; rlimits on address space, CPU seconds, file size,
open files and processes apply to the strategy processes.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from executor.errors import SandboxError
from executor.local_zygote import Zygote, exchange
from executor.results import Stopwatch, build_results, default_parallel, encode
from executor.types import RunRequest, RunResult

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
BOOT = (
    "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); "
    "from executor.harness.__main__ import main; sys.exit(main(sys.argv[1:]))"
)
STARTUP_SLACK_S = 30.0
UID_BASE, UID_SPAN = 2_000_000, 1_000_000


def clean_env(workdir: str) -> dict[str, str]:
    """The only environment strategy code sees: no keys, no tokens, no proxies."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "TQDM_DISABLE": "1",
    }


class LocalSandbox:
    name = "local"

    def __init__(self, python: str | None = None, isolate: bool = True, uid: int | None = None,
                 gid: int = 65534, reuse_interpreter: bool = True) -> None:
        self.python = python or sys.executable
        self.isolate = isolate
        self.uid, self.gid = uid, gid
        self.reuse_interpreter = reuse_interpreter

    def _via_popen(self, workdir: str, cmd: list[str], payload: bytes, deadline: float,
                   iso: dict[str, Any] | None) -> tuple[str | None, str, bytes, bytes, int | None]:
        """One fresh interpreter per run (slow: it imports pandas and backtesting)."""
        if iso:
            cmd = [*cmd, "--isolate", json.dumps(iso)]
        outer_status, outer_message = None, ""
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=workdir, env=clean_env(workdir), start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(f"could not start {self.python}: {exc}") from exc
        try:
            stdout, stderr = proc.communicate(payload, timeout=deadline)
        except subprocess.TimeoutExpired:
            _kill_session(proc.pid)
            stdout, stderr = proc.communicate()
            outer_status = "timeout"
            outer_message = f"the sandbox exceeded its {deadline:g} s wall-clock limit and was killed"
        except BaseException:
            _kill_session(proc.pid)
            proc.communicate()
            raise
        finally:
            _kill_session(proc.pid)
        return outer_status, outer_message, stdout, stderr, proc.returncode

    def _via_zygote(self, workdir: str, cmd: list[str], payload: bytes, deadline: float,
                    iso: dict[str, Any] | None) -> tuple[str | None, str, bytes, bytes, int | None]:
        """Fork a pre-imported interpreter (see executor/harness/zygote.py)."""
        zygote = _zygote(tuple(cmd))
        spawned = zygote.spawn({"workdir": workdir, "env": clean_env(workdir),
                                "isolate": iso})
        try:
            stdout, stderr, timed_out = exchange(spawned, payload, deadline)
        finally:
            _kill_session(spawned.pid)
        if timed_out:
            return ("timeout", f"the sandbox exceeded its {deadline:g} s wall-clock limit and was killed",
                    stdout, stderr, None)
        return None, "", stdout, stderr, None

    def run(self, request: RunRequest) -> RunResult:
        single = replace(request, param_sets=None)
        return self.run_batch(single)[0]

    def run_batch(self, request: RunRequest, parallel: int | None = None) -> list[RunResult]:
        if not request.run_id:
            from executor.results import new_run_id

            request.run_id = new_run_id()
        parallel = parallel or default_parallel(request)
        payload = encode(request, parallel)
        n_sets = len(request.all_param_sets())
        rounds = -(-n_sets // parallel)
        deadline = request.limits.timeout_s * rounds + STARTUP_SLACK_S
        workdir = tempfile.mkdtemp(prefix="rbi-run-")
        os.chmod(workdir, 0o700)
        as_root = os.geteuid() == 0
        uid = self.uid if self.uid is not None else _fresh_uid()
        if as_root and self.isolate:
            os.chown(workdir, uid, self.gid)
        cmd = [self.python, "-I", "-c", BOOT, PACKAGE_ROOT]
        iso = {"uid": uid, "gid": self.gid, "scratch_mb": request.limits.scratch_mb,
               "pids": request.limits.pids} if self.isolate else None
        watch = Stopwatch()
        try:
            if self.reuse_interpreter:
                outer_status, outer_message, stdout, stderr, rc = self._via_zygote(
                    workdir, cmd, payload, deadline, iso)
            else:
                outer_status, outer_message, stdout, stderr, rc = self._via_popen(
                    workdir, cmd, payload, deadline, iso)
        finally:
            if iso and as_root:
                _kill_uid(uid)  # anything that left the session still runs as this run's uid
            shutil.rmtree(workdir, ignore_errors=True)
        isolation: dict[str, Any] = {"backend": "local", "env": "empty", "workdir": "temp, removed",
                                     "process_group_kill": True}
        if not self.isolate:
            isolation["notes"] = ["isolation disabled by the caller"]
        if rc is not None and rc < 0 and outer_status is None:
            outer_status = "killed"
            outer_message = f"the sandbox process was killed by signal {-rc}"
        return build_results(
            stdout.decode("utf-8", "replace"), request, backend=self.name, isolation=isolation,
            outer_status=outer_status, outer_message=outer_message,
            stderr=stderr.decode("utf-8", "replace"), wall_s=watch.elapsed,
        )


def _fresh_uid() -> int:
    """A uid of its own per run (no passwd entry, no files anywhere): the process limit
    (RLIMIT_NPROC counts per uid) and any same-uid /proc access stay within this run."""
    return UID_BASE + secrets.randbelow(UID_SPAN)


_ZYGOTES: dict[tuple[str, ...], Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


def _zygote(cmd: tuple[str, ...]) -> Zygote:
    with _ZYGOTES_LOCK:
        if cmd not in _ZYGOTES:
            home = tempfile.mkdtemp(prefix="rbi-zygote-")
            os.chmod(home, 0o755)
            _ZYGOTES[cmd] = Zygote(list(cmd), clean_env(home), home)
            atexit.register(_ZYGOTES[cmd].close)
        return _ZYGOTES[cmd]


def _kill_session(sid: int) -> None:
    """Kill the harness's whole session: its own group and the workers' groups in it."""
    for pid in _session_members(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_uid(uid: int) -> None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as fh:
                    line = next((t for t in fh if t.startswith("Uid:")), "")
                if line and int(line.split()[1]) == uid:  # the real uid
                    os.kill(int(entry), signal.SIGKILL)
            except (OSError, ValueError):
                continue


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    members.append(int(entry))
            except OSError:
                continue
    return members
