from itertools import combinations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from neurodecode.metrics import (
    ClassGallery,
    class_ranks,
    mindvis_classification,
    n_way_classification,
)


def test_class_ranks_match_sorting():
    rng = np.random.default_rng(0)
    S = rng.standard_normal((20, 30))
    true = rng.integers(0, 30, 20)
    order = np.argsort(-S, axis=1)
    expected = [int(np.flatnonzero(order[i] == true[i])[0]) + 1 for i in range(20)]
    np.testing.assert_array_equal(class_ranks(S, true), expected)


def test_n_way_exact_rates_equal_enumeration():
    rng = np.random.default_rng(1)
    S = rng.standard_normal((6, 8))
    true = rng.integers(0, 8, 6)
    res = n_way_classification(S, true, n=[3, 8], top=[1, 2], n_trials=None)
    for i in range(6):
        others = [c for c in range(8) if c != true[i]]
        for n in (3, 8):
            subsets = list(combinations(others, n - 1))
            for t in (1, 2):
                hits = [sum(S[i, c] > S[i, true[i]] for c in sub) < t for sub in subsets]
                assert res[(n, t)].per_image[i] == pytest.approx(np.mean(hits))
    ranks = class_ranks(S, true)
    np.testing.assert_allclose(res[(8, 1)].per_image, ranks == 1)
    np.testing.assert_allclose(res[(8, 2)].per_image, ranks <= 2)


def test_n_way_monte_carlo_agrees_with_exact():
    rng = np.random.default_rng(2)
    S = rng.standard_normal((10, 200))
    true = rng.integers(0, 200, 10)
    exact = n_way_classification(S, true, n=50, top=[1, 5], n_trials=None)
    mc = n_way_classification(S, true, n=50, top=[1, 5], n_trials=20000)
    for key in exact:
        np.testing.assert_allclose(mc[key].per_image, exact[key].per_image, atol=0.02)
    assert "50-way top-5" in mc[(50, 5)].protocol


def test_n_way_bad_arguments():
    S = np.zeros((2, 5))
    with pytest.raises(ValueError, match=r"n=6 must be an int in \[2, 5\]"):
        n_way_classification(S, [0, 1], n=6)
    with pytest.raises(ValueError, match="NaN or infinite"):
        n_way_classification(np.full((2, 5), np.nan), [0, 1], n=2)
    with pytest.raises(ValueError, match="true_index"):
        n_way_classification(S, [0, 1, 2], n=2)


@pytest.fixture(scope="module")
def gallery_data():
    rng = np.random.default_rng(3)
    base = rng.random((4, 1, 32, 32, 3))
    images = np.clip(base + 0.15 * rng.standard_normal((4, 5, 32, 32, 3)), 0, 1)
    labels = np.repeat(["cat", "dog", "eel", "fox"], 5)
    return images.reshape(20, 32, 32, 3), labels


def test_gallery_centroids_and_pearson_similarity(gallery_data, tmp_path):
    images, labels = gallery_data
    gallery = ClassGallery(net="efficientnet_lite0", max_per_class=3).fit(images, labels)
    assert list(gallery.classes_) == ["cat", "dog", "eel", "fox"]
    np.testing.assert_array_equal(gallery.counts_, [3, 3, 3, 3])
    emb = gallery.embed(images)
    keep = np.concatenate([np.flatnonzero(labels == c)[:3] for c in gallery.classes_])
    manual = np.stack([emb[keep][labels[keep] == c].mean(0) for c in gallery.classes_])
    np.testing.assert_allclose(gallery.centroids_, manual, rtol=1e-5, atol=1e-6)
    S = gallery.similarity(images[:2])
    expected = [[np.corrcoef(e, c)[0, 1] for c in manual] for e in emb[:2]]
    np.testing.assert_allclose(S, expected, atol=1e-5)
    ranks = gallery.ranks(images, labels)
    assert ranks.mean() < 1.5  # same-class noisy copies are recognised
    path = tmp_path / "gallery.pt"
    gallery.save(path)
    loaded = ClassGallery.load(path)
    np.testing.assert_array_equal(loaded.classes_, gallery.classes_)
    np.testing.assert_allclose(loaded.similarity(images[:2]), S, atol=1e-6)


def test_gallery_bad_input(gallery_data):
    images, labels = gallery_data
    with pytest.raises(NotFittedError):
        ClassGallery(net="efficientnet_lite0").similarity(images)
    with pytest.raises(NotFittedError, match="call fit first"):
        ClassGallery(net="efficientnet_lite0").embed(images)
    with pytest.raises(ValueError, match="one class per image"):
        ClassGallery(net="efficientnet_lite0").fit(images, labels[:3])
    gallery = ClassGallery(net="efficientnet_lite0").fit(images, labels)
    with pytest.raises(ValueError, match=r"labels \['gnu'\] are not gallery classes"):
        gallery.ranks(images[:1], ["gnu"])
    with pytest.raises(ValueError, match="embeddings must have shape"):
        gallery.similarity(embeddings=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="net='resnet' is not a known backbone"):
        ClassGallery(net="resnet").fit(images, labels)


def test_mindvis_protocol_is_perfect_for_the_ground_truth_and_named():
    rng = np.random.default_rng(4)
    gt = rng.random((4, 64, 64, 3))
    res = mindvis_classification(gt, gt, n=50, n_trials=100, image_size=96)
    assert res.mean == 1.0 and "MinD-Vis" in res.protocol and res.classifier


def test_partial_fit_in_chunks_equals_fit(gallery_data, tmp_path):
    images, labels = gallery_data
    whole = ClassGallery(net="efficientnet_lite0", max_per_class=4).fit(images, labels)
    chunked = ClassGallery(net="efficientnet_lite0", max_per_class=4)
    for part in np.array_split(np.arange(20), 3):
        chunked.partial_fit(images[part], labels[part])
    np.testing.assert_array_equal(chunked.counts_, [4, 4, 4, 4])
    np.testing.assert_allclose(chunked.centroids_, whole.centroids_, rtol=1e-5, atol=1e-6)
    # a saved gallery keeps growing after loading
    first = ClassGallery(net="efficientnet_lite0").fit(images[:10], labels[:10])
    first.save(tmp_path / "g.pt")
    resumed = ClassGallery.load(tmp_path / "g.pt").partial_fit(images[10:], labels[10:])
    full = ClassGallery(net="efficientnet_lite0").fit(images, labels)
    np.testing.assert_allclose(resumed.centroids_, full.centroids_, rtol=1e-5, atol=1e-6)


def test_semantic_classification_dispatches_on_a_named_protocol(gallery_data):
    from neurodecode.metrics import semantic_classification

    images, labels = gallery_data
    gallery = ClassGallery(net="efficientnet_lite0").fit(images, labels)
    res = semantic_classification(images[::5], protocol="gallery", gallery=gallery,
                                  labels=labels[::5], n=4, top=1, n_trials=None)
    ranks = gallery.ranks(images[::5], labels[::5])
    np.testing.assert_allclose(res[(4, 1)].per_image, ranks == 1)
    with pytest.raises(ValueError, match="protocol must be one of"):
        semantic_classification(images, protocol="imagenet")
    with pytest.raises(ValueError, match="needs gallery="):
        semantic_classification(images, protocol="gallery", labels=labels)
    with pytest.raises(ValueError, match="needs images="):
        semantic_classification(images, protocol="mindvis")
    with pytest.raises(ValueError, match="takes one n"):
        semantic_classification(images, protocol="mindvis", images=images, n=(50, 100))
