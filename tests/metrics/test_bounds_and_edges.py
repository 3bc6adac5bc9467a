"""Colour-histogram gallery, edge similarity, the seed-aware test."""
import numpy as np
import pytest
from scipy import stats

from neurodecode.metrics import (
    ColorHistogramGallery,
    color_histograms,
    edge_correlation,
    edge_correlation_distance,
    edge_maps,
    n_way_identification,
    seed_test,
)


def test_color_histograms_count_pixels():
    img = np.zeros((1, 4, 4, 3))
    img[0, :2] = [1.0, 0.0, 0.0]  # half the pixels pure red
    h = color_histograms(img, bins=2)
    # bin index = (r * 2 + g) * 2 + b: black 0, red 4
    assert h[0, 0] == pytest.approx(0.5) and h[0, 4] == pytest.approx(0.5)
    assert h.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="bins must be a positive int"):
        color_histograms(img, bins=0)


def test_color_gallery_ranks_and_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.random((5, 1, 1, 1, 3))
    images = np.clip(base + 0.02 * rng.standard_normal((5, 4, 8, 8, 3)), 0, 1)
    images = images.transpose(1, 0, 2, 3, 4).reshape(-1, 8, 8, 3)  # 4 images x 5 classes
    labels = np.tile(np.arange(5), 4)
    gallery = ColorHistogramGallery(bins=6).fit(images[5:], labels[5:])
    np.testing.assert_array_equal(gallery.ranks(images[:5], labels[:5]), 1.0)
    gallery.save(tmp_path / "g.pt")
    again = ColorHistogramGallery.load(tmp_path / "g.pt")
    np.testing.assert_allclose(again.centroids_, gallery.centroids_)
    assert again.bins == 6


def test_edges_ignore_colour_but_not_shape():
    from skimage.filters import sobel

    rng = np.random.default_rng(0)
    img = rng.random((3, 16, 16, 3))
    gray = img @ np.array([0.2125, 0.7154, 0.0721])
    np.testing.assert_allclose(edge_maps(img), np.stack([sobel(g) for g in gray]), rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(edge_correlation(img, 1 - img), 1.0)
    shifted = np.roll(img, 5, axis=2)
    assert np.all(edge_correlation(img, shifted) < 0.5)
    D = edge_correlation_distance(img, img)
    np.testing.assert_allclose(np.diag(D), 0.0, atol=1e-12)
    res = n_way_identification(img, img, n=2, pool="others", distance="edge_correlation",
                               n_trials=None)
    assert res[2].mean == 1.0 and "edge" in res[2].distance


def test_seed_test_is_the_t_test_on_seed_means():
    rng = np.random.default_rng(1)
    b = [rng.random(30) for _ in range(6)]
    a = [x + rng.normal(0.05, 0.1) + 0.2 * rng.standard_normal(30) for x in b]
    res = seed_test(a, b)
    means = [np.mean(x - y) for x, y in zip(a, b)]
    ref = stats.ttest_1samp(means, 0.0)
    assert res["pvalue"] == pytest.approx(ref.pvalue)
    assert res["t"] == pytest.approx(ref.statistic)
    assert res["df"] == 5 and res["n_images"] == 180
    ci = ref.confidence_interval(0.95)
    assert res["ci95"] == pytest.approx([ci.low, ci.high])
    # same non-zero difference on every seed: t undefined (not p = 1e-32 from rounding)
    same = seed_test([np.full(10, 0.1)] * 3, [np.zeros(10)] * 3)
    assert np.isnan(same["pvalue"]) and same["mean_difference"] == pytest.approx(0.1)
    # the images of one seed are not independent evidence: a strong per-image effect that
    # flips sign between seeds is not significant
    a2 = [x + (0.3 if i % 2 else -0.3) for i, x in enumerate(b)]
    assert seed_test(a2, b)["pvalue"] > 0.5
    with pytest.raises(ValueError, match="same number"):
        seed_test(a[:1], b[:1])
