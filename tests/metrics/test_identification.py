from itertools import combinations

import numpy as np
import pytest

from neurodecode.metrics import (
    FeatureModel,
    PerceptualDistance,
    n_way_identification,
    pairwise_identification,
    pixel_correlation_distance,
)
from neurodecode.models import normalize_channels


def _noisy(seed=0, n=8, size=12, noise=0.6):
    rng = np.random.default_rng(seed)
    gt = rng.random((n, size, size, 3))
    rec = np.clip(gt + noise * rng.standard_normal(gt.shape), 0, 1)
    return rec, gt


def _brute_force_hit_rates(D_true, D_distr, n):
    """Enumerate every distractor subset of size n - 1 (exhaustive reference)."""
    rates = []
    for i in range(len(D_true)):
        subsets = list(combinations(range(D_distr.shape[1]), n - 1))
        hits = [all(D_distr[i, j] > D_true[i] for j in s) for s in subsets]
        rates.append(np.mean(hits))
    return np.array(rates)


def test_exact_rates_equal_exhaustive_enumeration():
    rec, gt = _noisy()
    D = pixel_correlation_distance(rec, gt)
    distr = D[~np.eye(8, dtype=bool)].reshape(8, 7)
    for n in (2, 3, 5, 8):
        res = n_way_identification(rec, gt, n=n, pool="others", distance="pixel_correlation",
                                   n_trials=None)[n]
        np.testing.assert_allclose(res.per_image, _brute_force_hit_rates(np.diag(D), distr, n))
        assert res.n_images == 8 and res.pool_size == 7 and res.chance == 1 / n


def test_n_equal_to_all_candidates_is_nearest_neighbour_identification():
    rec, gt = _noisy(1)
    D = pixel_correlation_distance(rec, gt)
    nearest = (np.argmin(D, axis=1) == np.arange(8)).astype(float)
    res = n_way_identification(rec, gt, n=8, pool="others", distance="pixel_correlation",
                               n_trials=50)[8]
    np.testing.assert_array_equal(res.per_image, nearest)


def test_monte_carlo_agrees_with_the_exact_rate():
    rec, gt = _noisy(2, n=12)
    exact = n_way_identification(rec, gt, n=4, pool="others", distance="pixel_correlation",
                                 n_trials=None)[4]
    mc = n_way_identification(rec, gt, n=4, pool="others", distance="pixel_correlation",
                              n_trials=20000, random_state=0)[4]
    np.testing.assert_allclose(mc.per_image, exact.per_image, atol=0.02)
    again = n_way_identification(rec, gt, n=4, pool="others", distance="pixel_correlation",
                                 n_trials=20000, random_state=0)[4]
    np.testing.assert_array_equal(again.per_image, mc.per_image)


def test_external_pool_and_callable_distance():
    rec, gt = _noisy(3)
    pool = np.random.default_rng(9).random((20, 12, 12, 3))

    def l2(A, B):
        return ((A.reshape(len(A), -1)[:, None] - B.reshape(len(B), -1)[None]) ** 2).sum(-1)

    res = n_way_identification(rec, gt, n=[2, 21], pool=pool, distance=l2, n_trials=None)
    d_true = np.diag(l2(rec, gt))
    expected = (l2(rec, pool) > d_true[:, None]).all(axis=1).astype(float)
    np.testing.assert_allclose(res[21].per_image, expected)
    assert res[2].pool == "external (20 images)" and res[2].distance == "l2"
    assert 0 <= res[2].ci95[0] <= res[2].mean <= res[2].ci95[1] <= 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(n=9, pool="others"), "n=9 needs 8 distractors but the pool holds 7"),
    (dict(n=1, pool="others"), "n must be integers >= 2"),
    (dict(n=2, pool="test"), "pool must be 'others' or an array"),
    (dict(n=2, pool="others", distance="lpips"), "distance must be 'perceptual'"),
    (dict(n=2, pool="others", distance=lambda a, b: np.zeros((2, 2))), r"returned shape \(2, 2\)"),
    (dict(n=2, pool="others", distance=lambda a, b: np.full((8, 8), np.nan)),
     "64 NaN or infinite"),
    (dict(n=2, pool="others", n_trials=0), "n_trials must be a positive int"),
])
def test_bad_identification_arguments(kwargs, match):
    rec, gt = _noisy()
    with pytest.raises(ValueError, match=match):
        n_way_identification(rec, gt, **kwargs)


def test_pool_is_required_and_counts_must_match():
    rec, gt = _noisy()
    with pytest.raises(TypeError, match="pool"):
        n_way_identification(rec, gt, n=2)
    with pytest.raises(ValueError, match="reconstructions has 8 samples but images has 7"):
        n_way_identification(rec, gt[:7], n=2, pool="others")


def test_perceptual_distance_is_the_lpips_style_formula():
    rec, gt = _noisy(4, n=3, size=32)
    d = PerceptualDistance(net="efficientnet_lite0")
    D = d(rec, gt)
    fm = FeatureModel("efficientnet_lite0")
    fr = next(fm.iter_features(rec))
    fg = next(fm.iter_features(gt))
    expected = np.zeros((3, 3))
    for a, b in zip(fr, fg):
        na, nb = normalize_channels(a).numpy(), normalize_channels(b).numpy()
        for i in range(3):
            for j in range(3):
                expected[i, j] += ((na[i] - nb[j]) ** 2).sum(0).mean()
    np.testing.assert_allclose(D, expected, rtol=1e-4, atol=1e-5)
    assert np.allclose(np.diag(d(gt, gt)), 0, atol=1e-5)


def test_pairwise_identification_matches_a_loop():
    rng = np.random.default_rng(5)
    true = rng.standard_normal((10, 30))
    pred = true + 1.5 * rng.standard_normal(true.shape)
    res = pairwise_identification(pred, true)
    expected = []
    for i in range(10):
        r_ii = np.corrcoef(pred[i], true[i])[0, 1]
        expected.append(np.mean([np.corrcoef(pred[i], true[j])[0, 1] < r_ii
                                 for j in range(10) if j != i]))
    np.testing.assert_allclose(res.per_image, expected)
    assert res.mean == pytest.approx(np.mean(expected)) and res.chance == 0.5


def test_pairwise_identification_bad_input():
    x = np.random.default_rng(0).standard_normal((4, 5))
    with pytest.raises(ValueError, match="pred_features has 4 samples but true_features has 3"):
        pairwise_identification(x, x[:3])
    with pytest.raises(ValueError, match="5 features per sample but true_features has 4"):
        pairwise_identification(x, x[:, :4])
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="pred_features contains 1 NaN"):
        pairwise_identification(bad, x)
