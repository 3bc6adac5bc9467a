"""Unpaired fMRI inside scikit-learn and nilearn pipelines: the preprocessing of X, always.

Rows of X marked by all-NaN images are unpaired fMRI, so every pipeline step transforms them
like the paired rows; unpaired fMRI passed as a fit parameter skips the steps, and is refused
when it is evidently in other units.
"""
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neurodecode import ImageEncoder, SelfSupervisedDecoder, concat_unpaired_fmri

ENC = dict(weights=None, n_epochs=1, batch_size=8, random_state=0)
DEC = dict(weights=None, n_epochs=1, batch_sizes=(8, 8, 8), loss_weights=(1, 0, 1),
           random_state=0)


@pytest.fixture(scope="module")
def raw():
    """The shared problem in scanner-like units: fMRI x100 + 50."""
    from .conftest_data import make

    X, S, Xu, _, _ = make()
    return 100 * X + 50, S, 100 * Xu + 50


def _decoder():
    return SelfSupervisedDecoder(encoder=ImageEncoder(**ENC), **DEC)


def test_concat_marks_the_unpaired_rows(raw):
    X, S, Xu = raw
    X_all, y = concat_unpaired_fmri(X, S, Xu)
    assert np.array_equal(X_all, np.concatenate([X, Xu]))
    assert np.array_equal(y[:len(S)], S)
    assert np.isnan(y[len(S):]).all() and not np.isnan(y[:len(S)]).any()


def test_scaler_pipeline_scales_the_unpaired_fmri_like_x(raw):
    X, S, Xu = raw
    X_all, y = concat_unpaired_fmri(X, S, Xu)
    pipe = make_pipeline(StandardScaler(), _decoder()).fit(X_all, y)
    # the same, by hand: one scaler fitted on every row of X, then the decoder on its output
    scaler = StandardScaler().fit(X_all)
    Xs = scaler.transform(X_all)
    dec = _decoder().fit(Xs[:len(X)], S, X_unpaired_fmri=Xs[len(X):])
    assert dec.n_unpaired_fmri_ == pipe[-1].n_unpaired_fmri_ == len(Xu)
    assert np.array_equal(pipe.predict(Xu), dec.predict(scaler.transform(Xu)))
    # a marked row is exactly an unpaired one: same fit as passing it explicitly
    assert np.array_equal(_decoder().fit(Xs, y).predict(Xs), dec.predict(Xs))


def test_unpaired_fmri_that_skipped_the_scaler_is_refused(raw):
    X, S, Xu = raw
    pipe = make_pipeline(StandardScaler(), _decoder())
    with pytest.raises(ValueError, match=r"X_unpaired_fmri is not in the units of X_paired: "
                                         r"median voxel SD .* \([\d.]+x\).*concat_unpaired_fmri"):
        pipe.fit(X, S, selfsuperviseddecoder__X_unpaired_fmri=Xu)


def test_legitimate_unpaired_fmri_passes_the_units_check(raw):
    X, S, Xu = raw
    rng = np.random.default_rng(0)
    # averages over repeats are less variable than single trials, within the tolerance
    averaged = X.mean(0) + (Xu - X.mean(0)) / 4 + rng.normal(0, 1, Xu.shape)
    _decoder().fit(X, S, X_unpaired_fmri=averaged)


def test_pca_pipeline(raw):
    X, S, Xu = raw
    X_all, y = concat_unpaired_fmri(X, S, Xu)
    pipe = make_pipeline(StandardScaler(), PCA(10, random_state=0), _decoder()).fit(X_all, y)
    assert pipe[-1].n_features_in_ == 10 and pipe[-1].n_unpaired_fmri_ == len(Xu)
    assert pipe.predict(Xu).shape == (len(Xu), 32, 32, 3)
    with pytest.raises(ValueError, match="X_unpaired_fmri has 40 features, but "
                                         "SelfSupervisedDecoder is expecting 10"):
        make_pipeline(PCA(10), _decoder()).fit(X, S, selfsuperviseddecoder__X_unpaired_fmri=Xu)


def test_marks_and_fit_parameter_together_are_refused(raw):
    X, S, Xu = raw
    X_all, y = concat_unpaired_fmri(X, S, Xu)
    with pytest.raises(ValueError, match="one way only"):
        _decoder().fit(X_all, y, X_unpaired_fmri=Xu)


def _niimg(A, shape=(4, 5, 3), offset=5):
    import nibabel

    idx = np.unravel_index(np.arange(A.shape[1]) + offset, shape)
    vol = np.zeros(shape + (len(A),), dtype=np.float32)
    vol[idx] = A.T
    mask = np.zeros(shape, dtype=np.int8)
    mask[idx] = 1
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    return nibabel.Nifti1Image(vol, affine), nibabel.Nifti1Image(mask, affine)


def test_nifti_masker_pipeline_masks_the_unpaired_fmri(raw):
    pytest.importorskip("nibabel")
    from nilearn.maskers import NiftiMasker

    X, S, Xu = raw
    img_x, mask = _niimg(X)
    img_u, _ = _niimg(Xu)
    X_all, y = concat_unpaired_fmri(img_x, S, img_u)
    assert X_all.shape[3] == len(X) + len(Xu)
    pipe = make_pipeline(NiftiMasker(mask, standardize=None), _decoder()).fit(X_all, y)
    ref = _decoder().fit(X, S, X_unpaired_fmri=Xu)
    assert np.array_equal(pipe.predict(img_u), ref.predict(Xu))


def test_a_fitted_masker_keeps_its_mask(raw):
    nibabel = pytest.importorskip("nibabel")
    from nilearn.maskers import NiftiMasker

    X, S, _ = raw
    rng = np.random.default_rng(0)

    def block(size):  # zero background, bright data inside a block: the derived mask
        data = np.zeros((10, 10, 10, len(X)), dtype=np.float32)
        data[2:2 + size[0], 2:2 + size[1], 2:2 + size[2]] = rng.normal(
            1000, 1, size + (len(X),))
        return nibabel.Nifti1Image(data, np.eye(4))

    masker = NiftiMasker(standardize=None).fit(block((4, 4, 2)))
    assert int(np.asarray(masker.mask_img_.dataobj).sum()) == 32
    other = block((6, 6, 3))  # refitting a masker on this one would give 108 voxels
    assert NiftiMasker(standardize=None).fit(other).transform(other).shape[1] == 108
    dec = SelfSupervisedDecoder(mask=masker, **dict(DEC, loss_weights=(1, 0, 0))).fit(other, S)
    assert dec.n_features_in_ == 32
    assert dec.masker_ is not masker  # a copy: the user's masker is left alone
    assert np.array_equal(np.asarray(dec.masker_.mask_img_.dataobj),
                          np.asarray(masker.mask_img_.dataobj))


# -- what an adversarial review found -----------------------------------------------------------
def test_marked_rows_are_never_units_checked(raw):
    # an unpaired session far off in raw units: scaled with X inside the pipeline, accepted;
    # the same rows as a fit parameter (skipping the scaler) are refused
    X, S, Xu = raw
    Xu = Xu + 15 * X.std()
    X_all, y = concat_unpaired_fmri(X, S, Xu)
    make_pipeline(StandardScaler(), _decoder()).fit(X_all, y)
    with pytest.raises(ValueError, match="not in the units"):
        make_pipeline(StandardScaler(), _decoder()).fit(
            X, S, selfsuperviseddecoder__X_unpaired_fmri=Xu)


@pytest.mark.parametrize("bad", [
    lambda X: np.full((1, X.shape[1]), 1e6, dtype=np.float32),         # one row
    lambda X: np.full((9, X.shape[1]), 1e6, dtype=np.float32),         # identical rows
    lambda X: np.where(np.arange(X.shape[1]) < 25, 1e6, X[:9]).astype(np.float32),
], ids=["one row", "constant rows", "mostly constant voxels"])
def test_units_check_edge_cases(bad):
    from neurodecode._unpaired import check_same_units

    X = np.random.default_rng(0).standard_normal((20, 40)).astype(np.float32)
    with pytest.raises(ValueError, match="not in the units"):
        check_same_units(X, bad(X))


def test_too_few_marked_rows_in_a_fold_name_the_marked_rows(raw):
    X, S, Xu = raw
    X_all, y = concat_unpaired_fmri(X, S, Xu[:5])
    with pytest.raises(ValueError, match="the rows of X_paired marked unpaired .* hold|holds 5 "
                                         "samples, fewer than the 8"):
        _decoder().fit(X_all, y)


def test_dataframes_keep_their_columns(raw):
    pd = pytest.importorskip("pandas")
    X, S, Xu = raw
    cols = [f"v{i}" for i in range(X.shape[1])]
    dfx, dfu = pd.DataFrame(X, columns=cols), pd.DataFrame(Xu, columns=cols)
    X_all, y = concat_unpaired_fmri(dfx, S, dfu)
    assert list(X_all.columns) == cols
    dec = _decoder().fit(X_all, y)
    assert list(dec.feature_names_in_) == cols
    with pytest.raises(ValueError, match="same columns"):
        concat_unpaired_fmri(dfx, S, dfu[cols[::-1]])
    with pytest.raises(ValueError, match="feature names"):
        _decoder().fit(dfx, S, X_unpaired_fmri=dfu[cols[::-1]])


def test_marked_images_can_be_extended_and_3d_images_are_one_volume(raw):
    pytest.importorskip("nibabel")
    X, S, Xu = raw
    X_all, y = concat_unpaired_fmri(X, S, Xu[:4])
    X_all, y = concat_unpaired_fmri(X_all, y, Xu[4:])
    assert np.array_equal(X_all, np.concatenate([X, Xu]))
    assert int(np.isnan(y).all(axis=(1, 2, 3)).sum()) == len(Xu)
    img_x, _ = _niimg(X)
    img_u, _ = _niimg(Xu[:1])
    from nilearn.image import index_img

    X_img, y_img = concat_unpaired_fmri(img_x, S, index_img(img_u, 0))  # a 3D image
    assert X_img.shape[3] == len(X) + 1 and len(y_img) == len(X) + 1


def test_frozen_fitted_masker_survives_clone_and_save(raw, tmp_path):
    nibabel = pytest.importorskip("nibabel")
    from nilearn.maskers import NiftiMasker
    from sklearn.base import clone
    from sklearn.frozen import FrozenEstimator

    from neurodecode import load

    X, S, _ = raw
    data = np.zeros((6, 6, 6, len(X)), dtype=np.float32)
    data[1:4, 1:4, 1:4] = np.random.default_rng(0).normal(1000, 1, (3, 3, 3, len(X)))
    img = nibabel.Nifti1Image(data, np.eye(4))
    masker = NiftiMasker(standardize=None).fit(img)
    dec = SelfSupervisedDecoder(mask=FrozenEstimator(masker), **dict(DEC, loss_weights=(1, 0, 0)))
    other = nibabel.Nifti1Image(np.where(data > 0, data, 500.0).astype(np.float32), np.eye(4))
    assert clone(dec).fit(other, S).n_features_in_ == 27  # the frozen mask, not a new one
    dec.fit(img, S).save(tmp_path / "m.nd")
    again = load(tmp_path / "m.nd")
    assert isinstance(again.mask, FrozenEstimator)
    assert np.array_equal(again.predict(img), dec.predict(img))


def test_masker_settings_survive_save_and_load(raw, tmp_path):
    nibabel = pytest.importorskip("nibabel")
    from nilearn.maskers import NiftiMasker

    from neurodecode import load

    X, S, _ = raw
    img_x, mask = _niimg(X)
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    masker = NiftiMasker(mask, target_affine=affine, target_shape=(4, 5, 3),
                         standardize=None, clean_args={"ensure_finite": True})
    dec = SelfSupervisedDecoder(mask=masker, **dict(DEC, loss_weights=(1, 0, 0))).fit(img_x, S)
    dec.save(tmp_path / "m.nd")
    again = load(tmp_path / "m.nd")
    assert again.masker_.clean_args == {"ensure_finite": True}
    assert np.array_equal(again.masker_.target_affine, affine)
    assert np.array_equal(again.predict(img_x), dec.predict(img_x))


def test_read_only_input_and_unpaired_voxel_snr(raw):
    import warnings

    from neurodecode import FMRIUnitsWarning, Unpaired

    X, S, _ = raw
    dec = SelfSupervisedDecoder(**dict(DEC, loss_weights=(1, 0, 0)))
    ro = X.copy()
    ro.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the fixture's scanner-like units are deliberate here: only the units warning is
        # expected (and checked by its own tests); anything else about read-only input fails
        warnings.simplefilter("ignore", FMRIUnitsWarning)
        dec.fit(ro, S, voxel_snr=Unpaired(np.ones(X.shape[1])))
        dec.predict(ro)
