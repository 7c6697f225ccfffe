"""Argument parsing and the error boundary: users see one line, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from agents.errors import RbiError
from agents.rbi import commands, paper_cmd
from agents.rbi.logs import setup_logging
from agents.runtime.lock import AlreadyRunning
from agents.settings import Settings, load_settings

__all__ = ["build_parser", "main"]

log = logging.getLogger("rbi.cli")


def _common(defaults: bool) -> argparse.ArgumentParser:
    """Options every command honours; given before or after the command name."""
    d: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--db", help="results database (env RBI_DB, default results/rbi.sqlite)", **d)
    g.add_argument("--provider", help="LLM provider: offline|anthropic|openai (env RBI_PROVIDER)", **d)
    g.add_argument("--backend", help="sandbox backend: auto|local|docker|ray (env RBI_BACKEND; ray: RBI_RAY_ADDRESS)", **d)
    g.add_argument("--seed", type=int, help="seed for every random choice (env RBI_SEED)", **d)
    g.add_argument("--config", metavar="FILE", help="YAML settings file", **d)
    g.add_argument("--json", action="store_true", help="machine-readable output", **d)
    g.add_argument("-v", "--verbose", action="store_true", help="log more to stderr", **d)
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _common(defaults=False)
    parser = argparse.ArgumentParser(
        prog="python -m agents.rbi", parents=[_common(defaults=True)],
        description="rbi: Research -> Backtest -> Implement, an autonomous backtesting lab.",
        epilog="IDs: S12 strategy (bare numbers too), I3 idea, E40 event, V7 version.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help: str, func: commands.Command) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = add("run", "run the loop: watch the idea folder, process events", commands.cmd_run)
    p.add_argument("--once", action="store_true", help="process everything pending, then exit")
    p.add_argument("--dry-run", action="store_true", help="show what would run; change nothing")
    p.add_argument("--workers", type=int, help="worker threads (default: cores)")
    add("status", "queue counts per stage, running work, failures, LLM spend", commands.cmd_status)
    p = add("history", "strategies newest first with their best stats", commands.cmd_history)
    p.add_argument("--status", dest="filter_status", help="only strategies with this status")
    p.add_argument("--min-sharpe", type=float, help="only strategies whose best Sharpe >= this")
    p.add_argument("--limit", type=int, default=20, help="at most this many rows (default 20)")
    p = add("show", "one strategy (or I<n> idea, E<n> event): spec, versions, results, errors",
            commands.cmd_show)
    p.add_argument("id", help="S12 / 12 strategy, I3 idea, E40 event")
    p.add_argument("--no-code", action="store_true", help="leave the code out")
    ideas = sub.add_parser("ideas", help="add or list ideas", description="add or list ideas")
    isub = ideas.add_subparsers(dest="ideas_command", metavar="ACTION", required=True)
    p = isub.add_parser("add", parents=[common], help="add ideas from files or text",
                        description="add ideas: a path to a .txt/.md file, a backtesting.py "
                        "script (.py: enters at the package stage), '-' for stdin, or text")
    p.add_argument("items", nargs="+", metavar="FILE|TEXT")
    p.set_defaults(func=commands.cmd_ideas_add)
    p = isub.add_parser("list", parents=[common], help="list ideas", description="list ideas")
    p.add_argument("--status", dest="filter_status", help="only ideas with this status")
    p.add_argument("--limit", type=int, default=50, help="at most this many rows (default 50)")
    p.set_defaults(func=commands.cmd_ideas_list)
    p = add("cancel", "cancel a strategy (S12/12) or an idea (I3) and its pending work",
            commands.cmd_cancel)
    p.add_argument("id", help="S12 / 12 strategy, I3 idea")
    p = add("retry", "put a dead or cancelled event (E40/40), or all of an idea/strategy, back",
            commands.cmd_retry)
    p.add_argument("id", help="E40 / 40 event, I3 idea, S12 strategy")
    add("init", "create the database, the idea folder and the results folder", commands.cmd_init)
    p = add("dashboard", "serve the read-only web dashboard and Prometheus /metrics",
            _dashboard)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--refresh", type=float, default=3.0,
                   help="seconds between live refreshes of the pipeline page (default 3)")
    paper_cmd.register(sub, common)
    return parser


def _dashboard(args: argparse.Namespace, settings: Settings) -> int:
    from agents.dashboard.cli import cmd_dashboard  # web stack loaded only when asked for

    return cmd_dashboard(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_path = None
    try:
        settings = load_settings(
            getattr(args, "config", None), db=getattr(args, "db", None),
            provider=getattr(args, "provider", None), backend=getattr(args, "backend", None),
            seed=getattr(args, "seed", None), workers=getattr(args, "workers", None),
        )
        level = logging.INFO if args.command == "run" or getattr(args, "verbose", False) else logging.WARNING
        if getattr(args, "json", False) and not getattr(args, "verbose", False):
            level = logging.WARNING
        log_path = setup_logging(settings, console_level=level)
        return int(args.func(args, settings))
    except AlreadyRunning as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except RbiError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # the one place that turns a bug into a message
        log.exception("unexpected error")
        where = f"; details in {log_path}" if log_path else ""
        print(f"error: unexpected {type(e).__name__}: {e}{where}", file=sys.stderr)
        return 2
