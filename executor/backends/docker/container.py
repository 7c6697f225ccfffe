"""One sandbox container: created, attached, started, fed ONE request, removed.

The container command imports the engine (numpy, pandas, backtesting, talib) and THEN
runs the harness, which blocks reading its request on stdin. So a container started
ahead of need (see :mod:`executor.backends.docker.pool`) has paid its start-up and import cost
before any strategy code exists; a container started on demand loses nothing, since the
harness would import the same modules right after reading anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from executor.backends.docker.image import SANDBOX_USER
from executor.backends.docker.orphans import owner_labels
from executor.backends.docker.stream import WARM_MARKER, Captured, Demux
from executor.errors import SandboxError
from executor.types import Limits

# stdout is parked on /dev/null while importing, so nothing an import prints can reach
# the result channel; then the unchanged harness entry point takes over and reports the
# container ready once its first worker is forked too (``READY``: that fork is then off
# the path of a request sent the moment the container is ready). ``t_py_start`` and
# ``t_preimported`` (``time.monotonic()``, the host's clock too) show a cold run's
# interpreter start and imports as phases (bench/phases.py).
# -I (isolated): no working directory (/tmp, which strategy code can write) and no
# PYTHON* variables on the path, so a /tmp/<module>.py never shadows a harness import.
# The harness's own directory is added explicitly (PYTHONPATH is ignored under -I).
HARNESS_ROOT = "/opt/rbi"


def harness_cmd(lean: bool) -> list[str]:
    """The container's command. ``lean``: a one-shot container, started for a request
    already on its way, imports only what every run needs (see
    :func:`executor.harness.preload.preimport`); a warm one imports everything first."""
    script = (
        "import time\n"
        "t_py_start = time.monotonic()\n"
        f"import os, sys\nsys.path.insert(0, {HARNESS_ROOT!r})\n"
        "saved = os.dup(1); os.dup2(os.open(os.devnull, os.O_WRONLY), 1)\n"
        "from executor.harness.protocol import STAMPS, stamp\n"
        "STAMPS['t_py_start'] = t_py_start\n"
        f"from executor.harness.preload import preimport; preimport(lean={bool(lean)})\n"
        "stamp('preimported')\n"
        "os.dup2(saved, 1); os.close(saved)\n"
        "import executor.harness.parent as hp\n"
        f"hp.READY = lambda: os.write(2, {WARM_MARKER!r})\n"
        "from executor.harness.__main__ import exit_now, main\n"
        "exit_now(main(sys.argv[1:]))\n"
    )
    return ["python", "-I", "-c", script]


DRAIN_S = 10.0
NOFILE = 1024
SHM_MB = 16


class Container:
    """Never serves a second request: :meth:`exchange` raises if called twice."""

    def __init__(self, api: Any, image: str, limits: Limits, run_id: str, budget_s: float,
                 code_sha256: str = "", lean: bool = False) -> None:
        self.api = api
        self.lean = lean  # a one-shot container: see harness_cmd
        self.image = image
        self.limits = limits
        self.run_id = run_id
        self.budget_s = budget_s
        self.planned_code = code_sha256
        self.id = ""
        self.sock: Any = None
        self.demux: Demux | None = None
        self.code_sha256: str | None = None
        self.exit_code: int | None = None
        self.oom_killed = False
        self.started_at = 0.0
        self.timings: dict[str, float] = {}

    def _mark(self, key: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[key] = now - since
        return now

    def config(self) -> dict[str, Any]:
        lim = self.limits
        mem = f"{int(lim.memory_mb)}m"
        fsize = int(lim.scratch_mb) * 1024 * 1024
        host_config = self.api.create_host_config(
            network_mode="none",
            mem_limit=mem,
            memswap_limit=mem,
            nano_cpus=int(lim.cpus * 1e9) if lim.cpus else None,
            pids_limit=int(lim.pids),
            read_only=True,
            # a tmpfs *mount* (Docker mounts it nosuid,nodev,noexec): the same /tmp as
            # HostConfig.Tmpfs "rw,nosuid,nodev,noexec,size=..,mode=1777", but the
            # container starts ~20-40 ms sooner (measured: bench/bench_docker_start.py)
            mounts=[{"Target": "/tmp", "Type": "tmpfs", "ReadOnly": False, "TmpfsOptions": {
                "SizeBytes": int(lim.scratch_mb) * 1024 * 1024, "Mode": 0o1777}}],
            shm_size=f"{SHM_MB}m",
            ipc_mode="private",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            ulimits=[
                {"Name": "nofile", "Soft": NOFILE, "Hard": NOFILE},
                {"Name": "fsize", "Soft": fsize, "Hard": fsize},
                {"Name": "core", "Soft": 0, "Hard": 0},
            ],
            log_config={"Type": "none", "Config": {}},
            oom_score_adj=500,
            auto_remove=False,
        )
        labels = owner_labels(self.budget_s)
        labels["rbi.run_id"] = self.run_id
        if self.planned_code:
            labels["rbi.code_sha256"] = self.planned_code
        return {
            "image": self.image,
            "command": harness_cmd(self.lean),
            "user": SANDBOX_USER,
            "working_dir": "/tmp",
            "hostname": "sandbox",
            "stdin_open": True,  # docker-py also sets StdinOnce: our EOF closes its stdin
            "tty": False,
            "network_disabled": True,
            "labels": labels,
            "host_config": host_config,
        }

    def start(self) -> Container:
        t = time.perf_counter()
        try:
            created = self.api.create_container(**self.config())
        except Exception as exc:  # noqa: BLE001
            raise SandboxError(f"could not create a sandbox container from {self.image}: "
                               f"{short(exc)}") from exc
        self.id = created["Id"]
        t = self._mark("docker_create_s", t)
        try:
            # attach before start, so not one byte of output can be missed
            self.sock = self.api.attach_socket(
                self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self.demux = Demux(self.sock)
            t = self._mark("docker_attach_s", t)
            self.api.start(self.id)
        except Exception as exc:  # noqa: BLE001
            self.remove()
            raise SandboxError(f"could not start sandbox container {self.id[:12]}: {short(exc)}") from exc
        self._mark("docker_start_s", t)
        self.timings["t_docker_started"] = time.monotonic()
        self.started_at = time.monotonic()
        return self

    def wait_warm(self, timeout_s: float) -> Container:
        """Block until the engine is imported inside (the container then waits on stdin)."""
        t = time.perf_counter()
        assert self.demux is not None
        if not self.demux.wait_warm(time.monotonic() + timeout_s):
            err = bytes(self.demux.out.stderr[-1500:]).decode("utf-8", "replace").strip()
            self.remove()
            raise SandboxError(f"sandbox container did not get ready within {timeout_s:g} s"
                               + (f": {err}" if err else ""))
        self._mark("docker_warm_s", t)
        self.started_at = time.monotonic()
        return self

    def exchange(self, code_sha256: str, payload: bytes, deadline: float, cap: int,
                 on_stdout: Callable[[bytes], None] | None = None) -> Captured:
        """Send the ONE request this container will ever see; read what comes back."""
        if self.code_sha256 is not None:
            raise SandboxError(
                f"container {self.id[:12]} already ran code {self.code_sha256[:12]}; a container "
                f"never serves a second request (got {code_sha256[:12]})")
        if self.planned_code and self.planned_code != code_sha256:
            raise SandboxError(f"container {self.id[:12]} was made for code {self.planned_code[:12]}, "
                               f"not {code_sha256[:12]}")
        self.code_sha256 = code_sha256
        t = time.perf_counter()
        assert self.demux is not None
        try:
            self.demux.send(payload, deadline)
        except OSError:
            pass  # the harness died before reading everything: its output says why
        captured = self.demux.read_output(deadline, cap, on_stdout)
        self._mark("docker_exchange_s", t)
        if captured.stdout_first_byte_s is not None:
            self.timings["docker_first_result_s"] = captured.stdout_first_byte_s
        return captured

    def finish(self) -> tuple[str | None, str]:
        """After EOF: the exit status, and whether the kernel OOM-killed the container."""
        t = time.perf_counter()
        try:
            self.exit_code = int(self.api.wait(self.id, timeout=30)["StatusCode"])
        except Exception:  # noqa: BLE001 - stuck after closing stdout: kill it
            self.kill()
            return "killed", "the sandbox did not exit after closing its output"
        state = self.api.inspect_container(self.id).get("State") or {}
        self.oom_killed = bool(state.get("OOMKilled"))
        self._mark("docker_wait_s", t)
        if self.oom_killed:
            return "memory", (f"the sandbox was killed by the kernel OOM killer "
                              f"(memory limit {self.limits.memory_mb} MB)")
        if self.exit_code == 137:
            return "killed", "the sandbox was killed (SIGKILL)"
        return None, ""

    def kill(self) -> None:
        try:
            self.api.kill(self.id)
        except Exception:  # noqa: BLE001 - already stopped
            pass

    def remove(self) -> None:
        """Kill and remove; idempotent; raises only if the daemon refuses to remove it.

        A container whose output was not read to the end (output cap, deadline, an
        error) is killed first and its attach stream drained: removing it while the
        daemon still holds undelivered output blocks until the client times out."""
        t = time.perf_counter()
        if self.demux is not None and not self.demux.eof and self.id:
            # the daemon answers the kill only once the container's output is delivered:
            # kill on a thread while this one drains, or both wait on each other
            end = time.monotonic() + DRAIN_S
            killer = threading.Thread(target=self.kill, name="rbi-docker-kill", daemon=True)
            killer.start()
            if not self.demux.drain(end):
                self.timings["docker_drain_timeout_s"] = DRAIN_S
            killer.join(max(0.0, end - time.monotonic()))
            t = self._mark("docker_kill_drain_s", t)
        if self.demux is not None:
            try:
                self.demux.sock.close()
            except OSError:
                pass
        self.sock = self.demux = None
        if self.id:
            for attempt in range(5):
                try:
                    self.api.remove_container(self.id, force=True)
                    break
                except Exception as exc:  # noqa: BLE001
                    text = str(exc)
                    if "No such container" in text:
                        break
                    if "already in progress" in text and attempt < 4:
                        time.sleep(0.2)
                        continue
                    raise SandboxError(f"could not remove sandbox container {self.id[:12]}: "
                                       f"{short(exc)}") from exc
        self._mark("docker_remove_s", t)

    def isolation(self, image_id: str) -> dict[str, Any]:
        lim = self.limits
        return {
            "backend": "docker",
            "image": self.image,
            "image_id": image_id[:19],
            "container": self.id[:12],
            "network": "none",
            "memory_mb": lim.memory_mb,
            "memswap_mb": lim.memory_mb,
            "cpus": lim.cpus,
            "pids": lim.pids,
            "readonly_root": True,
            "scratch": f"/tmp tmpfs {lim.scratch_mb} MB noexec; /dev/shm {SHM_MB} MB",
            "cap_drop": "ALL",
            "no_new_privileges": True,
            "seccomp": "docker default",
            "user": SANDBOX_USER,
            "ulimits": {"nofile": NOFILE, "fsize_mb": lim.scratch_mb, "core": 0},
            "env": "image defaults only",
            "log_driver": "none",
            "oom_killed": self.oom_killed,
            "exit_code": self.exit_code,
        }


def short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
