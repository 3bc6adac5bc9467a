"""Statistics of per-image scores: SEM, bootstrap CIs, paired and unpaired tests.

Every function reports N with its number.
"""
import numbers

import numpy as np
from scipy import stats
from sklearn.utils import check_random_state

from .._docs import fill_doc
from .._validation import check_number


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

    Parameters
    ----------
    values : array-like of shape (n,)
        Per-image scores; finite, at least one.

    Returns
    -------
    sem : float
        The standard error of their mean.

    Examples
    --------
    >>> from neurodecode.metrics import sem
    >>> round(sem([1.0, 2.0, 3.0, 4.0]), 4)
    0.6455
    """
    a = _as_scores(values, "values")
    return 0.0 if a.size < 2 else float(a.std(ddof=1) / np.sqrt(a.size))


@fill_doc
def bootstrap_ci(values, statistic=np.mean, n_boot=10000, confidence=0.95, random_state=0):
    """Percentile bootstrap confidence interval of ``statistic`` over images.

    The images are resampled with replacement ``n_boot`` times; the interval runs between
    the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the statistic
    over the resamples.

    Parameters
    ----------
    values : array-like of shape (n,)
        Per-image scores; finite, at least one.
    statistic : callable, default=np.mean
        Applied along axis 1 of an (n_boot, n) array of resamples.
    %(n_boot)s
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    %(random_state_eval)s

    Returns
    -------
    ci : tuple of float
        ``(low, high)``, the bounds of the interval.

    See Also
    --------
    bootstrap_se : Bootstrap standard error.
    summarize : Mean, SEM, this interval and N in one dict.

    Examples
    --------
    >>> from neurodecode.metrics import bootstrap_ci
    >>> low, high = bootstrap_ci([0.2, 0.4, 0.6, 0.8], n_boot=1000)
    >>> bool(0.2 <= low < 0.5 < high <= 0.8)
    True
    """
    a = _as_scores(values, "values")
    check_number(n_boot, "n_boot", numbers.Integral, low=1)
    check_number(confidence, "confidence", low=0, high=1, low_inclusive=False,
                 high_inclusive=False)
    rng = check_random_state(random_state)
    idx = rng.randint(0, a.size, size=(int(n_boot), a.size))
    boots = np.asarray(statistic(a[idx], axis=1), dtype=np.float64)
    alpha = (1 - confidence) / 2
    return float(np.quantile(boots, alpha)), float(np.quantile(boots, 1 - alpha))


@fill_doc
def bootstrap_se(values, statistic=np.median, n_boot=10000, random_state=0):
    """Bootstrap standard error of ``statistic`` (e.g. of the median rank, paper Table 1).

    The standard deviation (``ddof=1``) of the statistic over ``n_boot`` resamples of the
    images with replacement.

    Parameters
    ----------
    values : array-like of shape (n,)
        Per-image scores (e.g. class ranks); finite, at least one.
    statistic : callable, default=np.median
        Applied along axis 1 of an (n_boot, n) array of resamples.
    %(n_boot)s
    %(random_state_eval)s

    Returns
    -------
    se : float
        The bootstrap standard error.

    See Also
    --------
    bootstrap_ci : Bootstrap confidence interval.

    Examples
    --------
    >>> from neurodecode.metrics import bootstrap_se
    >>> round(bootstrap_se([1, 1, 1, 1]), 6)
    0.0
    >>> bootstrap_se([1, 2, 3, 50, 80], n_boot=1000) > 0
    True
    """
    a = _as_scores(values, "values")
    check_number(n_boot, "n_boot", numbers.Integral, low=2)  # an SD needs two resamples
    rng = check_random_state(random_state)
    idx = rng.randint(0, a.size, size=(int(n_boot), a.size))
    return float(np.std(statistic(a[idx], axis=1), ddof=1))


def wilcoxon(a, b, alternative="two-sided"):
    """Wilcoxon signed-rank test between two methods scored on the same images.

    A paired test (:func:`scipy.stats.wilcoxon`, tied pairs dropped: its default
    ``zero_method="wilcox"``). When every pair is tied, there is no evidence of a
    difference: the signed-rank sums are both 0, so the statistic is 0 and the p-value 1,
    and ``note`` says so (scipy itself would return NaN).

    Parameters
    ----------
    a, b : array-like of shape (n,)
        Per-image scores of the two methods, image ``i`` in the same place in both.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        The alternative hypothesis, as in :func:`scipy.stats.wilcoxon` (``"greater"``:
        ``a - b`` is shifted above 0).

    Returns
    -------
    result : dict
        ``test`` (its name), ``alternative``, ``n`` (pairs), ``n_nonzero`` (pairs that
        differ), ``median_difference`` (median of ``a - b``), ``statistic``, ``pvalue`` and
        ``note`` (None, or why the result is degenerate).

    See Also
    --------
    mann_whitney : The test for independent groups.

    Examples
    --------
    >>> from neurodecode.metrics import wilcoxon
    >>> res = wilcoxon([0.9, 0.8, 0.7, 0.6, 0.9, 0.8], [0.5, 0.4, 0.3, 0.2, 0.6, 0.1])
    >>> res["n"], res["median_difference"], round(res["pvalue"], 4)
    (6, 0.4, 0.0312)
    """
    a, b = _as_scores(a, "a"), _as_scores(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must score the same images (paired test); got {a.size} and {b.size}.")
    out = {"test": "wilcoxon signed-rank", "alternative": alternative, "n": int(a.size),
           "n_nonzero": int(np.count_nonzero(a - b)),
           "median_difference": float(np.median(a - b))}
    if out["n_nonzero"] == 0:  # identical scores: no evidence of a difference
        return {**out, "statistic": 0.0, "pvalue": 1.0,
                "note": "every pair is tied (a == b): no evidence of a difference"}
    res = stats.wilcoxon(a, b, alternative=alternative)
    return {**out, "statistic": float(res.statistic), "pvalue": float(res.pvalue),
            "note": None}


def mann_whitney(a, b, alternative="two-sided"):
    """Mann-Whitney U test between two independent groups of scores.

    Parameters
    ----------
    a, b : array-like of shape (n_a,) and (n_b,)
        The scores of each group (e.g. two subjects' per-image scores).
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        The alternative hypothesis, as in :func:`scipy.stats.mannwhitneyu`.

    Returns
    -------
    result : dict
        ``test`` (its name), ``alternative``, ``statistic`` (U of ``a``), ``pvalue``, and
        the group sizes ``n_a`` and ``n_b``.

    See Also
    --------
    wilcoxon : The paired test, for two methods scored on the same images.

    Examples
    --------
    >>> from neurodecode.metrics import mann_whitney
    >>> res = mann_whitney([0.9, 0.8, 0.7, 0.85], [0.1, 0.2, 0.3])
    >>> res["statistic"], res["n_a"], res["n_b"]
    (12.0, 4, 3)
    """
    a, b = _as_scores(a, "a"), _as_scores(b, "b")
    res = stats.mannwhitneyu(a, b, alternative=alternative)
    return {"test": "mann-whitney U", "alternative": alternative,
            "statistic": float(res.statistic), "pvalue": float(res.pvalue),
            "n_a": int(a.size), "n_b": int(b.size)}


@fill_doc
def summarize(values, random_state=0, n_boot=10000):
    """Mean, SEM, bootstrap 95% CI and N of per-image scores, as a dict.

    Parameters
    ----------
    values : array-like of shape (n,)
        Per-image scores; finite, at least one.
    %(random_state_eval)s
    %(n_boot)s

    Returns
    -------
    summary : dict
        ``mean``, ``sem`` (:func:`sem`), ``ci95`` (``[low, high]``, :func:`bootstrap_ci`
        of the mean) and ``n``.

    Examples
    --------
    >>> from neurodecode.metrics import summarize
    >>> s = summarize([0.5, 0.6, 0.7], n_boot=1000)
    >>> round(s["mean"], 2), s["n"], len(s["ci95"])
    (0.6, 3, 2)
    """
    a = _as_scores(values, "values")
    low, high = bootstrap_ci(a, n_boot=n_boot, random_state=random_state)
    return {"mean": float(a.mean()), "sem": sem(a), "ci95": [low, high], "n": int(a.size)}


def seed_test(a, b):
    """Paired comparison of two methods over training seeds and images, seed as random effect.

    ``a[s][i]`` and ``b[s][i]`` score image ``i`` of seed ``s`` (a seed may bring its own
    subject and test images: images are nested in seeds). With ``d = a - b``, the model is
    ``d_si = mu + u_s + e_si``: seeds vary at random around the effect ``mu``. For a
    balanced design the exact test of ``mu = 0`` is the one-sample t-test on the per-seed
    means (df = n_seeds - 1; the nested-ANOVA F test), which never takes the images of one
    seed for independent evidence; the 95% CI is the matching t interval. The per-image
    Wilcoxon test of each seed is reported alongside.

    Parameters
    ----------
    a, b : sequence of array-like of shape (n_images_s,)
        Per-seed, per-image scores of the two methods, paired within each seed.

    Returns
    -------
    result : dict
        ``test``, ``n_seeds``, ``n_images`` (total), ``mean_difference`` (mean of the
        per-seed mean differences), ``per_seed`` (list of the per-seed mean differences),
        ``per_seed_wilcoxon_p``, ``t``, ``df``, ``pvalue`` (two-sided; NaN when every seed
        has the same non-zero mean difference, where the t statistic is undefined) and
        ``ci95`` (``mean_difference -/+ t_{0.975, df} * SE``).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import seed_test
    >>> rng = np.random.default_rng(0)
    >>> b = [rng.random(50) for _ in range(5)]
    >>> a = [x + 0.1 + 0.01 * rng.standard_normal(50) for x in b]
    >>> res = seed_test(a, b)
    >>> res["n_seeds"], round(res["mean_difference"], 2), res["pvalue"] < 1e-4
    (5, 0.1, True)
    """
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a and b must hold the same number (>= 2) of seeds; got {len(a)} "
                         f"and {len(b)}.")
    diffs = []
    for s, (x, y) in enumerate(zip(a, b)):
        x, y = _as_scores(x, f"a[{s}]"), _as_scores(y, f"b[{s}]")
        if x.shape != y.shape:
            raise ValueError(f"seed {s}: a and b must score the same images; got {x.size} "
                             f"and {y.size}.")
        diffs.append(x - y)
    means = np.array([d.mean() for d in diffs])
    n = len(means)
    mean = float(means.mean())
    scale = max(np.abs(means).max(), np.finfo(float).tiny)
    if np.ptp(means) <= 1e-12 * scale:  # no between-seed variance: t is undefined
        t, p = float("nan"), (1.0 if mean == 0 else float("nan"))
        ci = [mean, mean]
    else:
        se = means.std(ddof=1) / np.sqrt(n)
        t = float(mean / se)
        p = float(2 * stats.t.sf(abs(t), df=n - 1))
        half = float(stats.t.ppf(0.975, df=n - 1) * se)
        ci = [mean - half, mean + half]
    return {"test": "one-sample t on per-seed mean differences (seed as random effect)",
            "n_seeds": n, "n_images": int(sum(len(d) for d in diffs)),
            "mean_difference": mean, "per_seed": means.tolist(),
            "per_seed_wilcoxon_p": [wilcoxon(x, y)["pvalue"] if len(x) > 1 else float("nan")
                                    for x, y in zip(a, b)],
            "t": t, "df": n - 1, "pvalue": p, "ci95": ci}


def paired_tests(scores, reference, columns=None, alternative="two-sided"):
    """Wilcoxon signed-rank test of one method against another, per metric.

    The comparison of two decoders on the same test images: for each per-image score, the
    paired test over the images (:func:`wilcoxon`).

    Parameters
    ----------
    scores, reference : DataFrame or dict of array-like
        Per-image scores of the method and of the reference, one column (key) per metric,
        in the same image order (e.g. the ``per_image`` of two
        :func:`evaluate_reconstructions` results).
    columns : sequence or dict or None, default=None
        The metrics to test: column names, or ``{key: column}`` to name the results; None
        tests every column the two share (in the order of ``scores``).
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        As in :func:`wilcoxon`.

    Returns
    -------
    tests : dict
        ``{key: the result of wilcoxon(scores[column], reference[column])}``.

    See Also
    --------
    wilcoxon, seed_test : The comparison over seeds.

    Examples
    --------
    >>> from neurodecode.metrics import paired_tests
    >>> a = {"2-way": [0.9, 0.8, 0.95, 0.7, 0.85, 0.9], "ssim": [0.5] * 6}
    >>> b = {"2-way": [0.6, 0.5, 0.7, 0.6, 0.65, 0.5], "ssim": [0.5] * 6}
    >>> t = paired_tests(a, b)
    >>> round(t["2-way"]["pvalue"], 3), t["ssim"]["pvalue"]
    (0.031, 1.0)
    """
    if alternative not in ("two-sided", "greater", "less"):
        raise ValueError("alternative must be 'two-sided', 'greater' or 'less'; got "
                         f"{alternative!r}.")
    index = [getattr(t, "index", None) for t in (scores, reference)]
    if all(i is not None for i in index) and not index[0].equals(index[1]):
        raise ValueError("scores and reference are tables of other images (their indexes "
                         "differ); pair them on the same images in the same order.")
    if columns is None:
        columns = [c for c in scores if c in reference]
        if not columns:
            raise ValueError("scores and reference share no column; pass columns=.")
    elif isinstance(columns, str):
        columns = [columns]
    if not isinstance(columns, dict):
        columns = {c: c for c in columns}
    out = {}
    for key, column in columns.items():
        for which, table in (("scores", scores), ("reference", reference)):
            if column not in table:
                raise ValueError(f"{which} has no column {column!r}; it has "
                                 f"{sorted(map(str, table))}.")
        out[key] = wilcoxon(scores[column], reference[column], alternative=alternative)
    return out
