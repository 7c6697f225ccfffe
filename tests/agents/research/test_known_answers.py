"""A fast subset of bench/known_answers.py through the real intake and loop: a strategy
that prices a limit order from the next bar's low is killed WITH the look-ahead reason
(before the order replay it was killed for a random-walk reason, or not at all), and
an RSI rule searched on a random walk is not promoted. The full matrix is the benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.known_answers import BY_NAME, matrix, run, verdict


def test_verdicts() -> None:
    assert verdict("edge", "approved", "promoted")
    assert verdict("edge", "graduated", "paper P1: feed ended") and verdict(
        "edge", "killed", "paper P2: diverged from the backtest")  # promoted, then paper-traded
    assert not verdict("noise", "graduated", "paper P3: ...")
    assert not verdict("noise", "killed", "paper P4: diverged")  # it was promoted: a false pass
    assert not verdict("edge", "killed", "optimisation stalled")
    assert verdict("lookahead", "killed", "research kill: look-ahead: orders differ")
    assert not verdict("lookahead", "killed", "profitable on 1 of random walks")
    assert not verdict("noise", "approved", "") and verdict("beta", "killed", "DSR")


@pytest.mark.slow
def test_lookahead_killed_and_noise_not_promoted(tmp_path: Path) -> None:
    cases = [BY_NAME["peek_limit"], BY_NAME["noise_rsi"]]
    results, _ = run(cases, seed=0, backend="local", lab=tmp_path)
    by = {o.case: o for o in results}
    assert by["peek_limit"].status == "killed", by["peek_limit"]
    assert "look-ahead" in by["peek_limit"].reason, by["peek_limit"].reason
    assert by["noise_rsi"].status not in ("approved", "missing", "active"), by["noise_rsi"]
    m = matrix(results)
    assert m["false_passes"] == 0 and m["lookahead_killed"] == 1
