import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from neurodecode import ImageEncoder, load

FAST = dict(weights=None, n_epochs=1, batch_size=8, random_state=0)


def test_fit_predict_shapes_and_dtypes(problem):
    images, X = problem
    enc = ImageEncoder(**FAST).fit(images[:16], X[:16])
    assert enc.fit(images[:16], X[:16]) is enc
    pred = enc.predict(images[:5])
    assert pred.shape == (5, 40) and pred.dtype == np.float32
    assert enc.n_features_in_ == 40 and enc.image_shape_ == (32, 32, 3)
    assert set(enc.history_) >= {"loss", "fmri_loss", "regularization", "lr", "seconds"}
    assert enc.masker_ is None


def test_learns_a_linear_image_to_voxel_problem(problem):
    images, X = problem
    enc = ImageEncoder(weights=None, n_epochs=15, batch_size=16, max_shift=2,
                       lr_milestones=(10,), random_state=0).fit(images[:48], X[:48])
    fmri_loss = enc.history_["fmri_loss"]
    assert fmri_loss[-1] < 0.5 * fmri_loss[0]
    assert enc.history_["lr"][-1] == pytest.approx(1e-4)  # x0.1 at the milestone
    # held-out images: predictions correlate with the true responses
    assert enc.score(images[48:], X[48:]) > 0.1
    assert enc.score(images[48:], X[48:]) > ImageEncoder(**FAST).fit(
        images[:48], X[:48]).score(images[48:], X[48:])


def test_voxel_scores_are_pearson_r(problem):
    images, X = problem
    enc = ImageEncoder(**FAST).fit(images[:16], X[:16])
    pred = enc.predict(images[16:32])
    expected = [np.corrcoef(pred[:, v], X[16:32, v])[0, 1] for v in range(X.shape[1])]
    np.testing.assert_allclose(enc.voxel_scores(images[16:32], X[16:32]), expected, atol=1e-6)
    assert enc.score(images[16:32], X[16:32]) == pytest.approx(np.mean(expected), abs=1e-6)


def test_not_fitted_error(problem, tmp_path):
    images, X = problem
    enc = ImageEncoder(**FAST)
    for call in (lambda: enc.predict(images), lambda: enc.score(images, X),
                 lambda: enc.voxel_scores(images, X), lambda: enc.save(tmp_path / "m.nd")):
        with pytest.raises(NotFittedError):
            call()


def test_seeded_runs_are_identical_and_seeds_matter(problem):
    images, X = problem
    params = dict(FAST, n_epochs=2, max_shift=3)
    a = ImageEncoder(**params).fit(images[:16], X[:16])
    b = ImageEncoder(**params).fit(images[:16], X[:16])
    c = ImageEncoder(**dict(params, random_state=1)).fit(images[:16], X[:16])
    assert np.array_equal(a.predict(images), b.predict(images))
    assert a.history_["loss"] == b.history_["loss"]
    assert not np.array_equal(a.predict(images), c.predict(images))
    # fitting leaves the caller's global torch generator alone
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    ImageEncoder(**FAST).fit(images[:16], X[:16])
    assert torch.equal(torch.rand(1), expected)


def test_save_load_gives_identical_predictions(problem, tmp_path):
    images, X = problem
    enc = ImageEncoder(**dict(FAST, max_shift=2, lr_milestones=(3, 4))).fit(images[:16], X[:16])
    path = tmp_path / "encoder.nd"
    enc.save(path)
    raw = torch.load(path, weights_only=True)  # no code is unpickled
    assert raw["format"] == "neurodecode.estimator"
    enc2 = load(path)
    assert isinstance(enc2, ImageEncoder)
    assert np.array_equal(enc2.predict(images), enc.predict(images))
    assert enc2.get_params() == enc.get_params()
    assert enc2.history_ == enc.history_


def test_clone_and_get_params_round_trip():
    enc = ImageEncoder(backbone="alexnet", lr_milestones=(2, 3), dropout=0.1, random_state=4)
    params = enc.get_params()
    assert ImageEncoder(**params).get_params() == params
    cloned = clone(enc)
    assert cloned.get_params() == params and cloned is not enc


def test_clone_drops_fitted_state(problem):
    images, X = problem
    enc = ImageEncoder(**FAST).fit(images[:16], X[:16])
    with pytest.raises(NotFittedError):
        clone(enc).predict(images)


def test_uint8_images_are_accepted(problem):
    images, X = problem
    as_uint8 = np.round(images * 255).astype(np.uint8)
    enc = ImageEncoder(**FAST).fit(as_uint8[:16], X[:16])
    ref = ImageEncoder(**FAST).fit(as_uint8[:16].astype(np.float32) / 255, X[:16])
    assert np.array_equal(enc.predict(as_uint8), ref.predict(as_uint8.astype(np.float32) / 255))


def test_images_are_resized_to_the_fitted_size(problem):
    images, X = problem
    enc = ImageEncoder(**dict(FAST, image_size=48)).fit(images[:16], X[:16])
    assert enc.image_shape_ == (48, 48, 3)
    assert enc.predict(images[:3]).shape == (3, 40)


def test_cached_features_give_the_same_fit_without_shifts(problem):
    images, X = problem
    params = dict(FAST, n_epochs=2, max_shift=0)
    cached = ImageEncoder(**dict(params, cache_features=True)).fit(images[:16], X[:16])
    live = ImageEncoder(**dict(params, cache_features=False)).fit(images[:16], X[:16])
    np.testing.assert_allclose(cached.predict(images), live.predict(images), rtol=1e-4,
                               atol=1e-5)


def test_resume_after_interruption_equals_an_uninterrupted_fit(problem, tmp_path, monkeypatch):
    images, X = problem
    params = dict(FAST, n_epochs=4, max_shift=2, checkpoint_every=1, lr_milestones=(2,))
    full = ImageEncoder(**dict(params, checkpoint_dir=tmp_path / "a")).fit(images[:16], X[:16])

    import neurodecode.training._phase1 as phase1

    calls = {"n": 0}
    real = phase1.fmri_loss

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:  # during epoch 3 (2 batches per epoch)
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(phase1, "fmri_loss", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ImageEncoder(**dict(params, checkpoint_dir=tmp_path / "b")).fit(images[:16], X[:16])
    monkeypatch.setattr(phase1, "fmri_loss", real)
    resumed = ImageEncoder(**dict(params, checkpoint_dir=tmp_path / "b", resume=True)).fit(
        images[:16], X[:16])
    assert resumed.history_["epoch"] == [1, 2, 3, 4]
    assert np.array_equal(resumed.predict(images), full.predict(images))
    # a checkpoint of another problem is refused
    with pytest.raises(ValueError, match="written for other data"):
        ImageEncoder(**dict(params, checkpoint_dir=tmp_path / "b", resume=True)).fit(
            images[16:32], X[16:32])


def test_niimg_input_with_a_mask(problem):
    nibabel = pytest.importorskip("nibabel")
    images, X = problem
    shape = (5, 4, 3)
    mask = np.zeros(shape, dtype=np.int8)
    idx = np.unravel_index(np.arange(40) * 1 + 10, shape)
    mask[idx] = 1
    vol = np.zeros(shape + (16,), dtype=np.float32)
    vol[idx] = X[:16].T
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    img4d, mask_img = nibabel.Nifti1Image(vol, affine), nibabel.Nifti1Image(mask, affine)
    enc = ImageEncoder(**dict(FAST, mask=mask_img)).fit(images[:16], img4d)
    ref = ImageEncoder(**FAST).fit(images[:16], X[:16])
    assert enc.n_features_in_ == 40
    assert np.array_equal(enc.predict(images), ref.predict(images))
    scores = enc.voxel_scores(images[:16], img4d)
    score_map = enc.masker_.inverse_transform(scores)
    assert score_map.shape[:3] == shape
    np.testing.assert_allclose(np.asarray(score_map.dataobj).reshape(shape)[idx], scores,
                               atol=1e-6)


@pytest.mark.parametrize("make_args, match, exc", [
    (lambda im, X: (im[:16], np.where(np.arange(40) == 3, np.nan, X[:16])),
     r"X contains 16 NaN or infinite values, in 1 voxel\(s\) and 16 sample\(s\)", ValueError),
    (lambda im, X: (im[:16], X[:15]), "images has 16 samples but X has 15", ValueError),
    (lambda im, X: (im[:16, :, :, 0], X[:16]), r"must have shape \(n, H, W, 3\).*grayscale",
     ValueError),
    (lambda im, X: (im[:16, :, :, :2], X[:16]), r"got shape \(16, 32, 32, 2\)", ValueError),
    (lambda im, X: (im[:16].transpose(0, 3, 1, 2), X[:16]), "channels-first", ValueError),
    (lambda im, X: (im[:16] * 255, X[:16]), r"must lie in \[0, 1\]; got values in", ValueError),
    (lambda im, X: (im[:16], X[:16, 0]), r"X must be 2D", ValueError),
    (lambda im, X: (im[:16], np.full((16, 40), "a")), "X must be a numeric array", ValueError),
    (lambda im, X: (im[:16, :, :20], X[:16]), "not square", ValueError),
])
def test_bad_input_to_fit(problem, make_args, match, exc):
    images, X = problem
    with pytest.raises(exc, match=match):
        ImageEncoder(**FAST).fit(*make_args(images, X))


@pytest.mark.parametrize("params, match, exc", [
    (dict(backbone="vgg18"), r"ImageEncoder.backbone='vgg18' is not a known backbone",
     ValueError),
    (dict(batch_size=0), r"ImageEncoder.batch_size must be in \[1, inf\); got 0", ValueError),
    (dict(alpha=1.5), r"ImageEncoder.alpha must be in \[0.0, 1.0\]; got 1.5", ValueError),
    (dict(max_shift=2.5), "ImageEncoder.max_shift must be an int", TypeError),
    (dict(cache_features=True, max_shift=3),
     "ImageEncoder.cache_features=True needs ImageEncoder.max_shift=0", ValueError),
    (dict(cache_features="yes"), "ImageEncoder.cache_features must be 'auto', True or False",
     ValueError),
    (dict(device="tpu"), "ImageEncoder.device: .*not a valid torch device", ValueError),
    (dict(resume=True), "ImageEncoder.resume=True needs ImageEncoder.checkpoint_dir",
     ValueError),
    (dict(weights=3), "weights must be 'imagenet', None or a path", TypeError),
    (dict(space_init="zeros"), "ImageEncoder.space_init must be 'uniform' or 'glorot'",
     ValueError),
    (dict(random_state=-1), "ImageEncoder.random_state must be a non-negative int",
     ValueError),
    (dict(lr_milestones=(3, 0)), r"ImageEncoder.lr_milestones\[1\] must be in", ValueError),
])
def test_bad_hyper_parameters(problem, params, match, exc):
    images, X = problem
    with pytest.raises(exc, match=match):
        ImageEncoder(**dict(FAST, **params)).fit(images[:16], X[:16])


def test_predict_checks_its_input(problem):
    images, X = problem
    enc = ImageEncoder(**FAST).fit(images[:16], X[:16])
    with pytest.raises(ValueError, match="X has 39 features, but ImageEncoder is expecting 40 features"):
        enc.voxel_scores(images[:16], X[:16, :39])
    with pytest.raises(ValueError, match="must lie in"):
        enc.predict(images[:3] - 1)
    with pytest.raises(ValueError, match="X is Niimg-like, but this estimator was fitted on arrays"):
        enc.voxel_scores(images[:2], "sub-01_bold.nii.gz")
