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
import time
import weakref
from dataclasses import replace
from pathlib import Path
from typing import Any

from executor.backends.local import cgroup as local_cgroup
from executor.backends.local import jail as local_jail
from executor.backends.local.zygote import Spawned, Zygote, exchange
from executor.codec import Stopwatch, build_results, default_parallel, encode, new_run_id
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
    with what to install or set instead of falling back; ``off`` never uses it.

    ``prespawn`` (jailed, with ``reuse_interpreter``): after each run the next one for the
    same limits is made ahead of need (cgroup, fork, namespaces, a fresh uid; it has seen
    no request and serves exactly one), so a run then costs the exchange only."""

    name = "local"
    multi_frame = True  # takes RunRequest.frames (executor/multiframe.py)

    def __init__(self, python: str | None = None, isolate: bool = True, uid: int | None = None,
                 gid: int = 65534, reuse_interpreter: bool = True, jail: str | None = None,
                 prespawn: bool = True) -> None:
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
        self.prespawn = prespawn and self.jailed and reuse_interpreter
        self._ahead: dict[tuple[int, int, int], Prepared] = {}
        self._filling: set[tuple[int, int, int]] = set()
        self._ahead_lock = threading.Lock()
        self._closed = False
        # runs made ahead end with this instance, or at interpreter exit
        weakref.finalize(self, _finish_all, self._ahead, self._ahead_lock)

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
                  isolation: dict[str, Any], host: dict[str, float],
                  stream: StreamVerifier | None = None,
                  ) -> tuple[str | None, str, bytes, bytes, int | None]:
        """Run in a jailed child of the fork server, in its own cgroup and namespaces:
        one made ahead of need when it fits (see :class:`Prepared`), else one made now."""
        lim = request.limits
        key = limits_key(lim)
        t = time.perf_counter()
        run = self._take_prepared(key)
        if run is None:
            host["t_host_spawn"] = time.monotonic()
            run = self._prepare(cmd, key)
        host["acquire_s"] = time.perf_counter() - t
        isolation.update(run.isolation)
        isolation["prespawned"] = run.ahead
        try:
            host["t_host_sent"] = time.monotonic()
            run.exchanged = True  # exchange() closes the pipes, whatever happens
            stdout, stderr, timed_out = exchange(run.spawned, payload, deadline,
                                               stream.feed if stream else None)
            host["t_host_done"] = time.monotonic()
        finally:
            t = time.perf_counter()
            ooms = run.finish()
            host["teardown_s"] = time.perf_counter() - t
            if self.reuse_interpreter:
                self._refill(cmd, key)
        if timed_out:
            return ("timeout", f"the sandbox exceeded its {deadline:g} s wall-clock limit and was killed",
                    stdout, stderr, None)
        if ooms:
            return ("memory", f"the run's processes together exceeded its {lim.memory_mb} MB memory "
                              f"limit (cgroup OOM kill)", stdout, stderr, None)
        return None, "", stdout, stderr, None

    def _prepare(self, cmd: list[str], key: tuple[int, int, int]) -> Prepared:
        """A jailed run waiting for its request: the fork server's child, moved into a
        fresh cgroup, then told to build its namespaces (it has seen no request yet)."""
        memory_mb, pids, scratch_mb = key
        cg, why_not = local_cgroup.create(new_run_id(), memory_mb, pids)
        iso: dict[str, Any] = {"cgroup": cg.describe(memory_mb, pids) if cg else "none"}
        if cg is not None:
            iso["cgroup_id"] = os.path.basename(cg.dirs["memory"])  # made before the run_id
        if why_not:
            iso["cgroup_note"] = why_not
        uid = self.uid if self.uid is not None else _fresh_uid()
        jail = {"uid": uid, "gid": self.gid, "scratch_mb": scratch_mb, "pids": pids,
                "nproc_rlimit": cg is None and os.geteuid() == 0, "userns": os.geteuid() != 0}
        jailed_cmd = [*local_jail.bwrap_argv(self.python), *cmd]
        one_off = None
        if self.reuse_interpreter:
            zygote = _zygote(tuple(jailed_cmd), "/")
        else:
            zygote = one_off = Zygote(jailed_cmd, clean_env(JAIL_WORKDIR), "/")
        try:
            spawned = zygote.spawn({"workdir": "/tmp", "env": clean_env(JAIL_WORKDIR), "jail": jail})
        except BaseException:
            if one_off is not None:
                one_off.close()
            if cg is not None:
                cg.remove()
            raise
        run = Prepared(spawned, cg, iso, one_off)
        try:
            if cg is not None:
                try:
                    cg.join(spawned.pid)  # before the go byte: it has forked nothing yet
                except OSError as exc:
                    raise SandboxError(f"could not move the run into its cgroup: {exc}") from exc
            os.write(spawned.stdin, b"G")
        except BaseException:
            run.finish()
            raise
        return run

    def _take_prepared(self, key: tuple[int, int, int]) -> Prepared | None:
        with self._ahead_lock:
            run = self._ahead.pop(key, None)
        if run is not None and not run.alive():
            run.finish()
            return None
        if run is not None:
            run.ahead = True
        return run

    def _refill(self, cmd: list[str], key: tuple[int, int, int]) -> None:
        """Make the next run for these limits ahead of need, on a thread (its cost then
        overlaps whatever the caller does next: reading results, an LLM call)."""
        if not self.prespawn:
            return
        with self._ahead_lock:
            if key in self._ahead or key in self._filling or self._closed:
                return
            self._filling.add(key)

        def fill() -> None:
            run = None
            try:
                run = self._prepare(cmd, key)
            except Exception:  # noqa: BLE001 - never a traceback from a background refill
                pass  # the next run makes its own and reports why if it fails too
            with self._ahead_lock:
                self._filling.discard(key)
                if run is not None and not self._closed and key not in self._ahead:
                    self._ahead[key] = run
                    run = None
            if run is not None:
                run.finish()

        threading.Thread(target=fill, name="rbi-local-prespawn", daemon=True).start()

    def close(self) -> None:
        """End the runs made ahead of need (also done when this instance is collected and
        at interpreter exit)."""
        with self._ahead_lock:
            self._closed = True
        _finish_all(self._ahead, self._ahead_lock)

    def run(self, request: RunRequest) -> RunResult:
        single = replace(request, param_sets=None)
        return self.run_batch(single)[0]

    def run_batch(self, request: RunRequest, parallel: int | None = None) -> list[RunResult]:
        if not request.run_id:
            request.run_id = new_run_id()
        parallel = parallel or default_parallel(request)
        t = time.perf_counter()
        payload = encode(request, parallel)
        host: dict[str, float] = {"encode_s": time.perf_counter() - t}
        n_sets = len(request.all_param_sets())
        rounds = -(-n_sets // parallel)
        deadline = request.limits.timeout_s * rounds + STARTUP_SLACK_S
        as_root = os.geteuid() == 0
        cmd = [self.python, "-I", "-c", BOOT, PACKAGE_ROOT]
        isolation: dict[str, Any] = {"backend": "local", "env": "empty", "workdir": "temp, removed",
                                     "process_group_kill": True}
        watch = Stopwatch()
        stream = StreamVerifier(request)  # replays each result as it arrives
        if self.jailed:
            isolation.update(jail="bwrap", sweep="pid namespace + cgroup kill")
            outer_status, outer_message, stdout, stderr, rc = self._via_jail(
                request, cmd, payload, deadline, isolation, host, stream)
        else:
            uid = self.uid if self.uid is not None else _fresh_uid()
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
        results = build_results(
            stdout.decode("utf-8", "replace"), request, backend=self.name, isolation=isolation,
            outer_status=outer_status, outer_message=outer_message,
            stderr=stderr.decode("utf-8", "replace"), wall_s=watch.elapsed, stream=stream,
        )
        for r in results:
            r.timings.update(host)
        return results


def limits_key(lim: Any) -> tuple[int, int, int]:
    """What a run made ahead of need is fixed to: its cgroup's memory and pids, its scratch."""
    return int(lim.memory_mb), int(lim.pids), int(lim.scratch_mb)


class Prepared:
    """One jailed run: its process (the fork server's child), its cgroup, the isolation
    it reports. Serves one request; :meth:`finish` ends it and removes the cgroup."""

    def __init__(self, spawned: Spawned, cg: local_cgroup.RunCgroup | None,
                 isolation: dict[str, Any], one_off: Zygote | None) -> None:
        self.spawned, self.cg, self.isolation, self.one_off = spawned, cg, isolation, one_off
        self.ahead = False
        self.done = False
        self.exchanged = False

    def alive(self) -> bool:
        try:
            os.kill(self.spawned.pid, 0)
            return True
        except OSError:
            return False

    def finish(self) -> int:
        """Kill the run (its process outside the pid namespace: the namespace's init has
        PDEATHSIG, so everything inside dies with it; the cgroup catches the rest) and
        return the cgroup's OOM kills. Emptying and removing the cgroup waits for the
        kernel to reap the processes: that happens on a thread, off the caller's path."""
        if self.done:
            return 0
        self.done = True
        if not self.exchanged:
            for fd in (self.spawned.stdin, self.spawned.stdout, self.spawned.stderr):
                os.close(fd)
        try:
            os.kill(self.spawned.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.one_off is not None:
            self.one_off.close()
        cg = self.cg
        if cg is None:
            return 0
        cg.kill_all(budget_s=0.0)  # cgroup.kill (v2) now; the sweep below finishes it
        ooms = cg.oom_kills()

        def sweep() -> None:
            cg.kill_all()
            cg.remove()

        threading.Thread(target=sweep, name="rbi-local-cgroup-sweep", daemon=True).start()
        return ooms


def _finish_all(ahead: dict[Any, Prepared], lock: threading.Lock) -> None:
    with lock:
        runs = list(ahead.values())
        ahead.clear()
    for run in runs:
        run.finish()


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
