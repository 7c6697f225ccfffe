"""The hijacked attach socket of a sandbox container: request in, harness output out.

With ``tty=False`` Docker multiplexes the container's stdout and stderr on the socket in
frames of ``[stream:1][0:3][size:4 big-endian][payload]`` (stream 1 = stdout, 2 = stderr).
The request goes the other way as plain bytes; closing our write half closes the
container's stdin (``StdinOnce``).

Before the request, the container's start-up code writes :data:`WARM_MARKER` on stderr
once the engine is imported; :meth:`Demux.wait_warm` waits for it (warm pool).
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_HEADER = struct.Struct(">BxxxL")
STDERR_KEEP = 256 * 1024
DONE = b'{"rbi": "done"'
WARM_MARKER = b"rbi-sandbox-warm\n"


@dataclass
class Captured:
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    stderr_bytes: int = 0
    outcome: str = "eof"  # done | eof | deadline | cap
    stdout_first_byte_s: float | None = None


def raw_socket(attached: Any) -> socket.socket:
    """The real socket under what ``APIClient.attach_socket`` returns (SocketIO or socket)."""
    sock = getattr(attached, "_sock", attached)
    if not isinstance(sock, socket.socket):
        raise TypeError(f"unexpected attach socket type {type(attached).__name__}")
    return sock


class Demux:
    """Frame reader over one attach socket; keeps partial frames between calls."""

    def __init__(self, attached: Any) -> None:
        self.sock = raw_socket(attached)
        self.buf = bytearray()
        self.eof = False
        self.out = Captured()
        self.warm = False

    def send(self, payload: bytes, deadline: float) -> None:
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        self.sock.sendall(payload)
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _fill(self, deadline: float) -> bool:
        """Read more bytes; False at EOF or the deadline."""
        while not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.sock.settimeout(min(remaining, 5.0))
            try:
                chunk = self.sock.recv(1 << 16)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""  # connection torn down: the container is gone
            if not chunk:
                self.eof = True
                return False
            self.buf += chunk
            return True
        return False

    def drain(self, deadline: float) -> bool:
        """Read and discard until EOF (True) or the deadline: a killed container's
        output still in flight must be consumed, or the daemon's attach copy blocks and
        the container cannot be removed."""
        self.buf.clear()
        while not self.eof and time.monotonic() < deadline:
            if self._fill(deadline):
                self.buf.clear()
        return self.eof

    def _frames(self) -> Any:
        while len(self.buf) >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self.buf)
            if len(self.buf) < _HEADER.size + size:
                return
            payload = bytes(self.buf[_HEADER.size:_HEADER.size + size])
            del self.buf[:_HEADER.size + size]
            yield kind, payload

    def _stderr(self, payload: bytes) -> None:
        if not self.warm and WARM_MARKER in payload:
            self.warm = True
            payload = payload.replace(WARM_MARKER, b"", 1)
        out = self.out
        out.stderr_bytes += len(payload)
        out.stderr += payload
        if len(out.stderr) > STDERR_KEEP:
            del out.stderr[:len(out.stderr) - STDERR_KEEP]

    def wait_warm(self, deadline: float) -> bool:
        """Consume frames until the start-up code reports the engine imported."""
        while not self.warm:
            for kind, payload in self._frames():
                if kind == 2:
                    self._stderr(payload)
                else:
                    self.out.stdout += payload
            if self.warm or not self._fill(deadline):
                break
        return self.warm

    def read_output(self, deadline: float, stdout_cap: int,
                    on_stdout: Callable[[bytes], None] | None = None) -> Captured:
        """Collect until the harness's final ``done`` line, EOF, the deadline, or more than
        ``stdout_cap`` bytes of stdout. (Only the trusted harness parent writes stdout, so
        strategy code cannot forge the ``done`` line.)"""
        out = self.out
        t0 = time.monotonic()
        scan = 0
        while True:
            for kind, payload in self._frames():
                if kind == 2:
                    self._stderr(payload)
                    continue
                if out.stdout_first_byte_s is None:
                    out.stdout_first_byte_s = time.monotonic() - t0
                out.stdout += payload
                if on_stdout is not None:
                    on_stdout(payload)
                if len(out.stdout) > stdout_cap:
                    out.outcome = "cap"
                    return out
                scan = _scan_done(out.stdout, scan)
                if scan < 0:
                    out.outcome = "done"
                    return out
            if not self._fill(deadline):
                out.outcome = "eof" if self.eof else "deadline"
                return out


def _scan_done(stdout: bytearray, start: int) -> int:
    """-1 when a complete ``done`` line is in; else where the next scan should start."""
    while True:
        nl = stdout.find(b"\n", start)
        if nl < 0:
            return start
        if stdout.startswith(DONE, start):
            return -1
        start = nl + 1
