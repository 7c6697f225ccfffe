"""DockerSandbox: one throw-away container per run (or per batch of ONE code version).

The container runs the harness baked into the image (see docker/sandbox.Dockerfile)
with no network, a read-only root, a size-capped noexec tmpfs for scratch, all
capabilities dropped, ``no-new-privileges``, a non-root uid, memory (swap equal), CPU,
pids, nofile and fsize limits, and no logging driver (see
:mod:`executor.backends.docker.container`). The request (code + data) goes in on stdin through
the attach socket and the results come back on the container's stdout, which only the
trusted harness parent writes: no bind mounts, no host paths, so this also works when
the caller is itself a container holding only the docker socket. Every container is
removed: once all results are in, on a thread off the caller's path (:func:`settle`
waits for those), else in ``finally``; orphans of crashed callers are removed at
start-up (see :mod:`executor.backends.docker.orphans`).

``warm=N`` (or ``RBI_DOCKER_WARM=N``) keeps N containers started ahead of need with the
engine imported (see :mod:`executor.backends.docker.pool`): a single run then costs the
backtest plus the exchange.

``reuse=True`` (the research loop's default, ``RBI_DOCKER_REUSE``) keeps a container
after a clean response for the next request of the SAME code version, reset in between
(see :mod:`executor.backends.docker.reuse`).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from typing import Any

from executor.backends.docker.container import Container, short
from executor.backends.docker.image import HARNESS_LABEL, default_image, harness_sha256
from executor.backends.docker.orphans import cleanup_orphans
from executor.backends.docker.pool import WarmPool
from executor.backends.docker.reuse import ReusedContainer, ReusePool, clean, idle_default
from executor.backends.docker.stream import Captured
from executor.codec import build_results, default_parallel, encode, new_run_id
from executor.errors import ConfigError, SandboxError, SandboxUnavailable
from executor.types import Limits, RunRequest, RunResult
from executor.verify_stream import StreamVerifier

STARTUP_SLACK_S = 30.0
WARM_READY_S = 120.0  # a warm container must finish its imports within this
WARM_WAIT_S = 20.0  # a warm container on its way beats starting a cold one
RESULT_CAP_BASE = 16 * 1024 * 1024
RESULT_CAP_PER_SET = 2 * 1024 * 1024
RESULT_CAP_PER_PLOT = 16 * 1024 * 1024

_swept: set[str] = set()
_swept_lock = threading.Lock()


def warm_default() -> int:
    """``RBI_DOCKER_WARM``: how many containers a DockerSandbox keeps started ahead of
    need when the caller does not say (0: every run starts its own container)."""
    text = os.environ.get("RBI_DOCKER_WARM", "").strip() or "0"
    try:
        n = int(text)
    except ValueError:
        raise ConfigError(f"RBI_DOCKER_WARM={text!r}: give a whole number of containers "
                          f"(0 = none started ahead, 1 = the next run's)") from None
    if n < 0:
        raise ConfigError(f"RBI_DOCKER_WARM={n}: give 0 or more containers")
    return n


def daemon_url() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def result_cap(request: RunRequest) -> int:
    """Most stdout bytes the harness may send for this request before it is cut off."""
    n = len(request.all_param_sets())
    per_set = RESULT_CAP_PER_SET + (RESULT_CAP_PER_PLOT if request.plot else 0)
    return RESULT_CAP_BASE + n * per_set


class DockerSandbox:
    """The ``docker`` backend. Raises :class:`SandboxUnavailable` when it cannot work."""

    name = "docker"
    multi_frame = True  # takes RunRequest.frames (executor/multiframe.py)

    def __init__(self, image: str | None = None, client: Any = None, *, warm: int | None = None,
                 check_harness: bool = True, cleanup: bool = True,
                 orphan_grace_s: float = 600.0, max_idle_s: float = 300.0,
                 rlimit_as: bool = True, reuse: bool = False,
                 reuse_idle: int | None = None) -> None:
        """``rlimit_as=False`` leaves memory to the container's cgroup alone (the harness
        then does not set RLIMIT_AS on strategy processes; the kernel OOM-kills instead).
        ``warm``: containers kept started ahead (default ``RBI_DOCKER_WARM``, else 0).
        ``reuse``: keep containers for more requests of the same code version (at most
        ``reuse_idle`` idle, default 4 per CPU: an idle one holds ~50 MB and no CPU)."""
        warm = warm_default() if warm is None else warm
        self.image = image or default_image()
        self.rlimit_as = rlimit_as
        self.client = client or _connect()
        self.api = self.client.api
        try:
            self.api.ping()
        except Exception as exc:  # noqa: BLE001 - any failure means: not usable
            raise SandboxUnavailable(_daemon_down(exc)) from exc
        try:
            info = self.api.inspect_image(self.image)
        except Exception as exc:  # noqa: BLE001 - ImageNotFound, or an API error
            raise SandboxUnavailable(
                f"image {self.image} not found: run `make image` (bash docker/build.sh) "
                f"or use --backend local ({short(exc)})") from exc
        self.image_id = str(info.get("Id", ""))
        labels = (info.get("Config") or {}).get("Labels") or {}
        baked = labels.get(HARNESS_LABEL, "")
        if check_harness and baked != harness_sha256():
            raise SandboxUnavailable(
                f"image {self.image} is stale: its harness ({baked[:12] or 'unlabelled'}) is not "
                f"this checkout's ({harness_sha256()[:12]}): run `make image` (bash docker/build.sh)")
        self.image_version = labels.get("rbi.version", "")
        self.orphan_grace_s = orphan_grace_s
        self.max_idle_s = max_idle_s
        if cleanup:
            with _swept_lock:
                if daemon_url() not in _swept:
                    _swept.add(daemon_url())
                    self.cleanup_orphans()
        self.pool = WarmPool(self._make_warm, warm, max_idle_s) if warm > 0 else None
        if self.pool is not None:
            self.pool.warm(Limits())
        self.reuse = (ReusePool(reuse_idle if reuse_idle is not None else idle_default(),
                                discard=remove_later) if reuse else None)

    # ------------------------------------------------------------------ public
    def cleanup_orphans(self) -> list[str]:
        """Remove sandbox containers whose owner process is gone (or overdue)."""
        return cleanup_orphans(self.api, self.orphan_grace_s)

    def close(self) -> None:
        """Remove the warm containers (also done at interpreter exit) and wait for the
        removals still under way."""
        if self.pool is not None:
            self.pool.close()
        if self.reuse is not None:
            self.reuse.close()
        settle()

    def run(self, request: RunRequest) -> RunResult:
        return self.run_batch(replace(request, param_sets=None))[0]

    def run_batch(self, request: RunRequest, parallel: int | None = None) -> list[RunResult]:
        """All parameter sets of ONE code version in ONE container, results in order."""
        if not request.run_id:
            request.run_id = new_run_id()
        parallel = parallel or default_parallel(request)
        t = time.perf_counter()
        payload = encode(request, parallel, self.rlimit_as)
        host: dict[str, float] = {"encode_s": time.perf_counter() - t}
        t = time.perf_counter()
        rounds = -(-len(request.all_param_sets()) // parallel)
        budget = request.limits.timeout_s * rounds + STARTUP_SLACK_S
        key = (request.code_sha256, request.limits, self.image_id)
        box, warm, reused = self._acquire(request, key, budget, rounds)
        t0 = time.perf_counter()
        outer_status: str | None = None
        outer_message = ""
        captured = Captured()
        stream = StreamVerifier(request)  # replays each result as it arrives
        try:
            if not (warm or reused):
                box.start()
            host["acquire_s"] = time.perf_counter() - t
            cap = result_cap(request)
            host["t_host_sent"] = time.monotonic()
            captured = box.exchange(request.code_sha256, payload, time.monotonic() + budget, cap,
                                    stream.feed)
            if reused and captured.outcome == "eof" and not captured.stdout:
                # the idle container died before it read a byte: nothing ran, start afresh
                box.remove()
                box, warm, reused = self._acquire(request, None, budget, rounds)
                if not warm:
                    box.start()
                stream = StreamVerifier(request)
                captured = box.exchange(request.code_sha256, payload, time.monotonic() + budget,
                                        cap, stream.feed)
            host["t_host_done"] = time.monotonic()
            if captured.outcome == "deadline":
                outer_status = "timeout"
                outer_message = f"the sandbox exceeded its {budget:g} s wall-clock limit and was killed"
            elif captured.outcome == "cap":
                outer_status = "output_limit"
                outer_message = f"the sandbox sent more than {cap} bytes of results and was killed"
            elif captured.outcome == "eof":
                outer_status, outer_message = box.finish()
        finally:
            timings = dict(box.timings)  # the removal's own are not this run's
            if captured.outcome != "done":
                box.remove()
        isolation = box.isolation(self.image_id)
        isolation["warm_start"] = warm
        isolation["reused_container"] = reused
        results: list[RunResult] | None = None
        try:
            results = build_results(
                captured.stdout.decode("utf-8", "replace"), request, backend=self.name,
                isolation=isolation, outer_status=outer_status, outer_message=outer_message,
                stderr=captured.stderr.decode("utf-8", "replace"), wall_s=time.perf_counter() - t0,
                stream=stream,
            )
        finally:
            if captured.outcome == "done":  # every result is in: keep it, or remove off-path
                self._release(key, box, captured, results)
        for r in results:
            r.timings.update(host)
            r.timings.update(timings if not (warm or reused) else {
                k: v for k, v in timings.items() if k not in ("docker_create_s", "docker_attach_s",
                                                                  "docker_start_s")})
        if warm and self.pool is not None:
            self.pool.refill()  # the next warm container starts after this run, not during it
        return results

    def _acquire(self, request: RunRequest, key: tuple[str, Limits, str] | None, budget: float,
                 rounds: int) -> tuple[Container, bool, bool]:
        """(container, warm, reused): an idle reused one of ``key``, else a warm one,
        else a new one (reusable when reuse is on), not started."""
        box = self.reuse.take(key) if self.reuse is not None and key and key[0] else None
        if box is not None:
            return box, False, True
        warm = self.pool.take(request.limits, WARM_WAIT_S, refill=False) if (
            self.pool is not None and rounds == 1) else None
        if warm is not None:
            return warm, True, False
        if self.reuse is not None and request.code_sha256:
            lifetime = budget + self.reuse.max_requests * (budget + self.reuse.max_idle_s)
            return ReusedContainer(self.api, self.image, request.limits, request.run_id, lifetime,
                                   request.code_sha256), False, False
        return Container(self.api, self.image, request.limits, request.run_id, budget,
                         request.code_sha256), False, False

    def _release(self, key: tuple[str, Limits, str], box: Container, captured: Captured,
                 results: list[RunResult] | None) -> None:
        """After a complete response: a reused container whose response was clean goes
        back idle for its code version; any other is removed off the caller's path."""
        if (self.reuse is not None and isinstance(box, ReusedContainer) and results is not None
                and clean(captured, results)):
            self.reuse.give_back(key, box)
        else:
            remove_later(box)

    def _make_warm(self, limits: Limits) -> Container:
        budget = self.max_idle_s + limits.timeout_s + STARTUP_SLACK_S
        box = Container(self.api, self.image, limits, f"warm-{new_run_id()}", budget).start()
        return box.wait_warm(WARM_READY_S)


_removing: set[threading.Thread] = set()


def remove_later(box: Container) -> None:
    """Kill and remove ``box`` on a thread. The thread is not a daemon: the interpreter
    waits for it at exit, so no container outlives a clean exit (the orphan sweep gets
    those of a crash)."""
    def work() -> None:
        try:
            box.remove()
        except SandboxError:
            pass  # the orphan sweep removes it later
        finally:
            with _swept_lock:
                _removing.discard(threading.current_thread())

    thread = threading.Thread(target=work, name=f"rbi-docker-remove-{box.id[:12]}")
    with _swept_lock:
        _removing.add(thread)
    thread.start()


def settle(timeout_s: float = 60.0) -> bool:
    """Wait until every container finished runs handed to :func:`remove_later` is gone."""
    end = time.monotonic() + timeout_s
    while True:
        with _swept_lock:
            pending = list(_removing)
        if not pending:
            return True
        if time.monotonic() >= end:
            return False
        pending[0].join(max(0.0, end - time.monotonic()))


def _daemon_down(exc: BaseException) -> str:
    return (f"Docker daemon not reachable at {daemon_url()}: start it "
            f"(`sudo systemctl start docker`) or use --backend local ({short(exc)})")


def _connect() -> Any:
    try:
        import docker
    except ImportError as exc:
        raise SandboxUnavailable(
            "the docker SDK is not installed: `pip install docker` or use --backend local") from exc
    try:
        return docker.from_env(timeout=60)  # type: ignore[attr-defined]  # (mypy sees the repo's docker/ dir)
    except Exception as exc:  # noqa: BLE001 - DockerException when the socket is absent
        raise SandboxUnavailable(_daemon_down(exc)) from exc
