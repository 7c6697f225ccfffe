"""Known bars in chunks: one ``init()`` per chunk, guarded by random prefix spot checks.

An honest strategy books exactly what exact bar-by-bar stepping books (even with every
bar of every chunk checked: no false alarm); a strategy that reads later bars is stopped
in the paper session itself, before any decision of the chunk that gave it away."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backtesting.test import GOOG

from executor.execution import PERFECT
from executor.harness.growing import bar_row
from executor.paper.session import LookAheadDetected, PaperSession
from executor.types import BacktestOptions
from tests.agents.paper.test_paper import _approved, _regime_break
from tests.conftest import ROOT
from tests.helpers import rbi

SMA_CROSS = (ROOT / "examples" / "sma_cross.py").read_text()
EXCLUSIVE = BacktestOptions(exclusive_orders=True)

# an honest strategy with more kinds of indicator: an EWM, a rolling std, a 2-D band and
# a plain Series attribute (not made by self.I)
BANDS = '''
import numpy as np
import pandas as pd
from backtesting import Strategy


def band(c, n):
    s = pd.Series(c)
    mid, sd = s.rolling(n).mean(), s.rolling(n).std()
    return np.vstack([mid - 2 * sd, mid + 2 * sd])


class Bands(Strategy):
    def init(self):
        close = self.data.Close
        self.ema = self.I(lambda c: pd.Series(c).ewm(span=12).mean(), close)
        self.band = self.I(band, close, 20)
        self.ret = pd.Series(close).pct_change()

    def next(self):
        if self.data.Close[-1] < self.band[0][-1] and self.ret.iloc[-1] < 0:
            self.buy()
        elif self.data.Close[-1] > self.band[1][-1] and self.position:
            self.position.close()
'''

# three ways to read the next bar in init(); each SMA cross still trades on it
LOOKAHEADS = {
    "shift(-1)": "import pandas as pd\n" + SMA_CROSS.replace(
        "self.I(SMA, close, self.n1)", "self.I(SMA, pd.Series(close).shift(-1).values, self.n1)"),
    "np.roll(close, -1)": "import numpy as np\n" + SMA_CROSS.replace(
        "self.I(SMA, close, self.n1)", "self.I(SMA, np.roll(close, -1), self.n1)"),
    "centred rolling mean": "import pandas as pd\n" + SMA_CROSS.replace(
        "self.I(SMA, close, self.n1)",
        "self.I(lambda c: pd.Series(c).rolling(self.n1, center=True).mean(), close)"),
}


def _bars(n: int) -> list[list[float]]:
    return [bar_row(ts.value, row) for ts, row in GOOG.iloc[:n].iterrows()]


def _booked(code: str, bars: list[list[float]], exact: bool = False, **kw: int) -> list[tuple]:
    with PaperSession(code, options=EXCLUSIVE, model="default", backend="local", **kw) as s:
        reports = s.step_many(bars, exact=exact)
    return [(r.equity, r.position, r.actions, [f.to_dict() for f in r.fills]) for r in reports]


@pytest.mark.parametrize("code", [SMA_CROSS, BANDS], ids=["sma_cross", "bands"])
def test_chunks_book_what_exact_stepping_books(code: str) -> None:
    bars = _bars(700)
    exact = _booked(code, bars, exact=True)
    # every bar of every chunk (31 of 32: the last has no later bar) spot-checked
    checked = _booked(code, bars, checks=PaperSession.batch)
    assert checked == exact  # no false alarm, and the same decisions, fills and equity
    assert _booked(code, bars, seed=7) == exact
    assert sum(len(fills) for *_, fills in exact) >= 8  # it traded: the comparison means something


@pytest.mark.parametrize("name", list(LOOKAHEADS))
def test_a_strategy_that_reads_the_next_bar_is_stopped_in_the_session(name: str) -> None:
    bars = _bars(400)
    for seed in range(3):  # whichever bars the checks land on
        with PaperSession(LOOKAHEADS[name], options=EXCLUSIVE, model=PERFECT, backend="local",
                          seed=seed) as s:
            with pytest.raises(LookAheadDetected, match="look-ahead: .* init\\(\\) uses bars after"):
                s.step_many(bars)
            # caught in the first chunk or (when the one check fell inside the SMA's NaN
            # warm-up, where nothing differs) the second; the failing chunk books nothing
            assert len(s.reports) in (0, PaperSession.batch), (seed, len(s.reports))
            assert s.bars == len(s.reports)
    # no random check at all: each chunk's init() is still compared with the previous
    # chunk's (a free check at the boundary), which catches it one chunk late
    with PaperSession(LOOKAHEADS[name], options=EXCLUSIVE, model=PERFECT, backend="local",
                      checks=0) as s:
        with pytest.raises(LookAheadDetected, match=f"computed on the bars up to {s.batch - 1} "):
            s.step_many(bars)
        assert len(s.reports) == s.batch
    # bar by bar (a live feed) the same code cannot peek: it runs, deciding differently
    with PaperSession(LOOKAHEADS[name], options=EXCLUSIVE, model=PERFECT, backend="local") as s:
        assert len(s.step_many(bars[:100], exact=True)) == 100


def test_a_live_feed_checks_every_bar_against_the_one_before() -> None:
    """One bar a message (a live, csv or paced feed, as the runner sends them): each
    bar's init() sees the bars so far — the exact mode — and is compared with the
    previous bar's, so a strategy that reads a later bar is caught the bar it arrives."""
    bars = _bars(300)
    with PaperSession(SMA_CROSS, options=EXCLUSIVE, model="default", backend="local") as s:
        live = [s.step_many([bar])[0] for bar in bars]
    with PaperSession(SMA_CROSS, options=EXCLUSIVE, model="default", backend="local") as s:
        exact = [s.step(bar) for bar in bars]
    assert [(r.equity, r.position, r.actions) for r in live] == \
        [(r.equity, r.position, r.actions) for r in exact]
    for name, code in LOOKAHEADS.items():
        with PaperSession(code, options=EXCLUSIVE, model=PERFECT, backend="local") as s:
            with pytest.raises(LookAheadDetected, match="look-ahead: "):
                for bar in bars:
                    s.step_many([bar])
            # the SMA(10) of the shifted close has its first value on bar 9 (the centred
            # one on bar 5): the next bar shows it changed
            assert s.bars <= 11, (name, s.bars)


PEEKS_AFTER = '''
import numpy as np
import pandas as pd
from backtesting import Strategy
from backtesting.test import SMA


class LongTrend(Strategy):
    """Honest on its research period; from CUTOFF on its fast average reads tomorrow."""

    def init(self):
        close = pd.Series(self.data.Close)
        late = np.asarray(self.data.index > pd.Timestamp("CUTOFF"))
        seen = np.where(late, close.shift(-1), close)
        self.f = self.I(SMA, seen, 5)
        self.s = self.I(SMA, self.data.Close, 20)

    def next(self):
        if not self.position and self.f[-1] > self.s[-1]:
            self.buy()
'''


def test_look_ahead_in_the_forward_period_kills_the_session(tmp_path: Path) -> None:
    """The parity check (exact, on the research period) passes; the forward replay's
    spot checks catch the code reading the future and the session ends killed."""
    data = tmp_path / "data"
    data.mkdir()
    end = _regime_break(data / "regime.csv", n_up=700, n_down=200)
    cfg = tmp_path / "rbi.yaml"
    cfg.write_text(f"research:\n  datasets:\n    - {{name: regime, end: {end.date()}}}\n")
    db = tmp_path / "rbi.sqlite"
    assert rbi(db, "init").returncode == 0
    sid = _approved(db, PEEKS_AFTER.replace("CUTOFF", str(end.date())), "regime")
    env = {"data_dir": str(data), "backend": "local"}
    run = rbi(db, "paper", "start", f"S{sid}", "--speed", "0", "--foreground", "--config", str(cfg),
              timeout=600, **env)
    assert run.returncode == 1, run.stdout + run.stderr[-2000:]
    [doc] = json.loads(rbi(db, "paper", "status", f"S{sid}", "--json", **env).stdout)
    assert doc["parity"]["ok"], doc["parity"]
    assert doc["status"] == "killed" and doc["reason"].startswith("look-ahead: "), doc


def test_chunks_and_the_spot_check_in_a_docker_session() -> None:
    """The harness baked into the sandbox image steps chunks and runs the checks too."""
    from tests.conftest import require_docker

    require_docker()
    bars = _bars(200)
    with PaperSession(SMA_CROSS, options=EXCLUSIVE, model="default", backend="docker",
                      checks=PaperSession.batch) as s:
        chunked = [(r.equity, r.position, r.actions) for r in s.step_many(bars)]
    with PaperSession(SMA_CROSS, options=EXCLUSIVE, model="default", backend="local") as s:
        assert chunked == [(r.equity, r.position, r.actions)
                           for r in s.step_many(bars, exact=True)]
    with PaperSession(LOOKAHEADS["np.roll(close, -1)"], options=EXCLUSIVE, model=PERFECT,
                      backend="docker", seed=0) as s:
        with pytest.raises(LookAheadDetected, match="look-ahead: "):
            s.step_many(bars)
