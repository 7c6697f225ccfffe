"""The dashboard in real headless Chromium (Debian's package, driven by Playwright).

Outside CI a missing chromium/playwright skips with the reason; with CI=true it FAILS.
Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.dashboard import Dashboard, make_server
from agents.dashboard.logs import event_logger
from agents.store import Store
from tests.agents.dashboard.browser.seed import (
    CODE,
    add_run_detail_columns,
    run_result,
    seed,
    store_run_detail,
)
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[4]  # the repository root
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def _unusable(why: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but the browser tests cannot run: {why} "
                    "(apt-get install -y chromium; pip install playwright)")
    pytest.skip(why)


def _chromium() -> str:
    for cand in (os.environ.get("RBI_CHROMIUM", ""), "/usr/bin/chromium",
                 shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        if cand and os.access(cand, os.X_OK):
            return cand
    _unusable("no chromium binary (Debian: apt-get install -y chromium)")
    raise AssertionError  # unreachable


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unusable("the playwright package is not installed (pip install playwright)")
    exe = _chromium()
    profile = tempfile.mkdtemp(prefix="rbi-chromium-")
    with sync_playwright() as pw:
        # a persistent context is how Playwright takes a fresh --user-data-dir
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=FLAGS,
            viewport={"width": 1300, "height": 900})
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def real_result() -> dict[str, Any]:
    """One genuine sandboxed run (LocalSandbox) of the seeded SmaCross on GOOG."""
    from executor.datasets import load_dataset
    from executor.sandbox import run
    from executor.types import BacktestOptions, RunRequest

    ds = load_dataset("GOOG")
    res = run(RunRequest(code=CODE.format(n1=10, n2=20), data=ds.df, data_name=ds.name,
                         options=BacktestOptions(exclusive_orders=True)), "local")
    assert res.ok, res.error
    return res.to_dict()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, real_result: dict[str, Any]) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("dash")
    db = tmp / "rbi.sqlite"
    ids = seed(db, strategies=15)
    add_run_detail_columns(db)
    with Store(db) as s:
        sid, _ = s.add_strategy(None, "RealSmaCross", {"kind": "sma", "source": "sandbox run"})
        vid, _ = s.add_version(sid, CODE.format(n1=10, n2=20), params={"n1": 10, "n2": 20})
        rid, _ = s.record_result(vid, real_result, "GOOG", params={"n1": 10, "n2": 20})
    store_run_detail(db, rid, real_result)
    log = open(tmp / "requests.jsonl", "w")
    app = Dashboard(db, refresh_seconds=0.5)
    server = make_server(app, "127.0.0.1", 0, log=event_logger("json", log))
    server.start_background()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield {"url": server.url, "db": db, "real_sid": sid, "real_rid": rid, "ids": ids,
               "trades": len(real_result["trades"]), "points": len(real_result["equity_curve"])}
    finally:
        server.shutdown()
        server.server_close()
        log.close()


def _column(page: Any, col: str) -> list[float]:
    texts = page.locator(f"#leaderboard tbody td[data-col='{col}']").all_inner_texts()
    return [float(t.replace(",", "")) for t in texts if t.strip() not in ("", "–")]


def _ids(page: Any) -> list[str]:
    return page.locator("#leaderboard tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.strategyId)")


def test_leaderboard_sorts_when_a_header_is_clicked(browser: Any, site: dict[str, Any]) -> None:
    page = browser.new_page()
    page.goto(site["url"] + "/leaderboard")
    sharpe = _column(page, "sharpe_ratio")
    assert len(sharpe) >= 10 and sharpe == sorted(sharpe, reverse=True)
    before = _ids(page)
    page.click("#leaderboard th[data-sort='total_return'] a")
    page.wait_for_url("**sort=total_return**")
    returns = _column(page, "total_return")
    assert returns == sorted(returns, reverse=True) and len(returns) >= 10
    assert _ids(page) != before
    page.screenshot(path=str(ARTIFACTS / "leaderboard_sorted_return_desc.png"), full_page=True)
    page.click("#leaderboard th[data-sort='total_return'] a")  # again: ascending
    page.wait_for_url("**dir=asc**")
    assert _column(page, "total_return") == sorted(returns)
    page.click("a.chip[data-filter='killed']")
    page.wait_for_url("**filter=killed**")
    statuses = page.locator("#leaderboard tbody td .tag").all_inner_texts()
    assert statuses and set(statuses) == {"killed"}
    page.close()


def test_strategy_page_shows_its_equity_chart(browser: Any, site: dict[str, Any]) -> None:
    page = browser.new_page()
    page.goto(f"{site['url']}/strategy/{site['real_sid']}")
    chart = page.locator("#equity-chart svg.chart.equity")
    chart.wait_for()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    n_points = page.evaluate(
        "() => document.querySelector('#equity-chart polyline.eq').points.numberOfItems")
    assert n_points == site["points"] > 100
    marks = page.locator("#equity-chart .mark.entry").count()
    assert 0 < marks <= site["trades"]
    assert page.locator(".code .hl").count() == 1  # highlighted code
    chart.screenshot(path=str(ARTIFACTS / "strategy_equity_chart.png"))
    page.screenshot(path=str(ARTIFACTS / "strategy_page.png"), full_page=True)
    page.close()


def test_pipeline_page_updates_after_a_new_result(browser: Any, site: dict[str, Any]) -> None:
    import random

    page = browser.new_page()
    page.goto(site["url"] + "/pipeline")
    total = int(page.inner_text("#results-total").replace(",", ""))
    stamp = page.get_attribute("#refresh-state", "data-stamp")
    page.screenshot(path=str(ARTIFACTS / "pipeline_before.png"), full_page=True)
    with Store(site["db"]) as s:
        rid, created = s.record_result(site["ids"]["versions"][0],
                                       run_result(random.Random(99)), "BTCUSD",
                                       params={"new": "result"})
    assert created
    # no reload: the page's own poll must bring the new row in
    page.wait_for_selector(f"#latest-results tr[data-result-id='{rid}']", timeout=20_000)
    assert int(page.inner_text("#results-total").replace(",", "")) == total + 1
    assert page.get_attribute("#refresh-state", "data-stamp") != stamp
    page.screenshot(path=str(ARTIFACTS / "pipeline_after_new_result.png"), full_page=True)
    page.close()
