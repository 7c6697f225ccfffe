"""One function per CLI command: ``cmd_x(args, settings) -> exit code``."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from agents.errors import ConfigError, RbiError
from agents.inbox import InboxConfig, pending_files, scan, submit_configured, submit_item
from agents.pipeline import load_pipeline
from agents.rbi.progress import Progress
from agents.rbi.render import console, emit_json, fmt, table
from agents.runtime import Runtime, lock_info
from agents.store import Store
from agents.store import queries as q
from agents.store.queue import Queue

if TYPE_CHECKING:
    from agents.settings import Settings

Command = Callable[[argparse.Namespace, Any], int]


def _store(settings: Settings) -> Store:
    return Store(settings.db, busy_timeout_ms=settings.busy_timeout_ms)


def parse_ref(text: str, default: str) -> tuple[str, int]:
    """'S12' / 'I3' / 'E40' / 'V7' / '12' -> (kind, id)."""
    t = text.strip().upper()
    kind = default
    if t[:1] in "SIEV" and t[1:].isdigit():
        kind, t = {"S": "strategy", "I": "idea", "E": "event", "V": "version"}[t[0]], t[1:]
    if not t.isdigit():
        raise ConfigError(f"not an id: {text!r} (use S12 for a strategy, I3 idea, E40 event)")
    return kind, int(t)


# -- run ------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    pipeline = load_pipeline(settings.pipeline)
    if args.dry_run:
        return _dry_run(args, settings, pipeline.types)
    progress = Progress(Console(stderr=True, highlight=False),
                        live=sys.stderr.isatty() and not args.json, log=_progress_line)

    from agents.runtime.reports import write_cycle_reports

    with _store(settings) as store:
        submit_configured(settings, store)

    rt = Runtime(settings, pipeline, once=args.once, scan=scan, on_tick=progress.tick,
                 on_cycle=write_cycle_reports,
                 cycle_interval=settings.research.loop.interval_seconds)
    with progress:
        counts = rt.run()
    doc = {"run_id": rt.run_id, "outcomes": dict(counts)}
    if args.json:
        emit_json(doc)
    else:
        console.print(f"run {rt.run_id} finished: " + (", ".join(
            f"{k} {v}" for k, v in sorted(counts.items())) or "nothing to do"))
    return 1 if args.once and (counts.get("dead") or counts.get("unavailable")) else 0


def _progress_line(line: str) -> None:
    """Off a terminal: a plain line on stderr (and in the log file)."""
    logging.getLogger("rbi.run").debug("progress: %s", line)
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} {line}\n")
    sys.stderr.flush()


def _dry_run(args: argparse.Namespace, settings: Settings, handled: tuple[str, ...]) -> int:
    files = [str(p) for p in pending_files(Path(settings.ideas_dir))]
    with _store(settings) as store:
        ready = store.ready_by_type()
        holder = lock_info(store, settings.lock_stale_seconds)
    for r in ready:
        r["handler"] = r["type"] in handled
        r["due_in_s"] = max(0.0, round(r.pop("first_ts") - time.time(), 1))
    doc = {"idea_files": files, "ready": ready, "stages": list(handled), "runner": holder}
    if args.json:
        emit_json(doc)
        return 0
    console.print(f"would import {len(files)} idea file(s) from {settings.ideas_dir}")
    for f in files:
        console.print(f"  {f}")
    table("events ready", ["stage", "count", "handler", "due in s"],
          [[r["type"], r["n"], "yes" if r["handler"] else "NO (stays pending)", r["due_in_s"]]
           for r in ready])
    if holder and holder.get("alive"):
        console.print(f"note: a runner is active (pid {holder['pid']}); `run` would be refused")
    return 0


# -- status / history / show ------------------------------------------------------------
def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    try:
        handled: tuple[str, ...] | None = load_pipeline(settings.pipeline).types
    except RbiError:
        handled = ()
    with _store(settings) as store:
        doc = q.status(store, handled=handled, settings=settings)
        doc["runner"] = lock_info(store, settings.lock_stale_seconds)
    if settings.backend == "ray":
        from agents.dashboard.cluster import cluster_page

        doc["cluster"] = _ray_cluster(settings)
        doc["cluster_loop"] = cluster_page(Path(settings.results_dir))  # the loop's own view
    if args.json:
        emit_json(doc)
        return 0
    stats = sorted({s for by in doc["events"].values() for s in by})
    table("events per stage", ["stage", *stats],
          [[t, *(by.get(s, 0) for s in stats)] for t, by in sorted(doc["events"].items())])
    console.print("ideas: " + (", ".join(f"{k} {v}" for k, v in doc["ideas"].items()) or "none"))
    console.print("results: " + (", ".join(f"{k} {v}" for k, v in doc["results"].items()) or "none"))
    for w in doc["waiting"]:
        console.print(f"[yellow]{w['ready']} event(s) waiting: {w['reason']}[/yellow]")
    if doc["running"]:
        table("running now", ["event", "stage", "attempt", "worker", "since"],
              [[f"E{r['id']}", r["type"], r["attempts"], r["lease_owner"], r["updated_at"]]
               for r in doc["running"]])
    if doc["retrying"]:
        table("waiting to retry", ["event", "stage", "attempts", "class", "reason"],
              [[f"E{r['id']}", r["type"], r["attempts"], r["error_class"],
                r["wait_reason"] or r["last_error"]] for r in doc["retrying"]])
    if doc["failures"]:
        table("dead letters by error class", ["class", "count", "last event", "last error"],
              [[r["error_class"], r["n"], f"E{r['last_event']}", r["last_error"]]
               for r in doc["failures"]])
    llm = doc["llm"]
    console.print(f"LLM today: {llm['tokens_today']} tokens / budget {llm['token_budget'] or '-'}, "
                  f"${llm['cost_usd_today']:.4f} / budget ${llm['cost_budget_usd']}")
    r = doc["runner"]
    console.print(f"runner: pid {r['pid']} on {r['host']}, heartbeat {r['heartbeat_age_s']} s ago"
                  if r and r.get("alive") else "runner: none active")
    if "cluster" in doc:
        from executor import format_status

        c = doc["cluster"]
        console.print("\n".join(format_status(c)) if "error" not in c
                      else f"[red]ray cluster: {c['error']}[/red]")
        for line in _loop_view(doc["cluster_loop"]):
            console.print(line)
    return 0


def _loop_view(c: dict[str, Any]) -> list[str]:
    """The running loop's view of its cluster (RBI_RESULTS_DIR/ray-cluster.json)."""
    if not c.get("present"):
        return [f"loop's cluster view: none ({c['why']})"]
    when = f"as of {c['age_s']} s ago" + (", STALE: is the loop running?" if c["stale"] else "")
    if not c.get("connected"):
        return [f"[red]loop's cluster view ({when}): {c.get('error')}[/red]"]
    lines = [f"loop's cluster view ({when}): {c['nodes']} node(s), {c['slots']} slot(s), "
             f"{c['batches_in_flight']} batch(es) and {c['chunks_in_flight']} chunk(s) in "
             f"flight, {c['sets_per_s']} runs/s, {c['chunks_resubmitted']} chunk(s) resubmitted"]
    lines += [f"  {n['node_id'][:12]} {n['address']:<15} {'alive' if n['alive'] else 'dead':<5} "
              f"slots {n['slots']} in flight {n['in_flight']} done {n['sets_done']} "
              f"({n['sets_per_s']} runs/s)" for n in c["per_node"]]
    return lines


def _ray_cluster(settings: Settings) -> dict[str, Any]:
    """The cluster --backend ray runs on (joins it as one more driver)."""
    import os

    from executor import cluster_status

    try:
        return cluster_status(settings.ray_address or os.environ.get("RBI_RAY_ADDRESS") or "auto")
    except RbiError as exc:
        return {"error": str(exc)}


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        rows = q.history(store, status=args.filter_status, min_sharpe=args.min_sharpe,
                         limit=args.limit)
    if args.json:
        emit_json(rows)
        return 0
    table("strategies (newest first)",
          ["id", "name", "status", "versions", "results", "best v", "dataset", "Sharpe",
           "return %", "max DD %", "win %", "trades"],
          [[f"S{r['id']}", r["name"], r["status"], r["versions"], r["results"],
            *((b["version"], b["dataset"], b["sharpe_ratio"], b["total_return"],
               b["max_drawdown"], b["win_rate"], b["num_trades"]) if (b := r["best"])
              else ("-",) * 7)] for r in rows])
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    kind, ident = parse_ref(args.id, "strategy")
    with _store(settings) as store:
        if kind == "version":
            v = store.version(ident)
            kind, ident = ("strategy", v.strategy_id) if v else (kind, ident)
        if kind == "strategy":
            doc = q.show(store, ident, code=not args.no_code)
        elif kind == "idea":
            doc = store.idea_detail(ident)
        else:
            doc = store.event_row(ident)
    if doc is None:
        print(f"error: no {kind} {args.id}", file=sys.stderr)
        return 1
    if args.json:
        emit_json(doc)
    elif kind == "strategy":
        _print_strategy(doc)
    else:
        for k, v in doc.items():
            if isinstance(v, list):
                console.print(f"{k}:")
                for item in v:
                    console.print("  " + ", ".join(f"{a}={fmt(b)}" for a, b in item.items()))
            else:
                console.print(f"{k}: {fmt(v)}")
    return 0


def _print_strategy(doc: dict[str, Any]) -> None:
    console.print(f"[bold]S{doc['id']} {doc['name']}[/bold]  status {doc['status']}"
                  + (f" ({doc['reason']})" if doc.get("reason") else ""))
    if doc.get("idea"):
        console.print(f"idea I{doc['idea']['id']}: {doc['idea']['text'][:200]}")
    console.print(f"spec: {doc['spec']}")
    table("versions", ["v", "id", "parent", "agent", "status", "optimisation", "delta", "note"],
          [[v["version"], f"V{v['id']}", v["parent_id"] and f"V{v['parent_id']}", v["agent"],
            v["status"], (o := v["optimization"]) and f"{o['optimization_type']}: {o['changes_made']}",
            o and o["performance_delta"], v["note"]] for v in doc["versions"]])
    table("results", ["v", "dataset", "status", "Sharpe", "return %", "max DD %", "win %",
                      "trades", "error"],
          [[r["version"], r["dataset"], r["status"], r["sharpe_ratio"], r["total_return"],
            r["max_drawdown"], r["win_rate"], r["num_trades"],
            r["error_message"] and f"{r['error_class']}: {r['error_message']}"] for r in doc["results"]])
    for r in doc["reviews"]:
        console.print(f"review V{r['version_id']}: {r['outcome']} {r['summary']}", markup=False)
    for r in doc.get("research", []):
        console.print(f"research V{r['version_id']}: {r['outcome']} (score "
                      f"{fmt(r['score'])}, DSR {fmt(r['dsr'])} over {r['n_trials']} trials, "
                      f"OOS efficiency {fmt(r['oos_efficiency'])}, PBO {fmt(r['pbo'])}"
                      + (f", holdout Sharpe {fmt(r['holdout_sharpe'])}" if r["holdout_read"]
                         else "") + ")", markup=False)
        for reason in r["reasons"]:
            console.print(f"  - {reason}", markup=False)
    for e in doc["errors"]:
        console.print(f"[red]E{e['id']} {e['type']} {e['status']} x{e['attempts']}: "
                      f"{e['error_class']}: {e['last_error']}[/red]")
    if doc["versions"] and "code" in doc["versions"][-1]:
        console.print(f"--- code of v{doc['versions'][-1]['version']} ---")
        console.print(doc["versions"][-1]["code"], markup=False)


# -- ideas / cancel / retry / init -------------------------------------------------------
def cmd_ideas_add(args: argparse.Namespace, settings: Settings) -> int:
    """Each item on its own: a bad file is reported (``error`` in --json) and the rest are
    still added; exit 2 when any item failed."""
    cfg = InboxConfig.from_settings(settings)
    out: list[dict[str, Any]] = []
    with _store(settings) as store:
        for item in args.items:
            try:
                out.append(submit_item(store, item, cfg))
            except RbiError as e:
                out.append({"item": item, "error": str(e)})
    if args.json:
        emit_json(out)
    else:
        for o in out:
            if "error" in o:
                continue
            console.print(f"I{o['idea_id']} " + ("added" if o["created"] else "already known")
                          + (f" (code, enters at package: {o['data']})" if "data" in o else ""))
    failed = [o for o in out if "error" in o]
    for o in failed:
        print(f"error: not added: {o['error']}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} of {len(out)} items not added; fix them and run `ideas add` "
              "again for those (the others are in)", file=sys.stderr)
    return 2 if failed else 0


def cmd_ideas_list(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        rows = store.ideas_listing(status=args.filter_status, limit=args.limit)
    if args.json:
        emit_json(rows)
    else:
        table("ideas", ["id", "status", "source", "strategies", "text", "reason"],
              [[f"I{r['id']}", r["status"], r["source"], r["strategies"],
                r["text"].replace("\n", " "), r["reason"]] for r in rows])
    return 0


def cmd_cancel(args: argparse.Namespace, settings: Settings) -> int:
    kind, ident = parse_ref(args.id, "strategy")
    if kind not in ("idea", "strategy"):
        raise ConfigError("cancel takes a strategy (S12) or an idea (I3)")
    with _store(settings) as store:
        exists = store.idea(ident) is not None if kind == "idea" else store.strategy_exists(ident)
        if not exists:
            print(f"error: no {kind} {args.id}", file=sys.stderr)
            return 1
        res = Queue(store).cancel(**{f"{kind}_id": ident})
    if args.json:
        emit_json({kind: ident, **res})
    else:
        console.print(f"{kind} {ident} cancelled: {res['cancelled']} pending event(s) cancelled, "
                      f"{res['stopping']} running will stop at their next checkpoint")
    return 0


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    kind, ident = parse_ref(args.id, "event")
    if kind == "version":
        raise ConfigError("retry takes an event (E40), an idea (I3) or a strategy (S12)")
    with _store(settings) as store:
        n = Queue(store).retry(**{f"{kind}_id": ident})
    if args.json:
        emit_json({kind: ident, "requeued": n})
    else:
        console.print(f"{n} event(s) back in the queue")
    return 0 if n else 1


def cmd_init(args: argparse.Namespace, settings: Settings) -> int:
    Path(settings.ideas_dir).mkdir(parents=True, exist_ok=True)
    Path(settings.results_dir).mkdir(parents=True, exist_ok=True)
    with _store(settings) as store:
        version = store.schema_version()
    doc = {"db": str(settings.db), "schema_version": version, "ideas_dir": str(settings.ideas_dir),
           "results_dir": str(settings.results_dir)}
    if args.json:
        emit_json(doc)
    else:
        console.print(f"database {doc['db']} (schema v{version}); ideas in {doc['ideas_dir']}")
    return 0
