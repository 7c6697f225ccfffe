"""Paper trading: the trusted paper broker and its execution models, the sandboxed
bar-by-bar session (parity with Backtest.run), feeds, the divergence stop, and the CLI."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from agents.paper.divergence import Guards, band_from_equity, check
from executor.execution import PERFECT, Fees, Model
from executor.harness.growing import bar_row
from executor.paper.broker import PaperBroker
from executor.paper.feeds import CsvFeed, PollingFeed, ReplayFeed, ccxt_feed, http_json_feed
from executor.paper.session import PaperSession, parity
from executor.types import BacktestOptions
from tests.conftest import ROOT
from tests.helpers import rbi, sql

SMA_CROSS = (ROOT / "examples" / "sma_cross.py").read_text()
LOOKAHEAD = "import numpy as np\n" + SMA_CROSS.replace(
    "self.I(SMA, close, self.n1)", "self.I(SMA, np.roll(close, -1), self.n1)")
EXCLUSIVE = BacktestOptions(exclusive_orders=True)


def _bars(df: pd.DataFrame) -> list[list[Any]]:
    return [bar_row(ts.value, row) for ts, row in df.iterrows()]


# -- the golden parity ----------------------------------------------------------------------
def test_parity_golden_sma_cross_93_trades(goog: pd.DataFrame) -> None:
    result = parity(SMA_CROSS, goog, options=EXCLUSIVE, backend="local")
    assert result.ok, result.first_difference
    assert result.backtest_trades == result.paper_trades == 93


def test_parity_fails_for_a_strategy_that_looks_ahead(goog: pd.DataFrame) -> None:
    result = parity(LOOKAHEAD, goog.iloc[:600], options=EXCLUSIVE, backend="local")
    assert not result.ok
    assert result.first_difference and "cannot see the bars after" in result.first_difference


# -- the paper broker's execution models ------------------------------------------------------
def _buy_at(bar: int, size: float = 100) -> dict[int, list[list[Any]]]:
    return {bar: [["buy", bar, {"size": size}]]}


def _run_broker(goog: pd.DataFrame, model: Model, decisions: dict[int, list[list[Any]]],
                n: int = 40) -> tuple[PaperBroker, list[Any]]:
    broker = PaperBroker({"cash": 1_000_000}, model)
    reports = [broker.step(bar, decisions.get(i, [])) for i, bar in enumerate(_bars(goog.iloc[:n]))]
    return broker, reports


def test_perfect_fill_at_the_next_open(goog: pd.DataFrame) -> None:
    _, reports = _run_broker(goog, PERFECT, _buy_at(5))
    [fill] = [f for r in reports for f in r.fills]
    assert fill.bar == 6 and fill.price == pytest.approx(goog.Open.iloc[6]) and fill.fee == 0
    assert fill.slippage_bps == pytest.approx(0)


def test_slippage_and_fees_move_the_fill(goog: pd.DataFrame) -> None:
    model = Model(fees=Fees("percent", rate=0.001), slippage_bps=10)
    _, reports = _run_broker(goog, model, _buy_at(5))
    [fill] = [f for r in reports for f in r.fills]
    assert fill.slippage_bps == pytest.approx(10)
    assert fill.fee == pytest.approx(100 * goog.Open.iloc[6] * 0.001)


def test_latency_delays_the_fill(goog: pd.DataFrame) -> None:
    _, reports = _run_broker(goog, Model(latency_bars=3), _buy_at(5))
    [fill] = [f for r in reports for f in r.fills]
    assert fill.bar == 9 and fill.price == pytest.approx(goog.Open.iloc[9])


def test_partial_fills_take_a_share_of_each_bars_volume(goog: pd.DataFrame) -> None:
    df = goog.iloc[:40].copy()
    df["Volume"] = 1_000.0
    model = Model(max_volume_share=0.1)  # 100 units a bar
    _, reports = _run_broker(df, model, _buy_at(5, size=250))
    fills = [f for r in reports for f in r.fills]
    assert [(f.bar, f.size) for f in fills] == [(6, 100), (7, 100), (8, 50)]


# -- the divergence band ----------------------------------------------------------------------
def test_band_and_guards() -> None:
    rng = np.random.default_rng(3)
    equity = list(100_000 * np.exp(np.cumsum(rng.normal(0.0005, 0.01, 800))))
    guards = Guards(quantile=0.01, min_bars=5)
    band = band_from_equity(equity, 300, guards)
    lo, hi = band.at(50)
    assert lo < 1 < hi
    assert check(band=band, guards=guards, start_equity=100.0, equity=100.0, peak=100.0, h=50) is None
    assert "Monte Carlo band" in check(band=band, guards=guards, start_equity=100.0,
                                       equity=100 * lo * 0.99, peak=100.0, h=50)
    assert "max-loss guard" in check(band=None, guards=guards, start_equity=100.0, equity=70.0,
                                     peak=100.0, h=1)
    assert "max-drawdown guard" in check(band=None, guards=Guards(max_loss=0.9), start_equity=100.0,
                                         equity=110.0, peak=200.0, h=1)
    assert check(band=band, guards=guards, start_equity=100.0, equity=10.0 * lo, peak=100.0, h=2) \
        is not None  # the loss guard acts before min_bars
    rising = band_from_equity(list(100 * np.exp(np.arange(800) * 0.002)), 300, guards)
    assert rising.at(100)[0] > 1.1  # a smooth riser's band sits well above the start
    assert check(band=rising, guards=guards, start_equity=100.0, equity=105.0, peak=105.0,
                 h=100) is None  # earning, only less than promised: not a divergence
    assert "Monte Carlo band" in check(band=rising, guards=guards, start_equity=100.0,
                                       equity=99.0, peak=105.0, h=100)


# -- feeds ------------------------------------------------------------------------------------
def test_replay_feed_resumes_after_a_timestamp(goog: pd.DataFrame) -> None:
    feed = ReplayFeed(goog.iloc[:10])
    bars = list(feed.bars(after_ts=goog.index[6].value))
    assert [b[0] for b in bars] == [t.value for t in goog.index[7:10]]


def test_csv_feed_reads_rows_as_the_file_grows(tmp_path: Path) -> None:
    path = tmp_path / "live.csv"
    path.write_text(" Date, Open, High, Low, Close, Volume\n2024-01-02,1,2,0.5,1.5,10\n")
    got: list[list[Any]] = []

    def grow() -> None:
        with open(path, "a") as fh:
            fh.write("2024-01-03,1.5,2.5,1,2,11\n2024-01-04,2,3,")  # the last row is incomplete
        with open(path, "a") as fh:
            fh.write("1.5,2.5,12\n")

    feed = CsvFeed(path, poll_s=0.05, idle_s=0.5)
    for bar in feed.bars():
        got.append(bar)
        if len(got) == 1:
            grow()
    assert [b[4] for b in got] == [1.5, 2.0, 2.5]
    assert got[2][0] == pd.Timestamp("2024-01-04").value and got[2][5] == 12


class _Exchange:
    """A ccxt-shaped fake: fetch_ohlcv returns candles, the newest still forming."""

    id = "fake"

    def __init__(self, candles: list[list[float]]) -> None:
        self.candles = candles
        self.calls = 0

    def fetch_ohlcv(self, symbol: str, timeframe: str = "1m", since: int | None = None) -> list[Any]:
        self.calls += 1
        visible = self.candles[: 2 + self.calls]
        return [c for c in visible if since is None or c[0] >= since]


def test_polling_feed_holds_back_the_forming_candle() -> None:
    candles = [[60_000 * i, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 10.0] for i in range(6)]
    ex = _Exchange(candles)
    feed = ccxt_feed(ex, "BTC/USDT", poll_s=0.01)
    got = []
    for bar in feed.bars():
        got.append(bar)
        if len(got) == 5:
            break
    assert [b[0] // 1_000_000 for b in got] == [c[0] for c in candles[:5]]  # never the 6th


def test_http_json_feed_against_a_loopback_server() -> None:
    candles = [[86_400_000 * i, 10.0, 11.0, 9.0, 10.5, 100.0] for i in range(1, 5)]
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            body = json.dumps(candles).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        feed = http_json_feed(f"http://127.0.0.1:{server.server_port}/ohlcv", poll_s=0.01,
                              idle_s=0.3)
        got = list(feed.bars())
    finally:
        server.shutdown()
    assert [b[0] for b in got] == [c[0] * 1_000_000 for c in candles[:3]]  # the 4th is forming
    assert any("since=" in p for p in seen[1:])


def test_polling_feed_stops_when_asked() -> None:
    feed = PollingFeed(lambda since: [], poll_s=0.01)
    assert list(feed.bars(stop=lambda: True)) == []


# -- a session through the sandbox --------------------------------------------------------------
def test_session_strategy_errors_are_reported_not_raised_in_the_orchestrator(goog: pd.DataFrame) -> None:
    bad = SMA_CROSS.replace("self.buy()", "self.buy(); 1 / 0")
    from executor.paper.channel import SessionFailed

    with pytest.raises(SessionFailed, match="ZeroDivisionError"):
        with PaperSession(bad, options=EXCLUSIVE, model=PERFECT, backend="local") as s:
            for bar in _bars(goog.iloc[:300]):
                s.step(bar)


# -- the CLI and the divergence stop on a market whose regime breaks ----------------------------
TREND_FOLLOWER = '''
from backtesting import Strategy
from backtesting.lib import crossover
from backtesting.test import SMA


class LongTrend(Strategy):
    fast = 5
    slow = 20

    def init(self):
        self.f = self.I(SMA, self.data.Close, self.fast)
        self.s = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        if not self.position and self.f[-1] > self.s[-1]:
            self.buy()
'''


def _regime_break(path: Path, n_up: int = 700, n_down: int = 80) -> pd.Timestamp:
    """A steady up-trend, then a crash regime the long-only follower never exits; returns
    the last up-trend day (the research data's end)."""
    rng = np.random.default_rng(11)
    r = np.concatenate([rng.normal(0.002, 0.004, n_up), rng.normal(-0.02, 0.004, n_down)])
    close = 100 * np.exp(np.cumsum(r))
    idx = pd.bdate_range("2015-01-01", periods=len(close))
    df = pd.DataFrame({"Open": close * (1 - 0.001), "High": close * 1.004, "Low": close * 0.996,
                       "Close": close, "Volume": 1e6}, index=idx)
    df.index.name = "Date"
    df.to_csv(path)
    return idx[n_up - 1]


def _approved(db: Path, code: str, dataset: str) -> int:
    from agents.store import Store

    with Store(db) as s:
        sid, _ = s.add_strategy(None, "LongTrend", {"datasets": [dataset]})
        vid, _ = s.add_version(sid, code, spec={"datasets": [dataset]}, params={})
        s.set_version_status(vid, "approved")
        s.set_strategy_status(sid, "approved", "promoted (test)")
    return sid


def test_divergence_stops_a_strategy_whose_forward_regime_breaks_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    end = _regime_break(data / "regime.csv")
    cfg = tmp_path / "rbi.yaml"
    cfg.write_text(f"research:\n  datasets:\n    - {{name: regime, end: {end.date()}}}\n")
    db = tmp_path / "rbi.sqlite"
    assert rbi(db, "init").returncode == 0
    sid = _approved(db, TREND_FOLLOWER, "regime")
    env = {"data_dir": str(data), "backend": "local"}
    run = rbi(db, "paper", "start", f"S{sid}", "--speed", "0", "--foreground", "--config", str(cfg),
              timeout=600, **env)
    assert run.returncode == 1, run.stdout + run.stderr[-2000:]
    [doc] = json.loads(rbi(db, "paper", "status", f"S{sid}", "--json", **env).stdout)
    assert doc["status"] == "diverged", doc
    assert "Monte Carlo band" in doc["reason"] or "guard" in doc["reason"]
    assert doc["parity"]["ok"]
    forward = sql(db, "SELECT COUNT(*) FROM paper_bars WHERE phase = 'forward'")[0][0]
    assert 0 < forward < 80  # stopped inside the crash, not at the feed's end
    # the dashboard's page for the session: equity against the band, fills, why it stopped
    from agents.dashboard.app import Dashboard

    page = Dashboard(db).handle("GET", f"/paper/{doc['id']}")
    html = page.body.decode()
    assert page.status == 200 and 'class="band"' in html and 'class="equity"' in html
    assert "Parity with the backtest" in html and "passed" in html and 'id="fills"' in html
    assert doc["reason"][:40] in html.replace("&#39;", "'")
    listing = Dashboard(db).handle("GET", "/paper").body.decode()
    assert f'href="/paper/{doc["id"]}"' in listing and "diverged" in listing


def test_session_in_docker_matches_the_backtest(goog: pd.DataFrame) -> None:
    from tests.conftest import require_docker

    require_docker()
    result = parity(SMA_CROSS, goog.iloc[:400], options=EXCLUSIVE, backend="docker")
    assert result.ok and result.backtest_trades == result.paper_trades > 5, result.to_dict()


def test_a_local_session_runs_in_the_backtests_jail(goog: pd.DataFrame, tmp_path: Path) -> None:
    """The session sees the minimal root a local backtest sees: not the host's files."""
    from executor.backends.local.sandbox import LocalSandbox
    from tests.conftest import IN_CI

    if not LocalSandbox().jailed:
        if IN_CI:
            pytest.fail("CI=true but the bubblewrap jail is unusable")
        pytest.skip("no bubblewrap jail here")
    planted = tmp_path / "host-secret.txt"
    planted.write_text("x")
    peek = SMA_CROSS.replace("    def init(self):\n", "    def init(self):\n        import os\n"
                             f"        if os.path.exists({str(planted)!r}) or "
                             "os.path.exists('/etc/passwd'):\n"
                             "            raise RuntimeError('the host is visible')\n", 1)
    with PaperSession(peek, options=EXCLUSIVE, model=PERFECT, backend="local") as s:
        for bar in _bars(goog.iloc[:40]):
            s.step(bar)
    assert s.bars == 40
