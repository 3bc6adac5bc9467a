import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score, cross_validate

from neurodecode import ImageEncoder, SelfSupervisedDecoder, Unpaired, load

ENC = dict(weights=None, n_epochs=1, batch_size=8, random_state=0)
DEC = dict(weights=None, n_epochs=1, batch_sizes=(8, 8, 8), random_state=0)


@pytest.fixture(scope="module")
def data():
    """16 pairs, 16 unpaired fMRI, 16 unpaired images (from the shared problem)."""
    from .conftest_data import make

    return make()


def test_full_method_uses_all_three_terms(data):
    X, S, Xu, U, _ = data
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **dict(DEC, n_epochs=2))
    dec.fit(X, S, X_unpaired_fmri=Xu, unpaired_images=U)
    assert dec.loss_weights_ == (1.0, 1.0, 1.0)
    for key in ("L_D", "L_ED", "L_DE"):
        assert np.all(np.isfinite(dec.history_[key]))
    assert dec.n_unpaired_fmri_ == len(Xu) and dec.n_unpaired_images_ == len(U)
    assert isinstance(dec.encoder_, ImageEncoder) and dec.encoder_.history_["epoch"] == [1]
    assert np.all(dec.loss_scales_ > 0)
    rec = dec.predict(Xu)
    assert rec.shape == (len(Xu), 32, 32, 3) and rec.dtype == np.float32
    assert rec.min() >= 0 and rec.max() <= 1


def test_pairs_only_baseline_ignores_unpaired_data(data):
    X, S, Xu, U, _ = data
    a = SelfSupervisedDecoder(loss_weights=(1, 0, 0), **dict(DEC, n_epochs=2)).fit(X, S)
    b = SelfSupervisedDecoder(loss_weights=(1, 0, 0), **dict(DEC, n_epochs=2)).fit(
        X, S, X_unpaired_fmri=Xu, unpaired_images=U)
    assert a.encoder_ is None and b.encoder_ is None  # no phase I needed
    assert np.array_equal(a.predict(Xu), b.predict(Xu))
    assert np.isnan(b.history_["L_ED"]).all() and np.isnan(b.history_["L_DE"]).all()
    assert b.n_unpaired_fmri_ == 0 and b.n_unpaired_images_ == 0
    # "auto" without unpaired data is the same baseline
    c = SelfSupervisedDecoder(**dict(DEC, n_epochs=2)).fit(X, S)
    assert c.loss_weights_ == (1.0, 0.0, 0.0)
    assert np.array_equal(a.predict(Xu), c.predict(Xu))


def test_supervised_loss_decreases_and_generalises(problem):
    images, X = problem
    dec = SelfSupervisedDecoder(loss_weights=(1, 0, 0), **dict(DEC, n_epochs=8, lr_step=5))
    dec.fit(X[:48], images[:48])
    l_d = dec.history_["L_D"]
    assert l_d[-1] < 0.6 * l_d[0]
    assert dec.history_["lr"][-1] == pytest.approx(2e-4)
    untrained = SelfSupervisedDecoder(loss_weights=(1, 0, 0), **dict(DEC, n_epochs=0))
    untrained.fit(X[:48], images[:48])
    assert dec.score(X[48:], images[48:]) > untrained.score(X[48:], images[48:]) + 0.2


def test_seeded_runs_are_identical(data):
    X, S, Xu, U, _ = data
    kw = dict(X_unpaired_fmri=Xu, unpaired_images=U)
    a = SelfSupervisedDecoder(**DEC).fit(X, S, **kw)
    b = SelfSupervisedDecoder(**DEC).fit(X, S, **kw)
    assert np.array_equal(a.predict(Xu), b.predict(Xu))
    assert a.history_["loss"] == b.history_["loss"]
    c = SelfSupervisedDecoder(**dict(DEC, random_state=1)).fit(X, S, **kw)
    assert not np.array_equal(a.predict(Xu), c.predict(Xu))


def test_save_load_round_trip(data, tmp_path):
    X, S, Xu, U, _ = data
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **DEC).fit(
        X, S, X_unpaired_fmri=Xu, unpaired_images=U)
    dec.save(tmp_path / "model.nd")
    dec2 = load(tmp_path / "model.nd")
    assert np.array_equal(dec2.predict(Xu), dec.predict(Xu))
    assert np.array_equal(dec2.encoder_.predict(S), dec.encoder_.predict(S))
    assert dec2.get_params()["encoder"].get_params() == dec.get_params()["encoder"].get_params()
    assert dec2.history_ == dec.history_ or all(
        np.allclose(dec2.history_[k], dec.history_[k], equal_nan=True) for k in dec.history_)
    np.testing.assert_array_equal(dec2.loss_scales_, dec.loss_scales_)
    assert dec2.loss_weights_ == dec.loss_weights_


def test_file_is_refused_when_it_is_not_a_model(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a neurodecode model file"):
        load(tmp_path / "x.pt")


def test_clone_and_get_params(data):
    X, S, _, _, _ = data
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), loss_weights=(1, 0.5, 0),
                                batch_sizes=(4, 4, 4), image_size=32)
    params = dec.get_params()
    assert params["encoder__batch_size"] == 8
    cloned = clone(dec)
    assert cloned.get_params(deep=False).keys() == dec.get_params(deep=False).keys()
    assert cloned.loss_weights == (1, 0.5, 0) and cloned.encoder is not dec.encoder
    assert cloned.encoder.get_params() == dec.encoder.get_params()
    dec.set_params(encoder__n_epochs=3)
    assert dec.encoder.n_epochs == 3


def test_not_fitted_error(data, tmp_path):
    X, S, _, _, _ = data
    dec = SelfSupervisedDecoder(**DEC)
    for call in (lambda: dec.predict(X), lambda: dec.score(X, S),
                 lambda: dec.save(tmp_path / "m.nd")):
        with pytest.raises(NotFittedError):
            call()


def test_a_fitted_encoder_is_used_as_is_and_left_untouched(data):
    X, S, Xu, U, _ = data
    enc = ImageEncoder(**ENC).fit(S, X)
    before = enc.predict(U)
    dec = SelfSupervisedDecoder(encoder=enc, **DEC).fit(X, S, X_unpaired_fmri=Xu,
                                                          unpaired_images=U)
    assert dec.encoder_ is not enc
    assert np.array_equal(dec.encoder_.predict(U), before)
    assert np.array_equal(enc.predict(U), before)
    assert any(p.requires_grad for p in enc.module_.trainable_parameters())
    bad = ImageEncoder(**ENC).fit(S, X[:, :30])
    with pytest.raises(ValueError, match="encoder was fitted with 30 voxels"):
        SelfSupervisedDecoder(encoder=bad, **DEC).fit(X, S, X_unpaired_fmri=Xu)


def test_cross_validation_keeps_unpaired_data_whole(data):
    X, S, Xu, U, _ = data
    Xu, U = np.concatenate([Xu, Xu[:4]]), np.concatenate([U, U[:6]])
    assert len(Xu) == len(X) == len(U)  # the hazardous case
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **DEC)
    res = cross_validate(dec, X, S, cv=2, return_estimator=True,
                         params={"X_unpaired_fmri": Unpaired(Xu), "unpaired_images": Unpaired(U)})
    for est in res["estimator"]:
        assert est.n_unpaired_fmri_ == len(Xu) and est.n_unpaired_images_ == len(U)
        assert est.n_features_in_ == X.shape[1]
    assert np.all(np.isfinite(res["test_score"]))
    # plain arrays of the same length are sliced by scikit-learn: fit warns about it
    with pytest.warns(UserWarning, match=r"wrap it as neurodecode.Unpaired"):
        res = cross_validate(dec, X, S, cv=2, return_estimator=True,
                             params={"X_unpaired_fmri": Xu, "unpaired_images": U})
    assert all(est.n_unpaired_fmri_ == len(Xu) // 2 for est in res["estimator"])
    # unpaired data of another length is passed through whole
    scores = cross_val_score(dec, X, S, cv=2, params={"X_unpaired_fmri": Xu[:12],
                                                      "unpaired_images": U[:10]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cross_val_score(dec, X, S, cv=2, params={"X_unpaired_fmri": Xu[:12]})
    assert scores.shape == (2,)


def test_resume_after_interruption_equals_an_uninterrupted_fit(data, tmp_path, monkeypatch):
    X, S, Xu, U, _ = data
    kw = dict(X_unpaired_fmri=Xu, unpaired_images=U)
    params = dict(DEC, n_epochs=3, checkpoint_every=1, lr_step=2, max_shift=2)
    full = SelfSupervisedDecoder(**dict(params, checkpoint_dir=tmp_path / "a")).fit(X, S, **kw)

    import neurodecode.training._phase2 as phase2

    real = phase2.Phase2Step.total
    calls = {"n": 0}

    def interrupted(self, terms):
        calls["n"] += 1
        if calls["n"] == 6:  # in epoch 3 (2 steps per epoch)
            raise KeyboardInterrupt
        return real(self, terms)

    monkeypatch.setattr(phase2.Phase2Step, "total", interrupted)
    with pytest.raises(KeyboardInterrupt):
        SelfSupervisedDecoder(**dict(params, checkpoint_dir=tmp_path / "b")).fit(X, S, **kw)
    monkeypatch.setattr(phase2.Phase2Step, "total", real)
    assert (tmp_path / "b" / "encoder.ckpt").is_file() and (tmp_path / "b" / "decoder.ckpt").is_file()
    resumed = SelfSupervisedDecoder(**dict(params, checkpoint_dir=tmp_path / "b", resume=True))
    resumed.fit(X, S, **kw)
    assert resumed.history_["epoch"] == [1, 2, 3]
    assert np.array_equal(resumed.predict(Xu), full.predict(Xu))
    # training can be extended from the last checkpoint
    longer = SelfSupervisedDecoder(**dict(params, n_epochs=4, checkpoint_dir=tmp_path / "b",
                                          resume=True)).fit(X, S, **kw)
    assert longer.history_["epoch"] == [1, 2, 3, 4]


def test_uint8_and_differently_sized_unpaired_images(data):
    X, S, Xu, U, big = data
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **DEC)
    dec.fit(X, np.round(S * 255).astype(np.uint8), X_unpaired_fmri=Xu,
            unpaired_images=np.round(big * 255).astype(np.uint8))
    assert dec.image_shape_ == (32, 32, 3) and dec.n_unpaired_images_ == len(big)


def test_image_size_resizes_and_must_divide_by_8(data):
    X, S, _, _, _ = data
    dec = SelfSupervisedDecoder(image_size=24, **DEC).fit(X, S)
    assert dec.predict(X[:2]).shape == (2, 24, 24, 3)
    with pytest.raises(ValueError, match=r"^SelfSupervisedDecoder.image_size: the image side "
                       r"must be a multiple of 8; got 20. Pass "
                       r"SelfSupervisedDecoder.image_size=16 or 24"):
        SelfSupervisedDecoder(image_size=20, **DEC).fit(X, S)
    with pytest.raises(ValueError, match="multiple of 8; got 36"):
        SelfSupervisedDecoder(**DEC).fit(X, np.zeros((16, 36, 36, 3), np.float32))
    with pytest.raises(ValueError, match=r"multiple of 8; got 12. Pass "
                       r"SelfSupervisedDecoder.image_size=16 or 24 "
                       r"to resize \(the smallest side is 16\)"):
        SelfSupervisedDecoder(image_size=12, **DEC).fit(X, S)
    with pytest.raises(ValueError, match="at least 16; got 8. Pass "
                       "SelfSupervisedDecoder.image_size=16"):
        SelfSupervisedDecoder(image_size=8, **DEC).fit(X, S)


def test_voxel_snr_weights_the_dense_l1(data):
    X, S, _, _, _ = data
    with pytest.raises(ValueError, match="voxel_snr must be 40 finite positive values"):
        SelfSupervisedDecoder(**DEC).fit(X, S, voxel_snr=np.ones(39))
    with pytest.raises(ValueError, match="voxel_snr must be 40 finite positive values"):
        SelfSupervisedDecoder(**DEC).fit(X, S, voxel_snr=-np.ones(40))
    a = SelfSupervisedDecoder(**DEC).fit(X, S, voxel_snr=np.ones(40))
    b = SelfSupervisedDecoder(**DEC).fit(X, S)
    np.testing.assert_allclose(a.predict(X), b.predict(X), atol=1e-6)  # weights of mean 1
    c = SelfSupervisedDecoder(**DEC).fit(X, S, voxel_snr=np.linspace(0.1, 5, 40))
    assert not np.allclose(c.predict(X), b.predict(X))


def _nan_X(X):
    X = X.copy()
    X[2, 5] = np.nan
    X[7, 5] = np.inf
    return X


@pytest.mark.parametrize("make, match, exc", [
    (lambda X, S, Xu, U: ((_nan_X(X), S), {}),
     r"X_paired contains 2 NaN or infinite values, in 1 voxel\(s\) and 2 sample\(s\)",
     ValueError),
    (lambda X, S, Xu, U: ((X[:15], S), {}), "X_paired has 15 samples but images has 16",
     ValueError),
    (lambda X, S, Xu, U: ((X, S[..., 0]), {}), r"images must have shape \(n, H, W, 3\)",
     ValueError),
    (lambda X, S, Xu, U: ((X, np.concatenate([S, S[..., :1]], -1)), {}),
     r"got shape \(16, 32, 32, 4\)", ValueError),
    (lambda X, S, Xu, U: ((X, S * 2), {}), r"float images must lie in \[0, 1\]", ValueError),
    (lambda X, S, Xu, U: ((X, S), {"X_unpaired_fmri": Xu[:, :39]}),
     "X_unpaired_fmri has 39 features, but SelfSupervisedDecoder is expecting 40 features", ValueError),
    (lambda X, S, Xu, U: ((X, S), {"X_unpaired_fmri": _nan_X(Xu)}),
     "X_unpaired_fmri contains 2 NaN", ValueError),
    (lambda X, S, Xu, U: ((X, S), {"X_unpaired_fmri": Xu[:0]}),
     "X_unpaired_fmri must hold at least 1 sample", ValueError),
    (lambda X, S, Xu, U: ((X, S), {"X_unpaired_fmri": Xu[:5]}),
     r"X_unpaired_fmri holds 5 samples, fewer than the 8 drawn per step", ValueError),
    (lambda X, S, Xu, U: ((X, S), {"unpaired_images": U[:0]}),
     "unpaired_images must hold at least 1 image", ValueError),
    (lambda X, S, Xu, U: ((X, S), {"unpaired_images": U[:3]}),
     "unpaired_images holds 3 images, fewer than the 8", ValueError),
    (lambda X, S, Xu, U: ((X, S), {"unpaired_images": U * 255}),
     r"float unpaired_images must lie in \[0, 1\]", ValueError),
])
def test_bad_input_to_fit(data, make, match, exc):
    X, S, Xu, U, _ = data
    args, kwargs = make(X, S, Xu, U)
    with pytest.raises(exc, match=match):
        SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **DEC).fit(*args, **kwargs)


@pytest.mark.parametrize("params, match, exc", [
    (dict(perceptual_net="resnet50"), r"perceptual_net='resnet50' is not a known backbone",
     ValueError),
    (dict(loss_weights=(1, 1)), "loss_weights must be a sequence of 3 numbers", ValueError),
    (dict(loss_weights=(0, 0, 0)), "loss_weights are all zero", ValueError),
    (dict(loss_weights=(1, -1, 0)), r"loss_weights\[1\] must be in \[0.0, inf\); got -1", ValueError),
    (dict(loss_weights=(1, 1, 0)), "loss_weights\\[1\\] \\(L_ED\\) is 1.0 but unpaired_images "
     "was not given", ValueError),
    (dict(loss_weights=(1, 0, 1)), "loss_weights\\[2\\] \\(L_DE\\) is 1.0 but X_unpaired_fmri "
     "was not given", ValueError),
    (dict(batch_sizes=(8, 0, 8)), r"batch_sizes\[1\] must be in \[1, inf\)", ValueError),
    (dict(encoder="vgg19"), "encoder must be a neurodecode.ImageEncoder", TypeError),
    (dict(normalize_losses="yes"), "normalize_losses must be True or False", TypeError),
])
def test_bad_hyper_parameters(data, params, match, exc):
    X, S, _, _, _ = data
    with pytest.raises(exc, match=match):
        SelfSupervisedDecoder(**dict(DEC, **params)).fit(X, S)


def test_predict_checks_its_input(data):
    X, S, _, _, _ = data
    dec = SelfSupervisedDecoder(**DEC).fit(X, S)
    with pytest.raises(ValueError, match="X has 41 features, but SelfSupervisedDecoder is expecting 40 features"):
        dec.predict(np.zeros((2, 41)))
    with pytest.raises(ValueError, match=r"X contains 2 NaN or infinite values, in 2 voxel"):
        dec.predict(np.where(np.eye(2, 40) > 0, np.nan, 0.0))
    with pytest.raises(ValueError, match="X must be 2D"):
        dec.predict(X[0])


def test_no_warning_for_well_formed_unpaired_data(data):
    X, S, Xu, U, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **DEC).fit(
            X, S, X_unpaired_fmri=Unpaired(Xu), unpaired_images=Unpaired(U))


def test_niimg_fmri_with_a_mask(data):
    nibabel = pytest.importorskip("nibabel")
    X, S, Xu, U, _ = data
    shape = (4, 5, 3)
    idx = np.unravel_index(np.arange(40) + 5, shape)
    mask = np.zeros(shape, dtype=np.int8)
    mask[idx] = 1
    affine = np.diag([3.0, 3.0, 3.0, 1.0])

    def to_img(A):
        vol = np.zeros(shape + (len(A),), dtype=np.float32)
        vol[idx] = A.T
        return nibabel.Nifti1Image(vol, affine)

    kw = dict(loss_weights=(1, 0, 1), encoder=ImageEncoder(**ENC))
    dec = SelfSupervisedDecoder(mask=nibabel.Nifti1Image(mask, affine), **DEC, **kw)
    dec.fit(to_img(X), S, X_unpaired_fmri=to_img(Xu))
    ref = SelfSupervisedDecoder(**DEC, **kw).fit(X, S, X_unpaired_fmri=Xu)
    assert dec.n_features_in_ == 40 and dec.masker_ is not None
    assert np.array_equal(dec.predict(to_img(Xu)), ref.predict(Xu))
    assert np.array_equal(dec.predict(Xu), ref.predict(Xu))  # arrays still accepted


def test_fitted_estimators_pickle_for_joblib(data):
    import pickle

    X, S, Xu, U, _ = data
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **DEC).fit(
        X, S, X_unpaired_fmri=Xu, unpaired_images=U)
    dec.encoder_.predict(S[:2])  # builds the frozen readout cache, which is not pickled
    again = pickle.loads(pickle.dumps(dec))
    assert np.array_equal(again.predict(Xu), dec.predict(Xu))
    assert np.array_equal(again.encoder_.predict(S), dec.encoder_.predict(S))


def test_inner_encoder_is_fitted_on_the_images_at_its_own_size(data):
    """An ImageEncoder(image_size=32) inside a 16 px decoder is fitted on the 32 px images
    given, not on the decoder's 16 px copies upsampled back: its fit equals the same
    encoder fitted alone on the same pairs."""
    X, S, Xu, U, _ = data
    assert S.shape[1] == 32
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(image_size=32, **ENC), image_size=16,
                                **DEC).fit(X, S, unpaired_images=U)
    alone = ImageEncoder(image_size=32, **ENC).fit(S, X)
    np.testing.assert_array_equal(dec.encoder_.predict(S), alone.predict(S))
    assert dec.predict(X[:2]).shape == (2, 16, 16, 3)
