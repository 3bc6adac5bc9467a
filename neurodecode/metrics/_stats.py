"""Statistics of per-image scores: SEM, bootstrap CIs, paired and unpaired tests.

Every function reports N with its number (EVALUATION.md, section 5).
"""
import numpy as np
from scipy import stats
from sklearn.utils import check_random_state


def _as_scores(values, name):
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1D (one score per image); got shape {a.shape}.")
    if a.size == 0:
        raise ValueError(f"{name} is empty.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains {int((~np.isfinite(a)).sum())} NaN or infinite values.")
    return a


def sem(values):
    """Standard error of the mean, ``std(ddof=1) / sqrt(N)`` (0 for a single value).

    Examples
    --------
    >>> from neurodecode.metrics import sem
    >>> round(sem([1.0, 2.0, 3.0, 4.0]), 4)
    0.6455
    """
    a = _as_scores(values, "values")
    return 0.0 if a.size < 2 else float(a.std(ddof=1) / np.sqrt(a.size))


def bootstrap_ci(values, statistic=np.mean, n_boot=10000, confidence=0.95, random_state=0):
    """Percentile bootstrap confidence interval of ``statistic`` over images.

    Parameters
    ----------
    values : array-like of shape (n,)
    statistic : callable, default=np.mean
        Applied along axis 1 of an (n_boot, n) array of resamples.
    n_boot : int, default=10000
    confidence : float, default=0.95
    random_state : int, RandomState or None, default=0
        Seeded by default so that reports are repeatable.

    Returns
    -------
    (low, high) : tuple of float
    """
    a = _as_scores(values, "values")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence}.")
    rng = check_random_state(random_state)
    idx = rng.randint(0, a.size, size=(int(n_boot), a.size))
    boots = np.asarray(statistic(a[idx], axis=1), dtype=np.float64)
    alpha = (1 - confidence) / 2
    return float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha))


def bootstrap_se(values, statistic=np.median, n_boot=10000, random_state=0):
    """Bootstrap standard error of ``statistic`` (e.g. of the median rank, paper Table 1)."""
    a = _as_scores(values, "values")
    rng = check_random_state(random_state)
    idx = rng.randint(0, a.size, size=(int(n_boot), a.size))
    return float(np.std(statistic(a[idx], axis=1), ddof=1))


def wilcoxon(a, b, alternative="two-sided"):
    """Wilcoxon signed-rank test between two methods scored on the same images.

    Returns a dict with ``statistic``, ``pvalue``, ``n`` (pairs), ``median_difference``
    (median of a - b) and the test name.
    """
    a, b = _as_scores(a, "a"), _as_scores(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must score the same images (paired test); got {a.size} and {b.size}.")
    out = {"test": "wilcoxon signed-rank", "alternative": alternative, "n": int(a.size),
           "n_nonzero": int(np.count_nonzero(a - b)),
           "median_difference": float(np.median(a - b))}
    if out["n_nonzero"] == 0:  # identical scores: no evidence of a difference
        return {**out, "statistic": float("nan"), "pvalue": 1.0}
    res = stats.wilcoxon(a, b, alternative=alternative)
    return {**out, "statistic": float(res.statistic), "pvalue": float(res.pvalue)}


def mann_whitney(a, b, alternative="two-sided"):
    """Mann-Whitney U test between two independent groups of scores."""
    a, b = _as_scores(a, "a"), _as_scores(b, "b")
    res = stats.mannwhitneyu(a, b, alternative=alternative)
    return {"test": "mann-whitney U", "alternative": alternative,
            "statistic": float(res.statistic), "pvalue": float(res.pvalue),
            "n_a": int(a.size), "n_b": int(b.size)}


def summarize(values, random_state=0, n_boot=10000):
    """Mean, SEM, bootstrap 95% CI and N of per-image scores, as a dict."""
    a = _as_scores(values, "values")
    low, high = bootstrap_ci(a, n_boot=n_boot, random_state=random_state)
    return {"mean": float(a.mean()), "sem": sem(a), "ci95": [low, high], "n": int(a.size)}
