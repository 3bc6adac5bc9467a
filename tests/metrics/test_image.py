import numpy as np
import pytest

from neurodecode.metrics import pixel_correlation, ssim


def _imgs(n, size=16, seed=0):
    return np.random.default_rng(seed).random((n, size, size, 3)).astype(np.float32)


def test_pixel_correlation_matches_numpy():
    a, b = _imgs(4), _imgs(4, seed=1)
    expected = [np.corrcoef(x.ravel(), y.ravel())[0, 1] for x, y in zip(a, b)]
    np.testing.assert_allclose(pixel_correlation(a, b), expected, rtol=1e-6)
    assert pixel_correlation(a, np.full_like(a, 0.5))[0] == 0.0  # undefined -> 0


def test_ssim_matches_skimage():
    from skimage.color import rgb2gray
    from skimage.metrics import structural_similarity

    a, b = _imgs(3, 32), _imgs(3, 32, seed=2)
    expected = [structural_similarity(rgb2gray(x), rgb2gray(y), gaussian_weights=True,
                                      sigma=1.5, use_sample_covariance=False, data_range=1.0)
                for x, y in zip(a, b)]
    np.testing.assert_allclose(ssim(a, b), expected)
    np.testing.assert_allclose(ssim(a, a), 1.0)


def test_ground_truth_is_resized_to_the_reconstructions():
    a = _imgs(2, 16)
    big = np.repeat(np.repeat(a, 2, axis=1), 2, axis=2)  # 32 px version of a
    assert pixel_correlation(a, big).min() > 0.9


def test_mismatched_counts_are_refused():
    with pytest.raises(ValueError, match="reconstructions has 3 samples but images has 2"):
        pixel_correlation(_imgs(3), _imgs(2))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        ssim(_imgs(2) * 3, _imgs(2))
