"""Client side of the local sandbox's fork server (see executor/harness/zygote.py)."""

from __future__ import annotations

import fcntl
import json
import os
import selectors
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from executor.errors import SandboxError
from executor.harness.protocol import scan_done

READY_TIMEOUT_S = 120.0


@dataclass
class Spawned:
    pid: int
    stdin: int
    stdout: int
    stderr: int


class Zygote:
    """One pre-imported interpreter that forks a fresh harness per run. Thread-safe."""

    def __init__(self, cmd: list[str], env: dict[str, str], cwd: str) -> None:
        self._cmd, self._env, self._cwd = cmd, env, cwd
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._buf = b""

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._proc = subprocess.Popen(
            [*self._cmd, "--zygote", str(theirs.fileno())],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=self._env, cwd=self._cwd, pass_fds=(theirs.fileno(),), start_new_session=True,
        )
        theirs.close()
        self._sock, self._buf = ours, b""
        ours.settimeout(READY_TIMEOUT_S)
        if json.loads(self._readline()).get("ready") is not True:
            raise SandboxError("the local sandbox fork server did not start")
        ours.settimeout(30.0)

    def _readline(self) -> bytes:
        assert self._sock is not None
        while b"\n" not in self._buf:
            chunk = self._sock.recv(4096)
            if not chunk:
                raise SandboxError("the local sandbox fork server exited")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def spawn(self, opts: dict[str, object]) -> Spawned:
        in_r, in_w = os.pipe()
        try:  # the whole request fits: the harness reads it without a hand-over per 64 KB
            fcntl.fcntl(in_w, F_SETPIPE_SZ, 1 << 20)
        except OSError:
            pass
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            with self._lock:
                for attempt in (1, 2):
                    try:
                        if self._proc is None or self._proc.poll() is not None:
                            self._start()
                        sock = self._sock
                        if sock is None:  # closed meanwhile (interpreter exit)
                            raise SandboxError("the local sandbox fork server was closed")
                        socket.send_fds(sock, [json.dumps(opts).encode()], [in_r, out_w, err_w])
                        reply = json.loads(self._readline())
                        break
                    except (OSError, SandboxError, ValueError):
                        self.close()
                        if attempt == 2:
                            raise
        except BaseException:
            for fd in (in_w, out_r, err_r):
                os.close(fd)
            raise
        finally:
            for fd in (in_r, out_w, err_w):
                os.close(fd)
        if "pid" not in reply:
            for fd in (in_w, out_r, err_r):
                os.close(fd)
            raise SandboxError(f"the fork server refused the run: {reply}")
        return Spawned(int(reply["pid"]), in_w, out_r, err_r)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.kill()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._proc = None


F_SETPIPE_SZ = 1031


def exchange(sp: Spawned, payload: bytes, deadline_s: float,
             on_stdout: Callable[[bytes], None] | None = None) -> tuple[bytes, bytes, bool]:
    """Feed ``payload`` to stdin, collect stdout/stderr until both close, the harness's
    final ``done`` line is in (only the trusted harness parent writes stdout, so strategy
    code cannot forge it; the caller then kills the run), or time runs out
    (``on_stdout`` sees each stdout chunk as it arrives)."""
    sel = selectors.DefaultSelector()
    out, err = bytearray(), bytearray()
    view = memoryview(payload)
    os.set_blocking(sp.stdin, False)
    sel.register(sp.stdin, selectors.EVENT_WRITE, "in")
    sel.register(sp.stdout, selectors.EVENT_READ, out)
    sel.register(sp.stderr, selectors.EVENT_READ, err)
    open_fds = {sp.stdin, sp.stdout, sp.stderr}
    end = time.monotonic() + deadline_s
    timed_out = False
    scan = 0
    try:
        while (sp.stdout in open_fds or sp.stderr in open_fds) and scan >= 0:
            left = end - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(left, 1.0)):
                fd = key.fd
                if key.data == "in":
                    try:
                        n = os.write(fd, view[:1 << 16])
                    except (BrokenPipeError, BlockingIOError) as exc:
                        n = 0 if isinstance(exc, BlockingIOError) else len(view)
                    view = view[n:]
                    if not view:
                        sel.unregister(fd)
                        os.close(fd)
                        open_fds.discard(fd)
                    continue
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    key.data.extend(chunk)
                    if fd == sp.stdout:
                        if on_stdout is not None:
                            on_stdout(chunk)
                        scan = scan_done(out, scan)
                else:
                    sel.unregister(fd)
                    os.close(fd)
                    open_fds.discard(fd)
    finally:
        for fd in open_fds:
            try:
                sel.unregister(fd)
            except (KeyError, ValueError):
                pass
            os.close(fd)
        sel.close()
    return bytes(out), bytes(err), timed_out

