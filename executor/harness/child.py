"""What runs in the untrusted processes: import the strategy, run the backtest, report.

A *worker* is forked by the harness parent with stdout/stderr redirected to a pipe the
parent reads, and without the parent's result channel. It imports the strategy module
once, then for every parameter set it receives forks a *run child* (so each set starts
from the same freshly-imported state, and one set cannot leak into the next) that runs
the backtest and sends one framed message to the parent. A request of ONE set runs it
in the worker itself: there is no other set to keep it from.
"""

from __future__ import annotations

import itertools
import os
import resource
import signal
import sys
import time
import traceback
import types
import warnings
from typing import Any

from executor.harness import errors_classify, orderlog
from executor.harness.framing import write_message
from executor.harness.isolate import die_with_parent

STRATEGY_FILE = "strategy.py"
HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
MODULE_NAME = "strategy"


def set_limits(limits: dict[str, Any]) -> None:
    mem = int(limits.get("memory_mb", 0) or 0)
    if mem and limits.get("rlimit_as", True):
        _setrlimit(resource.RLIMIT_AS, mem * 1024 * 1024)
    cpu = float(limits.get("timeout_s", 0) or 0)
    if cpu:
        soft = int(cpu) + 1
        _setrlimit(resource.RLIMIT_CPU, soft, soft + 2)
    fsize = int(limits.get("scratch_mb", 0) or 0)
    if fsize:
        _setrlimit(resource.RLIMIT_FSIZE, fsize * 1024 * 1024)
    nofile = int(limits.get("nofile", 0) or 0)
    if nofile:
        _setrlimit(resource.RLIMIT_NOFILE, nofile)
    _setrlimit(resource.RLIMIT_CORE, 0)


def _setrlimit(which: int, soft: int, hard: int | None = None) -> None:
    cur_soft, cur_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if cur_hard != resource.RLIM_INFINITY:
        hard = min(hard, cur_hard)
        soft = min(soft, hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


def error_doc(exc: BaseException, code: str) -> dict[str, Any]:
    """Exception → JSON: type, message, traceback limited to useful frames, strategy line."""
    tb_text = _user_traceback(exc)
    line = _strategy_line(exc)
    cause = exc.__cause__ or exc.__context__
    doc: dict[str, Any] = {
        "type": type(exc).__name__,
        "message": _message(exc, cause)[:4000],
        "traceback": tb_text[-12000:],
        "line": line,
        "source_line": _source_line(code, line),
    }
    if isinstance(exc, SyntaxError):
        doc["line"] = exc.lineno
        doc["column"] = exc.offset
    if cause is not None and cause is not exc:
        cline = _strategy_line(cause)
        doc["cause"] = {"type": type(cause).__name__, "message": str(cause)[:2000], "line": cline}
        if doc["line"] is None:
            doc["line"] = cline
    doc["class"] = errors_classify.classify(doc)
    return doc


WRAPPED = "See traceback above."  # backtesting.py's self.I() error points at a traceback


def _message(exc: BaseException, cause: BaseException | None) -> str:
    """The exception's text, made to say what happened where it only points elsewhere:
    ``Indicator "RSI(C,14)" error. See traceback above.`` gets its cause's type and text;
    a bare ``KeyError: -1`` (a pandas Series read by position) says how to read it."""
    text = str(exc)
    if WRAPPED in text and cause is not None and cause is not exc:
        text = text.replace(WRAPPED, f"{type(cause).__name__}: {_message(cause, None)}").strip()
    elif isinstance(exc, KeyError) and len(exc.args) == 1 and type(exc.args[0]) is int:
        key = exc.args[0]
        text = (f"{key}: no row or column labelled {key}. A pandas Series/DataFrame is "
                f"indexed by label, so [{key}] is not a position; use .iloc[{key}] "
                f"(or self.data / self.I() arrays, where [{key}] is a position)")
    return text


def _user_traceback(exc: BaseException) -> str:
    """The traceback without the harness's own frames (strategy + engine frames only)."""
    te = traceback.TracebackException.from_exception(exc)
    seen: set[int] = set()
    node: traceback.TracebackException | None = te
    stack = [te]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        node.stack = traceback.StackSummary.from_list(
            [f for f in node.stack if HARNESS_DIR not in f.filename])
        stack.extend([node.__cause__, node.__context__])
    return "".join(te.format())


def _strategy_line(exc: BaseException) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == STRATEGY_FILE:
            line = lineno
    return line


def _source_line(code: str, line: int | None) -> str | None:
    if not line:
        return None
    lines = code.splitlines()
    return lines[line - 1].strip()[:300] if 0 < line <= len(lines) else None


def load_module(code: str, header: dict[str, Any], data: Any) -> types.ModuleType:
    """Execute the strategy source as module ``strategy`` (or ``__main__`` in script mode)."""
    if header.get("script"):
        _install_script_shims(header, data)
    if header.get("restricted") and not header.get("script"):  # scripts: unverified anyway
        from executor.validator.restricted import exec_restricted

        return exec_restricted(code, MODULE_NAME, STRATEGY_FILE)
    name = "__main__" if header.get("script") else MODULE_NAME
    mod = types.ModuleType(name)
    mod.__file__ = STRATEGY_FILE
    compiled = compile(code, STRATEGY_FILE, "exec", dont_inherit=True)
    sys.modules[MODULE_NAME] = mod
    if header.get("script"):
        sys.modules["__main__"] = mod  # pickling its classes (bt.optimize) finds them here
    exec(compiled, mod.__dict__)  # noqa: S102 - this IS the sandboxed execution
    return mod


def _install_script_shims(header: dict[str, Any], data: Any) -> None:
    """Script mode: a hard-coded CSV path that does not exist here reads the run's dataset."""
    import pandas as pd

    csv_path = os.path.abspath("data.csv")
    data.to_csv(csv_path, index_label="datetime")
    original = pd.read_csv
    mapped: list[str] = header.setdefault("_mapped_paths", [])

    def read_csv(path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, str | os.PathLike) and not os.path.exists(path):
            mapped.append(os.fspath(path))
            path = csv_path
        return original(path, *args, **kwargs)

    pd.read_csv = read_csv


def find_strategy(mod: types.ModuleType, wanted: str | None) -> type:
    from backtesting import Strategy

    classes = [
        v for v in vars(mod).values()
        if isinstance(v, type) and issubclass(v, Strategy) and v.__module__ in (mod.__name__, MODULE_NAME, "__main__")
        and not getattr(v, "__abstractmethods__", None)
    ]
    if wanted:
        for c in classes:
            if c.__name__ == wanted:
                return c
        raise LookupError(f"no Strategy subclass named {wanted!r}; found {[c.__name__ for c in classes]}")
    if not classes:
        unfinished = [v for v in vars(mod).values()
                      if isinstance(v, type) and issubclass(v, Strategy) and v is not Strategy
                      and v.__module__ in (mod.__name__, MODULE_NAME, "__main__")]
        if unfinished:  # a class without init() or next() is abstract: backtesting.py refuses it
            c = unfinished[-1]
            missing = " and ".join(f"{m}()" for m in sorted(c.__abstractmethods__))
            raise LookupError(
                f"class {c.__name__}(Strategy) does not define {missing}: backtesting.py needs "
                f"both init() and next() (an empty one is fine: `def init(self): pass`)")
        raise LookupError(
            "no Strategy subclass found: define `class MyStrategy(Strategy)` with init() and next()"
        )
    leaves = [c for c in classes if not any(o is not c and issubclass(o, c) for o in classes)]
    return leaves[-1]


def run_one(
    strategy: type | None,
    data: Any,
    header: dict[str, Any],
    params: dict[str, Any],
    index: int,
    result_fd: int,
    timings: dict[str, float],
    nonce: str = "",
) -> None:
    """Run one backtest in this (forked) process and send exactly one message.

    The message carries the strategy's order log (what the host replays: the only
    source of the run's numbers) and, as a claim the host merely compares, the stats
    this process computed."""
    from executor.harness.fastrun import FastBacktest  # Backtest.run's numbers, leaner loop

    code = header["_code"]
    doc: dict[str, Any] = {"index": index, "nonce": nonce, "timings": dict(timings)}
    caught: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # "always" keeps no per-message registry
            warnings.showwarning = _bounded_recorder(caught)
            t0 = time.perf_counter()
            doc["timings"]["t_run_start"] = time.monotonic()
            if header.get("script"):
                doc["status"] = "ok"
            else:
                assert strategy is not None
                from executor.execution import backtest_kwargs_of

                opts = backtest_kwargs_of(header.get("options") or {})
                recorded = orderlog.wrap_strategy(strategy)
                bt = FastBacktest(data, recorded, **opts)
                with orderlog.recording(recorded) as rec:
                    stats = bt.run(**params)
                doc["timings"]["run_s"] = time.perf_counter() - t0
                doc.update(_claims(stats, rec))
                doc["timings"]["claims_s"] = time.perf_counter() - t0 - doc["timings"]["run_s"]
    except MemoryError as exc:
        limit = (header.get("limits") or {}).get("memory_mb")
        try:
            doc.update(status="memory", error=error_doc(exc, code))
        except MemoryError:
            exc.__traceback__ = None  # drop the frames holding the big allocation
            doc.update(status="memory", error={"type": "MemoryError", "class": "memory",
                                               "traceback": "", "line": None, "message": ""})
        doc["error"]["message"] = (f"the strategy ran out of memory (limit {limit} MB)"
                                   if limit else "the strategy ran out of memory")
    except RecursionError as exc:
        doc.update(status="error", error=error_doc(exc, code))
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything
        doc.update(status="error", error=error_doc(exc, code))
    doc["warnings"] = caught
    if header.get("_mapped_paths"):
        doc["mapped_paths"] = header["_mapped_paths"]
    _flush_std()
    write_message(result_fd, doc)


MAX_WARNINGS = 50


def _bounded_recorder(sink: list[str]) -> Any:
    """Keep the first few warnings as text; a warning flood costs no memory."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        if len(sink) < MAX_WARNINGS:
            sink.append(f"{category.__name__}: {str(message)[:500]}")

    return show


def _claims(stats: Any, rec: Any) -> dict[str, Any]:
    """The order log (replayed on the host) and what this process claims (compared only)."""
    from backtesting._util import _indicator_warmup_nbars

    strategy = stats["_strategy"]
    return {"status": "ok", "orderlog": orderlog.log_doc(rec, _indicator_warmup_nbars(strategy)),
            "claimed_stats": dict(rec.claims), "strategy_name": type(strategy).__name__[:100]}


def lock_data(data: Any) -> None:
    """Make the OHLCV arrays read-only: a strategy writing to its data gets an error
    (every frame of a multi-frame batch)."""
    if isinstance(data, list):
        for frame in data:
            lock_data(frame)
        return
    for block in data._mgr.blocks:
        values = getattr(block, "values", None)
        if hasattr(values, "flags"):
            values.flags.writeable = False


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass


def worker_main(
    header: dict[str, Any], code: str, data: Any, ctrl_fd: int, result_fd: int
) -> None:
    """Import once; then fork one run child per parameter-set index read from ``ctrl_fd``."""
    timings: dict[str, float] = {"t_worker_start": time.monotonic()}
    if header.get("_spare"):
        timings["spare"] = 1.0  # forked before the request: the fork was not on the path
    # the first assignment is read BEFORE the import: an import failure carries its nonce
    first = b""
    while not first.endswith(b"\n"):
        chunk = os.read(ctrl_fd, 1)
        if not chunk:
            os._exit(0)
        first += chunk
    first_nonce = (first.decode().split() + ["", ""])[1]
    set_limits(header.get("limits") or {})
    t0 = time.perf_counter()
    strategy = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = load_module(code, header, data)
        if not header.get("script"):
            strategy = find_strategy(mod, header.get("strategy_class"))
    except BaseException as exc:  # noqa: BLE001
        status = "memory" if isinstance(exc, MemoryError) else "error"
        timings["import_s"] = time.perf_counter() - t0
        _flush_std()
        write_message(result_fd, {"index": -1, "nonce": first_nonce, "status": status,
                                  "error": error_doc(exc, code),
                                  "timings": timings, "mapped_paths": header.get("_mapped_paths", [])})
        os._exit(0)
    timings["import_s"] = time.perf_counter() - t0
    if header.get("script"):
        # the script already ran at import; its printed stats are parsed by the parent
        _flush_std()
        write_message(result_fd, {"index": 0, "status": "ok", "script_done": True,
                                  "nonce": first_nonce,
                                  "timings": timings, "mapped_paths": header.get("_mapped_paths", [])})
        os._exit(0)
    param_sets = header["param_sets"]
    if len(param_sets) == 1:
        # one set: no other set's results to be isolated from, so it runs right here
        # (a fork per set costs copy-on-write faults on the whole engine); a crash or a
        # signal is seen by the parent as this worker's death, during this set
        index_text, nonce, *_ = first.decode().split()
        os.close(ctrl_fd)
        run_one(strategy, data, header, param_sets[int(index_text)], int(index_text), result_fd,
                timings, nonce)
        write_message(result_fd, {"index": int(index_text), "nonce": nonce, "ack": True})
        os._exit(0)
    with os.fdopen(ctrl_fd, "rb", buffering=0) as ctrl:
        for raw in itertools.chain([first], iter(ctrl.readline, b"")):
            # "<index> <nonce>[ last]": every message about this set carries the nonce,
            # which no process left over from an earlier set can know (the run child
            # closes ctrl); "last": the parent has no other set for this worker
            index_text, nonce, *flag = raw.decode().split()
            index = int(index_text)
            if flag == ["last"]:  # nothing runs after it here: no child to shield a later set
                ctrl.close()
                run_one(strategy, data, header, param_sets[index], index, result_fd, timings, nonce)
                write_message(result_fd, {"index": index, "nonce": nonce, "ack": True})
                os._exit(0)
            pid = os.fork()
            if pid == 0:
                die_with_parent()
                try:
                    os.close(ctrl_fd)
                    run_one(strategy, data, header, param_sets[index], index, result_fd, timings, nonce)
                finally:
                    os._exit(0)
            _, status = os.waitpid(pid, 0)
            if os.WIFSIGNALED(status):
                sig = os.WTERMSIG(status)
                st = "timeout" if sig == signal.SIGXCPU else "memory" if sig == signal.SIGKILL else "error"
                write_message(result_fd, {"index": index, "nonce": nonce, "status": st, "error": {
                    "type": "Signal", "message": f"run process killed by signal {sig}",
                    "class": st, "traceback": "", "line": None}})
            elif os.WEXITSTATUS(status) != 0:
                write_message(result_fd, {"index": index, "nonce": nonce, "status": "error", "error": {
                    "type": "SystemExit", "message": "run process exited early",
                    "class": "exception", "traceback": "", "line": None}})
            write_message(result_fd, {"index": index, "nonce": nonce, "ack": True})
    os._exit(0)
