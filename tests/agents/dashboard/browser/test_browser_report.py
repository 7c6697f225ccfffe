"""The research report on the strategy page, in headless Chromium, for strategies the
real loop reviewed: ``ideas add`` + ``run --once`` with the offline provider on GOOG
(the configuration of tests/agents/runtime/test_loop_cycle.py), then the dashboard on that database.

Guards: every gate of the stored decision is a row with its value, threshold and
result; the walk-forward chart has one IS and one OOS mark per stored fold; the Monte
Carlo fan is drawn with the realised path ending at the review's realised final
equity; the equity chart carries buy-and-hold on the same axes; the page never says
"no robustness results recorded" after a full review. Screenshots go to
test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.dashboard import Dashboard, make_server
from tests.agents.dashboard.browser.test_browser_dashboard import ARTIFACTS, browser  # noqa: F401 - fixture
from tests.agents.runtime.test_loop_cycle import _cycle
from tests.helpers import sql


@pytest.fixture(scope="module")
def looped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    db = _cycle(tmp_path_factory.mktemp("loop"))
    reviews = []
    for sid, gates in sql(db, "SELECT strategy_id, gates_json FROM reviews ORDER BY id"):
        research = json.loads(gates).get("research")
        if isinstance(research, dict):
            reviews.append((sid, research))
    assert reviews, "the offline loop recorded no review with research checks"
    # the loop's own data folder (the cycle's script reads its CSV from there): the
    # dashboard loads the same dataset for the buy-and-hold line
    saved = os.environ.get("RBI_DATA_DIR")
    os.environ["RBI_DATA_DIR"] = str(db.parent / "data")
    server = make_server(Dashboard(db), "127.0.0.1", 0)
    server.start_background()
    try:
        yield {"url": server.url, "db": db, "strategies": sorted({sid for sid, _ in reviews})}
    finally:
        server.shutdown()
        server.server_close()
        if saved is None:
            os.environ.pop("RBI_DATA_DIR", None)
        else:
            os.environ["RBI_DATA_DIR"] = saved


def _num(text: str) -> float:
    return float(text.replace(",", "").strip())


def test_report_renders_every_gate_and_both_charts(browser: Any, looped: dict[str, Any]) -> None:  # noqa: F811
    ARTIFACTS.mkdir(exist_ok=True)
    db, full, charts = looped["db"], 0, 0
    pages = [(sid, "", _research(db, _shown_version(db, sid), sid)) for sid in looped["strategies"]]
    # and each version whose review ran every check, shown through one of its results
    for sid, vid, gates in sql(db, "SELECT strategy_id, version_id, gates_json FROM reviews "
                               "WHERE id IN (SELECT MAX(id) FROM reviews WHERE gates_json LIKE "
                               "'%\"research\"%' GROUP BY version_id)"):
        research = json.loads(gates)["research"]
        got = sql(db, "SELECT id FROM backtest_results WHERE version_id = ? AND status = 'ok' "
                  "AND equity_json IS NOT NULL ORDER BY id LIMIT 1", (vid,))
        if _is_full(research) and got:
            pages.append((sid, f"?r={got[0][0]}", research))
    for sid, query, research in pages:
        page = browser.new_page()
        page.goto(f"{looped['url']}/strategy/{sid}{query}")
        _gates(page, research)
        if _is_full(research):
            full += 1
            _charts(page, research["report"])
        eq = page.locator("#equity-chart svg.chart.equity")
        if eq.count():  # buy-and-hold on every point of the equity curve, same axes
            charts += 1
            assert int(eq.get_attribute("data-benchmark-points") or 0) == int(
                eq.get_attribute("data-points") or -1)
            assert page.locator("#equity-chart polyline.bh").count() == 1
        tag = f"s{sid}" + (f"_r{query[3:]}" if query else "")
        page.screenshot(path=str(ARTIFACTS / f"strategy_report_{tag}.png"), full_page=True)
        page.close()
    assert charts >= 1, "no strategy page showed an equity chart"
    assert full >= 1, "no strategy page showed a review that ran walk-forward and Monte Carlo"


def _is_full(research: dict[str, Any]) -> bool:
    rep = research["report"]
    return bool(rep.get("walk_forward", {}).get("folds") and rep.get("monte_carlo"))


def _gates(page: Any, research: dict[str, Any]) -> None:
    """The verdict and one row per stored gate: value, threshold, result; the DSR's N."""
    assert "no robustness results recorded" not in page.inner_text("main")
    assert page.inner_text("#verdict .tag").strip() in ("approve", "needs_work", "kill")
    gates = research["decision"]["gates"]
    rows = page.locator("#gates tr.gate")
    assert rows.count() == len(gates)
    for i, g in enumerate(gates):
        row = rows.nth(i)
        assert row.get_attribute("data-gate") == g["name"]
        want = {True: "pass", False: "fail", None: "skipped"}[g["passed"]]
        assert row.get_attribute("data-status") == want
        cells = row.locator("td").all_inner_texts()
        if g["value"] is not None:
            value, ev = g["value"], research["evidence"]
            if g["name"] == "pbo" and value == 0 and (ev.get("pbo") or 0) > 0:
                value = ev["pbo"]  # forgiven: the row shows the PBO measured, and says so
                assert cells[5].startswith("forgiven: the in-sample winner lost money")
            assert _num(cells[2]) == pytest.approx(value, abs=5e-5)
        assert _num(cells[3].split()[-1]) == pytest.approx(g["limit"], abs=5e-5)
    dsr = page.locator("#gates tr[data-gate='dsr'] td").nth(5).inner_text()
    assert f"N = {research['evidence']['n_trials']}" in dsr  # the DSR shows its N


def _charts(page: Any, rep: dict[str, Any]) -> None:
    """Both report charts and both tables match the stored report."""
    folds = rep["walk_forward"]["folds"]
    wf = page.locator("#walk-forward svg.chart.walkforward")
    assert wf.get_attribute("data-folds") == str(len(folds))
    marks = page.locator("#walk-forward .wfbar.is").count() + page.locator(
        "#walk-forward .wfbar.oos").count()
    assert marks == 2 * len(folds) + 2  # one per fold and side (n/a too), plus the legend's two
    box = wf.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 150
    fan = page.locator("#monte-carlo svg.chart.fan")
    mc = rep["monte_carlo"]
    assert fan.get_attribute("data-paths") == str(mc["paths"])
    assert page.locator("#monte-carlo polygon.fan").count() == 2
    realised = page.locator("#monte-carlo polyline.realised title").text_content() or ""
    assert f"×{mc['observed_final']:.3f}" in realised  # the same trades as the review
    assert page.locator("#regimes tbody tr").count() == len(rep["regimes"])
    assert page.locator("#costs tbody tr").count() == len(rep["costs"])


def _shown_version(db: Path, sid: int) -> int:
    """The version of the result the page shows by default (best ok Sharpe)."""
    return int(sql(db, "SELECT version_id FROM backtest_results WHERE strategy_id = ? ORDER BY "
                   "status = 'ok' DESC, sharpe_ratio DESC, id DESC LIMIT 1", (sid,))[0][0])


def _research(db: Path, vid: int, sid: int) -> dict[str, Any]:
    """The newest research review of the version, else of the strategy (as the page)."""
    rows = sql(db, "SELECT gates_json FROM reviews WHERE version_id = ? ORDER BY id DESC", (vid,))
    rows += sql(db, "SELECT gates_json FROM reviews WHERE strategy_id = ? ORDER BY id DESC", (sid,))
    for (g,) in rows:
        research = json.loads(g).get("research")
        if isinstance(research, dict):
            return research
    raise AssertionError(f"strategy {sid} has no research review")
