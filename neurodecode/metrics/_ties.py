"""N-way trials with ties counted at their expected value.

A target competes with ``k`` candidates drawn without replacement from a population of
``population``; ``n_better`` of the population are strictly better than the target and
``n_tied`` are exactly as good. Ties are broken uniformly at random, so a trial is worth its
expected value: with ``b`` better and ``t`` tied candidates drawn, the target lands at rank
``b + U``, ``U`` uniform on ``1 .. t + 1``, and is in the top ``top`` with probability
``clip(top - b, 0, t + 1) / (t + 1)``. A constant embedding then scores chance, never 100 %.
"""
import numpy as np
from scipy.stats import hypergeom


def expected_rank(n_better, n_tied):
    """Rank (1 = best) when ties are broken at random: ``1 + n_better + n_tied / 2``."""
    return 1.0 + np.asarray(n_better, dtype=np.float64) + 0.5 * np.asarray(n_tied, np.float64)


def _conditional_hit(b, t, top):
    return np.clip(top - b, 0, t + 1) / (t + 1.0)


def topk_hit_rate(n_better, n_tied, population, k, top=1, n_trials=None, rng=None):
    """Per-target probability of a top-``top`` hit among ``k`` drawn candidates.

    Parameters
    ----------
    n_better, n_tied : array-like of int, shape (n_targets,)
        Members of the population strictly better than / tied with each target.
    population : int
        Size of the population the candidates are drawn from.
    k : int
        Candidates drawn per trial (``n - 1`` for an n-way trial).
    top : int, default=1
        A hit is a rank <= top among the target and its candidates.
    n_trials : int or None, default=None
        None: the exact expectation (multivariate hypergeometric). An int: the mean of
        ``n_trials`` random draws of the candidates, each worth its expected value over the
        tie-breaking.
    rng : numpy.random.RandomState or None
        Random state for the draws (required when ``n_trials`` is an int).

    Returns
    -------
    rate : ndarray of float, shape (n_targets,)
    """
    nb = np.asarray(n_better, dtype=np.int64)
    nt = np.asarray(n_tied, dtype=np.int64)
    rest = population - nb
    if n_trials is None:
        rate = np.zeros(len(nb))
        t = np.arange(k + 1)[:, None]
        for b in range(min(top, k + 1)):
            p_b = hypergeom.pmf(b, population, nb, k)  # (n_targets,)
            p_t = hypergeom.pmf(t, rest, nt[None], k - b)  # (k + 1, n_targets)
            # an empty pool of non-better candidates (scipy: NaN) draws no tie for certain
            p_t = np.where((rest == 0)[None], (t == 0).astype(float), np.nan_to_num(p_t))
            rate += np.nan_to_num(p_b) * (p_t * _conditional_hit(b, t, top)).sum(axis=0)
        return rate
    size = (int(n_trials), len(nb))
    b = rng.hypergeometric(nb, rest, k, size=size) if k else np.zeros(size, np.int64)
    t = np.zeros(size, np.int64)
    has_ties = nt > 0
    if k and has_ties.any():
        left = k - b[:, has_ties]
        pool = rest[has_ties]
        # draw the tied among the k - b candidates that are not better (left may be 0)
        t[:, has_ties] = np.where(
            left > 0, rng.hypergeometric(nt[has_ties], np.maximum(pool - nt[has_ties], 0),
                                         np.maximum(left, 1)), 0)
    return _conditional_hit(b, t, top).mean(axis=0)
