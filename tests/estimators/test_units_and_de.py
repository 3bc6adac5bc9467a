"""The units policy and the authors' L_DE options through the estimators."""
import warnings

import numpy as np
import pytest

from neurodecode import FMRIUnitsWarning, ImageEncoder, SelfSupervisedDecoder, Unpaired

ENC = dict(weights=None, n_epochs=1, batch_size=8, random_state=0)
DEC = dict(weights=None, n_epochs=1, batch_sizes=(8, 8, 8), random_state=0)


@pytest.fixture(scope="module")
def data():
    from .conftest_data import make

    return make()


def test_raw_units_warn_and_standardised_data_do_not(data):
    X, S, Xu, U, _ = data
    rng = np.random.default_rng(0)
    # the old simulated subject's spread: per-voxel variances 4 to 800
    raw = X * np.sqrt(np.exp(rng.uniform(np.log(4), np.log(800), X.shape[1])))
    with pytest.warns(FMRIUnitsWarning, match="StandardScaler"):
        ImageEncoder(**ENC).fit(S, raw)
    with pytest.warns(FMRIUnitsWarning, match="load_god"):
        SelfSupervisedDecoder(loss_weights=(1, 0, 0), **DEC).fit(raw, S)
    with pytest.warns(FMRIUnitsWarning, match="per-voxel variances"):  # offset scale
        ImageEncoder(**ENC).fit(S, 100 * X)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings():
        warnings.simplefilter("error", FMRIUnitsWarning)
        ImageEncoder(**ENC).fit(S, X)
        make_pipeline(StandardScaler(), SelfSupervisedDecoder(loss_weights=(1, 0, 0), **DEC)
                      ).fit(raw, S)


def test_repeats_are_sub_averaged_and_give_the_snr(data):
    X, S, Xu, U, _ = data
    rng = np.random.default_rng(1)
    repeats = Xu[:, None, :] + rng.standard_normal((len(Xu), 4, X.shape[1])).astype(np.float32)
    enc = ImageEncoder(**ENC).fit(S, X)
    kw = dict(encoder=enc, loss_weights=(1, 0, 1), **DEC)
    sub = SelfSupervisedDecoder(**kw).fit(X, S, X_unpaired_fmri=Unpaired(repeats))
    exact = SelfSupervisedDecoder(subaverage_fraction=1.0, **kw).fit(
        X, S, X_unpaired_fmri=repeats)
    means = SelfSupervisedDecoder(**kw).fit(X, S, X_unpaired_fmri=repeats.mean(1))
    assert sub.n_unpaired_fmri_ == len(Xu)
    # fraction 1 is the means over all repeats (the draws then consume no randomness,
    # but the SNR from the repeats weights the dense l1)
    assert not np.array_equal(sub.predict(Xu), exact.predict(Xu))
    assert np.isfinite(means.history_["L_DE"]).all()
    # the authors' loss: SNR from the repeats, or voxel_snr; without either it is refused
    a = SelfSupervisedDecoder(de_loss="authors", **kw).fit(X, S, X_unpaired_fmri=repeats)
    assert np.isfinite(a.history_["L_DE"]).all()
    with pytest.raises(ValueError, match="voxel_snr"):
        SelfSupervisedDecoder(de_loss="authors", **kw).fit(X, S, X_unpaired_fmri=Xu)
    SelfSupervisedDecoder(de_loss="authors", **kw).fit(
        X, S, X_unpaired_fmri=Xu, voxel_snr=Unpaired(np.ones(X.shape[1])))
    bad = repeats.copy()
    bad[2, 1, 0] = np.nan
    with pytest.raises(ValueError, match="samples \\[2\\]"):
        SelfSupervisedDecoder(**kw).fit(X, S, X_unpaired_fmri=bad)
    with pytest.raises(ValueError, match="at least 2"):
        SelfSupervisedDecoder(**kw).fit(X, S, X_unpaired_fmri=repeats[:, :1])


def test_memorisation_diagnostic_through_fit(data):
    X, S, Xu, U, _ = data
    truth = np.concatenate([U, S[:2]])  # as many images as unpaired fMRI (12)
    enc = ImageEncoder(**ENC).fit(S, X)
    dec = SelfSupervisedDecoder(encoder=enc, loss_weights=(1, 0, 1), **dict(DEC, n_epochs=2))
    dec.fit(X, S, X_unpaired_fmri=Xu, unpaired_fmri_images=Unpaired(truth))
    h = dec.history_
    assert len(h["L_DE_true_images"]) == 2 and h["L_DE_true_images"][0] == h["L_DE_true_images"][1]
    assert np.isfinite(h["L_DE_decoded"]).all()
    with pytest.raises(ValueError, match="unpaired_fmri_images"):
        dec.fit(X, S, X_unpaired_fmri=Xu, unpaired_fmri_images=Unpaired(truth[:3]))


@pytest.mark.parametrize("params, match", [
    ({"de_loss": "mse"}, "SelfSupervisedDecoder.de_loss must be 'paper' or 'authors'"),
    ({"subaverage_fraction": 0.0}, "SelfSupervisedDecoder.subaverage_fraction"),
    ({"subaverage_fraction": 1.5}, "SelfSupervisedDecoder.subaverage_fraction"),
    ({"de_dropout": 1.0}, "SelfSupervisedDecoder.de_dropout"),
])
def test_bad_de_options(data, params, match):
    X, S, Xu, U, _ = data
    with pytest.raises(ValueError, match=match):
        SelfSupervisedDecoder(**params, **DEC).fit(X, S)


def test_encoder_penalty_scales_with_the_voxel_count():
    enc = ImageEncoder(penalty_weight=2.0)
    p450, p4500 = enc._penalties(450), enc._penalties(4500)
    assert p4500 == {"spatial_l1": 1e-5, "spatial_smoothness": 2e-5, "channel_l1": 1e-5,
                     "branch_l1": 0.1}  # 2 x the authors' constants at their voxel count
    assert all(p450[k] == pytest.approx(10 * v) for k, v in p4500.items())
    with pytest.raises(ValueError, match="channel_init"):
        ImageEncoder(channel_init="zeros", **ENC).fit(np.zeros((4, 32, 32, 3)),
                                                      np.zeros((4, 3)))
