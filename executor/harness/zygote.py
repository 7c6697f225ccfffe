"""A fork server for the local sandbox: ``python -I ... --zygote FD``.

Importing pandas + backtesting costs most of a sandboxed run (~0.5-2 s). The zygote
imports them once, then for each request received on its control socket (a JSON line
plus the run's stdin/stdout/stderr pipe ends, passed with SCM_RIGHTS) forks a child
that starts a new session, isolates itself and runs the ordinary harness.

The zygote is trusted: it never reads a request body nor runs strategy code, it was
started with the sandbox's empty environment, and it holds no per-run data, so what a
forked child inherits from it is the same as a fresh interpreter would have had.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

from executor.harness.preload import preimport

__all__ = ["preimport", "serve_forever"]


def serve_forever(ctrl_fd: int) -> int:
    from executor.harness.isolate import die_with_parent

    die_with_parent()
    preimport()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    sock = socket.socket(fileno=ctrl_fd)
    sock.sendall(b'{"ready": true}\n')
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 65536, 3)
        except OSError:
            return 0
        if not msg:
            return 0
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            sock.sendall(b'{"error": "expected 3 fds"}\n')
            continue
        opts = json.loads(msg)
        pid = os.fork()
        if pid == 0:
            _child(sock, fds, opts)
        for fd in fds:
            os.close(fd)
        sock.sendall((json.dumps({"pid": pid}) + "\n").encode())


def _child(sock: socket.socket, fds: list[int], opts: dict[str, object]) -> None:
    code = 3
    try:
        from executor.harness.protocol import stamp

        stamp("forked")
        sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        env = opts.get("env") or {}
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in env.items()})
        os.chdir(str(opts["workdir"]))
        from executor.harness.__main__ import main

        argv = ["--isolate", json.dumps(opts["isolate"])] if opts.get("isolate") else []
        if opts.get("jail"):
            from executor.harness.runjail import enter

            jail = opts["jail"]
            assert isinstance(jail, dict)
            argv = ["--isolate", json.dumps({"jailed": enter(jail)})]
        code = main(argv)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush() if sys.stdout else None
        os._exit(code)
