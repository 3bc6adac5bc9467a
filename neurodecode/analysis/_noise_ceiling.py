"""Noise ceilings and SNR of repeated test responses (paper "Noise-Ceiling")."""
import numbers

import numpy as np
from sklearn.utils import check_random_state

from .._docs import fill_doc
from .._utils import pearson_r


def _check_trials(trials):
    t = np.asarray(trials, dtype=np.float64)
    if t.ndim != 3:
        raise ValueError(
            f"trials must have shape (n_images, n_repeats, n_voxels); got {t.shape}: pass a "
            "subject's X_test_trials.")
    if t.shape[0] < 3 or t.shape[1] < 2:
        raise ValueError(f"trials needs at least 3 images and 2 repeats; got {t.shape[:2]}.")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"trials contains {int((~np.isfinite(t)).sum())} NaN or infinite "
                         "values.")
    return t


@fill_doc
def noise_ceiling(trials, *, method="split-half", n_splits=100, random_state=None):
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
    trials : array-like of shape (n_images, n_repeats, n_voxels)
        Single-trial responses to repeated images.
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
    t = _check_trials(trials)
    if method != "split-half":
        raise ValueError(f"method must be 'split-half'; got {method!r}.")
    if not isinstance(n_splits, numbers.Integral) or n_splits < 1:
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


def snr(trials):
    """Per-voxel SNR of repeated responses (the authors' reference code).

    The variance over images of the mean over repeats, divided by the mean over images of
    the variance over repeats (ddof=1): a single-trial signal-to-noise ratio plus
    ``1 / n_repeats`` (the noise left in the means).

    Parameters
    ----------
    trials : array-like of shape (n_images, n_repeats, n_voxels)
        Single-trial responses to repeated images.

    Returns
    -------
    snr : ndarray of shape (n_voxels,)
        Non-negative; about ``signal variance / noise variance + 1 / n_repeats``.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.analysis import snr
    >>> rng = np.random.default_rng(0)
    >>> trials = rng.standard_normal((200, 1, 2)) * [1.0, 2.0] + rng.standard_normal((200, 50, 2))
    >>> np.round(snr(trials), 1)  # signal variance 1 and 4 over noise variance 1
    array([1., 4.])
    """
    t = _check_trials(trials)
    return t.mean(axis=1).var(axis=0) / t.var(axis=1, ddof=1).mean(axis=0)
