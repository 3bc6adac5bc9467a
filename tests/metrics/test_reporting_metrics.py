"""The report's metrics made public (issue 22): extra per-image scores, paired tests per
metric, the gallery built chunk by chunk, the linear fMRI oracle."""
import numpy as np
import pytest
from scipy import stats

from neurodecode.metrics import (
    IMAGE_SCORES,
    ColorHistogramGallery,
    ImageScore,
    evaluate_reconstructions,
    linear_oracle_ranks,
    paired_tests,
)


def _pairs(n=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, 12, 12, 3))
    rec = np.clip(images + 0.2 * rng.standard_normal(images.shape), 0, 1)
    return rec, images


def test_every_registered_score_and_an_extra_one_reach_per_image_and_summary():
    rec, images = _pairs()

    def mean_brightness_error(r, g):  # a hand-checkable score
        return -np.abs(r.mean(axis=(1, 2, 3)) - g.mean(axis=(1, 2, 3)))

    res = evaluate_reconstructions(rec, images, identification_n=2,
                                   distance="pixel_correlation", n_trials=None,
                                   scores={"brightness": mean_brightness_error}, n_boot=200)
    assert list(res.scores) == [*IMAGE_SCORES, "brightness"]
    for name, score in IMAGE_SCORES.items():
        np.testing.assert_array_equal(res.per_image[name], score.function(rec, images))
        np.testing.assert_array_equal(res[name], res.scores[name])
    expected = mean_brightness_error(rec.astype(np.float32), images.astype(np.float32))
    np.testing.assert_allclose(res.per_image["brightness"], expected, rtol=1e-6)
    row = res.summary.set_index("metric").loc["brightness"]
    assert row["mean"] == pytest.approx(expected.mean(), rel=1e-6) and row["n"] == 8
    assert res.image_scores["brightness"].label == "brightness"


def test_extra_scores_are_checked():
    rec, images = _pairs()
    with pytest.raises(ValueError, match="'ssim' is already computed"):
        evaluate_reconstructions(rec, images, identification_n=2, n_trials=None,
                                 distance="pixel_correlation", scores={"ssim": np.mean})
    with pytest.raises(ValueError, match=r"one score per image, shape \(8,\)"):
        evaluate_reconstructions(rec, images, identification_n=2, n_trials=None,
                                 distance="pixel_correlation",
                                 scores={"bad": lambda r, g: np.zeros(3)})
    with pytest.raises(TypeError, match="scores must be a dict"):
        evaluate_reconstructions(rec, images, identification_n=2, n_trials=None,
                                 distance="pixel_correlation", scores=[np.mean])
    with pytest.raises(TypeError, match=r"scores\['x'\] must be a function"):
        evaluate_reconstructions(rec, images, identification_n=2, n_trials=None,
                                 distance="pixel_correlation", scores={"x": 3})
    assert isinstance(IMAGE_SCORES["pixcorr"], ImageScore)


def test_paired_tests_equal_scipy_wilcoxon_per_metric():
    rng = np.random.default_rng(1)
    a = {"m1": rng.random(20), "m2": rng.random(20), "only_a": rng.random(20)}
    b = {"m1": a["m1"] - 0.1 + 0.05 * rng.random(20), "m2": rng.random(20)}
    t = paired_tests(a, b)
    assert list(t) == ["m1", "m2"]  # the shared columns
    for m in t:
        assert t[m]["pvalue"] == pytest.approx(stats.wilcoxon(a[m], b[m]).pvalue)
        assert t[m]["n"] == 20
    named = paired_tests(a, b, columns={"first": "m1"}, alternative="greater")
    assert named["first"]["pvalue"] == pytest.approx(
        stats.wilcoxon(a["m1"], b["m1"], alternative="greater").pvalue)
    with pytest.raises(ValueError, match="reference has no column 'only_a'"):
        paired_tests(a, b, columns=["only_a"])


def test_fit_from_equals_partial_fit_chunk_by_chunk_and_feeds_other_galleries():
    rng = np.random.default_rng(2)
    pool = {c: rng.random((3, 8, 8, 3)) for c in range(7)}
    calls = []

    def images_of(classes):
        calls.append(list(classes))
        return (np.concatenate([pool[c] for c in classes]), np.repeat(classes, 3))

    g, other = ColorHistogramGallery(bins=3), ColorHistogramGallery(bins=2)
    g.fit_from(images_of, np.arange(7), chunk_size=3, also=[other])
    assert calls == [[0, 1, 2], [3, 4], [5, 6]]  # at most 3 classes per chunk
    ref = ColorHistogramGallery(bins=3).fit(np.concatenate(list(pool.values())),
                                            np.repeat(np.arange(7), 3))
    np.testing.assert_allclose(g.centroids_, ref.centroids_)
    ref2 = ColorHistogramGallery(bins=2).fit(np.concatenate(list(pool.values())),
                                             np.repeat(np.arange(7), 3))
    np.testing.assert_allclose(other.centroids_, ref2.centroids_)
    g.fit_from(images_of, [0, 1], chunk_size=50)  # refits: forgets what came before
    assert g.classes_.tolist() == [0, 1]
    with pytest.raises(ValueError, match="chunk_size must be a positive int"):
        g.fit_from(images_of, [0], chunk_size=0)
    with pytest.raises(ValueError, match="must not hold the gallery itself"):
        g.fit_from(images_of, [0], also=[g])


def test_linear_oracle_recovers_classes_from_fmri_linear_in_the_embedding():
    rng = np.random.default_rng(3)
    labels = np.arange(60) % 5
    images = rng.random((60, 8, 8, 3)) * 0.2
    images[..., labels % 3] += (labels[:, None, None] / 5)[..., None] * 0  # noise only
    images[:, :, :, 0] = (labels[:, None, None] + 0.5) / 5  # red level = class
    g = ColorHistogramGallery(bins=5).fit(images, labels)
    X = g.embed(images) @ rng.standard_normal((125, 40))
    ranks, alpha = linear_oracle_ranks(X[:45], images[:45], X[45:], labels[45:], g)
    assert ranks.tolist() == [1] * 15 and alpha > 0
    X_noise = rng.standard_normal(X.shape)  # fMRI unrelated to the images: about chance
    ranks, _ = linear_oracle_ranks(X_noise[:45], images[:45], X_noise[45:], labels[45:], g)
    assert ranks.mean() > 1.5
    with pytest.raises(ValueError, match="X_test"):
        linear_oracle_ranks(X[:45], images[:45], X[45:, :10], labels[45:], g)


def test_a_gallery_file_is_sealed_and_an_earlier_npz_still_loads(tmp_path):
    import json

    import torch

    rng = np.random.default_rng(4)
    g = ColorHistogramGallery(bins=2).fit(rng.random((6, 8, 8, 3)), np.repeat(["b", "a", "c"], 2))
    g.save(tmp_path / "g.pt")
    back = ColorHistogramGallery.load(tmp_path / "g.pt")
    assert back.classes_.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(back.centroids_, g.centroids_)
    payload = torch.load(tmp_path / "g.pt", weights_only=True)
    payload["centroids"][0, 0] += 1.0  # edited after it was written
    torch.save(payload, tmp_path / "edited.pt")
    with pytest.raises(ValueError, match="does not match the checksum stored in it"):
        ColorHistogramGallery.load(tmp_path / "edited.pt")
    from neurodecode.metrics import ClassGallery

    with pytest.raises(ValueError, match="holds a ColorHistogramGallery"):
        ClassGallery.load(tmp_path / "g.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        ColorHistogramGallery.load(tmp_path / "empty.pt")
    # the unsealed .npz an earlier neurodecode wrote: loaded, with a warning
    np.savez(tmp_path / "old.npz", centroids=g.centroids_, classes=g.classes_.astype(str),
             classes_kind="U", counts=g.counts_,
             meta=json.dumps({"bins": 2, "max_per_class": 100, "batch_size": 64,
                              "image_size_": 8}))
    with pytest.warns(UserWarning, match="unsealed .npz"):
        old = ColorHistogramGallery.load(tmp_path / "old.npz")
    np.testing.assert_array_equal(old.centroids_, g.centroids_)


def test_an_extra_score_cannot_replace_a_built_in_column_and_tables_must_pair():
    import pandas as pd

    rec, images = _pairs()
    with pytest.raises(ValueError, match="'pairwise identification pixels' is already a "
                                         "column"):
        evaluate_reconstructions(rec, images, identification_n=2, n_trials=None,
                                 distance="pixel_correlation",
                                 scores={"pairwise identification pixels": lambda r, g:
                                         np.zeros(len(r))})
    a = pd.DataFrame({"m": np.arange(6.0)})
    with pytest.raises(ValueError, match="indexes differ"):
        paired_tests(a, a.iloc[::-1])
    with pytest.raises(ValueError, match="share no column"):
        paired_tests(a, pd.DataFrame({"x": np.arange(6.0)}))
    assert list(paired_tests(a, a + 1, columns="m")) == ["m"]
    with pytest.raises(ValueError, match="alternative must be"):
        paired_tests(a, a, alternative="bogus")
