"""Dashboard views over a real SQLite file filled through the store API (no browser)."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from agents.dashboard import Dashboard, make_server
from agents.dashboard.logs import event_logger
from agents.store import Store
from tests.agents.dashboard.browser.seed import add_run_detail_columns, seed, store_run_detail
from tests.helpers import REPO


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "rbi.sqlite"
    seed(path, strategies=8)
    return path


def _json(app: Dashboard, target: str) -> Any:
    r = app.handle("GET", target)
    assert r.status == 200, r.body[:300]
    return json.loads(r.body)


@pytest.fixture(scope="module")
def real_run() -> dict[str, Any]:
    """A real backtesting.py run turned into RunResult fields by the harness's own code."""
    from backtesting import Backtest
    from backtesting.test import GOOG

    from executor.harness.statsjson import equity_to_json, stats_to_json, trades_to_json
    from tests.agents.dashboard.browser.seed import CODE

    ns: dict[str, Any] = {}
    exec(CODE.format(n1=10, n2=20), ns)
    stats = Backtest(GOOG, ns["SmaCross"], exclusive_orders=True, finalize_trades=True).run()
    trades, _ = trades_to_json(stats._trades, 1000)
    return {"status": "ok", "stats": stats_to_json(stats), "trades": trades,
            "equity_curve": equity_to_json(stats._equity_curve, 300), "backend": "local",
            "timings": {"total": 0.5}, "resources": {"peak_rss_mb": 90.0, "cpu_s": 0.2}}


def test_every_page_renders_and_unknown_ids_are_404(db: Path) -> None:
    app = Dashboard(db, token_budget=10_000, cost_budget=0.5)
    for target in ("/pipeline", "/pipeline/fragment", "/leaderboard", "/strategy/1", "/health",
                   "/leaderboard?filter=killed&sort=max_drawdown&dir=asc", "/static/app.js",
                   "/static/pygments.css", "/healthz", "/metrics"):
        r = app.handle("GET", target)
        assert r.status == 200, (target, r.body[:400])
    assert app.handle("GET", "/strategy/999").status == 404
    assert app.handle("GET", "/nowhere").status == 404
    assert app.handle("POST", "/pipeline").status == 405
    assert app.handle("GET", "/").headers["Location"] == "/pipeline"
    page = app.handle("GET", "/strategy/1").body.decode()
    assert 'class="hl"' in page and "SmaCross" in page  # highlighted code
    assert "RuntimeError" in app.handle("GET", "/pipeline").body.decode()  # dead events' class


def test_leaderboard_sorts_and_filters_on_the_server(db: Path) -> None:
    app = Dashboard(db)
    for key in ("sharpe_ratio", "total_return", "max_drawdown"):
        for direction in ("asc", "desc"):
            doc = _json(app, f"/api/leaderboard?sort={key}&dir={direction}")
            vals = [r[key] for r in doc["rows"] if r[key] is not None]
            assert len(vals) >= 5 and vals == sorted(vals, reverse=direction == "desc"), key
    with sqlite3.connect(db) as c:
        killed = {r[0] for r in c.execute("SELECT id FROM strategies WHERE status = 'killed'")}
        approved = {r[0] for r in c.execute("SELECT id FROM strategies WHERE status = 'approved'")}
    got = {r["strategy_id"] for r in _json(app, "/api/leaderboard?filter=killed")["rows"]}
    assert got == killed
    cands = {r["strategy_id"] for r in _json(app, "/api/leaderboard?filter=candidates")["rows"]}
    assert cands == approved
    html = app.handle("GET", "/leaderboard?sort=total_return&dir=desc").body.decode()
    assert "sorted-desc" in html and "sort=total_return&amp;dir=asc" in html  # header toggles


def test_scores_and_candidates_come_from_the_results_files(db: Path, tmp_path: Path) -> None:
    with sqlite3.connect(db) as c:
        names = [r[0] for r in c.execute("SELECT name FROM strategies ORDER BY id LIMIT 3")]
    results = tmp_path / "results"
    results.mkdir()
    (results / "candidates.json").write_text(json.dumps({"candidates": [
        {"strategy": n, "version": 1, "params": {}, "score": s, "oos_efficiency": s / 2}
        for n, s in zip(names, (0.3, 0.9, 0.6), strict=True)], "generated_at": "2026-01-01"}))
    app = Dashboard(db, results_dir=results)
    doc = _json(app, "/api/leaderboard?filter=candidates&sort=score")
    scored = [r["name"] for r in doc["rows"] if r.get("score") is not None]
    assert scored == [names[1], names[2], names[0]]
    assert "oos_efficiency" in doc["optional"] and "score" in doc["optional"]


def test_strategy_chart_from_result_columns(db: Path, real_run: dict[str, Any]) -> None:
    add_run_detail_columns(db)  # the migration the dashboard asks for
    with Store(db) as s:
        rid, _ = s.record_result(1, real_run, "GOOG", params={"n1": 10, "n2": 20})
    store_run_detail(db, rid, real_run)
    app = Dashboard(db)
    page = app.handle("GET", f"/strategy/1?r={rid}").body.decode()
    points = int(page.split('data-points="')[1].split('"')[0])
    assert points == len(real_run["equity_curve"]) > 100
    assert page.count('class="mark entry') > 10 and "backtest_results.equity_json" in page
    health = _json(app, "/api/health")
    assert health["resources"]["source"] == "backtest_results.resources_json"
    assert health["resources"]["by_backend"][0]["metrics"]["peak_rss_mb"]["max"] == 90.0


def test_strategy_chart_and_files_from_the_promoted_folder(db: Path, tmp_path: Path,
                                                           real_run: dict[str, Any]) -> None:
    with sqlite3.connect(db) as c:
        name = c.execute("SELECT name FROM strategies WHERE id = 2").fetchone()[0]
    folder = tmp_path / "results" / "strategies" / name
    folder.mkdir(parents=True)
    (folder / "equity_curve.json").write_text(json.dumps(real_run["equity_curve"]))
    (folder / "plot.html").write_text("<html><body>bokeh plot</body></html>")
    (folder / "robustness.json").write_text(json.dumps({"monte_carlo": {"p_ruin": 0.01}}))
    app = Dashboard(db, results_dir=tmp_path / "results")
    page = app.handle("GET", "/strategy/2").body.decode()
    assert f"/files/{name}/plot.html" in page and "p_ruin" in page
    assert 'data-points="' in page and f"results/strategies/{name}/equity_curve.json" in page
    plot = app.handle("GET", f"/files/{name}/plot.html")
    assert plot.status == 200 and b"bokeh plot" in plot.body
    assert plot.headers["Content-Security-Policy"].startswith("sandbox")
    for bad in (f"/files/{name}/..", f"/files/{name}/.hidden", "/files/../etc", f"/files/{name}/x"):
        assert app.handle("GET", bad).status == 404, bad


def test_read_only_and_a_missing_database_is_not_created(db: Path, tmp_path: Path) -> None:
    app = Dashboard(db)
    with app.db.connect() as conn, pytest.raises(sqlite3.OperationalError):
        conn.execute("DELETE FROM strategies")
    missing = tmp_path / "nope" / "rbi.sqlite"
    app = Dashboard(missing)
    r = app.handle("GET", "/pipeline")
    assert r.status == 503 and b"rbi init" in r.body
    assert not missing.exists() and not missing.parent.exists()


def test_json_request_log_lines_carry_ids(db: Path) -> None:
    stream = io.StringIO()
    server = make_server(Dashboard(db), "127.0.0.1", 0, log=event_logger("json", stream))
    server.start_background()
    try:
        with urllib.request.urlopen(server.url + "/strategy/1") as resp:
            rid = resp.headers["X-Request-Id"]
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(server.url + "/strategy/4242")
    finally:
        server.shutdown()
        server.server_close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    first = next(d for d in lines if d["request_id"] == rid)
    assert first["event"] == "request" and first["status"] == 200
    assert first["strategy_id"] == 1 and first["path"] == "/strategy/1" and first["ms"] >= 0
    assert any(d["status"] == 404 and "S4242" in d.get("error", "") for d in lines)


def test_cli_dashboard_serves_until_sigterm(db: Path) -> None:
    p = subprocess.Popen([sys.executable, "-m", "agents.rbi", "dashboard", "--db", str(db),
                          "--port", "0", "--json"], cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**os.environ, "RBI_LOG_FORMAT": "json"})
    try:
        assert p.stdout is not None
        doc = json.loads(p.stdout.readline())
        assert doc["url"].startswith("http://127.0.0.1:") and doc["read_only"] is True
        with urllib.request.urlopen(doc["url"] + "/pipeline") as resp:
            assert resp.status == 200 and b"Pipeline now" in resp.read()
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    events = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
    assert "dashboard_started" in events and "request" in events and "dashboard_stopped" in events


def test_stats_are_formatted_for_people() -> None:
    from agents.dashboard.filters import duration, stat, timestamp

    # backtesting's timedeltas arrive as seconds (executor/harness/statsjson.py)
    assert stat(4_320_000.0, "Avg. Drawdown Duration") == "50 days"
    assert stat(71_712_000.0, "Max. Drawdown Duration") == "830 days"
    assert duration(86_400 + 4 * 3600) == "1 day 4 h"
    assert duration(5 * 3600 + 12 * 60) == "5 h 12 min"
    assert duration(0.25) == "0.25 s" and duration(None) == "–"
    assert stat("2004-08-19T00:00:00", "Start") == "2004-08-19"
    assert timestamp("2026-12-03T07:30:12.123Z") == "2026-12-03 07:30 UTC"
    assert stat(462.63528, "Return [%]") == "462.635"
    assert stat(None, "Sortino Ratio") == "–"
