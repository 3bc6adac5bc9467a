"""Inputs that used to give silently wrong results (or raw torch errors) now either work
exactly or are refused with a message that says what to do."""
import numpy as np
import pandas as pd
import pytest

from neurodecode import ImageEncoder, SelfSupervisedDecoder
from neurodecode.metrics import wilcoxon

DEC = dict(weights=None, n_epochs=1, batch_sizes=(4, 4, 4), random_state=0)
ENC = dict(weights=None, n_epochs=1, batch_size=4, random_state=0)


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 20)).astype(np.float32)
    images = rng.random((8, 16, 16, 3)).astype(np.float32)
    return X, images


@pytest.fixture(scope="module")
def decoder(arrays):
    X, images = arrays
    columns = [f"v{i}" for i in range(X.shape[1])]
    return SelfSupervisedDecoder(**DEC).fit(pd.DataFrame(X, columns=columns), images)


def test_negative_stride_views_predict_like_copies(arrays, decoder):
    X, _ = arrays
    df = pd.DataFrame(X, columns=decoder.feature_names_in_)
    expected = decoder.predict(np.ascontiguousarray(X[::-1]))
    assert np.array_equal(decoder.predict(X[::-1]), expected)
    assert np.array_equal(decoder.predict(df.iloc[::-1]), expected)
    assert np.array_equal(decoder.predict(X[:, ::-1][:, ::-1]), decoder.predict(X))


def test_reordered_dataframe_columns_are_refused(arrays, decoder):
    X, _ = arrays
    df = pd.DataFrame(X, columns=decoder.feature_names_in_)
    with pytest.raises(ValueError, match="same order as they were in fit"):
        decoder.predict(df[df.columns[::-1]])


def test_complex_fmri_is_refused_not_truncated(arrays, decoder):
    import nibabel

    X, images = arrays
    with pytest.raises(ValueError, match=r"X is complex-valued; .* np.abs\(X\)"):
        decoder.predict(X + 1j)
    with pytest.raises(ValueError, match="X_paired is complex-valued"):
        SelfSupervisedDecoder(**DEC).fit(X.astype(np.complex64), images)
    vol = np.zeros((3, 3, 3, 8), np.complex64) + 1j
    with pytest.raises(ValueError, match=r"X_paired is complex-valued \(complex64\)"):
        SelfSupervisedDecoder(**DEC).fit(nibabel.Nifti1Image(vol, np.eye(4)), images)


@pytest.fixture(scope="module")
def niimg(arrays):
    import nibabel

    X, images = arrays
    mask = np.zeros((4, 4, 4), np.int8)
    mask[1:3, 1:3, 1:3] = 1  # 8 voxels
    vol = np.zeros((4, 4, 4, len(X)), np.float32)
    vol[mask.astype(bool)] = X[:, :8].T
    mask_img = nibabel.Nifti1Image(mask, np.eye(4))
    fitted = SelfSupervisedDecoder(mask=mask_img, **DEC).fit(
        nibabel.Nifti1Image(vol, np.eye(4)), images)
    return vol, mask_img, fitted


def test_nan_inside_the_mask_is_refused_and_outside_ignored(niimg, arrays):
    import nibabel

    vol, mask_img, fitted = niimg
    _, images = arrays
    outside = vol.copy()
    outside[0, 0, 0, 3] = np.nan
    assert np.array_equal(fitted.predict(nibabel.Nifti1Image(outside, np.eye(4))),
                          fitted.predict(nibabel.Nifti1Image(vol, np.eye(4))))
    inside = outside.copy()
    inside[2, 1, 1, 5] = np.inf  # the 5th voxel of the mask in C order
    inside[2, 1, 1, 6] = np.nan
    img = nibabel.Nifti1Image(inside, np.eye(4))
    words = (r"contains 2 NaN or infinite values inside the mask, in 1 voxel\(s\) and 2 "
             r"sample\(s\) \(first bad sample 5, first bad voxel 4 in the mask's order\)")
    with pytest.raises(ValueError, match="X " + words):
        fitted.predict(img)
    with pytest.raises(ValueError, match="X_paired " + words):
        SelfSupervisedDecoder(mask=mask_img, **DEC).fit(img, images)


def test_a_3d_volume_is_one_sample(niimg):
    import nibabel

    vol, _, fitted = niimg
    one = fitted.predict(nibabel.Nifti1Image(vol[..., 2], np.eye(4)))
    assert one.shape == (1, 16, 16, 3)
    # the same sample inside a batch of 8 (only GEMM blocking differs)
    np.testing.assert_allclose(one, fitted.predict(nibabel.Nifti1Image(vol, np.eye(4)))[2:3],
                               atol=1e-5)


def test_too_small_images_for_the_backbone_fail_before_training(arrays, monkeypatch):
    import neurodecode.training._fit as encoder_module

    X, _ = arrays
    monkeypatch.setattr(encoder_module, "train_encoder",
                        lambda *a, **k: pytest.fail("training started"))
    images = np.random.default_rng(0).random((8, 24, 24, 3)).astype(np.float32)
    with pytest.raises(ValueError, match=r"image_size=24 is too small for backbone 'vgg16'"
                                         r".*at least 32 px \(image_size=32\)"):
        ImageEncoder(backbone="vgg16", image_size=24, **ENC).fit(images, X)
    with pytest.raises(ValueError, match="the image side=24 is too small"):
        ImageEncoder(backbone="vgg16", **ENC).fit(images, X)


def test_encoder_refuses_non_square_images_and_resizes_square_ones(arrays):
    X, _ = arrays
    rng = np.random.default_rng(1)
    images = rng.random((8, 32, 32, 3)).astype(np.float32)
    columns = [f"v{i}" for i in range(X.shape[1])]
    enc = ImageEncoder(**ENC).fit(images, pd.DataFrame(X, columns=columns))
    with pytest.raises(ValueError, match="images are 7x9, not square; this encoder was "
                                         "fitted on 32x32 images"):
        enc.predict(rng.random((3, 7, 9, 3)))
    assert enc.predict(rng.random((3, 16, 16, 3))).shape == (3, 20)
    with pytest.raises(ValueError, match="looks channels-first"):
        enc.predict(rng.random((3, 3, 32, 32)))
    with pytest.raises(ValueError, match="images are complex-valued"):
        enc.predict(images[:2] + 0j)
    # the voxels of a DataFrame are checked like scikit-learn's feature names
    assert list(enc.voxel_names_) == columns
    df = pd.DataFrame(X, columns=columns)
    assert enc.voxel_scores(images, df).shape == (20,)
    with pytest.raises(ValueError, match="are the fitted voxels in another order"):
        enc.voxel_scores(images, df[columns[::-1]])
    with pytest.raises(ValueError, match="are not the voxels of fit"):
        enc.score(images, df.rename(columns={"v0": "w0"}))


def test_wilcoxon_on_identical_scores_is_defined():
    res = wilcoxon(np.full(10, 0.5), np.full(10, 0.5))
    assert res["statistic"] == 0.0 and res["pvalue"] == 1.0 and res["n_nonzero"] == 0
    assert "tied" in res["note"]
    assert wilcoxon([1.0, 2, 3, 4, 5, 6], [0.0, 0, 0, 0, 0, 1])["note"] is None
