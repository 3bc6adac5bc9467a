"""Noise ceilings and SNR of repeated test responses (paper "Noise-Ceiling")."""
import numbers

import numpy as np
from sklearn.utils import check_random_state

from .._docs import fill_doc
from .._utils import check_trials as _check_trials
from .._utils import pearson_r, snr  # noqa: F401  (snr: public here)


@fill_doc
def noise_ceiling(trials, *, n_images=None, method="split-half", n_splits=100,
                  random_state=None):
    """Per-voxel noise ceiling of the mean over repeats (split-half, Spearman-Brown).

    The estimator (paper, "Noise-Ceiling"): the repeats are split
    at random into two halves of ``n_repeats // 2`` (an odd one left out of the split); per
    voxel, ``r`` is the Pearson correlation over images between the two halves' means,
    averaged over ``n_splits`` random splits. The Spearman-Brown formula carries the
    half-mean reliability to the mean of all repeats,
    ``R = f r / (1 + (f - 1) r)`` with ``f = n_repeats / (n_repeats // 2)``, and the
    ceiling is ``sqrt(max(R, 0))``: the highest correlation a perfect model of the noiseless
    response can reach with the averaged test data. It estimates the same quantity as the
    simulated subject's true ``noise_ceiling``, ``sqrt(var_signal / (var_signal +
    var_noise / n_repeats))``.

    Parameters
    ----------
    %(trials)s
    method : {"split-half"}, default="split-half"
        The estimator (the only one offered: the paper's).
    n_splits : int, default=100
        Random splits averaged.
    %(random_state_eval)s

    Returns
    -------
    ceiling : ndarray of shape (n_voxels,)
        In [0, 1]; 0 where the halves do not correlate positively.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.analysis import noise_ceiling
    >>> rng = np.random.default_rng(0)
    >>> signal = rng.standard_normal((50, 1, 3))
    >>> trials = signal + rng.standard_normal((50, 24, 3)) * [0.1, 1.0, 5.0]
    >>> np.round(noise_ceiling(trials, random_state=0), 2)  # truth: 1.0, 0.98, 0.70
    array([1.  , 0.97, 0.68])
    """
    t = _check_trials(trials, n_images)
    if method != "split-half":
        raise ValueError(f"method must be 'split-half'; got {method!r}.")
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) or n_splits < 1:
        raise ValueError(f"n_splits must be a positive int; got {n_splits!r}.")
    rng = check_random_state(random_state)
    n_rep = t.shape[1]
    half = n_rep // 2
    r = np.zeros(t.shape[2])
    for _ in range(int(n_splits)):
        order = rng.permutation(n_rep)
        a = t[:, order[:half]].mean(axis=1)
        b = t[:, order[half:2 * half]].mean(axis=1)
        r += pearson_r(a, b, axis=0)
    r /= n_splits
    f = n_rep / half
    # Spearman-Brown only for positive r: its denominator crosses zero at r = -1 / (f - 1)
    # (odd repeat counts), where anti-correlated halves would otherwise read as ceiling 1
    positive = r > 0
    reliability = np.where(positive, f * r / (1 + (f - 1) * np.where(positive, r, 0.0)), 0.0)
    return np.sqrt(np.clip(reliability, 0.0, 1.0))
