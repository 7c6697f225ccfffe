"""``python -m executor.harness --reuse``: one container serves several requests of ONE
code version, one after the other, on the same stdin/stdout.

The wire format is unchanged (see :mod:`executor.harness.protocol`): a request carries
its own lengths, so the host sends the next one on the same stdin without closing it,
and each request's results end with its ``done`` line. EOF on stdin ends the container.

Before every request the parent resets the container (:mod:`executor.harness.reset`):
no process, file, or IPC object of the previous request survives. A request whose code
is not the code of the first one is refused and ends the container (the host never
sends one: a reused container is keyed by its code's sha256). Only PID 1 of a container
may do this (``kill(-1)`` elsewhere would reach every process of the uid).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import IO, Any

from executor.harness import parent, protocol


def serve_reused(stdin: IO[bytes], result_fd: int, isolation: dict[str, Any], t_start: float) -> int:
    """Requests until EOF; returns the exit code (non-zero: the container must go)."""
    from executor.harness.reset import ResetFailed, reset_sandbox

    if os.getpid() != 1:
        _fatal(result_fd, "--reuse runs only as PID 1 of a sandbox container")
        return 2
    guard = _SameCode()
    served = 0
    while True:
        try:
            cleaned = reset_sandbox()
        except (ResetFailed, OSError) as exc:
            _fatal(result_fd, f"reset failed: {exc}")
            return 4
        protocol.STAMPS.clear()
        isolation = dict(isolation, reused=served, reset=cleaned)
        rc = parent.serve(stdin, result_fd, isolation, t_start if not served else -1.0,
                          next_request=True, check_code=guard)
        if rc is None:
            return 0
        served += 1


class _SameCode:
    """Called with each request's code (before any worker sees it): the first request's
    code is this container's, any other is refused."""

    def __init__(self) -> None:
        self.code_sha256: str | None = None

    def __call__(self, code: str) -> None:
        sha = hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
        if self.code_sha256 is None:
            self.code_sha256 = sha
        elif sha != self.code_sha256:
            raise ValueError("a reused sandbox container serves one code version only: "
                             f"this one runs {self.code_sha256[:12]}, the request is {sha[:12]}")


def _fatal(result_fd: int, message: str) -> None:
    doc = {"rbi": "done", "fatal": message}
    os.write(result_fd, (json.dumps(doc) + "\n").encode())
    sys.stderr.write(message + "\n")
