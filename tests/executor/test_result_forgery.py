"""Forged results (issue 16): one attack per weakness, written as a prompt-injected model
would, run WITHOUT the validator (``validate=False``) so the result integrity itself is
what stops them. Every test failed on the code before the replay (checked against main);
now the numbers come from the host's replay of the strategy's orders on pristine data.

Each gate: the attack must not come back ``ok`` with numbers other than the ones its
orders honestly earn (``honest`` = the same decisions through backtesting in-process).
"""

from __future__ import annotations

import math
import textwrap
import warnings

import pytest
from backtesting import Backtest, Strategy
from backtesting.test import GOOG

from executor.backends.local.sandbox import LocalSandbox
from executor.execution import backtest_kwargs_of
from executor.sandbox import run, run_batch
from executor.types import BacktestOptions, Limits, RunRequest
from tests.conftest import require_docker

OPTS = BacktestOptions(cash=10_000, commission=0.002)
FORGED = 31337.0


@pytest.fixture(scope="module", params=["local", "docker"])
def sandbox(request):
    """Both backends: the replay runs on the host after either returns."""
    return LocalSandbox() if request.param == "local" else require_docker()


def _run(sandbox, code, **kw):
    kw.setdefault("options", OPTS)
    kw.setdefault("limits", Limits(timeout_s=60))
    # the attacks must reach the engine: this file tests the replay, the layer that holds
    # when the validator and RestrictedPython's guards (tests/executor/validator/test_restricted.py) are bypassed
    kw.setdefault("restricted", False)
    req = RunRequest(code=textwrap.dedent(code), data=GOOG, **kw)
    return run(req, sandbox, validate=False)


def _honest(next_fn, **opts):
    """Return [%] of the same decisions made honestly, in-process, with the requested options."""

    class Honest(Strategy):
        def init(self):
            pass

        def next(self):
            next_fn(self)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(GOOG, Honest, **backtest_kwargs_of(OPTS.to_dict() | opts)).run()["Return [%]"]


def _not_forged(res, honest_return):
    """Either refused, or ok with exactly what the orders earn on the original data."""
    if res.status == "ok":
        assert math.isclose(res.stats["Return [%]"], honest_return, rel_tol=1e-9), res.stats["Return [%]"]
    else:
        assert res.status in ("tampered", "unreplayable", "error"), (res.status, res.error)
        ret = res.stats.get("Return [%]")
        assert ret is None or math.isclose(ret, honest_return, rel_tol=1e-9), ret


def _buy_once(s, size=10):
    if not s.position:
        s.buy(size=size)


def test_result_channel_through_traceback_frames_is_refused(sandbox):
    """Walks its own exception's frames up to the worker's result fd and sends a
    script-mode report (script_done) with invented stats in a strategy-mode run."""
    res = _run(sandbox, """
        from backtesting import Strategy

        class Forge(Strategy):
            def init(self):
                pass

            def next(self):
                if len(self.data) != 50:
                    return
                try:
                    raise RuntimeError("x")
                except RuntimeError as e:
                    f = e.__traceback__.tb_frame
                while f is not None and "result_fd" not in f.f_locals:
                    f = f.f_back
                loc, g = f.f_locals, f.f_globals
                g["write_message"](loc["result_fd"], {
                    "index": loc["index"], "nonce": loc.get("nonce", ""), "status": "ok",
                    "script_done": True,
                    "stats": {"Return [%]": 31337.0, "Sharpe Ratio": 9.0, "# Trades": 50}})
        """)
    assert res.status != "ok", res.stats
    assert res.stats.get("Return [%]") != FORGED
    assert res.status == "tampered" and "script" in res.error["message"]


def test_reinitialised_broker_gets_the_requested_options(sandbox):
    """Re-runs _Broker.__init__ with no commission and 50x leverage."""
    res = _run(sandbox, """
        from backtesting import Strategy

        class Reinit(Strategy):
            def init(self):
                b = self._broker
                b.__init__(data=b._data, cash=b._cash, spread=0.0, commission=0.0, margin=0.02,
                           trade_on_close=False, hedging=False, exclusive_orders=False,
                           index=b._data.index)

            def next(self):
                if not self.position:
                    self.buy(size=10)
        """)
    _not_forged(res, _honest(_buy_once))
    assert res.status == "tampered"


def test_minted_trades_earn_nothing(sandbox):
    """Creates winning Trade objects itself and pays itself their profit."""
    res = _run(sandbox, """
        from backtesting import Strategy
        from backtesting.backtesting import Trade

        class Mint(Strategy):
            def init(self):
                pass

            def next(self):
                i = len(self.data) - 1
                if i % 20 or i < 2:
                    return
                b = self._broker
                t = Trade(b, 10, float(self.data.Low[-2]), i - 1, None)
                t._replace(exit_price=float(self.data.High[-1]), exit_bar=i)
                b.closed_trades.append(t)
                b._cash += t.pl
        """)
    _not_forged(res, 0.0)
    assert res.stats["# Trades"] == 0


def test_trade_replace_does_not_change_the_fill(sandbox):
    """Moves its open trades' entry price to the entry bar's low (inside the bar)."""
    res = _run(sandbox, """
        from backtesting import Strategy

        class Rewrite(Strategy):
            def init(self):
                pass

            def next(self):
                i = len(self.data) - 1
                if not self.position:
                    self.buy(size=10)
                for t in self.trades:
                    t._replace(entry_price=float(self.data.Low[t.entry_bar]))
                    if i - t.entry_bar >= 10:
                        t.close()
        """)

    def decisions(s):
        i = len(s.data) - 1
        if not s.position:
            s.buy(size=10)
        for t in s.trades:
            if i - t.entry_bar >= 10:
                t.close()

    _not_forged(res, _honest(decisions))
    assert res.status == "tampered"


def test_next_open_overwritten_before_the_fill_is_not_the_fill(sandbox):
    """Writes the next bar's Open (to its Low before a buy, its High before a sell),
    restores it after the fill so a data hash sees nothing."""
    res = _run(sandbox, """
        import numpy as np
        from backtesting import Strategy

        def unlock(a):
            chain = [a]
            while isinstance(chain[-1].base, np.ndarray):
                chain.append(chain[-1].base)
            for arr in reversed(chain):
                try:
                    arr.flags.writeable = True
                except ValueError:
                    pass

        class OpenPatch(Strategy):
            def init(self):
                arrays = self.data._Data__arrays
                self.o, self.lo, self.hi = arrays["Open"], arrays["Low"], arrays["High"]
                unlock(self.o)
                self.saved = None

            def next(self):
                i = len(self.data) - 1
                if self.saved:
                    self.o[self.saved[0]] = self.saved[1]
                    self.saved = None
                if i + 1 >= len(self.o):
                    return
                if i % 10 == 0:  # decisions that do not depend on the fills
                    self.saved = (i + 1, float(self.o[i + 1]))
                    self.o[i + 1] = self.lo[i + 1]
                    self.buy(size=5)
                elif i % 10 == 5:
                    self.saved = (i + 1, float(self.o[i + 1]))
                    self.o[i + 1] = self.hi[i + 1]
                    self.position.close()
        """)

    def decisions(s):
        i = len(s.data) - 1
        if i + 1 >= len(GOOG):
            return
        if i % 10 == 0:
            s.buy(size=5)
        elif i % 10 == 5:
            s.position.close()

    _not_forged(res, _honest(decisions))
    assert res.status != "ok"


def test_patched_bfill_does_not_make_the_equity(sandbox):
    """Patches pd.Series.bfill, which Backtest.run uses to build the equity curve."""
    res = _run(sandbox, """
        import numpy as np
        import pandas as pd
        from backtesting import Strategy

        _orig = pd.Series.bfill

        def bfill(self, *a, **k):
            out = _orig(self, *a, **k)
            if len(out) > 1000:
                v = out.to_numpy().copy()
                v[1:] = v[1:] * np.linspace(1, 3, len(v) - 1)
                return pd.Series(v, index=out.index)
            return out

        class Bfill(Strategy):
            def init(self):
                pd.Series.bfill = bfill

            def next(self):
                if not self.position:
                    self.buy(size=10)
        """)
    _not_forged(res, _honest(_buy_once))
    assert res.status == "tampered"


def test_scaled_close_with_a_blinded_hash_is_not_the_equity(sandbox):
    """Triples Close after bar 1000 through the full-length array, and patches
    numpy.ascontiguousarray so a hash of the data sees the original closes."""
    res = _run(sandbox, """
        import numpy as np
        from backtesting import Strategy

        _asc = np.ascontiguousarray

        def unlock(a):
            chain = [a]
            while isinstance(chain[-1].base, np.ndarray):
                chain.append(chain[-1].base)
            for arr in reversed(chain):
                try:
                    arr.flags.writeable = True
                except ValueError:
                    pass

        class Scale(Strategy):
            def init(self):
                self.close = self.data._Data__arrays["Close"]
                unlock(self.close)
                pristine = np.array(self.close, copy=True)

                def blind(a, *args, **kw):
                    out = _asc(a, *args, **kw)
                    if (out.shape == pristine.shape and out.dtype == pristine.dtype
                            and np.array_equal(out[:1000], pristine[:1000])):
                        return pristine
                    return out

                np.ascontiguousarray = blind

            def next(self):
                i = len(self.data) - 1
                if i == 1000:
                    self.close[1000:] *= 3
                if i == 500:
                    self.buy(size=10)
        """)

    def decisions(s):
        if len(s.data) - 1 == 500:
            s.buy(size=10)

    _not_forged(res, _honest(decisions))
    assert res.status != "ok"


def test_one_set_cannot_change_another_sets_result(sandbox):
    """Set 0 leaves a process behind that, while sets 1 and 2 run, writes forged results
    for them into the worker's result channel (found through traceback frames)."""
    code = textwrap.dedent("""
        import os
        import time
        from backtesting import Strategy

        class Batch(Strategy):
            role = 0

            def init(self):
                if self.role != 1:
                    time.sleep(1.5)  # be the running set when the forgery arrives
                    return
                try:
                    raise RuntimeError("x")
                except RuntimeError as e:
                    f = e.__traceback__.tb_frame
                while f is not None and "result_fd" not in f.f_locals:
                    f = f.f_back
                fd, g = f.f_locals["result_fd"], f.f_globals
                if os.fork() == 0:
                    for idx in (1, 2):
                        time.sleep(1.0)
                        fake = {"Return [%]": 31337.0, "# Trades": 7}
                        g["write_message"](fd, {"index": idx, "status": "ok", "script_done": True,
                                                "stats": fake})
                        g["write_message"](fd, {"index": idx, "status": "ok", "stats": fake,
                                                "orderlog": {"warmup": 0, "actions": [["buy", 5, {}]]},
                                                "claimed_stats": {}, "strategy_name": "Batch"})
                        time.sleep(0.5)
                    os._exit(0)

            def next(self):
                if self.role == 0 and not self.position and len(self.data) == 300:
                    self.buy(size=5)
        """)
    req = RunRequest(code=code, data=GOOG, options=OPTS, limits=Limits(timeout_s=60), restricted=False,
                     param_sets=[{"role": 1}, {"role": 0}, {"role": 0}])
    batch = run_batch(req, sandbox, validate=False)
    alone = run(RunRequest(code=code, data=GOOG, options=OPTS, limits=Limits(timeout_s=60),
                           restricted=False,
                           params={"role": 0}), sandbox, validate=False)
    assert alone.status == "ok" and alone.stats["Return [%]"] != FORGED
    for res in batch[1:]:
        assert res.status == "ok", (res.status, res.error)
        assert res.stats["Return [%]"] == alone.stats["Return [%]"]
        assert res.stats["# Trades"] == alone.stats["# Trades"]


def test_strategy_visible_data_is_read_only(sandbox):
    res = _run(sandbox, """
        from backtesting import Strategy

        class Write(Strategy):
            def init(self):
                pass

            def next(self):
                self.data.Close[-1] = 1.0
        """)
    assert res.status == "error", (res.status, res.error)
    assert "read-only" in res.error["message"]


def test_a_huge_str_of_the_strategy_does_not_reach_the_result(sandbox):
    res = _run(sandbox, """
        from backtesting import Strategy

        class Huge(Strategy):
            def init(self):
                pass

            def next(self):
                if not self.position:
                    self.buy(size=1)

            def __str__(self):
                return "x" * 20_000_000
        """)
    assert res.status == "ok", res.error
    assert len(res.to_json()) < 1_000_000
    assert res.stats["_strategy"] == "Huge"


def test_plot_is_rendered_from_the_replay_not_the_sandbox(sandbox):
    """The strategy hands whoever reads a plot.html its own HTML (script injection)."""
    res = _run(sandbox, """
        import builtins
        import io
        from backtesting import Strategy

        _open = builtins.open

        def sneaky_open(path, mode="r", *a, **k):
            if str(path).endswith(".html") and "r" in mode:
                return io.StringIO("<script>alert('pwned')</script>")
            return _open(path, mode, *a, **k)

        class Plotted(Strategy):
            def init(self):
                builtins.open = sneaky_open

            def next(self):
                if not self.position:
                    self.buy(size=1)
        """, plot=True)
    assert res.status == "ok", res.error
    html = res.artifacts.get("plot_html", "")
    assert "pwned" not in html
    assert "bokeh" in html.lower()
