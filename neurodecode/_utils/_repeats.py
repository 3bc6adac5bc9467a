"""Repeated responses: their check and the per-voxel SNR (the authors' reference code),
used by the analyses and by the decoder's unpaired-fMRI weights."""
import numbers

import numpy as np


def check_trials(trials, n_images=None):
    """``trials`` as a finite float64 (n_images, n_repeats, n_voxels) array.

    More repeats than images is refused as the other layout, repeats first (the deprecated
    ``X_test_repeats``; GOD: 35 repeats of 50 images), unless ``n_images`` confirms the
    first axis."""
    raw = np.asarray(trials)
    if raw.dtype.kind not in "biuf":
        raise ValueError(f"trials must hold real numbers; got dtype {raw.dtype}.")
    if n_images is not None and (isinstance(n_images, (bool, np.bool_))
                                 or not isinstance(n_images, numbers.Integral)):
        raise TypeError(f"n_images must be an int (the number of images) or None; got "
                        f"{n_images!r}.")
    t = raw.astype(np.float64)
    if t.ndim != 3:
        raise ValueError(
            f"trials must have shape (n_images, n_repeats, n_voxels); got {t.shape}: pass a "
            "subject's X_test_trials.")
    if n_images is not None and int(n_images) != t.shape[0]:
        raise ValueError(f"n_images={n_images} but trials has {t.shape[0]} on its first axis "
                         "(images first: (n_images, n_repeats, n_voxels)).")
    if n_images is None and t.shape[1] > t.shape[0]:
        raise ValueError(
            f"trials has more repeats ({t.shape[1]}) than images ({t.shape[0]}): it looks "
            "repeats first, (n_repeats, n_images, n_voxels), as the deprecated "
            "X_test_repeats is. Pass np.moveaxis(trials, 0, 1) (or X_test_trials, images "
            f"first); if it really holds {t.shape[0]} images, pass n_images={t.shape[0]}.")
    if t.shape[0] < 3 or t.shape[1] < 2:
        raise ValueError(f"trials needs at least 3 images and 2 repeats; got {t.shape[:2]}.")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"trials contains {int((~np.isfinite(t)).sum())} NaN or infinite "
                         "values.")
    return t


def snr(trials, n_images=None):
    """Per-voxel SNR of repeated responses (the authors' reference code).

    The variance over images of the mean over repeats, divided by the mean over images of
    the variance over repeats (ddof=1): a single-trial signal-to-noise ratio plus
    ``1 / n_repeats`` (the noise left in the means).

    Parameters
    ----------
    trials : array-like of shape (n_images, n_repeats, n_voxels)
        Single-trial responses to repeated images, images first (a subject's
        ``X_test_trials``). More repeats than images is refused as the repeats-first layout.
    n_images : int or None, default=None
        The number of images, to confirm the first axis when there are more repeats than
        images.

    Returns
    -------
    snr : ndarray of shape (n_voxels,)
        Non-negative; about ``signal variance / noise variance + 1 / n_repeats``. A voxel
        whose repeats are identical has ``inf`` (no noise), a constant voxel 0 (no
        signal), as :func:`noise_ceiling` gives them 1 and 0.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.analysis import snr
    >>> rng = np.random.default_rng(0)
    >>> trials = rng.standard_normal((200, 1, 2)) * [1.0, 2.0] + rng.standard_normal((200, 50, 2))
    >>> np.round(snr(trials), 1)  # signal variance 1 and 4 over noise variance 1
    array([1., 4.])
    """
    t = check_trials(trials, n_images)
    signal, noise = t.mean(axis=1).var(axis=0), t.var(axis=1, ddof=1).mean(axis=0)
    out = np.zeros_like(signal)  # a constant voxel (no signal, no noise): 0
    np.divide(signal, noise, out=out, where=noise > 0)
    out[(noise == 0) & (signal > 0)] = np.inf  # identical repeats of varying responses
    return out
