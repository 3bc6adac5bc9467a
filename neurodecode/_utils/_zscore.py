"""Z-scoring per voxel within runs: the units of GOD's samples (Horikawa & Kamitani 2017).

The one implementation behind :func:`~neurodecode.datasets.load_god`'s samples (each run's
blocks, after averaging) and the simulated subject's single trials and test repeats.
"""
import numpy as np


def zscore_runs(X, runs=None):
    """Z-score every column of ``X`` within each run (population SD, ``ddof=0``).

    Computed in float64. A column that is constant within a run becomes 0 there (its mean
    removed, nothing scaled), never NaN.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_voxels)
        Samples, one row each.
    runs : array-like of shape (n_samples,) or None, default=None
        The run of each sample; None treats all samples as one run.

    Returns
    -------
    Z : ndarray of shape (n_samples, n_voxels), float64
        Mean 0 and SD 1 per voxel within every run (where the voxel varies).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode._utils import zscore_runs
    >>> X = np.array([[1.0, 5.0], [3.0, 5.0], [10.0, 0.0], [30.0, 2.0]])
    >>> zscore_runs(X, runs=[0, 0, 1, 1])
    array([[-1.,  0.],
           [ 1.,  0.],
           [-1., -1.],
           [ 1.,  1.]])
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2D (n_samples, n_voxels); got shape {X.shape}.")
    if runs is None:
        return _zscore(X)
    runs = np.asarray(runs)
    if runs.shape != (len(X),):
        raise ValueError(f"runs must hold one run per sample ({len(X)}); got shape "
                         f"{runs.shape}.")
    Z = np.empty_like(X)
    for run in np.unique(runs):
        rows = runs == run
        Z[rows] = _zscore(X[rows])
    return Z


def _zscore(X):
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def variance_percentiles(X, q=(5, 50, 95)):
    """Percentiles of the per-voxel variance of ``X`` (n_samples, n_voxels), as a dict
    ``{"p5": ..., "p50": ..., "p95": ...}``: what every report states about its fMRI units."""
    var = np.asarray(X, dtype=np.float64).var(axis=0)
    return {f"p{p:g}": float(v) for p, v in zip(q, np.percentile(var, q))}
