"""Export an approved strategy to ``<results>/strategies/<name>/`` and commit it.

Files: ``strategy.py`` (the code), ``spec.json``, ``params.json``, ``stats.json``,
``robustness.json`` (the evaluation report and decision) and ``chart.html``
(backtesting.py's own interactive plot, made INSIDE the sandbox: see
:func:`sandbox_chart`). When the folder is inside a git work tree that does not ignore
it, the folder is committed on its own (``git commit -- <folder>``: nothing else that
is staged goes in), one commit per promotion, with a message summarising the evidence.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.research.jsonsafe import canonical

__all__ = ["ExportResult", "commit_message", "export_strategy", "sandbox_chart"]


@dataclass
class ExportResult:
    path: Path
    files: list[str] = field(default_factory=list)
    committed: bool = False
    commit: str | None = None
    note: str = ""


def _safe_name(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")
    if not s:
        raise ValueError(f"strategy name {name!r} gives an empty folder name")
    return s


def sandbox_chart(code: str, data: Any, params: dict[str, Any], backend: Any = "auto",
                  options: Any = None, **request_kw: Any) -> str | None:
    """backtesting.py's HTML plot, produced inside the sandbox (``RunRequest.plot``)."""
    from executor import run
    from executor.types import BacktestOptions, RunRequest

    req = RunRequest(code=code, data=data, params=dict(params), plot=True,
                     options=options or BacktestOptions(cash=100_000.0, commission=0.002),
                     **request_kw)
    res = run(req, backend)
    html = res.artifacts.get("plot_html") if res.ok else None
    return html if html and not html.startswith("<!-- plot failed") else None


def commit_message(name: str, version: Any, decision: dict[str, Any],
                   evidence: dict[str, Any]) -> str:
    def f(key: str, fmt: str = "{:.3f}") -> str:
        v = evidence.get(key)
        return fmt.format(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else "n/a"

    score = decision.get("score")
    head = f"promote {name} v{version}: score {score:.1f}" if isinstance(score, (int, float)) \
        else f"promote {name} v{version}"
    lines = [head, "",
             f"Sharpe {f('sharpe')}, return {f('return_pct', '{:.1f}')} %, max drawdown "
             f"{f('max_drawdown_pct', '{:.1f}')} %, trades {f('trades', '{:d}')}",
             f"DSR {f('dsr')} over {f('n_trials', '{:d}')} trials, PBO {f('pbo')}, "
             f"walk-forward OOS efficiency {f('oos_efficiency')}",
             f"holdout Sharpe {f('holdout_sharpe')}, Monte Carlo P(ruin) {f('prob_ruin')}, "
             f"random-walk profit share {f('random_profitable_fraction')}",
             f"look-ahead findings: {len(evidence.get('lookahead_findings') or [])}"]
    lines += [f"- {r}" for r in decision.get("reasons", [])]
    return "\n".join(lines) + "\n"


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _commit(folder: Path, message: str) -> tuple[bool, str | None, str]:
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        return False, None, "no git repository here"
    root = Path(top.stdout.strip())
    rel = str(folder.resolve().relative_to(root.resolve()))
    if _git(root, "check-ignore", "-q", rel).returncode == 0:
        return False, None, f"{rel} is ignored by the repository at {root}"
    ident: list[str] = []
    if not _git(root, "config", "user.email").stdout.strip():
        ident = ["-c", "user.name=rbi", "-c", "user.email=rbi@localhost"]
    add = _git(root, "add", "--", rel)
    if add.returncode != 0:
        return False, None, f"git add failed: {add.stderr.strip()}"
    done = _git(root, *ident, "commit", "-q", "-m", message, "--", rel)
    if done.returncode != 0:
        return False, None, f"nothing committed: {(done.stdout + done.stderr).strip()[:300]}"
    sha = _git(root, "rev-parse", "HEAD").stdout.strip()
    return True, sha, f"committed {sha[:12]} in {root}"


def export_strategy(root: str | Path, name: str, *, code: str, spec: dict[str, Any],
                    params: dict[str, Any], stats: dict[str, Any], evaluation: dict[str, Any],
                    chart_html: str | None, version: Any = "", commit: bool = True
                    ) -> ExportResult:
    """Write the folder under ``root`` (``<results>/strategies``); commit when possible.

    ``evaluation`` is :meth:`Evaluation.to_dict` (decision, evidence, report)."""
    folder = Path(root) / _safe_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "strategy.py": code if code.endswith("\n") else code + "\n",
        "spec.json": canonical(spec, None),
        "params.json": canonical(params, None),
        "stats.json": canonical({k: v for k, v in stats.items() if not str(k).startswith("_")
                                 or k == "_trades_total"}, None),
        "robustness.json": canonical({"version": version, **evaluation}, None),
    }
    if chart_html:
        files["chart.html"] = chart_html
    for fname, text in files.items():
        (folder / fname).write_text(text, encoding="utf-8")
    out = ExportResult(folder, sorted(files))
    if not chart_html:
        out.note = "no chart (the sandboxed plot failed or was not requested); "
    if commit:
        msg = commit_message(name, version, evaluation.get("decision") or {},
                             evaluation.get("evidence") or {})
        out.committed, out.commit, note = _commit(folder, msg)
        out.note += note
    return out
