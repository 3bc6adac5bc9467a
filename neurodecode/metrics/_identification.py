"""Image identification: n-way with an explicit distractor pool (paper Fig 6c, d), and
pairwise (2-way, all distractors), the NSD/MindEye convention."""
import numbers

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.utils import Bunch, check_random_state

from .._docs import fill_doc
from .._validation import check_images, check_same_length
from ._stats import bootstrap_ci, sem
from ._ties import topk_hit_rate


def pixel_correlation_distance(A, B):
    """Pixel-correlation distance, ``1 - Pearson r``, between every image of A and of B.

    The distance of n-way identification with ``distance="pixel_correlation"``; its
    ``name`` attribute labels the results.

    Parameters
    ----------
    A : array-like of shape (n_a, H, W, 3)
        Images (any shape per image: they are flattened).
    B : array-like of shape (n_b, H, W, 3)
        Images with as many values each as those of ``A``.

    Returns
    -------
    D : ndarray of shape (n_a, n_b)
        ``1 - r`` between the flattened images, in [0, 2].

    See Also
    --------
    PerceptualDistance : The deep-feature distance.
    n_way_identification : Where it is used.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import pixel_correlation_distance
    >>> A = np.random.default_rng(0).random((2, 4, 4, 3))
    >>> D = pixel_correlation_distance(A, np.concatenate([A, 1 - A]))
    >>> D.shape, round(float(D[0, 0]), 6), round(float(D[0, 2]), 6)  # itself, its negative
    ((2, 4), 0.0, 2.0)
    """
    a = np.asarray(A, dtype=np.float64).reshape(len(A), -1)
    b = np.asarray(B, dtype=np.float64).reshape(len(B), -1)
    return cdist(a, b, metric="correlation")


pixel_correlation_distance.name = "pixel correlation (1 - r)"


def edge_correlation_distance(A, B):
    """Edge-correlation distance, ``1 - Pearson r`` of the edge maps (colour-free).

    The distance of n-way identification with ``distance="edge_correlation"``: the edge
    maps are :func:`edge_maps` (Sobel magnitude of luminance), so colour plays no part.

    Parameters
    ----------
    A : array-like of shape (n_a, H, W, 3)
        Images in [0, 1].
    B : array-like of shape (n_b, H, W, 3)
        Images of the same size.

    Returns
    -------
    D : ndarray of shape (n_a, n_b)
        ``1 - r`` between the flattened edge maps, in [0, 2].

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import edge_correlation_distance
    >>> A = np.random.default_rng(0).random((2, 8, 8, 3))
    >>> np.round(edge_correlation_distance(A, 1 - A).diagonal(), 6)  # same edges
    array([0., 0.])
    """
    from ._image import edge_maps

    return pixel_correlation_distance(edge_maps(A), edge_maps(B))


edge_correlation_distance.name = "edge correlation (1 - r of Sobel edge maps)"


def _resolve_distance(distance):
    if callable(distance):
        return distance, getattr(distance, "name", getattr(distance, "__name__", "callable"))
    if distance == "pixel_correlation":
        return pixel_correlation_distance, pixel_correlation_distance.name
    if distance == "edge_correlation":
        return edge_correlation_distance, edge_correlation_distance.name
    if distance == "perceptual":
        from ._features import PerceptualDistance

        d = PerceptualDistance()
        return d, d.name
    raise ValueError(
        f"distance must be 'perceptual', 'pixel_correlation', 'edge_correlation' or a "
        f"callable (A, B) -> "
        f"(len(A), len(B)) matrix; got {distance!r}."
    )


def _check_matrix(D, shape, name):
    D = np.asarray(D, dtype=np.float64)
    if D.shape != shape:
        raise ValueError(f"the distance returned shape {D.shape}; expected {shape}.")
    if not np.all(np.isfinite(D)):
        raise ValueError(
            f"the {name} distances contain {int((~np.isfinite(D)).sum())} NaN or infinite "
            "values; check the images and features (constant images have no correlation)."
        )
    return D


@fill_doc
def n_way_identification(reconstructions, images, n=(2, 5, 10, 50), *, pool,
                         distance="perceptual", n_trials=1000, random_state=0, n_boot=10000):
    """N-way identification of each reconstruction's ground truth (paper Fig 6c, d).

    For reconstruction i, ``n - 1`` distractors are drawn from ``pool``; a trial is a hit when
    the ground truth is closer to the reconstruction than every distractor; a distractor
    at exactly the same distance is a tie, broken at random and counted at its expected
    value (so identical or constant reconstructions score chance, 1/n). Per-image hit rates over ``n_trials`` trials, their mean, SEM and
    bootstrap 95% CI are returned.

    Parameters
    ----------
    reconstructions, images : array-like of shape (N, H, W, 3)
        Reconstructions and their ground truths, in the same order (ground truths are
        resized to the reconstructions' size).
    n : int or sequence of int, default=(2, 5, 10, 50)
        Candidates per trial (the ground truth and ``n - 1`` distractors); chance is 1/n.
        Each must be at least 2 and need no more distractors than ``pool`` holds.
    pool : "others" or array-like of shape (M, H, W, 3)
        Distractors. "others": the other N - 1 ground truths (the paper's test-set
        protocol). An array: an external pool (the paper: 5000 ImageNet images). Required:
        results from different pools are not comparable.
    distance : "perceptual", "pixel_correlation", "edge_correlation" or callable, \
default="perceptual"
        A callable takes (A, B) image arrays and returns the (len(A), len(B)) distance
        matrix; :class:`PerceptualDistance` instances choose the network.
    %(n_trials)s
    %(random_state_eval)s
    %(n_boot)s

    Returns
    -------
    results : dict {n: Bunch}
        Each Bunch has ``per_image``, ``mean``, ``sem``, ``ci95``, ``n_images``, ``n``,
        ``n_trials``, ``pool``, ``pool_size``, ``distance``, ``protocol``, ``chance``.

    See Also
    --------
    pairwise_identification : 2-way identification against every other image.
    evaluate_reconstructions : Every protocol of the paper in one call.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import n_way_identification
    >>> gt = np.random.default_rng(0).random((10, 8, 8, 3))
    >>> res = n_way_identification(gt, gt, n=[2, 10], pool="others",
    ...                            distance="pixel_correlation")
    >>> res[10].mean
    1.0
    """
    rec = check_images(reconstructions, "reconstructions")
    gt = check_images(images, "images", size=rec.shape[1])
    check_same_length(rec, gt, "reconstructions", "images")
    ns = [n] if isinstance(n, numbers.Integral) else list(n)
    N = len(rec)
    # cheap checks first: no network is built for a call that cannot succeed
    if isinstance(pool, str):
        if pool != "others":
            raise ValueError(f"pool must be 'others' or an array of images; got {pool!r}.")
        pool_images, M = None, N - 1
        pool_name = "others (the other ground truths)"
    else:
        pool_images = check_images(pool, "pool", size=rec.shape[1])
        M = len(pool_images)
        pool_name = f"external ({M} images)"
    for k in ns:
        if not isinstance(k, numbers.Integral) or k < 2:
            raise ValueError(f"n must be integers >= 2; got {k!r}.")
        if k - 1 > M:
            raise ValueError(
                f"n={k} needs {k - 1} distractors but the pool holds {M}; use n <= {M + 1} "
                "or a larger pool."
            )
    if n_trials is not None and (not isinstance(n_trials, numbers.Integral) or n_trials < 1):
        raise ValueError(f"n_trials must be a positive int or None; got {n_trials!r}.")
    fn, dist_name = _resolve_distance(distance)
    D = _check_matrix(fn(rec, gt), (N, N), "reconstruction-to-ground-truth")
    d_true = np.diag(D)
    if pool_images is None:
        distractors = D[~np.eye(N, dtype=bool)].reshape(N, N - 1)
    else:
        distractors = _check_matrix(fn(rec, pool_images), (N, M), "pool")
    n_better = (distractors < d_true[:, None]).sum(axis=1)
    n_tied = (distractors == d_true[:, None]).sum(axis=1)
    rng = check_random_state(random_state)
    results = {}
    for k in ns:
        per_image = topk_hit_rate(n_better, n_tied, M, k - 1, top=1, n_trials=n_trials,
                                  rng=rng)
        per_image = np.asarray(per_image, dtype=np.float64)
        results[k] = Bunch(
            per_image=per_image, mean=float(per_image.mean()), sem=sem(per_image),
            ci95=list(bootstrap_ci(per_image, n_boot=n_boot, random_state=random_state)),
            n_images=N, n=k, n_trials=n_trials, pool=pool_name, pool_size=M,
            distance=dist_name, protocol=f"{k}-way identification", chance=1.0 / k,
        )
    return results


def pairwise_identification(pred_features, true_features, metric="correlation"):
    """Pairwise (2-way, all distractors) identification (NSD/MindEye; Kamitani's bdpy).

    With ``R[i, j]`` the similarity (1 - distance) between prediction i and ground truth j,
    prediction i scores the fraction of the other N - 1 ground truths j with
    ``R[i, j] < R[i, i]``, ties (``R[i, j] == R[i, i]``) counting one half (their expected
    value). bdpy returns these per-prediction rates; MindEye reports their mean. Chance is
    0.5.

    Parameters
    ----------
    pred_features, true_features : array-like of shape (N, ...)
        Features (pixels, or network activations) of reconstructions and ground truths,
        in the same order; at least 2 samples, flattened per sample.
    metric : str, default="correlation"
        Any :func:`scipy.spatial.distance.cdist` metric.

    Returns
    -------
    result : Bunch
        ``per_image`` (each prediction's rate), ``mean``, ``sem``, ``n_images``,
        ``metric``, ``protocol`` and ``chance`` (0.5).

    See Also
    --------
    n_way_identification : N-way identification with an explicit distractor pool.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import pairwise_identification
    >>> x = np.random.default_rng(0).standard_normal((5, 20))
    >>> pairwise_identification(x, x).mean
    1.0
    """
    p = np.asarray(pred_features, dtype=np.float64)
    t = np.asarray(true_features, dtype=np.float64)
    if len(p) != len(t):
        raise ValueError(
            f"pred_features has {len(p)} samples but true_features has {len(t)}.")
    if len(p) < 2:
        raise ValueError("pairwise identification needs at least 2 samples.")
    p, t = p.reshape(len(p), -1), t.reshape(len(t), -1)
    if p.shape[1] != t.shape[1]:
        raise ValueError(
            f"pred_features has {p.shape[1]} features per sample but true_features has "
            f"{t.shape[1]}.")
    for name, a in (("pred_features", p), ("true_features", t)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains {int((~np.isfinite(a)).sum())} NaN or "
                             "infinite values.")
    try:
        R = 1 - cdist(p, t, metric=metric)
    except ValueError as exc:
        raise ValueError(f"metric={metric!r}: {exc}; use a scipy.spatial.distance.cdist "
                         "metric, e.g. 'correlation' or 'euclidean'.") from exc
    if not np.all(np.isfinite(R)):
        raise ValueError("similarities are undefined (constant feature vectors?).")
    N = len(R)
    diff = R - np.diag(R)[:, None]
    per_image = ((diff < 0).sum(axis=1) + 0.5 * ((diff == 0).sum(axis=1) - 1)) / (N - 1)
    return Bunch(per_image=per_image, mean=float(per_image.mean()), sem=sem(per_image),
                 n_images=N, metric=metric, protocol="pairwise identification (2-way, all)",
                 chance=0.5)
