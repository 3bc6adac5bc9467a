"""Pearson correlations: paired (column by column or row by row) and all-pairs.

The one implementation behind voxel prediction accuracy (columns: voxels), PixCorr (rows:
images) and the class-gallery similarities (all pairs of rows).
"""
import numpy as np


def pearson_r(a, b, *, axis=0):
    """Pearson r between matching columns (``axis=0``) or rows (``axis=1``) of two arrays.

    Computed in float64; 0 where either vector is constant (its correlation is undefined).

    Parameters
    ----------
    a, b : array-like of shape (n, m)
        Same shape.
    axis : {0, 1}, default=0
        The axis along which the samples lie: 0 correlates column ``j`` of ``a`` with column
        ``j`` of ``b`` (e.g. per voxel, over images); 1 correlates rows (e.g. per image,
        over pixels).

    Returns
    -------
    r : ndarray of shape (m,) for ``axis=0``, (n,) for ``axis=1``

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode._utils import pearson_r
    >>> a = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    >>> pearson_r(a, 2 * a + 1)  # the constant column gets 0
    array([1., 0.])
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a and b must be 2D arrays of the same shape; got {a.shape} and "
                         f"{b.shape}.")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1; got {axis!r}.")
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    denom = np.sqrt((a**2).sum(axis=axis) * (b**2).sum(axis=axis))
    r = np.zeros(denom.shape, dtype=np.float64)
    ok = denom > 0
    keep = (slice(None), ok) if axis == 0 else ok
    r[ok] = (a[keep] * b[keep]).sum(axis=axis) / denom[ok]
    return r


def standardize_rows(a):
    """Centre each row and scale it to unit Euclidean norm (rows of zeros stay zero).

    ``standardize_rows(a) @ standardize_rows(b).T`` is the matrix of Pearson correlations
    between the rows of ``a`` and those of ``b``.
    """
    a = np.asarray(a, dtype=np.float64)
    a = a - a.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(a, axis=1, keepdims=True)
    return np.divide(a, norm, out=np.zeros_like(a), where=norm > 0)


def correlation_matrix(a, b):
    """Pearson r between every row of ``a`` (n_a, m) and every row of ``b`` (n_b, m).

    Returns
    -------
    r : ndarray of shape (n_a, n_b)
        0 where a row is constant.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode._utils import correlation_matrix
    >>> x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    >>> correlation_matrix(x, x)
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    return standardize_rows(a) @ standardize_rows(b).T


def correlation(a, b):
    """Pearson r of two vectors (0 when either is constant), as a float.

    Examples
    --------
    >>> from neurodecode._utils import correlation
    >>> correlation([1, 2, 3], [2, 4, 7])
    0.9933992677987828
    """
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    return float(pearson_r(a[:, None], b[:, None])[0])
