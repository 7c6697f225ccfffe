"""LocalSandbox: the embedded default when Docker is absent.

With bubblewrap (the default when it works here): a pre-imported fork server runs in a
bwrap jail holding only /usr, the interpreter, its site-packages and ``executor/``
(:mod:`executor.backends.local.jail`); each run is a child of it that the host moves into the
run's own memory + pids cgroup (:mod:`executor.backends.local.cgroup`) and that then enters fresh
pid, mount, IPC, UTS and network namespaces under a reaping pid-1 init, with private
tmpfs /tmp and /dev/shm and a uid of its own (:mod:`executor.harness.runjail`). When the
harness exits the namespace dies with everything in it; the host then empties and
removes the cgroup.

Without it (``isolation.jail == "none"``, with ``jail_note`` saying how to get it): one
process per run (``python -I``, empty environment, fresh temp working directory, its own
session) that isolates itself (see :mod:`executor.harness.isolate`): network + mount
namespaces, read-only mounts, private tmpfs scratch, an unprivileged uid as root.
Either way rlimits on address space, CPU seconds, file size and open files apply to the
strategy processes.
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

from executor.backends.local import cgroup as local_cgroup
from executor.backends.local import jail as local_jail
from executor.backends.local.zygote import Zygote, exchange
from executor.codec import Stopwatch, build_results, default_parallel, encode
from executor.errors import ConfigError, SandboxError, SandboxUnavailable
from executor.types import RunRequest, RunResult
from executor.verify_stream import StreamVerifier

PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
BOOT = (
    "import sys; root = sys.argv.pop(1); sys.path.insert(0, root); "
    "from executor.harness.__main__ import main; sys.exit(main(sys.argv[1:]))"
)
STARTUP_SLACK_S = 30.0
JAIL_WORKDIR = "/tmp/work"  # inside the run's private /tmp
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


JAIL_MODES = ("auto", "require", "off")


class LocalSandbox:
    """``jail``: ``auto`` (default; ``RBI_LOCAL_JAIL``) runs in the bubblewrap jail when
    it works here and otherwise falls back to the in-process namespaces + rlimits,
    saying so in ``RunResult.isolation``; ``require`` raises :class:`SandboxUnavailable`
    with what to install or set instead of falling back; ``off`` never uses it."""

    name = "local"

    def __init__(self, python: str | None = None, isolate: bool = True, uid: int | None = None,
                 gid: int = 65534, reuse_interpreter: bool = True, jail: str | None = None) -> None:
        self.python = python or sys.executable
        self.isolate = isolate
        self.uid, self.gid = uid, gid
        self.reuse_interpreter = reuse_interpreter
        mode = jail or os.environ.get("RBI_LOCAL_JAIL") or "auto"
        if mode not in JAIL_MODES:
            raise ConfigError(f"RBI_LOCAL_JAIL / jail={mode!r}: choose one of {', '.join(JAIL_MODES)}")
        self.jail_mode = mode if isolate else "off"
        self.jail_problem = local_jail.probe(self.python) if self.jail_mode != "off" else "jail off"
        if self.jail_mode == "require" and self.jail_problem:
            raise SandboxUnavailable(f"the local sandbox's jail is required but unusable: "
                                     f"{self.jail_problem}")
        if self.jail_problem is None:
            local_cgroup.sweep_stale()

    @property
    def jailed(self) -> bool:
        return self.jail_problem is None

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
                    iso: dict[str, Any] | None, stream: StreamVerifier | None = None,
                    ) -> tuple[str | None, str, bytes, bytes, int | None]:
        """Fork a pre-imported interpreter (see executor/harness/zygote.py)."""
        zygote = _zygote(tuple(cmd))
        spawned = zygote.spawn({"workdir": workdir, "env": clean_env(workdir),
                                "isolate": iso})
        try:
            stdout, stderr, timed_out = exchange(spawned, payload, deadline,
                                                 stream.feed if stream else None)
        finally:
            _kill_session(spawned.pid)
        if timed_out:
            return ("timeout", f"the sandbox exceeded its {deadline:g} s wall-clock limit and was killed",
                    stdout, stderr, None)
        return None, "", stdout, stderr, None

    def _via_jail(self, request: RunRequest, cmd: list[str], payload: bytes, deadline: float,
                  uid: int, isolation: dict[str, Any], stream: StreamVerifier | None = None,
                  ) -> tuple[str | None, str, bytes, bytes, int | None]:
        """Fork the jailed fork server's child into its own cgroup and namespaces."""
        lim = request.limits
        cg, why_not = local_cgroup.create(request.run_id, int(lim.memory_mb), int(lim.pids))
        isolation["cgroup"] = cg.describe(int(lim.memory_mb), int(lim.pids)) if cg else "none"
        if why_not:
            isolation["cgroup_note"] = why_not
        jail = {"uid": uid, "gid": self.gid, "scratch_mb": lim.scratch_mb, "pids": lim.pids,
                "nproc_rlimit": cg is None and os.geteuid() == 0, "userns": os.geteuid() != 0}
        jailed_cmd = [*local_jail.bwrap_argv(self.python), *cmd]
        if self.reuse_interpreter:
            zygote, one_off = _zygote(tuple(jailed_cmd), "/"), False
        else:
            zygote, one_off = Zygote(jailed_cmd, clean_env(JAIL_WORKDIR), "/"), True
        try:
            spawned = zygote.spawn({"workdir": "/tmp", "env": clean_env(JAIL_WORKDIR), "jail": jail})
            try:
                if cg is not None:
                    try:
                        cg.join(spawned.pid)  # before the go byte: it has forked nothing yet
                    except OSError as exc:
                        raise SandboxError(f"could not move the run into its cgroup: {exc}") from exc
                stdout, stderr, timed_out = exchange(spawned, b"G" + payload, deadline,
                                                     stream.feed if stream else None)
            finally:
                _kill_session(spawned.pid)
                if cg is not None:
                    cg.kill_all()
        finally:
            if one_off:
                zygote.close()
            ooms = cg.oom_kills() if cg is not None else 0
            if cg is not None and not cg.remove():
                isolation["cgroup_note"] = "the run's cgroup could not be removed yet"
        if timed_out:
            return ("timeout", f"the sandbox exceeded its {deadline:g} s wall-clock limit and was killed",
                    stdout, stderr, None)
        if ooms:
            return ("memory", f"the run's processes together exceeded its {lim.memory_mb} MB memory "
                              f"limit (cgroup OOM kill)", stdout, stderr, None)
        return None, "", stdout, stderr, None

    def run(self, request: RunRequest) -> RunResult:
        single = replace(request, param_sets=None)
        return self.run_batch(single)[0]

    def run_batch(self, request: RunRequest, parallel: int | None = None) -> list[RunResult]:
        if not request.run_id:
            from executor.codec import new_run_id

            request.run_id = new_run_id()
        parallel = parallel or default_parallel(request)
        payload = encode(request, parallel)
        n_sets = len(request.all_param_sets())
        rounds = -(-n_sets // parallel)
        deadline = request.limits.timeout_s * rounds + STARTUP_SLACK_S
        as_root = os.geteuid() == 0
        uid = self.uid if self.uid is not None else _fresh_uid()
        cmd = [self.python, "-I", "-c", BOOT, PACKAGE_ROOT]
        isolation: dict[str, Any] = {"backend": "local", "env": "empty", "workdir": "temp, removed",
                                     "process_group_kill": True}
        watch = Stopwatch()
        stream = StreamVerifier(request)  # replays each result as it arrives
        if self.jailed:
            isolation.update(jail="bwrap", sweep="pid namespace + cgroup kill")
            outer_status, outer_message, stdout, stderr, rc = self._via_jail(
                request, cmd, payload, deadline, uid, isolation, stream)
        else:
            isolation["jail"] = "none"
            if self.isolate:
                isolation["jail_note"] = (f"no bubblewrap jail ({self.jail_problem}); set "
                                          f"RBI_LOCAL_JAIL=require to refuse running without it")
            workdir = tempfile.mkdtemp(prefix="rbi-run-")
            os.chmod(workdir, 0o700)
            if as_root and self.isolate:
                os.chown(workdir, uid, self.gid)
            iso = {"uid": uid, "gid": self.gid, "scratch_mb": request.limits.scratch_mb,
                   "pids": request.limits.pids} if self.isolate else None
            try:
                if self.reuse_interpreter:
                    outer_status, outer_message, stdout, stderr, rc = self._via_zygote(
                        workdir, cmd, payload, deadline, iso, stream)
                else:
                    outer_status, outer_message, stdout, stderr, rc = self._via_popen(
                        workdir, cmd, payload, deadline, iso)
            finally:
                if iso and as_root:
                    _kill_uid(uid)  # anything that left the session still runs as this run's uid
                shutil.rmtree(workdir, ignore_errors=True)
        if not self.isolate:
            isolation["notes"] = ["isolation disabled by the caller"]
        if rc is not None and rc < 0 and outer_status is None:
            outer_status = "killed"
            outer_message = f"the sandbox process was killed by signal {-rc}"
        return build_results(
            stdout.decode("utf-8", "replace"), request, backend=self.name, isolation=isolation,
            outer_status=outer_status, outer_message=outer_message,
            stderr=stderr.decode("utf-8", "replace"), wall_s=watch.elapsed, stream=stream,
        )


def _fresh_uid() -> int:
    """A uid of its own per run (no passwd entry, no files anywhere): the process limit
    (RLIMIT_NPROC counts per uid) and any same-uid /proc access stay within this run."""
    return UID_BASE + secrets.randbelow(UID_SPAN)


_ZYGOTES: dict[tuple[str, ...], Zygote] = {}
_ZYGOTES_LOCK = threading.Lock()


def _zygote(cmd: tuple[str, ...], cwd: str | None = None) -> Zygote:
    with _ZYGOTES_LOCK:
        if cmd not in _ZYGOTES:
            if cwd is None:
                home = tempfile.mkdtemp(prefix="rbi-zygote-")
                os.chmod(home, 0o755)
            else:
                home = cwd
            _ZYGOTES[cmd] = Zygote(list(cmd), clean_env(JAIL_WORKDIR if cwd else home), home)
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
