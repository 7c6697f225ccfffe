"""Known bars sent to a paper session in batches: framing only. The sandbox still steps
them one after the other — the strategy sees exactly the bars so far when it decides —
and a failure inside a batch books the bars decided before it."""

from __future__ import annotations

import pytest
from backtesting.test import GOOG

from executor.execution import PERFECT
from executor.harness.growing import bar_row
from executor.paper.session import PaperSession, SessionFailed
from executor.types import BacktestOptions
from tests.conftest import ROOT

# every bar the strategy tags an order with what it can see: bars, the last bar's
# timestamp, the rows of data.df and of an indicator computed in init()
WITNESS = '''
from backtesting import Strategy


class Witness(Strategy):
    def init(self):
        self.seen = self.I(lambda c: c, self.data.Close)

    def next(self):
        tag = f"{len(self.data)}|{self.data.index[-1].value}|{len(self.data.df)}|{len(self.seen)}"
        self.buy(size=1, limit=1.0, tag=tag)   # far below the market: never fills
        if len(self.data) == FAIL_AT:
            raise RuntimeError("bar " + str(len(self.data)))
'''


def _bars(n: int) -> list[list[float]]:
    return [bar_row(ts.value, row) for ts, row in GOOG.iloc[:n].iterrows()]


def _session(fail_at: int) -> PaperSession:
    return PaperSession(WITNESS.replace("FAIL_AT", str(fail_at)), model=PERFECT, backend="local",
                        options=BacktestOptions(cash=1_000_000))


def test_a_batch_is_stepped_one_bar_at_a_time() -> None:
    bars = _bars(80)
    with _session(fail_at=-1) as s:
        reports = s.step_many(bars)  # 3 messages of up to 32 bars
    assert len(reports) == 80 and s.bars == 80
    for i, report in enumerate(reports):
        if not report.actions:
            continue  # before the strategy's warm-up ended
        (action,) = report.actions
        n, ts, df_rows, ind = action[2]["tag"].split("|")
        # on bar i the strategy saw i + 1 bars — this one last — and nothing after it,
        # in its data, its data frame and its indicator alike
        assert (int(n), int(ts), int(df_rows), int(ind)) == (i + 1, bars[i][0], i + 1, i + 1)
    assert sum(1 for r in reports if r.actions) >= 70


def test_a_failure_inside_a_batch_books_the_bars_before_it() -> None:
    bars = _bars(60)
    with _session(fail_at=45) as s:
        with pytest.raises(SessionFailed, match="RuntimeError: bar 45"):
            s.step_many(bars)
        # bars 0..43 were decided and booked; bar 44 (the 45th) raised
        assert len(s.reports) == 44 and s.bars == 44
        assert s.reports[-1].bar == 43


def test_one_at_a_time_and_batched_book_the_same() -> None:
    sma = (ROOT / "examples" / "sma_cross.py").read_text()
    bars = _bars(400)
    opts = BacktestOptions(exclusive_orders=True)
    with PaperSession(sma, options=opts, model="default", backend="local") as a:
        one = [a.step(b) for b in bars]
    with PaperSession(sma, options=opts, model="default", backend="local") as b:
        many = b.step_many(bars)
    assert [(r.equity, r.position, r.actions) for r in one] == \
        [(r.equity, r.position, r.actions) for r in many]
    assert sum(len(r.fills) for r in many) >= 10  # it traded: the comparison means something


def test_a_stop_inside_a_batch_books_nothing_after_it() -> None:
    """The runner judges each booked bar of a batch; the bar that trips a guard is the
    last one recorded, though the sandbox already decided the rest of the batch."""
    from types import SimpleNamespace

    from agents.paper.runner import _book_many

    class Session:
        bars = 0
        reports: list = []

        def step_many(self, bars: list) -> list:
            self.reports = [SimpleNamespace(equity=100.0 - k, position=0.0, actions=[],
                                            rejected=[], fills=[], out_of_money=False)
                            for k in range(len(bars))]
            return self.reports

    recorded: list[int] = []
    books = SimpleNamespace(record_bar=lambda sid, *, bar, **kw: recorded.append(bar))
    why = _book_many(books, 1, Session(), _bars(10), "forward",  # type: ignore[arg-type]
                     lambda r: "lost too much" if r.equity <= 97 else None)
    assert why == "lost too much" and recorded == [0, 1, 2, 3]
