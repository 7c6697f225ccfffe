"""One memory + pids cgroup per local sandbox run (cgroup v1 or v2, whichever the host has).

Every process of a run (the harness parent, its workers, anything they fork) is in ONE
cgroup, so a pool of workers shares one memory cap and one process cap, exactly like a
Docker container's. The cgroup is created below the caller's own cgroup (so it stays
inside whatever limits the caller already has), joined by the run's first process
before it forks anything, killed and removed after the run.

:func:`create` returns ``(cgroup, None)`` or ``(None, reason)``: a host without a
writable cgroup hierarchy (not root, no delegation) falls back to rlimits and the run's
``isolation`` says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

ROOT = "/sys/fs/cgroup"
PREFIX = "rbi-local-"


def _own_paths() -> dict[str, str]:
    """controller (or "" for the v2 unified hierarchy) -> this process's cgroup path."""
    out: dict[str, str] = {}
    with open("/proc/self/cgroup") as fh:
        for line in fh:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                out[c] = path
    return out


def _is_v2_root() -> bool:
    return os.path.exists(os.path.join(ROOT, "cgroup.controllers"))


class RunCgroup:
    """The run's cgroup directories (one per v1 controller, or one v2 directory)."""

    def __init__(self, version: int, dirs: dict[str, str]) -> None:
        self.version = version
        self.dirs = dirs  # "memory"/"pids" -> directory (the same one twice on v2)

    def _procs_files(self) -> list[str]:
        return sorted({os.path.join(d, "cgroup.procs") for d in self.dirs.values()})

    def join(self, pid: int) -> None:
        """Move ``pid`` in; it must not have forked yet (children follow at fork time)."""
        for path in self._procs_files():
            with open(path, "w") as fh:
                fh.write(str(pid))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self._procs_files():
            with contextlib.suppress(OSError), open(path) as fh:
                found.update(int(t) for t in fh.read().split())
        return sorted(found)

    def oom_kills(self) -> int:
        """How many processes the kernel OOM-killed in this cgroup."""
        d = self.dirs["memory"]
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            with open(os.path.join(d, name)) as fh:
                for line in fh:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def kill_all(self, budget_s: float = 5.0) -> int:
        """SIGKILL every process in the cgroup until it is empty (a process that forks
        while being killed is caught by the next pass). Returns how many were killed."""
        killed = 0
        if self.version == 2:
            with contextlib.suppress(OSError), open(os.path.join(self.dirs["memory"], "cgroup.kill"), "w") as fh:
                fh.write("1")
        end = time.monotonic() + budget_s
        while time.monotonic() < end:
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
            time.sleep(0.005)
        return killed

    def remove(self, budget_s: float = 2.0) -> bool:
        end = time.monotonic() + budget_s
        left = set(self.dirs.values())
        while left and time.monotonic() < end:
            for d in sorted(left):
                try:
                    os.rmdir(d)
                    left.discard(d)
                except FileNotFoundError:
                    left.discard(d)
                except OSError:
                    pass  # EBUSY while the last tasks finish exiting
            if left:
                time.sleep(0.01)
        return not left

    def describe(self, memory_mb: int, pids: int) -> str:
        return f"cgroup v{self.version}: memory {memory_mb} MB (swap included), {pids} pids for the whole run"


def _write(path: str, value: str) -> None:
    with open(path, "w") as fh:
        fh.write(value)


def _create_v1(name: str, memory_mb: int, pids: int) -> RunCgroup:
    own = _own_paths()
    dirs: dict[str, str] = {}
    try:
        for ctrl in ("memory", "pids"):
            base = os.path.join(ROOT, ctrl)
            if not os.path.isdir(base) or ctrl not in own:
                raise OSError(f"the cgroup v1 {ctrl} controller is not mounted at {base}")
            d = os.path.join(base + own[ctrl], name)
            os.mkdir(d, 0o755)
            dirs[ctrl] = d
        limit = str(memory_mb * 1024 * 1024)
        _write(os.path.join(dirs["memory"], "memory.limit_in_bytes"), limit)
        memsw = os.path.join(dirs["memory"], "memory.memsw.limit_in_bytes")
        if os.path.exists(memsw):
            _write(memsw, limit)
        _write(os.path.join(dirs["pids"], "pids.max"), str(pids))
    except OSError:
        RunCgroup(1, dirs).remove(0.5)
        raise
    return RunCgroup(1, dirs)


def _create_v2(name: str, memory_mb: int, pids: int) -> RunCgroup:
    own = _own_paths().get("", "/")
    errors = []
    # our own cgroup first (delegated subtree), then the root (root only)
    for parent in dict.fromkeys([ROOT + own.rstrip("/"), ROOT]):
        d = os.path.join(parent, name)
        try:
            with open(os.path.join(parent, "cgroup.subtree_control")) as fh:
                enabled = fh.read().split()
            if not {"memory", "pids"} <= set(enabled):
                _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +pids")
            os.mkdir(d, 0o755)
        except OSError as exc:
            errors.append(f"{parent}: {exc.strerror or exc}")
            continue
        cg = RunCgroup(2, {"memory": d, "pids": d})
        try:
            _write(os.path.join(d, "memory.max"), str(memory_mb * 1024 * 1024))
            with contextlib.suppress(FileNotFoundError):
                _write(os.path.join(d, "memory.swap.max"), "0")
            _write(os.path.join(d, "pids.max"), str(pids))
        except OSError as exc:
            cg.remove(0.5)
            errors.append(f"{d}: {exc.strerror or exc}")
            continue
        return cg
    raise OSError("; ".join(errors))


def create(run_id: str, memory_mb: int, pids: int) -> tuple[RunCgroup | None, str | None]:
    """The run's cgroup, or None and a sentence saying why not and what to do."""
    name = f"{PREFIX}{os.getpid()}-{run_id}"
    try:
        if _is_v2_root():
            return _create_v2(name, memory_mb, pids), None
        return _create_v1(name, memory_mb, pids), None
    except OSError as exc:
        return None, (f"no run cgroup ({exc}): memory and process limits are per process "
                      f"(rlimits); run as root or give this user a delegated cgroup "
                      f"(systemd-run --user --scope -p Delegate=yes ...)")


def sweep_stale() -> int:
    """Remove empty run cgroups left by callers that died (their pid is in the name)."""
    removed = 0
    own = _own_paths()
    bases = ([ROOT + own.get("", "/").rstrip("/"), ROOT] if _is_v2_root()
             else [os.path.join(ROOT, c) + own.get(c, "/").rstrip("/") for c in ("memory", "pids")])
    for base in dict.fromkeys(bases):
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for entry in names:
            if not entry.startswith(PREFIX):
                continue
            try:
                owner = int(entry[len(PREFIX):].split("-", 1)[0])
            except ValueError:
                continue
            if owner == os.getpid() or os.path.exists(f"/proc/{owner}"):
                continue
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(base, entry))
                removed += 1
    return removed
