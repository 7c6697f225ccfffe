"""Benchmark: LLM-written strategy files through ``ideas add FILE.py`` + the loop.

Every file of the fixture corpus (``tests/corpus/llm_btc``, categories in its
MANIFEST.json) is added with ``python -m agents.rbi ideas add``, with a BTC 15-minute CSV
written beside the files the way the authors' machines had it (leading-space header,
trailing comma), then ``run --once`` with the offline provider and the local sandbox.
Review/optimise are replaced by a no-op (this measures package -> validate -> execute ->
debug). Per category it prints the share of files that reached stats (some run finished
with a stats block) and that traded (some run with at least one trade).

    .venv/bin/python bench/bench_codefix.py                    # this checkout only
    .venv/bin/python bench/bench_codefix.py --before /work/main  # before (main's rules) / after

``--before DIR`` runs the same corpus with DIR's code and DIR/.venv (e.g. a checkout of
main) and prints both columns side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus" / "llm_btc"
CSV_NAME = "BTC-USD-15m.csv"

# a pipeline that stops after execute/debug: review (and so optimise/promote) is a no-op
PIPELINE = {
    "package": "agents.stages.package:handle",
    "validate": "agents.stages.execution:handle_validate",
    "execute": "agents.stages.execution:handle_execute",
    "debug": "agents.stages.debug:handle",
    "review": "bench_codefix:no_review",
}


def no_review(ctx: object, payload: dict) -> None:
    """The benchmark stops once a version ran."""


def synthetic_btc(bars: int, seed: int):  # type: ignore[no-untyped-def]
    """A BTC-like 15-minute random walk (price ~26,000, 0.35 % a bar)."""
    sys.path.insert(0, str(ROOT))
    from executor.synthetic import synthetic_ohlcv

    return synthetic_ohlcv(bars, "15min", seed=seed, start="2023-01-01", vol=0.0035,
                           price=26_000.0)


def write_btc_csv(path: Path, bars: int, seed: int) -> None:
    """:func:`synthetic_btc` written like the authors' CSVs (leading spaces, trailing comma)."""
    df = synthetic_btc(bars, seed)
    with path.open("w") as f:
        f.write(" datetime, open, high, low, close, volume,\n")
        for ts, row in zip(df.index, df.itertuples(index=False), strict=True):
            f.write(f"{ts:%Y-%m-%d %H:%M:%S}, {row.Open:.2f}, {row.High:.2f}, {row.Low:.2f}, "
                    f"{row.Close:.2f}, {float(row.Volume):.4f},\n")


def run_corpus(checkout: Path, corpus: Path, bars: int, seed: int, workdir: Path,
               workers: int) -> dict[str, dict]:
    """-> {file name: {"stats": bool, "trades": bool, "reason": str}}."""
    python = checkout / ".venv" / "bin" / "python"
    inbox = workdir / "inbox"
    inbox.mkdir(parents=True)
    files = sorted(p for p in corpus.glob("*.py"))
    for p in files:
        shutil.copy(p, inbox / p.name)
    write_btc_csv(inbox / CSV_NAME, bars, seed)
    env = {**os.environ, "RBI_DB": str(workdir / "rbi.sqlite"),
           "RBI_DATA_DIR": str(workdir / "data"), "RBI_RESULTS_DIR": str(workdir / "results"),
           "RBI_IDEAS_DIR": str(workdir / "watched"), "RBI_PROVIDER": "offline",
           "RBI_BACKEND": "local", "RBI_PIPELINE": "bench_codefix:PIPELINE",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent),
                                          str(checkout)]),
           "ANTHROPIC_API_KEY": "", "OPENAI_API_KEY": ""}
    (workdir / "watched").mkdir()
    add = subprocess.run([str(python), "-m", "agents.rbi", "ideas", "add",
                          *(str(inbox / p.name) for p in files)],
                         cwd=checkout, env=env, capture_output=True, text=True, check=False)
    if add.returncode != 0:
        print(add.stderr[-3000:], file=sys.stderr)
    proc = subprocess.run([str(python), "-m", "agents.rbi", "run", "--once", "--workers",
                           str(workers)], cwd=checkout, env=env, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
    return _outcomes(workdir / "rbi.sqlite", files)


def _outcomes(db: Path, files: list[Path]) -> dict[str, dict]:
    con = sqlite3.connect(db)
    out: dict[str, dict] = {p.name: {"stats": False, "trades": False, "reason": "not added"}
                            for p in files}
    rows = con.execute("SELECT i.source_path, s.id, s.status, s.reason FROM ideas i "
                       "JOIN strategies s ON s.idea_id = i.id").fetchall()
    for path, sid, status, reason in rows:
        name = Path(path).name
        res = con.execute("SELECT status, num_trades, stats_json FROM backtest_results "
                          "WHERE strategy_id = ?", (sid,)).fetchall()
        stats = [r for r in res if r[0] == "ok" and r[2] not in ("", "{}")]
        trades = [r for r in stats if (r[1] or 0) > 0]
        last = con.execute("SELECT status, error_class, error_message FROM backtest_results "
                           "WHERE strategy_id = ? ORDER BY id DESC LIMIT 1", (sid,)).fetchone()
        why = reason or (f"{last[0]} {last[1] or ''} {str(last[2] or '')[:80]}" if last else status)
        out[name] = {"stats": bool(stats), "trades": bool(trades), "reason": why}
    con.close()
    return out


def table(manifest: dict[str, str], runs: dict[str, dict[str, dict]]) -> str:
    cats: dict[str, list[str]] = defaultdict(list)
    for name, cat in manifest.items():
        cats[cat].append(name)
    labels = list(runs)
    head = f"{'category':24s} {'files':>5s}" + "".join(
        f"  {lab + ' stats':>14s} {lab + ' trade':>14s}" for lab in labels)
    lines = [head, "-" * len(head)]

    def row(title: str, names: list[str]) -> str:
        text = f"{title:24s} {len(names):5d}"
        for lab in labels:
            res = runs[lab]
            s = sum(res[n]["stats"] for n in names) / len(names)
            t = sum(res[n]["trades"] for n in names) / len(names)
            text += f"  {s:14.0%} {t:14.0%}"
        return text

    for cat in sorted(cats):
        lines.append(row(cat, cats[cat]))
    lines.append("-" * len(head))
    lines.append(row("ALL", list(manifest)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, help="checkout with its own .venv to compare "
                    "against (e.g. /work/main)")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--bars", type=int, default=4000, help="15-minute bars in the CSV")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    ap.add_argument("--details", action="store_true", help="print each file's outcome")
    args = ap.parse_args(argv)
    manifest = json.loads((args.corpus / "MANIFEST.json").read_text())
    checkouts = {"after": ROOT} if args.before is None else {"before": args.before, "after": ROOT}
    runs: dict[str, dict[str, dict]] = {}
    for label, checkout in checkouts.items():
        work = Path(tempfile.mkdtemp(prefix=f"bench-codefix-{label}-"))
        t0 = time.perf_counter()
        runs[label] = run_corpus(checkout, args.corpus, args.bars, args.seed, work, args.workers)
        print(f"{label}: {checkout} ({time.perf_counter() - t0:.0f} s, work dir {work})")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.details:
        for name in sorted(manifest):
            print(f"{name:40s} {manifest[name]:22s} " + " | ".join(
                f"{lab}: {'S' if r[name]['stats'] else '-'}{'T' if r[name]['trades'] else '-'} "
                f"{r[name]['reason'][:70]}" for lab, r in runs.items()))
    print(table(manifest, runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
