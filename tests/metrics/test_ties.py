"""Ties count at their expected value in ranks, n-way classification and identification."""
import numpy as np
import pytest

from neurodecode.metrics import (
    class_ranks,
    n_way_classification,
    n_way_identification,
    pairwise_identification,
)
from neurodecode.metrics._ties import topk_hit_rate


def _brute_force(n_better, n_tied, population, k, top, n_trials, rng):
    """Simulate trials with explicit random tie-breaking."""
    hits = np.zeros(len(n_better))
    for i, (b, t) in enumerate(zip(n_better, n_tied)):
        # 2 = better, 1 = tied, 0 = worse; target is one more tied item
        pop = np.array([2] * b + [1] * t + [0] * (population - b - t))
        for _ in range(n_trials):
            drawn = rng.choice(pop, size=k, replace=False)
            score = np.concatenate([drawn, [1]]) + rng.random(k + 1) * 1e-3
            rank = 1 + (score > score[-1]).sum()
            hits[i] += rank <= top
    return hits / n_trials


@pytest.mark.parametrize("top", [1, 2])
def test_exact_expectation_matches_simulation(top):
    n_better = np.array([0, 1, 3, 0, 2])
    n_tied = np.array([0, 2, 4, 9, 0])
    exact = topk_hit_rate(n_better, n_tied, 12, 4, top=top)
    sim = _brute_force(n_better, n_tied, 12, 4, top, 4000, np.random.default_rng(0))
    np.testing.assert_allclose(exact, sim, atol=0.025)
    mc = topk_hit_rate(n_better, n_tied, 12, 4, top=top, n_trials=20000,
                       rng=np.random.RandomState(0))
    np.testing.assert_allclose(mc, exact, atol=0.015)


def test_constant_similarity_scores_chance():
    S = np.zeros((7, 10))
    true = np.arange(7)
    np.testing.assert_allclose(class_ranks(S, true), 5.5)  # (10 + 1) / 2
    res = n_way_classification(S, true, n=(2, 5, 10), top=(1, 5), n_trials=None)
    for (n, k), r in res.items():
        assert r.mean == pytest.approx(min(k, n) / n)
    res = n_way_classification(S, true, n=5, top=1, n_trials=3000, random_state=0)
    assert res[(5, 1)].mean == pytest.approx(0.2)  # every draw is all ties: exactly 1/5


def test_untied_ranks_unchanged():
    S = np.random.default_rng(0).random((20, 30))
    true = np.arange(20)
    expected = 1 + (S > S[np.arange(20), true][:, None]).sum(1)
    np.testing.assert_array_equal(class_ranks(S, true), expected)


def test_identical_reconstructions_score_chance():
    rng = np.random.default_rng(0)
    gt = rng.random((12, 8, 8, 3))
    constant = np.repeat(rng.random((1, 8, 8, 3)), 12, axis=0)

    def distance(A, B):  # a distance blind to its first argument: every candidate ties
        return np.zeros((len(A), len(B)))

    res = n_way_identification(constant, gt, n=(2, 5), pool="others", distance=distance,
                               n_trials=None)
    assert res[2].mean == pytest.approx(0.5)
    assert res[5].mean == pytest.approx(0.2)
    feats = np.ones((6, 4))
    feats[:, 0] = 2.0  # all rows identical: every pair ties
    assert pairwise_identification(feats + 0 * np.arange(6)[:, None], feats).mean == 0.5


def test_every_candidate_better_still_fills_the_top():
    # every candidate beats the target, yet with top >= k + 1 it is always in the top
    assert topk_hit_rate([49], [0], 49, 9, top=10)[0] == pytest.approx(1.0)
    S = np.array([[0.0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])
    res = n_way_classification(S, [0, 0], n=2, top=(1, 5), n_trials=None)
    np.testing.assert_allclose(res[(2, 5)].per_image, [1.0, 1.0])
    np.testing.assert_allclose(res[(2, 1)].per_image, [0.0, 1.0])


def test_bad_indices_and_tops_are_refused():
    S = np.zeros((2, 3))
    with pytest.raises(ValueError, match="true_index must hold column indices"):
        class_ranks(S, [0, -1])
    with pytest.raises(ValueError, match="top must be positive"):
        n_way_classification(S, [0, 1], n=2, top=0)
