"""Shared maths: Pearson correlations against numpy/scipy."""
import numpy as np
import pytest
from scipy.stats import pearsonr

from neurodecode._utils import correlation_matrix, pearson_r


@pytest.fixture
def ab():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((30, 7))
    return a, 0.5 * a + rng.standard_normal((30, 7))


def test_columns_and_rows_against_scipy(ab):
    a, b = ab
    cols = [pearsonr(a[:, j], b[:, j]).statistic for j in range(7)]
    rows = [pearsonr(a[i], b[i]).statistic for i in range(30)]
    np.testing.assert_allclose(pearson_r(a, b, axis=0), cols, rtol=1e-12)
    np.testing.assert_allclose(pearson_r(a, b, axis=1), rows, rtol=1e-12)


def test_constant_vectors_give_zero(ab):
    a, b = ab
    a = a.copy()
    a[:, 2] = 3.0
    r = pearson_r(a, b)
    assert r[2] == 0.0 and np.all(np.isfinite(r))


def test_correlation_matrix_against_numpy(ab):
    a, b = ab
    expected = np.corrcoef(a, b)[:30, 30:]
    np.testing.assert_allclose(correlation_matrix(a, b), expected, atol=1e-12)


def test_shape_errors(ab):
    a, b = ab
    with pytest.raises(ValueError, match="same shape"):
        pearson_r(a, b[:, :3])
    with pytest.raises(ValueError, match="axis must be 0 or 1"):
        pearson_r(a, b, axis=2)
