import numpy as np
import pytest
from scipy import stats

from neurodecode.metrics import bootstrap_ci, mann_whitney, sem, summarize, wilcoxon


def test_sem_matches_scipy():
    x = np.random.default_rng(0).random(30)
    assert sem(x) == pytest.approx(stats.sem(x))
    assert sem([3.0]) == 0.0


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    x = np.random.default_rng(1).random(50)
    lo, hi = bootstrap_ci(x, random_state=3)
    assert (lo, hi) == bootstrap_ci(x, random_state=3)
    assert lo < x.mean() < hi
    # width close to the normal approximation 2 * 1.96 * SEM
    assert hi - lo == pytest.approx(2 * 1.96 * stats.sem(x), rel=0.15)
    with pytest.raises(ValueError, match="confidence must be in"):
        bootstrap_ci(x, confidence=1.5)


def test_wilcoxon_and_mann_whitney_match_scipy():
    rng = np.random.default_rng(2)
    a, b = rng.random(40), rng.random(40) + 0.1
    res = wilcoxon(a, b)
    ref = stats.wilcoxon(a, b)
    assert res["pvalue"] == pytest.approx(ref.pvalue) and res["n"] == 40
    assert res["statistic"] == pytest.approx(ref.statistic)
    res = mann_whitney(a, b[:30])
    ref = stats.mannwhitneyu(a, b[:30])
    assert res["pvalue"] == pytest.approx(ref.pvalue)
    assert (res["n_a"], res["n_b"]) == (40, 30)


def test_bad_scores_are_refused():
    with pytest.raises(ValueError, match="paired test"):
        wilcoxon([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="1 NaN or infinite"):
        sem([1.0, np.nan])
    with pytest.raises(ValueError, match="must be 1D"):
        summarize(np.ones((2, 2)))
    with pytest.raises(ValueError, match="is empty"):
        sem([])


def test_summarize_reports_n():
    s = summarize([0.0, 1.0, 1.0, 1.0])
    assert s["n"] == 4 and s["mean"] == 0.75 and len(s["ci95"]) == 2


def test_bootstrap_se_of_the_mean_matches_the_sem():
    from neurodecode.metrics import bootstrap_se

    x = np.random.default_rng(4).standard_normal(200)
    assert bootstrap_se(x, statistic=np.mean) == pytest.approx(stats.sem(x), rel=0.1)
    assert bootstrap_se(x) > 0  # of the median


def test_wilcoxon_of_identical_scores_is_not_significant():
    res = wilcoxon([1.0, 1.0, 0.5], [1.0, 1.0, 0.5])
    assert res["pvalue"] == 1.0 and res["n_nonzero"] == 0
