"""The line to a sandboxed strategy session: bars out, decisions back.

``open_channel("local"|"docker", header)`` starts ``executor.harness --session`` in the
same jail a backtest runs in (local: the local sandbox's isolation; Docker: the sandbox
image with ``--network none``, read-only root, caps dropped, memory/pids limits) and
returns a :class:`Channel`. Every reply is read with a deadline and a size cap; what comes
back is untrusted (decisions only, checked by the paper broker).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any, Protocol

from executor.errors import SandboxError, SandboxUnavailable
from executor.types import Limits

MAX_REPLY = 4 * 1024 * 1024
DOCKER_SESSION_CMD = ["python", "-I", "-c",
                      "import sys; sys.path.insert(0, '/opt/rbi'); "
                      "from executor.harness.__main__ import main; sys.exit(main(['--session']))"]


class SessionFailed(SandboxError):
    """The sandboxed session died, timed out, or said something that is not a reply."""


class Channel(Protocol):
    backend: str

    def send(self, doc: dict[str, Any]) -> None: ...
    def receive(self, timeout_s: float) -> dict[str, Any]: ...
    def close(self) -> None: ...


def _decode(line: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(line)
    except ValueError as exc:
        raise SessionFailed(f"the session sent something that is not JSON: {line[:200]!r}") from exc
    if not isinstance(doc, dict) or doc.get("rbi") not in ("ready", "bar", "bars", "error"):
        raise SessionFailed(f"the session sent an unknown message: {str(doc)[:200]}")
    return doc


class _Lines:
    """Split a byte stream into capped lines."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.buf += chunk
        if len(self.buf) > MAX_REPLY and b"\n" not in self.buf:
            raise SessionFailed(f"a session reply exceeded {MAX_REPLY} bytes")

    def pop(self) -> bytes | None:
        nl = self.buf.find(b"\n")
        if nl < 0:
            return None
        line = bytes(self.buf[:nl])
        del self.buf[:nl + 1]
        return line


class LocalChannel:
    """The session in a local-sandbox process (same isolation as a local backtest)."""

    backend = "local"

    def __init__(self, limits: Limits) -> None:
        from executor.backends.local import sandbox as local

        self.workdir = tempfile.mkdtemp(prefix="rbi-paper-")
        os.chmod(self.workdir, 0o700)
        self.uid = local._fresh_uid()
        iso = None
        if os.geteuid() == 0:
            os.chown(self.workdir, self.uid, 65534)
            iso = {"uid": self.uid, "gid": 65534, "scratch_mb": limits.scratch_mb,
                   "pids": limits.pids}
        cmd = [local.sys.executable, "-I", "-c", local.BOOT, local.PACKAGE_ROOT]
        if iso:
            cmd += ["--isolate", json.dumps(iso)]
        cmd.append("--session")
        if local.LocalSandbox().jailed:  # the backtests' minimal root, when bwrap works here
            from executor.backends.local import jail as local_jail

            cmd = [*local_jail.bwrap_argv(local.sys.executable), *cmd]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, cwd=self.workdir,
                                         env=local.clean_env(self.workdir), start_new_session=True)
        except OSError as exc:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise SandboxUnavailable(f"could not start a local session: {exc}") from exc
        self.lines = _Lines()

    def send(self, doc: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(doc, allow_nan=False).encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise SessionFailed(f"the session process is gone ({exc})") from exc

    def receive(self, timeout_s: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        while (line := self.lines.pop()) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SessionFailed(f"the session gave no reply within {timeout_s:g} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    code = self.proc.poll()
                    raise SessionFailed(f"the session process ended (exit {code})")
                self.lines.feed(chunk)
        return _decode(line)

    def close(self) -> None:
        from executor.backends.local import sandbox as local

        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        local._kill_session(self.proc.pid)
        if os.geteuid() == 0:
            local._kill_uid(self.uid)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.workdir, ignore_errors=True)


class DockerChannel:
    """The session in a long-lived sandbox container (one per session)."""

    backend = "docker"

    def __init__(self, limits: Limits, run_id: str) -> None:
        from executor.backends.docker.container import Container
        from executor.backends.docker.sandbox import DockerSandbox
        from executor.backends.docker.stream import Demux

        sandbox = DockerSandbox(cleanup=False)  # checks the daemon and the image's harness
        api = sandbox.api
        self.container = Container(api, sandbox.image, limits, run_id, budget_s=7 * 86400)
        config = self.container.config()
        config["command"] = DOCKER_SESSION_CMD
        try:
            created = api.create_container(**config)
            self.container.id = created["Id"]
            sock = api.attach_socket(self.container.id,
                                     params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self.demux = Demux(sock)
            api.start(self.container.id)
        except Exception as exc:  # noqa: BLE001
            self.container.remove()
            raise SandboxUnavailable(f"could not start a session container: {exc}") from exc
        self.container.demux = self.demux
        self.lines = _Lines()

    def send(self, doc: dict[str, Any]) -> None:
        try:
            self.demux.sock.sendall(json.dumps(doc, allow_nan=False).encode() + b"\n")
        except OSError as exc:
            raise SessionFailed(f"the session container is gone ({exc})") from exc

    def receive(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while (line := self.lines.pop()) is None:
            got = False
            for kind, payload in self.demux._frames():
                if kind == 1:
                    self.lines.feed(payload)
                    got = True
            if got:
                continue
            if not self.demux._fill(deadline):
                if self.demux.eof:
                    raise SessionFailed("the session container ended")
                raise SessionFailed(f"the session gave no reply within {timeout_s:g} s")
        return _decode(line)

    def close(self) -> None:
        self.container.remove()


def open_channel(backend: str, limits: Limits | None = None, run_id: str = "paper") -> Channel:
    """A channel to a fresh sandboxed session on ``backend`` (``local`` or ``docker``;
    ``auto``: Docker when usable, else local)."""
    limits = limits or Limits()
    if backend == "auto":
        from executor.sandbox import get_sandbox

        backend = get_sandbox("auto").name
    if backend == "docker":
        return DockerChannel(limits, run_id)
    if backend == "local":
        return LocalChannel(limits)
    raise SandboxError(f"paper sessions run on the local or docker backend, not {backend!r}")
