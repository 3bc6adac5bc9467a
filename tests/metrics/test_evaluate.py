"""evaluate_reconstructions: the paper's battery in one call, equal to its parts; scorers."""
import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.model_selection import KFold, cross_val_score, cross_validate

from neurodecode import ImageEncoder, SelfSupervisedDecoder, concat_unpaired_fmri
from neurodecode.metrics import (
    SCORERS,
    ClassGallery,
    bootstrap_se,
    class_ranks,
    evaluate_reconstructions,
    make_identification_scorer,
    n_way_classification,
    n_way_identification,
    pairwise_identification,
    pixcorr_scorer,
    pixel_correlation,
    ssim,
    ssim_scorer,
)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    images = rng.random((12, 32, 32, 3))
    rec = np.clip(images + 0.3 * rng.standard_normal(images.shape), 0, 1)
    labels = np.arange(12) % 6
    return rec, images, labels


@pytest.fixture(scope="module")
def gallery(pair):
    _, images, labels = pair
    rng = np.random.default_rng(1)
    extra = rng.random((12, 32, 32, 3))
    return ClassGallery(net="efficientnet_lite0", tap="block4").fit(
        np.concatenate([images, extra]), np.concatenate([labels, 6 + np.arange(12) % 4]))


def test_equals_the_individual_metrics(pair, gallery):
    rec, images, labels = pair
    res = evaluate_reconstructions(rec, images, gallery=gallery, labels=labels,
                                   identification_n=(2, 5), distance="pixel_correlation",
                                   classification_n=(5, 10), n_trials=200, random_state=3)
    ident = n_way_identification(rec, images, n=(2, 5), pool="others",
                                 distance="pixel_correlation", n_trials=200, random_state=3)
    for k in (2, 5):
        assert np.array_equal(res.identification["pixel"][k].per_image, ident[k].per_image)
        assert res.identification["pixel"][k].ci95 == ident[k].ci95
    assert np.array_equal(res.pixcorr, pixel_correlation(rec, images))
    assert np.array_equal(res.ssim, ssim(rec, images))
    assert np.array_equal(res.pairwise_identification.per_image,
                          pairwise_identification(rec, images).per_image)
    sim = gallery.similarity(rec)
    ranks = class_ranks(sim, gallery.class_index(labels))
    assert np.array_equal(res.class_ranks, ranks)
    assert res.class_rank["median"] == np.median(ranks)
    assert res.class_rank["se_median"] == bootstrap_se(ranks, random_state=3)
    assert res.class_rank["n_classes"] == 10
    cls = n_way_classification(sim, gallery.class_index(labels), n=(5, 10), n_trials=200,
                               random_state=3)
    for key, b in cls.items():
        assert np.array_equal(res.classification[key].per_image, b.per_image)


def test_tidy_tables(pair, gallery):
    rec, images, labels = pair
    res = evaluate_reconstructions(rec, images, gallery=gallery, labels=labels,
                                   identification_n=(2,), distance="pixel_correlation",
                                   classification_n=(5,), top=(1,), n_trials=None,
                                   n_boot=500)
    assert res.per_image.shape == (12, 7)
    assert list(res.per_image.columns) == [
        "identification pixel 2-way", "pairwise identification pixels", "pixcorr", "ssim",
        "edge_correlation", "class rank", "classification 5-way top-1"]
    summary = res.summary.set_index("metric")
    assert (summary["n"] == 12).all()
    assert (summary["ci95_low"] <= summary["mean"]).all()
    assert (summary["mean"] <= summary["ci95_high"]).all()
    assert summary.loc["pixcorr", "mean"] == pytest.approx(res.pixcorr.mean())
    assert summary.loc["class rank", "median"] == res.class_rank["median"]
    assert summary.loc["identification pixel 2-way", "chance"] == 0.5
    assert "pool: others" in summary.loc["identification pixel 2-way", "protocol"]
    assert summary["protocol"].str.len().min() > 0


def test_several_distances_are_keyed_by_name(pair):
    rec, images, _ = pair
    res = evaluate_reconstructions(
        rec, images, identification_n=(2,), n_trials=None,
        distance={"pixels": "pixel_correlation", "euclid": lambda A, B: np.linalg.norm(
            A.reshape(len(A), 1, -1) - B.reshape(1, len(B), -1), axis=2)})
    assert set(res.identification) == {"pixels", "euclid"}
    assert "class_ranks" not in res  # no gallery, no semantic classification


def test_bad_arguments(pair, gallery):
    rec, images, labels = pair
    with pytest.raises(ValueError, match="needs both gallery= .* and labels="):
        evaluate_reconstructions(rec, images, gallery=gallery, distance="pixel_correlation")
    with pytest.raises(ValueError, match="not gallery classes"):
        evaluate_reconstructions(rec, images, gallery=gallery, labels=labels + 100,
                                 distance="pixel_correlation")
    with pytest.raises(ValueError, match="reconstructions has 12 samples but images has 11"):
        evaluate_reconstructions(rec, images[:11], distance="pixel_correlation")
    with pytest.raises(TypeError, match="mindvis must be a dict"):
        evaluate_reconstructions(rec, images, distance="pixel_correlation", mindvis="yes")


# -- scorers ----------------------------------------------------------------------------------
class _Fixed(BaseEstimator):
    """A stand-in estimator whose predictions are given (to check the scorers' maths)."""

    def __init__(self, predictions=None):
        self.predictions = predictions

    def predict(self, X):
        return self.predictions[np.asarray(X, dtype=int).ravel()]


def test_scorers_compute_the_metrics(pair):
    rec, images, _ = pair
    est, X = _Fixed(rec), np.arange(12)[:, None]
    assert pixcorr_scorer(est, X, images) == pytest.approx(pixel_correlation(rec, images).mean())
    assert ssim_scorer(est, X, images) == pytest.approx(ssim(rec, images).mean())
    exact = n_way_identification(rec, images, n=5, pool="others",
                                 distance="pixel_correlation", n_trials=None)[5].mean
    assert make_identification_scorer(5)(est, X, images) == pytest.approx(exact)


def test_scorers_leave_out_unpaired_rows(pair):
    rec, images, _ = pair
    marked = images.copy()
    marked[[3, 7]] = np.nan
    keep = np.setdiff1d(np.arange(12), [3, 7])
    est, X = _Fixed(rec), np.arange(12)[:, None]
    assert pixcorr_scorer(est, X, marked) == pytest.approx(
        pixel_correlation(rec[keep], images[keep]).mean())


def test_cross_val_score_with_image_targets():
    from tests.estimators.conftest_data import make

    X, S, Xu, _, _ = make()
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(weights=None, n_epochs=1, batch_size=8),
                                weights=None, n_epochs=1, batch_sizes=(4, 4, 4),
                                loss_weights=(1, 0, 0), random_state=0)
    scores = cross_val_score(dec, X, S, cv=KFold(2), scoring=pixcorr_scorer)
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    # the default score is PixCorr too
    assert np.array_equal(cross_val_score(dec, X, S, cv=KFold(2)), scores)
    all_scores = cross_validate(dec, X, S, cv=KFold(2), scoring=SCORERS)
    assert {"test_pixcorr", "test_ssim", "test_identification_2way"} <= set(all_scores)
    assert np.array_equal(all_scores["test_pixcorr"], scores)
    # unpaired rows marked in X take part in training and are left out of the score
    X_all, y = concat_unpaired_fmri(X, S, Xu)
    marked = cross_val_score(dec.set_params(loss_weights="auto"), X_all, y,
                             cv=KFold(2, shuffle=True, random_state=0))
    assert np.all(np.isfinite(marked))


def test_odd_inputs(pair):
    rec, images, _ = pair
    res = evaluate_reconstructions(rec, images, identification_n=2, n_trials=None,
                                   distance="pixel_correlation")
    assert list(res.identification["pixel"]) == [2]
    with pytest.raises(ValueError, match="both named '<lambda>'"):
        evaluate_reconstructions(rec, images, distance=[lambda a, b: 0, lambda a, b: 1])
    with pytest.raises(ValueError, match="must be square"):
        evaluate_reconstructions(rec[:, :, :20], images, distance="pixel_correlation")
    marked = images.copy()
    marked[[0, 5]] = np.nan
    res = evaluate_reconstructions(rec, marked, identification_n=2, n_trials=None,
                                   distance="pixel_correlation")
    assert res.n_images == 10
    keep = np.setdiff1d(np.arange(12), [0, 5])
    assert np.array_equal(res.pixcorr, pixel_correlation(rec[keep], images[keep]))
