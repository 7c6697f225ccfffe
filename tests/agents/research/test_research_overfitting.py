"""PSR, DSR and PBO (CSCV) against hand computations and synthetic cases with known answers."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from agents.research.overfitting import (
    deflated_sharpe,
    expected_max_sharpe,
    pbo_cscv,
    probabilistic_sharpe,
    sharpe_moments,
)


def test_psr_matches_hand_computation() -> None:
    # SR 0.1 per period, T = 253, skew -0.5, kurtosis 4, benchmark 0
    sr, t, g3, g4 = 0.1, 253, -0.5, 4.0
    denom = math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr * sr)  # sqrt(1.0575)
    z = sr * math.sqrt(t - 1) / denom
    assert z == pytest.approx(0.1 * math.sqrt(252) / math.sqrt(1.0575))
    assert probabilistic_sharpe(sr, 0.0, t, g3, g4) == pytest.approx(NormalDist().cdf(z))
    assert probabilistic_sharpe(sr, 0.0, t, g3, g4) == pytest.approx(0.9387, abs=1e-4)  # z = 1.5437
    # fat left tail makes the same Sharpe less convincing
    assert probabilistic_sharpe(sr, 0.0, t, -2.0, 9.0) < probabilistic_sharpe(sr, 0.0, t)


def test_sharpe_moments_of_a_known_series() -> None:
    r = np.array([0.01, -0.01, 0.02, 0.0, 0.03])
    m = sharpe_moments(r)
    assert m.sharpe == pytest.approx(r.mean() / r.std(ddof=1))
    assert m.n == 5
    z = (r - r.mean()) / r.std()
    assert m.skew == pytest.approx((z ** 3).mean())
    assert m.kurtosis == pytest.approx((z ** 4).mean())


def test_expected_max_sharpe_formula_and_growth() -> None:
    g = 0.5772156649015329
    n, v = 100, 0.04
    want = math.sqrt(v) * ((1 - g) * NormalDist().inv_cdf(1 - 1 / n)
                           + g * NormalDist().inv_cdf(1 - 1 / (n * math.e)))
    assert expected_max_sharpe(n, v) == pytest.approx(want)
    vals = [expected_max_sharpe(k, v) for k in (2, 10, 100, 1000)]
    assert vals == sorted(vals) and vals[0] > 0
    assert expected_max_sharpe(1, v) == 0.0


def test_dsr_decreases_with_the_number_of_trials() -> None:
    rng = np.random.default_rng(7)
    r = rng.normal(0.0008, 0.01, 1000)  # per-period SR ~ 0.08
    dsrs = [deflated_sharpe(r, n)["dsr"] for n in (1, 10, 100, 1000, 10_000)]
    assert all(a > b for a, b in zip(dsrs, dsrs[1:], strict=False))
    one = deflated_sharpe(r, 1)
    assert one["dsr"] == pytest.approx(one["psr"])  # one trial: nothing to deflate


def test_dsr_of_a_real_edge_survives_and_noise_does_not() -> None:
    rng = np.random.default_rng(11)
    edge = rng.normal(0.002, 0.01, 2000)  # SR 0.2 per period
    assert deflated_sharpe(edge, 100)["dsr"] > 0.99
    noise = rng.normal(0.0, 0.01, (2000, 100))
    best = noise[:, np.argmax(noise.mean(0) / noise.std(0))]  # the best of 100 noise trials
    sharpes = noise.mean(0) / noise.std(0, ddof=1)
    res = deflated_sharpe(best, 100, trial_sharpes=sharpes)
    assert res["psr"] > 0.9  # undeflated it looks significant
    assert res["dsr"] < 0.9  # deflated by the 100 trials it does not


def test_pbo_of_pure_noise_is_around_one_half_or_above() -> None:
    rng = np.random.default_rng(3)
    pbos = [pbo_cscv(rng.normal(0, 0.01, (800, 20)), blocks=10).pbo for _ in range(4)]
    assert 0.3 < float(np.mean(pbos)) < 0.8


def test_pbo_with_one_genuinely_good_configuration_is_low() -> None:
    rng = np.random.default_rng(5)
    m = rng.normal(0, 0.01, (800, 20))
    m[:, 7] += 0.003  # SR 0.3 per period, the rest noise
    res = pbo_cscv(m, blocks=10)
    assert res.pbo < 0.05
    assert res.n_combinations == math.comb(10, 5)
    assert res.prob_oos_loss < 0.05


def test_pbo_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="even"):
        pbo_cscv(np.zeros((100, 3)), blocks=5)
    with pytest.raises(ValueError, match="N >= 2"):
        pbo_cscv(np.zeros((100, 1)))
    with pytest.raises(ValueError, match="too few"):
        pbo_cscv(np.zeros((10, 3)), blocks=16)


def test_dsr_does_not_count_a_real_edge_and_costly_variants_as_luck() -> None:
    """One real edge (per-period SR ~0.07, t ~3.2 over 2000 bars) among three variants
    that lose to costs (SR ~ -0.2): the trials' cross-sectional Sharpe variance is ~0.015,
    28 x the null 1/(T-1), and a DSR that used it (the old code) gave ~0.005; the null
    variance with N = 4 effective trials keeps the edge (DSR >= 0.9, the kill bar)."""
    rng = np.random.default_rng(5)
    t = 2000
    edge = rng.normal(0.0007, 0.01, t)
    costly = rng.normal(-0.002, 0.01, (t, 3))
    sharpes = [edge.mean() / edge.std(ddof=1), *(costly.mean(0) / costly.std(0, ddof=1))]
    res = deflated_sharpe(edge, 4, trial_sharpes=sharpes)
    assert res["trial_variance"] > 20 * res["variance"]
    assert res["variance"] == pytest.approx(1 / (t - 1), rel=0.2)
    assert res["dsr"] >= 0.9, res
    old_star = expected_max_sharpe(4, res["trial_variance"])
    assert res["sr"] < old_star  # what the cross-sectional V would have demanded


def test_null_sharpe_variance_widens_for_autocorrelated_returns() -> None:
    from agents.research.overfitting import null_sharpe_variance

    rng = np.random.default_rng(2)
    iid = rng.normal(0, 0.01, 3000)
    assert null_sharpe_variance(iid) == pytest.approx(1 / 2999, rel=0.15)
    ar = np.empty(3000)
    ar[0] = 0.0
    for i in range(1, 3000):  # AR(1), rho 0.5: long-run variance ~3 x the variance
        ar[i] = 0.5 * ar[i - 1] + iid[i]
    assert null_sharpe_variance(ar) > 2.0 / 2999
