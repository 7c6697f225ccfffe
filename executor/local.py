"""LocalSandbox: the embedded default when Docker is absent.

One subprocess per run (``python -I`` with an empty environment, a fresh temp working
directory, its own session so a timeout kills the whole process group). The harness
isolates itself before reading the request (see :mod:`executor.harness.isolate`):
network + mount namespaces, read-only mounts, private tmpfs scratch, and an
unprivileged uid when started as root; rlimits on address space, CPU seconds, file size,
open files and processes apply to the strategy processes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from executor.errors import SandboxError
from executor.results import Stopwatch, build_results, default_parallel, encode
from executor.types import RunRequest, RunResult

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
BOOT = (
    "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); "
    "from executor.harness.__main__ import main; sys.exit(main(sys.argv[1:]))"
)
STARTUP_SLACK_S = 30.0


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

    def __init__(self, python: str | None = None, isolate: bool = True, uid: int = 65534,
                 gid: int = 65534) -> None:
        self.python = python or sys.executable
        self.isolate = isolate
        self.uid, self.gid = uid, gid

    def run(self, request: RunRequest) -> RunResult:
        single = _copy(request, param_sets=None)
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
        if as_root and self.isolate:
            os.chown(workdir, self.uid, self.gid)
        cmd = [self.python, "-I", "-c", BOOT, PACKAGE_ROOT]
        if self.isolate:
            opts = {"uid": self.uid, "gid": self.gid, "scratch_mb": request.limits.scratch_mb,
                    "pids": request.limits.pids}
            cmd += ["--isolate", json.dumps(opts)]
        watch = Stopwatch()
        outer_status: str | None = None
        outer_message = ""
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=workdir, env=clean_env(workdir), start_new_session=True,
            )
        except OSError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            raise SandboxError(f"could not start {self.python}: {exc}") from exc
        try:
            stdout, stderr = proc.communicate(payload, timeout=deadline)
        except subprocess.TimeoutExpired:
            _killpg(proc)
            stdout, stderr = proc.communicate()
            outer_status = "timeout"
            outer_message = f"the sandbox exceeded its {deadline:g} s wall-clock limit and was killed"
        except BaseException:
            _killpg(proc)
            proc.communicate()
            raise
        finally:
            _killpg(proc)
            shutil.rmtree(workdir, ignore_errors=True)
        isolation: dict[str, Any] = {"backend": "local", "env": "empty", "workdir": "temp, removed",
                                     "process_group_kill": True}
        if not self.isolate:
            isolation["notes"] = ["isolation disabled by the caller"]
        if proc.returncode and proc.returncode < 0 and outer_status is None:
            outer_status = "killed"
            outer_message = f"the sandbox process was killed by signal {-proc.returncode}"
        return build_results(
            stdout.decode("utf-8", "replace"), request, backend=self.name, isolation=isolation,
            outer_status=outer_status, outer_message=outer_message,
            stderr=stderr.decode("utf-8", "replace"), wall_s=watch.elapsed,
        )


def _killpg(proc: subprocess.Popen[bytes]) -> None:
    """Kill the harness's whole session: its own group and the workers' groups in it."""
    for pid in _session_members(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


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


def _copy(request: RunRequest, **changes: Any) -> RunRequest:
    from dataclasses import replace

    return replace(request, **changes)
