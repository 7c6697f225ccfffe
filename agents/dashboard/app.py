"""The dashboard application: routes -> (read-only query, template) -> ``Response``.

Independent of the HTTP server (``server.py``) so the benchmark and tests can call
:meth:`Dashboard.handle` directly as well as over HTTP.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from agents.dashboard import charts, filters
from agents.dashboard.artifacts import Artifacts
from agents.dashboard.db import ReadOnlyDB
from agents.dashboard.health import health
from agents.dashboard.highlight import highlight_python, style_css
from agents.dashboard.leaderboard import SORTS, leaderboard
from agents.dashboard.metrics import CONTENT_TYPE, render_metrics
from agents.dashboard.paper import paper_list, paper_page
from agents.dashboard.pipeline import pipeline
from agents.dashboard.research_charts import report_svgs
from agents.dashboard.runstats import RunAggregates
from agents.dashboard.strategy import strategy_page
from agents.errors import RbiError

__all__ = ["Dashboard", "Response"]

HERE = Path(__file__).resolve().parent
STATIC = {"app.js": "application/javascript", "app.css": "text/css"}
FILE_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json",
              ".txt": "text/plain; charset=utf-8", ".md": "text/plain; charset=utf-8",
              ".py": "text/plain; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml",
              ".csv": "text/csv; charset=utf-8", ".yaml": "text/plain; charset=utf-8"}


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # ids for the request log


class NotFound(RbiError):
    """The page names a strategy, session or file that does not exist (HTTP 404)."""


def _int(q: dict[str, str], key: str, default: int | None = None) -> int | None:
    try:
        return int(q[key])
    except (KeyError, ValueError):
        return default


class Dashboard:
    """Read-only web views over one results database."""

    def __init__(self, db_path: Path | str, *, results_dir: Path | str | None = None,
                 token_budget: int = 0, cost_budget: float = 0.0,
                 refresh_seconds: float = 3.0) -> None:
        self.db = ReadOnlyDB(db_path)
        self.artifacts = Artifacts(results_dir)
        self.runs = RunAggregates()
        self.token_budget = token_budget
        self.cost_budget = cost_budget
        self.refresh_ms = int(refresh_seconds * 1000)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(["html"]), trim_blocks=True,
                               lstrip_blocks=True)
        filters.install(self.env)
        self.env.globals.update(sorts=SORTS, refresh_ms=self.refresh_ms,
                                db_path=str(self.db.path))
        self.static = {n: (HERE / "static" / n).read_bytes() for n in STATIC}
        self.static["pygments.css"] = style_css().encode()
        self.routes: list[tuple[re.Pattern[str], Callable[..., Response]]] = [
            (re.compile(r"^/$"), lambda q: Response(302, b"", headers={"Location": "/pipeline"})),
            (re.compile(r"^/pipeline$"), self.page_pipeline),
            (re.compile(r"^/pipeline/fragment$"), self.fragment_pipeline),
            (re.compile(r"^/api/pipeline$"), self.api_pipeline),
            (re.compile(r"^/leaderboard$"), self.page_leaderboard),
            (re.compile(r"^/api/leaderboard$"), self.api_leaderboard),
            (re.compile(r"^/strategy/(\d+)$"), self.page_strategy),
            (re.compile(r"^/api/strategy/(\d+)$"), self.api_strategy),
            (re.compile(r"^/paper$"), self.page_paper_list),
            (re.compile(r"^/paper/(\d+)$"), self.page_paper),
            (re.compile(r"^/api/paper/(\d+)$"), self.api_paper),
            (re.compile(r"^/health$"), self.page_health),
            (re.compile(r"^/api/health$"), self.api_health),
            (re.compile(r"^/metrics$"), self.metrics),
            (re.compile(r"^/healthz$"), lambda q: Response(200, b"ok\n", "text/plain")),
            (re.compile(r"^/static/([\w.\-]+)$"), self.static_file),
            (re.compile(r"^/files/([\w.\-]+)/([\w.\-]+)$"), self.folder_file),
        ]

    # -- plumbing ---------------------------------------------------------------------
    def handle(self, method: str, target: str) -> Response:
        if method not in ("GET", "HEAD"):
            return Response(405, b"read-only dashboard: GET only\n", "text/plain",
                            headers={"Allow": "GET, HEAD"})
        parts = urlsplit(target)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        for pattern, view in self.routes:
            m = pattern.match(parts.path)
            if m:
                try:
                    return view(q, *m.groups())
                except NotFound as e:
                    return self._error(404, str(e) or "not found")
                except sqlite3.OperationalError as e:
                    return self._error(503, f"cannot read the database {self.db.path}: {e}")
        return self._error(404, f"no page at {parts.path}")

    def _error(self, status: int, message: str) -> Response:
        body = self.env.get_template("error.html").render(status=status, message=message)
        return Response(status, body.encode(), info={"error": message})

    def _render(self, name: str, **ctx: Any) -> Response:
        return Response(200, self.env.get_template(name).render(**ctx).encode())

    @staticmethod
    def _json(doc: Any) -> Response:
        return Response(200, json.dumps(doc, default=str, allow_nan=False).encode(),
                        "application/json", headers={"Cache-Control": "no-store"})

    def _with_db(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        if not self.db.exists():
            raise sqlite3.OperationalError("file not found (run `python -m agents.rbi init`)")
        with self.db.connect() as conn:
            return fn(conn)

    # -- pages ------------------------------------------------------------------------
    def _pipeline(self) -> dict[str, Any]:
        return self._with_db(pipeline)  # type: ignore[no-any-return]

    def page_pipeline(self, q: dict[str, str]) -> Response:
        return self._render("pipeline.html", p=self._pipeline(), page="pipeline")

    def fragment_pipeline(self, q: dict[str, str]) -> Response:
        return self._render("pipeline_body.html", p=self._pipeline())

    def api_pipeline(self, q: dict[str, str]) -> Response:
        return self._json(self._pipeline())

    def _leaderboard(self, q: dict[str, str]) -> dict[str, Any]:
        limit = max(1, min(_int(q, "limit", 100) or 100, 1000))
        return self._with_db(lambda c: leaderboard(  # type: ignore[no-any-return]
            c, self.artifacts, sort=q.get("sort", "sharpe_ratio"), direction=q.get("dir"),
            filt=q.get("filter", "all"), limit=limit, offset=max(_int(q, "offset", 0) or 0, 0)))

    def page_leaderboard(self, q: dict[str, str]) -> Response:
        return self._render("leaderboard.html", lb=self._leaderboard(q), page="leaderboard")

    def api_leaderboard(self, q: dict[str, str]) -> Response:
        return self._json(self._leaderboard(q))

    def _strategy(self, q: dict[str, str], sid: str) -> dict[str, Any]:
        doc = self._with_db(lambda c: strategy_page(
            c, self.artifacts, int(sid), result_id=_int(q, "r"), version=_int(q, "v")))
        if doc is None:
            raise NotFound(f"no strategy S{sid}")
        return doc  # type: ignore[no-any-return]

    def page_strategy(self, q: dict[str, str], sid: str) -> Response:
        s = self._strategy(q, sid)
        versions = s["versions"]
        lineage = charts.series_svg([f"v{v['version']}" for v in versions],
                                    [v["best_sharpe"] for v in versions], name="best Sharpe")
        resp = self._render(
            "strategy.html", s=s, page="strategy",
            code_html=highlight_python(s["code"]["code"]) if s["code"] else "",
            equity_svg=charts.equity_svg(s["equity"], s["trades"], benchmark=s["benchmark"]),
            lineage_svg=lineage, **report_svgs(s["report"]))
        resp.info["strategy_id"] = int(sid)
        return resp

    def api_strategy(self, q: dict[str, str], sid: str) -> Response:
        return self._json(self._strategy(q, sid))

    def page_paper_list(self, q: dict[str, str]) -> Response:
        return self._render("paper_list.html", sessions=self._with_db(paper_list), page="paper")

    def _paper(self, pid: str) -> dict[str, Any]:
        doc = self._with_db(lambda c: paper_page(c, int(pid)))
        if doc is None:
            raise NotFound(f"no paper session P{pid}")
        return doc  # type: ignore[no-any-return]

    def page_paper(self, q: dict[str, str], pid: str) -> Response:
        return self._render("paper.html", p=self._paper(pid), page="paper")

    def api_paper(self, q: dict[str, str], pid: str) -> Response:
        return self._json(self._paper(pid))

    def _health(self) -> dict[str, Any]:
        return self._with_db(lambda c: health(  # type: ignore[no-any-return]
            c, token_budget=self.token_budget, cost_budget=self.cost_budget, runs=self.runs))

    def page_health(self, q: dict[str, str]) -> Response:
        return self._render("health.html", h=self._health(), page="health")

    def api_health(self, q: dict[str, str]) -> Response:
        return self._json(self._health())

    def metrics(self, q: dict[str, str]) -> Response:
        text = self._with_db(lambda c: render_metrics(
            c, token_budget=self.token_budget, cost_budget=self.cost_budget, runs=self.runs))
        return Response(200, text.encode(), CONTENT_TYPE)

    def static_file(self, q: dict[str, str], name: str) -> Response:
        body = self.static.get(name)
        if body is None:
            raise NotFound(f"no static file {name}")
        kind = "text/css" if name.endswith(".css") else STATIC.get(name, "text/plain")
        return Response(200, body, kind, headers={"Cache-Control": "max-age=300"})

    def folder_file(self, q: dict[str, str], name: str, filename: str) -> Response:
        path = self.artifacts.folder_file(name, filename)
        if path is None:
            raise NotFound(f"no file {filename} for strategy {name}")
        kind = FILE_TYPES.get(path.suffix.lower(), "application/octet-stream")
        # made by generated code: give it an opaque origin so its scripts cannot read the dashboard
        return Response(200, path.read_bytes(), kind,
                        headers={"Content-Security-Policy": "sandbox allow-scripts"})
