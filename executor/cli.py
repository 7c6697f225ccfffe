"""``python -m executor validate|run|datasets`` — the executor on its own.

Exit codes: 0 ran ok / valid; 1 the strategy was rejected or failed; 2 usage or system
error. The CLI never shows its own traceback: system faults print one line saying what
to do.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from executor.errors import ConfigError, RbiError

EXIT_OK, EXIT_FAILED, EXIT_SYSTEM = 0, 1, 2
HEADLINE = (
    "Return [%]", "Buy & Hold Return [%]", "Sharpe Ratio", "Sortino Ratio",
    "Max. Drawdown [%]", "# Trades", "Win Rate [%]", "Profit Factor", "Equity Final [$]",
    "Exposure Time [%]", "SQN",
)


class UsageError(ConfigError):
    """A command-line argument is wrong; the message says which and what is accepted."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m executor",
        description="Validate and run untrusted backtesting.py strategies in a sandbox.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    v = sub.add_parser("validate", help="static checks only; exit 0 when the file may run",
                       description="Run the static validator on FILE and list every violation.")
    v.add_argument("file", help="strategy source file (.py)")
    v.add_argument("--script", action="store_true",
                   help="the file is a whole script that loads its own CSV and prints stats")
    v.add_argument("--restricted", action=argparse.BooleanOptionalAction, default=True,
                   help="also run RestrictedPython's compile-time checks (default on; "
                        "--no-restricted: the rbi validator alone)")
    v.add_argument("--json", action="store_true", help="print the violations as JSON")

    r = sub.add_parser("run", help="validate, then run the strategy in a sandbox",
                       description="Validate FILE, run it in a sandbox on a dataset, print stats.")
    r.add_argument("file", help="strategy source file (.py)")
    r.add_argument("--data", default="GOOG",
                   help="dataset name (GOOG, EURUSD, BTCUSD, a file in data/, synthetic:BARS[:FREQ[:SEED]]) "
                        "or a CSV/Parquet path (default: GOOG)")
    r.add_argument("--params", default=None,
                   help='strategy parameters as JSON, e.g. \'{"n1": 10}\'; a JSON list runs a batch')
    r.add_argument("--cash", type=float, default=10_000.0, help="starting cash (default 10000)")
    r.add_argument("--commission", type=float, default=0.002, help="commission rate (default 0.002)")
    r.add_argument("--spread", type=float, default=0.0, help="bid-ask spread rate (default 0)")
    r.add_argument("--margin", type=float, default=1.0, help="margin ratio (default 1)")
    r.add_argument("--exclusive-orders", action="store_true", help="each new order closes the previous trade")
    r.add_argument("--trade-on-close", action="store_true", help="market orders fill at the bar's close")
    r.add_argument("--hedging", action="store_true", help="allow trades in both directions at once")
    r.add_argument("--finalize-trades", action="store_true", help="close open trades at the end")
    r.add_argument("--backend", default="auto", choices=["local", "docker", "auto"],
                   help="sandbox backend (default auto: docker when usable, else local)")
    r.add_argument("--timeout", type=float, default=None, help="wall-clock limit in seconds (default 300)")
    r.add_argument("--memory", type=int, default=None, help="memory limit in MB (default 2048)")
    r.add_argument("--script", action="store_true",
                   help="run the file as __main__ and parse its printed stats (untrusted)")
    r.add_argument("--restricted", action=argparse.BooleanOptionalAction, default=True,
                   help="run the strategy module under RestrictedPython's run-time guards "
                        "(default on, ~1.1-1.2x the backtest's CPU; --no-restricted turns them "
                        "off; script mode never uses them)")
    r.add_argument("--strategy", default=None, help="which Strategy subclass, when there are several")
    r.add_argument("--plot", default=None, metavar="HTML",
                   help="also write backtesting.py's interactive chart to this file")
    r.add_argument("--json", action="store_true", help="print the result object as JSON")

    d = sub.add_parser("datasets", help="list the datasets a run can use",
                       description="List built-in datasets and the files in the data directory.")
    d.add_argument("--data-dir", default=None, help="directory of user datasets (default data/)")
    d.add_argument("--json", action="store_true", help="print as JSON")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return EXIT_SYSTEM
    try:
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "run":
            return cmd_run(args)
        return cmd_datasets(args)
    except (UsageError, RbiError) as exc:
        _err(str(exc))
        return EXIT_SYSTEM
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_SYSTEM
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user
        _err(f"internal error: {type(exc).__name__}: {exc} (please report this)")
        return EXIT_SYSTEM


def _err(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr)


def _read_source(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise UsageError(f"no such file: {path}")
    if not p.is_file():
        raise UsageError(f"not a file: {path}")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from exc


def cmd_validate(args: argparse.Namespace) -> int:
    from executor.validator import validate

    violations = validate(_read_source(args.file), script=args.script,
                          restricted=args.restricted and not args.script)
    if args.json:
        print(json.dumps({"file": args.file, "valid": not violations,
                          "violations": [v.to_dict() for v in violations]}, indent=2))
    elif not violations:
        print(f"{args.file}: valid")
    else:
        from rich.console import Console
        from rich.table import Table

        t = Table(title=f"{args.file}: {len(violations)} violation(s)")
        for col in ("line:col", "rule", "message", "write instead"):
            t.add_column(col, overflow="fold")
        for v in violations:
            t.add_row(f"{v.line}:{v.col}", v.rule, v.message, v.hint)
        Console(stderr=False).print(t)
    return EXIT_OK if not violations else EXIT_FAILED


def decode_source(raw: bytes) -> str:
    """Bytes to text as the interpreter reads them (coding cookie / BOM honoured)."""
    import io
    import tokenize

    try:
        enc, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(enc)
    except (SyntaxError, LookupError, UnicodeDecodeError):
        return raw.decode("utf-8", "surrogateescape")


def cmd_run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from executor.datasets import load_dataset
    from executor.sandbox import get_sandbox, rejected_result, run_batch
    from executor.types import BacktestOptions, Limits, RunRequest

    raw = _read_source(args.file)
    params, param_sets = _parse_params(args.params)
    limits = Limits()
    if args.timeout is not None:
        limits = replace(limits, timeout_s=args.timeout)
    if args.memory is not None:
        limits = replace(limits, memory_mb=args.memory)
    options = BacktestOptions(
        cash=args.cash, commission=args.commission, spread=args.spread, margin=args.margin,
        trade_on_close=args.trade_on_close, hedging=args.hedging,
        exclusive_orders=args.exclusive_orders, finalize_trades=args.finalize_trades,
    )
    code = decode_source(raw)
    request = RunRequest(code=code, data=None, params=params, param_sets=param_sets,
                         options=options, limits=limits, script=args.script,
                         strategy_class=args.strategy, restricted=args.restricted,
                         plot=bool(args.plot))
    # validate the exact bytes given (encoding cookies included) before anything else
    from executor.validator import validate

    violations = validate(raw, script=args.script, restricted=args.restricted and not args.script)
    if violations:
        return _report([rejected_result(request, violations, args.backend)], args)
    ds = load_dataset(args.data)
    request = replace(request, data=ds.df, data_name=ds.name)
    sandbox = get_sandbox(args.backend)
    why = getattr(sandbox, "chosen_because", None)
    if why and not args.json:
        print(f"backend: {sandbox.name} ({why})", file=sys.stderr)
    results = run_batch(request, sandbox, validate=False)
    if args.plot and results and results[0].artifacts.get("plot_html"):
        Path(args.plot).write_text(results[0].artifacts["plot_html"], encoding="utf-8")
    return _report(results, args)


def cmd_datasets(args: argparse.Namespace) -> int:
    from executor.datasets import list_datasets

    rows = list_datasets(args.data_dir)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    t = Table(title="datasets (use the name with --data)")
    for col in ("name", "source", "bars", "start", "end", "timeframe"):
        t.add_column(col)
    for row in rows:
        t.add_row(*(str(row.get(c, "")) for c in ("name", "source", "bars", "start", "end", "timeframe")))
    Console().print(t)
    return EXIT_OK


def _parse_params(text: str | None) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    if not text:
        return {}, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--params is not valid JSON ({exc.msg}); example: '{{\"n1\": 10}}'") from exc
    if isinstance(value, dict):
        return value, None
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value[0], value
    raise UsageError("--params must be a JSON object, or a non-empty list of objects for a batch")


def _report(results: list[Any], args: argparse.Namespace) -> int:
    if args.json:
        docs = [_public(r) for r in results]
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2, allow_nan=False, default=str))
    else:
        for r in results:
            _print_human(r)
    # script mode's printed stats are usable (exit 0) but shown as unverified
    return EXIT_OK if all(r.status in USABLE for r in results) else EXIT_FAILED


USABLE = ("ok", "unverified")


def _public(result: Any) -> dict[str, Any]:
    d = result.to_dict()
    d["artifacts"] = {k: (v if k != "plot_html" else f"<{len(v)} bytes of HTML>")
                      for k, v in d.get("artifacts", {}).items()}
    return d


def _print_human(r: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    colour = "green" if r.status == "ok" else "yellow" if r.status == "unverified" else "red"
    title = f"[{colour}]{r.status}[/{colour}]  backend={r.backend}"
    if r.params:
        title += f"  params={json.dumps(r.params)}"
    if r.status in USABLE and r.stats:
        t = Table(title=title + f"  stats from {r.stats_source}")
        t.add_column("stat")
        t.add_column("value", justify="right")
        for key in HEADLINE:
            if key in r.stats:
                t.add_row(key, _fmt(r.stats[key]))
        con.print(t)
        if r.degenerate:
            con.print(f"[yellow]warning: {r.degenerate.replace('_', ' ')} — the strategy ran but "
                      "gives nothing to score[/yellow]")
    else:
        con.print(title)
    if r.violations:
        for v in r.violations:
            con.print(f"  {v['line']}:{v['col']} [bold]{v['rule']}[/bold] {v['message']}"
                      + (f" — {v['hint']}" if v.get("hint") else ""), markup=False)
    elif r.error:
        where = f" (line {r.error.get('line')})" if r.error.get("line") else ""
        con.print(f"  {r.error.get('type')}{where}: {r.error.get('message')}", markup=False)
        if r.error.get("class"):
            con.print(f"  error class: {r.error['class']}", markup=False)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}"
    return "n/a" if v is None else str(v)


if __name__ == "__main__":
    sys.exit(main())
