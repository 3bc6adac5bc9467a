"""Encoding accuracy per voxel and its noise-ceiling correction (paper "Noise-Ceiling")."""
import numpy as np

from .._utils import pearson_r


def _as_2d(a, name):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n_images, n_voxels); got {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains {int((~np.isfinite(a)).sum())} NaN or infinite "
                         "values.")
    return a


def prediction_accuracy(y_true, y_pred):
    """Per-voxel Pearson r between measured and predicted responses, over images.

    Parameters
    ----------
    y_true : array-like of shape (n_images, n_voxels)
        Measured responses (for the paper's protocol: the test data averaged over repeats).
    y_pred : array-like of shape (n_images, n_voxels)
        Predicted responses (e.g. ``ImageEncoder.predict(test_images)``).

    Returns
    -------
    r : ndarray of shape (n_voxels,)
        Pearson r per voxel; 0 where either column is constant.

    See Also
    --------
    noise_corrected_accuracy : ``r`` relative to each voxel's noise ceiling.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.analysis import prediction_accuracy
    >>> y = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> prediction_accuracy(y, 2 * y + 1)
    array([1., 1.])
    """
    t = _as_2d(y_true, "y_true")
    p = _as_2d(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got {t.shape} and "
                         f"{p.shape}.")
    if t.shape[0] < 3:
        raise ValueError(f"at least 3 images are needed for a correlation; got {t.shape[0]}.")
    return pearson_r(t, p)


def noise_corrected_accuracy(r, ceiling, *, min_ceiling=0.3):
    """Prediction accuracy relative to the noise ceiling: ``r / ceiling`` per voxel.

    Only where the ceiling is reliable (``ceiling >= min_ceiling``); elsewhere NaN (a small
    ceiling makes the ratio explode on noise). Values above 1 are kept: they happen when
    ``r`` or the ceiling estimate is noisy, and clipping would bias averages.

    Parameters
    ----------
    r : array-like of shape (n_voxels,)
        Per-voxel accuracy (:func:`prediction_accuracy`).
    ceiling : array-like of shape (n_voxels,)
        Per-voxel noise ceiling of the same test data (:func:`noise_ceiling`).
    min_ceiling : float, default=0.3
        Smallest ceiling for which the ratio is computed.

    Returns
    -------
    corrected : ndarray of shape (n_voxels,)
        ``r / ceiling``, NaN where ``ceiling < min_ceiling``.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.analysis import noise_corrected_accuracy
    >>> noise_corrected_accuracy([0.3, 0.3], [0.6, 0.1])
    array([0.5, nan])
    """
    r = np.asarray(r, dtype=np.float64)
    c = np.asarray(ceiling, dtype=np.float64)
    if r.ndim != 1 or c.shape != r.shape:
        raise ValueError(f"r and ceiling must be 1D arrays of the same length; got {r.shape} "
                         f"and {c.shape}.")
    if not 0 < min_ceiling <= 1:
        raise ValueError(f"min_ceiling must be in (0, 1]; got {min_ceiling!r}.")
    out = np.full(r.shape, np.nan)
    ok = c >= min_ceiling
    out[ok] = r[ok] / c[ok]
    return out
