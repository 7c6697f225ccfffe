"""``python -m agents.rbi paper ...``: start, watch and stop paper sessions.

A session runs in its own background process (``paper run P3``, started by ``paper
start``/``paper resume``) that writes every bar to the results database; the other
commands only read it or set its stop flag.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.errors import ConfigError
from agents.rbi.commands import _store
from agents.rbi.render import console, emit_json, table
from agents.store.paper import ACTIVE, PaperBooks, PaperSessionRow

if TYPE_CHECKING:
    from agents.settings import Settings

__all__ = ["register"]


def _num_id(text: str, prefix: str) -> int:
    t = text.strip().upper()
    if t.startswith(prefix):
        t = t[1:]
    if not t.isdigit():
        raise ConfigError(f"{text!r} is not an id: write {prefix}3 or 3")
    return int(t)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process nobody has reaped yet is a zombie: gone all the same
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _state(row: PaperSessionRow) -> str:
    if row.status in ACTIVE and not _alive(row.pid):
        return f"{row.status} (process gone: `paper resume P{row.id}`)"
    return row.status


def _doc(row: PaperSessionRow, books: PaperBooks | None = None) -> dict[str, Any]:
    d = row.to_dict()
    d["state"] = _state(row)
    start = (row.band or {}).get("start_equity")
    d["forward_return"] = (row.equity / start - 1) if row.equity and start else None
    if books is not None:
        fills = books.fills(row.id)
        d["fills"] = len(fills)
        d["mean_slippage_bps"] = (sum(f["slippage_bps"] for f in fills) / len(fills)) if fills else None
        d["maker_fills"] = sum(1 for f in fills if f.get("liquidity") == "maker")
        d["fees"] = sum(f["fee"] for f in fills)
    try:
        from executor import model_from

        d["execution_model"] = model_from(row.model or None).describe()
    except (TypeError, ValueError):
        d["execution_model"] = str((row.model or {}).get("name", "?"))
    return d


# -- commands ----------------------------------------------------------------------------
def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    from executor import model_from

    feed = args.feed
    if feed != "replay" and not feed.startswith("csv:"):
        raise ConfigError(f"--feed {feed!r}: use replay or csv:PATH")
    if feed.startswith("csv:") and not Path(feed[4:]).parent.exists():
        raise ConfigError(f"--feed {feed}: folder {Path(feed[4:]).parent} does not exist")
    model = model_from(args.model)
    sid = _num_id(args.strategy, "S")
    with _store(settings) as store:
        books = PaperBooks(store)
        version = books.tradable_version(sid, _num_id(args.version, "V") if args.version else None)
        session_id = books.create(
            strategy_id=sid, version_id=version.id, feed=feed, dataset=version.dataset,
            speed=args.speed, cash=args.cash, backend=getattr(settings, "backend", "auto"),
            model=model.to_dict(), params=version.params)
    return _launch(args, settings, session_id, "started")


def cmd_resume(args: argparse.Namespace, settings: Settings) -> int:
    pid = _num_id(args.session, "P")
    with _store(settings) as store:
        row = PaperBooks(store).get(pid)
    if row.status in ACTIVE and _alive(row.pid):
        raise ConfigError(f"P{pid} is running (pid {row.pid}); nothing to resume")
    return _launch(args, settings, pid, "resumed")


def _launch(args: argparse.Namespace, settings: Settings, session_id: int, verb: str) -> int:
    if args.foreground:
        return _run_foreground(settings, session_id, args)
    logs = Path(settings.results_dir) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "agents.rbi", "paper", "run", f"P{session_id}",
           "--db", str(settings.db)]
    if getattr(args, "config", None):
        cmd += ["--config", args.config]
    env = dict(os.environ, RBI_BACKEND=str(settings.backend), RBI_RESULTS_DIR=str(settings.results_dir))
    with open(logs / f"paper-P{session_id}.log", "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                start_new_session=True)
    doc = {"session": f"P{session_id}", "pid": proc.pid, "log": str(logs / f"paper-P{session_id}.log")}
    if args.json:
        emit_json(doc)
    else:
        console.print(f"P{session_id} {verb} (pid {proc.pid}); watch it: "
                      f"python -m agents.rbi paper status P{session_id}")
    return 0


def _run_foreground(settings: Settings, session_id: int, args: argparse.Namespace) -> int:
    from agents.paper.runner import run_session

    stop = {"flag": False}

    def on_signal(*_: Any) -> None:
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    row = run_session(settings, session_id, should_stop=lambda: stop["flag"])
    if getattr(args, "json", False):
        emit_json(_doc(row))
    else:
        console.print(f"P{row.id}: {row.status} — {row.reason}")
    return 0 if row.status in ("finished", "stopped") else 1


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """The session process itself (what ``start``/``resume`` launch)."""
    args.json = getattr(args, "json", False)
    return _run_foreground(settings, _num_id(args.session, "P"), args)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        books = PaperBooks(store)
        if args.session:
            rows = [books.get(_num_id(args.session, "P"))] if args.session.upper().startswith("P") \
                else books.sessions(strategy_id=_num_id(args.session, "S"))
        else:
            rows = books.sessions(active_only=True)
        docs = [_doc(r, books) for r in rows]
    if args.json:
        emit_json(docs)
        return 0
    if not docs:
        console.print("no paper sessions running (paper list shows all)")
        return 0
    for d in docs:
        fwd = d["forward_return"]
        console.print(
            f"P{d['id']}  S{d['strategy_id']}  {d['state']}  feed {d['feed']}  bars {d['bars']}  "
            f"equity {d['equity'] or 0:,.2f}  forward {'-' if fwd is None else f'{fwd:+.2%}'}  "
            f"fills {d['fills']} ({d['maker_fills']} maker)  fees {d['fees']:,.2f}  "
            f"slippage {d['mean_slippage_bps'] or 0:.2f} bps\n    model {d['execution_model']}"
            + (f"\n    {d['reason']}" if d["reason"] else ""))
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        docs = [_doc(r) for r in PaperBooks(store).sessions()]
    if args.json:
        emit_json(docs)
        return 0
    table("paper sessions", ["id", "strategy", "state", "feed", "bars", "equity", "forward", "reason"],
          [[f"P{d['id']}", f"S{d['strategy_id']}", d["state"], d["feed"], d["bars"], d["equity"],
            None if d["forward_return"] is None else f"{d['forward_return']:+.2%}",
            (d["reason"] or "")[:60]] for d in docs])
    return 0


def cmd_stop(args: argparse.Namespace, settings: Settings) -> int:
    if not args.all and not args.session:
        raise ConfigError("say which session: paper stop P3 (or S7 for all of a strategy's), or --all")
    with _store(settings) as store:
        books = PaperBooks(store)
        if args.all:
            rows = books.sessions(active_only=True)
        elif args.session.upper().startswith("P"):
            rows = [books.get(_num_id(args.session, "P"))]
        else:
            rows = books.sessions(strategy_id=_num_id(args.session, "S"), active_only=True)
        stopped = []
        for r in rows:
            if books.request_stop(r.id):
                stopped.append(f"P{r.id}")
                if r.pid and _alive(r.pid):
                    os.kill(r.pid, signal.SIGTERM)
                else:  # its process is gone: nothing will honour the flag
                    books.finish(r.id, "stopped", "stopped on request (its process was gone)")
    if args.json:
        emit_json({"stopped": stopped})
    else:
        console.print(("stop requested: " + ", ".join(stopped)) if stopped else "nothing to stop")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    paper = sub.add_parser("paper", help="paper-trade promoted strategies on unseen bars",
                           description="paper-trade promoted strategies: a sandboxed session "
                           "per strategy, realistic fills, stopped when it diverges from its "
                           "backtest")
    psub = paper.add_subparsers(dest="paper_command", metavar="ACTION", required=True)

    def add(name: str, help: str, func: Any) -> argparse.ArgumentParser:
        p = psub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = add("start", "start a paper session for a promoted strategy", cmd_start)
    p.add_argument("strategy", help="S7 / 7")
    p.add_argument("--feed", default="replay",
                   help="replay (bars after the research data, default) or csv:PATH (a growing file)")
    p.add_argument("--speed", type=float, default=60.0,
                   help="replay speed in bars per second (0: as fast as it goes; default 60)")
    p.add_argument("--cash", type=float, default=100_000.0, help="starting cash (default 100000)")
    p.add_argument("--model", default="default",
                   help="execution model: default|perfect|equities|crypto|fx (default: default)")
    p.add_argument("--version", help="trade this version (V12) instead of the approved one")
    p.add_argument("--foreground", action="store_true", help="run here instead of in the background")
    p = add("resume", "restart a session whose process died, from its last booked bar", cmd_resume)
    p.add_argument("session", help="P3 / 3")
    p.add_argument("--foreground", action="store_true", help="run here instead of in the background")
    p = add("status", "running sessions (or one: P3, or a strategy's: S7)", cmd_status)
    p.add_argument("session", nargs="?", help="P3 session or S7 strategy")
    p = add("stop", "stop a session after its current bar (--all: every session)", cmd_stop)
    p.add_argument("session", nargs="?", help="P3 session or S7 strategy")
    p.add_argument("--all", action="store_true", help="the kill switch: stop every session")
    add("list", "every paper session with its state", cmd_list)
    p = add("run", "run a session in this process (what start launches)", cmd_run)
    p.add_argument("session", help="P3 / 3")
