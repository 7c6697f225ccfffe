"""The in-sandbox harness: ``python -m executor.harness [--isolate JSON] [--session]``.

Reads one request (see :mod:`executor.harness.protocol`) on stdin and writes result
documents on stdout. This process is the *trusted parent*: it never executes strategy
code. Strategy code runs in forked workers whose stdout/stderr are pipes read here and
which never hold this process's stdout (the result channel); this process is also made
non-dumpable so a same-uid child cannot open its fds through /proc.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--zygote"]:
        from executor.harness.zygote import serve_forever

        return serve_forever(int(argv[1]))
    t_start = time.perf_counter()
    session = "--session" in argv  # a paper session: bars in, decisions out
    reuse = "--reuse" in argv  # requests of one code version until EOF (see reuse.py)
    argv = [a for a in argv if a not in ("--session", "--reuse")]
    result_fd = os.dup(1)  # the private result channel (non-inheritable)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # nothing but result documents ever reaches the real stdout
    isolation: dict[str, object] = {}
    if argv[:1] == ["--isolate"]:
        from executor.harness.isolate import isolate

        isolation = isolate(json.loads(argv[1]))
    from executor.harness import isolate as _iso

    _iso.make_nondumpable()
    if session:
        from executor.harness.session import serve_session

        os.dup2(devnull, 2)  # the strategy's prints go nowhere; its decisions go to result_fd
        return serve_session(sys.stdin.buffer, result_fd)
    try:
        if reuse:
            from executor.harness.reuse import serve_reused

            return serve_reused(sys.stdin.buffer, result_fd, isolation, t_start)
        from executor.harness.parent import serve

        return serve(sys.stdin.buffer, result_fd, isolation, t_start) or 0
    except Exception as exc:  # noqa: BLE001 - report system faults as a document, never a traceback on stdout
        import traceback

        doc = {"rbi": "done", "fatal": f"{type(exc).__name__}: {exc}",
               "traceback": traceback.format_exc()[-4000:]}
        os.write(result_fd, (json.dumps(doc) + "\n").encode())
        return 3


if __name__ == "__main__":
    sys.exit(main())
