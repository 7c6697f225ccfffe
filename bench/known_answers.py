"""Known-answer benchmark: planted edges must pass, noise / look-ahead / beta must not.

    python bench/known_answers.py [--cases bounce,peek_roll] [--seed 0] [--json]
                                  [--backend auto|local|docker] [--keep]

Each case is a market from :mod:`bench.known_markets` (a seeded synthetic daily series
with a planted effect, or none) and a strategy file from ``bench/known_cases/`` written
the way people write scripts (reads its CSV by bare name, module-level Backtest,
``print(stats)``). In a fresh temp lab the CSVs go into the data directory
(``RBI_DATA_DIR``), every file enters through the normal intake
(``python -m agents.rbi ideas add FILE.py``) and ``run --once`` runs on the default
settings (only the paths point into the lab). Printed: each case's final strategy
status and reason, the confusion matrix (edges passed a/b, false passes c/d, look-ahead
killed with the look-ahead reason e/f) and the wall time.

Verdicts: an edge passes when its strategy is promoted — it ends ``approved``, or it
went on to paper trading after promotion (``graduated``, or killed by its paper session:
promoted all the same); any other case promoted is a false pass; a look-ahead case must
end ``killed`` with a reason that names look-ahead.
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.known_markets import MARKETS, write_csv  # noqa: E402

CASE_DIR = Path(__file__).resolve().parent / "known_cases"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # edge | noise | lookahead | beta
    csv: str  # the bare file name the script reads
    market: str  # key of known_markets.MARKETS
    seed_offset: int = 0  # distinct markets of one kind get distinct seeds
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def script(self) -> Path:
        return CASE_DIR / f"{self.name}.py"


CASES = (
    Case("bounce", "edge", "bounce.csv", "bounce"),
    Case("weekday", "edge", "weekday.csv", "weekday"),
    Case("regime_ma", "edge", "regimes.csv", "regimes"),
    Case("slow_200", "edge", "slow.csv", "slow_trend"),
    Case("breakout", "edge", "breakout.csv", "breakout"),
    Case("noise_ma", "noise", "walk_ma.csv", "random_walk", 101),
    Case("noise_rsi", "noise", "walk_rsi.csv", "random_walk", 102),
    Case("noise_six", "noise", "walk_six.csv", "random_walk", 103),
    Case("noise_eight", "noise", "walk_eight.csv", "random_walk", 105),
    Case("peek_roll", "lookahead", "walk_peek.csv", "random_walk", 104),
    Case("peek_centered", "lookahead", "walk_peek.csv", "random_walk", 104),
    Case("peek_limit", "lookahead", "walk_peek.csv", "random_walk", 104),
    Case("peek_shift", "lookahead", "walk_peek.csv", "random_walk", 104),
    Case("peek_init", "lookahead", "walk_peek.csv", "random_walk", 104),
    Case("beta_monthly", "beta", "drift.csv", "drifting"),
)
BY_NAME = {c.name: c for c in CASES}
LOOKAHEAD_WORDS = ("look-ahead", "lookahead", "future data")


@dataclass
class Outcome:
    case: str
    kind: str
    status: str
    reason: str
    passed: bool  # the case got the answer it must get

    @property
    def approved(self) -> bool:
        return promoted(self.status, self.reason)


def promoted(status: str, reason: str) -> bool:
    """Passed promotion: approved, or paper-traded after it (graduated or killed there)."""
    return status in ("approved", "graduated") or (
        status == "killed" and reason.startswith("paper P"))


def verdict(kind: str, status: str, reason: str) -> bool:
    """Whether a case of ``kind`` that ended ``status``/``reason`` got its known answer."""
    if kind == "edge":
        return promoted(status, reason)
    if kind == "lookahead":
        return status == "killed" and any(w in reason.lower() for w in LOOKAHEAD_WORDS)
    return not promoted(status, reason)


def build_lab(cases: list[Case], seed: int, lab: Path) -> list[Path]:
    """Write each case's market CSV into lab/data and its script into lab/scripts."""
    written: set[str] = set()
    scripts = []
    for c in cases:
        if c.csv not in written:
            df = MARKETS[c.market](seed=seed * 1000 + c.seed_offset, **c.kwargs)
            write_csv(df, lab / "data" / c.csv)
            written.add(c.csv)
        dst = lab / "scripts" / c.script.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(c.script, dst)
        scripts.append(dst)
    for d in ("ideas", "results"):
        (lab / d).mkdir(parents=True, exist_ok=True)
    return scripts


LLM_ENV = ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL")


def lab_env(lab: Path) -> dict[str, str]:
    """The lab's environment: its own paths, and no LLM keys (the matrix is measured on
    the defaults, which are the offline provider). ``RBI_SANDBOX_IMAGE`` is kept: which
    sandbox image runs the code is the machine's, not a lab setting."""
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith("RBI_") or k == "RBI_SANDBOX_IMAGE") and k not in LLM_ENV}
    env.update(RBI_DB=str(lab / "results" / "rbi.sqlite"), RBI_RESULTS_DIR=str(lab / "results"),
               RBI_IDEAS_DIR=str(lab / "ideas"), RBI_DATA_DIR=str(lab / "data"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    return env


def rbi(lab: Path, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    p = subprocess.run([sys.executable, "-m", "agents.rbi", *args], cwd=lab, env=lab_env(lab),
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"rbi {' '.join(args)} exited {p.returncode}:\n{p.stderr[-3000:]}")
    return p


def outcomes(lab: Path, cases: list[Case]) -> list[Outcome]:
    """Each case's strategy status and reason, read from the lab's database."""
    con = sqlite3.connect(lab / "results" / "rbi.sqlite")
    try:
        rows = con.execute("SELECT i.source_path, s.status, COALESCE(s.reason, ''), i.status, "
                           "COALESCE(i.reason, '') FROM ideas i LEFT JOIN strategies s ON "
                           "s.idea_id = i.id ORDER BY s.id").fetchall()
    finally:
        con.close()
    by_file = {Path(r[0]).stem: r for r in rows if r[0]}
    out = []
    for c in cases:
        row = by_file.get(c.name)
        status, reason = ("missing", "no idea recorded") if row is None else (
            row[1] or f"idea {row[3]}", row[2] or row[4])
        out.append(Outcome(c.name, c.kind, status, reason, verdict(c.kind, status, reason)))
    return out


def run(cases: list[Case], seed: int = 0, backend: str | None = None,
        lab: Path | None = None) -> tuple[list[Outcome], float]:
    """Build a lab, add every case through ``ideas add``, ``run --once``; the outcomes
    and the wall time in seconds (lab build excluded)."""
    lab = lab or Path(tempfile.mkdtemp(prefix="rbi-known-"))
    scripts = build_lab(cases, seed, lab)
    extra = ["--backend", backend] if backend else []
    t0 = time.perf_counter()
    rbi(lab, "ideas", "add", *map(str, scripts), *extra)
    rbi(lab, "run", "--once", *extra)
    return outcomes(lab, cases), time.perf_counter() - t0


def matrix(results: list[Outcome]) -> dict[str, Any]:
    edges = [o for o in results if o.kind == "edge"]
    others = [o for o in results if o.kind != "edge"]
    look = [o for o in results if o.kind == "lookahead"]
    return {"edges_passed": sum(o.approved for o in edges), "edges": len(edges),
            "false_passes": sum(o.approved for o in others), "non_edges": len(others),
            "lookahead_killed": sum(o.passed for o in look), "lookahead": len(look),
            "all_correct": all(o.passed for o in results)}


def render(results: list[Outcome], seconds: float) -> str:
    m = matrix(results)
    lines = [f"{'case':15s} {'kind':10s} {'ok':3s} {'status':9s} reason"]
    for o in results:
        reason = " ".join(o.reason.split())
        lines.append(f"{o.case:15s} {o.kind:10s} {'yes' if o.passed else 'NO':3s} "
                     f"{o.status:9s} {reason[:160]}")
    lines += ["", f"edges passed      {m['edges_passed']}/{m['edges']}",
              f"false passes      {m['false_passes']}/{m['non_edges']}",
              f"look-ahead killed {m['lookahead_killed']}/{m['lookahead']} (with the "
              "look-ahead reason)", f"wall time         {seconds:.0f} s "
              f"({os.cpu_count()} cores)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", help="comma-separated subset (default all): "
                    + ",".join(BY_NAME))
    ap.add_argument("--seed", type=int, default=0, help="market seed (default 0)")
    ap.add_argument("--backend", help="sandbox backend (default: the settings' default)")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--keep", action="store_true", help="keep the temp lab and print its path")
    a = ap.parse_args(argv)
    names = [n.strip() for n in a.cases.split(",")] if a.cases else list(BY_NAME)
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    lab = Path(tempfile.mkdtemp(prefix="rbi-known-"))
    try:
        results, secs = run([BY_NAME[n] for n in names], a.seed, a.backend, lab)
    finally:
        if not a.keep:
            shutil.rmtree(lab, ignore_errors=True)
    if a.json:
        print(json.dumps({"cases": [asdict(o) for o in results], "matrix": matrix(results),
                          "seconds": round(secs, 1), "seed": a.seed,
                          "cores": os.cpu_count()}, indent=2))
    else:
        print(render(results, secs))
        if a.keep:
            print(f"lab kept in {lab}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
