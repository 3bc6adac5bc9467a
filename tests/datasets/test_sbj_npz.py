"""load_sbj_npz: GOD in the sbj_<N>.npz layout of the authors' PyTorch code (also what
MinD-Vis and IC-GAN read), on files written in that layout (issue 25)."""
import numpy as np
import pytest

from neurodecode.datasets import check_subject, load_sbj_npz

AREAS = {"V1": 6, "V2": 5, "V3": 4, "V4": 3, "LOC": 3, "FFA": 2, "PPA": 2}


def _write(tmp_path, order="image-major", authors=True, n_img=5, n_rep=4, seed=0):
    """A sbj file: 12 training samples, n_img x n_rep single test trials, ROI keys as the
    released files name them (V4, LVC, HVC, VC)."""
    rng = np.random.default_rng(seed)
    n_vox = sum(AREAS.values())
    X = rng.standard_normal((12, n_vox))
    per_image = rng.standard_normal((n_img, 1, n_vox)) + 0.3 * rng.standard_normal(
        (n_img, n_rep, n_vox))  # (image, repeat, voxel)
    if order == "image-major":
        trials, labels = per_image.reshape(-1, n_vox), np.repeat(np.arange(n_img), n_rep)
    else:
        trials = per_image.transpose(1, 0, 2).reshape(-1, n_vox)
        labels = np.tile(np.arange(n_img), n_rep)
    means = per_image.mean(axis=1)
    index = rng.permutation(12)
    masks, start = {}, 0
    for area, n in AREAS.items():
        m = np.zeros(n_vox, bool)
        m[start:start + n] = True
        masks[area], start = m, start + n
    masks["LVC"] = masks["V1"] | masks["V2"] | masks["V3"]
    masks["HVC"] = masks["LOC"] | masks["FFA"] | masks["PPA"]
    masks["VC"] = np.ones(n_vox, bool)
    arrays = [X, trials, means, index]
    if authors:
        arrays += [labels + 100, rng.random(n_vox), rng.random(n_vox)]
    path = tmp_path / "sbj_3.npz"
    np.savez(path, *arrays, **masks)
    images = tmp_path / "images_32.npz"
    np.savez(images, train_images=rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8),
             test_images=rng.integers(0, 256, (n_img, 32, 32, 3), dtype=np.uint8))
    return path, images, X, per_image, index


@pytest.mark.parametrize("order, authors", [("image-major", True), ("repeat-major", True),
                                            ("image-major", False), ("repeat-major", False)])
def test_the_trials_are_grouped_by_test_image(tmp_path, order, authors):
    path, images, X, per_image, index = _write(tmp_path, order, authors)
    sub = load_sbj_npz(path, images=images)
    assert check_subject(sub, needs=("X_train", "images_train", "images_test")) is sub
    np.testing.assert_allclose(sub.X_train, X, rtol=1e-6)
    np.testing.assert_allclose(sub.X_test_trials, per_image, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sub.X_test, per_image.mean(1), rtol=1e-5, atol=1e-6)
    raw = np.load(images)
    np.testing.assert_array_equal(sub.images_train,
                                  (raw["train_images"][index] / np.float32(255)).astype(np.float32))
    assert sub.meta["test_order"] == ("arr_4" if authors else "from arr_2")
    assert ("noise_ceiling" in sub) == authors
    assert "sbj_<N>.npz" in sub.description


def test_rois_are_the_files_keys_with_the_package_names(tmp_path):
    path, *_ = _write(tmp_path)
    sub = load_sbj_npz(path, rois=("V1", "V4"))
    assert sub.X_train.shape == (12, 9)
    assert sorted(set(sub.roi)) == ["V1", "hV4"]  # V4 -> hV4; areas, not composites
    assert set(sub.roi_masks) == {"V1", "hV4", "VC", "LVC"}  # HVC: none of these voxels
    full = load_sbj_npz(path)
    assert (full.roi == "FFA").sum() == 2 and full.X_train.shape[1] == 25


@pytest.mark.hostile("loaders: sbj_<N>.npz", cases={"error": 6})
def test_files_in_another_layout_are_refused(tmp_path):
    path, images, X, per_image, index = _write(tmp_path)
    with pytest.raises(ValueError, match=r"rois: \['IT'\] not among the ROI keys"):
        load_sbj_npz(path, rois="IT")
    np.savez(bad := tmp_path / "other.npz", X)
    with pytest.raises(ValueError, match=r"other.npz: not a sbj_<N>.npz file: no \['arr_1'"):
        load_sbj_npz(bad)
    rng = np.random.default_rng(1)
    np.savez(bad, X, rng.standard_normal((20, 25)), rng.standard_normal((5, 25)), index,
             VC=np.ones(25, bool))  # means that are no order's means
    with pytest.raises(ValueError, match="neither the image-major nor the repeat-major"):
        load_sbj_npz(bad)
    np.savez(bad, X, per_image.reshape(-1, 25), per_image.mean(1), index,
             VC=np.ones(24, bool))
    with pytest.raises(ValueError, match="ROI key 'VC' must be a boolean mask of the 25"):
        load_sbj_npz(bad)
    np.savez(bad, X, per_image.reshape(-1, 25), per_image.mean(1), index + 5,
             VC=np.ones(25, bool))
    with pytest.raises(ValueError, match=r"arr_3 indexes images 5-16 but .* has 12"):
        load_sbj_npz(bad, images=images)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="junk.npz: cannot read it as an .npz"):
        load_sbj_npz(tmp_path / "junk.npz")


@pytest.mark.hostile("loaders: sbj_<N>.npz", cases={"error": 4, "correct": 1})
def test_review_cases(tmp_path):
    """Review of issue 25: an .npy file, a boolean arr_3, images outside [0, 1] and two
    keys for one ROI gave raw errors or wrong values; 'hV4' now finds a 'V4' key."""
    path, images, X, per_image, index = _write(tmp_path)
    np.save(tmp_path / "one.npy", X)
    with pytest.raises(ValueError, match=r"one.npy: one array \(.npy\), not an .npz"):
        load_sbj_npz(tmp_path / "one.npy")
    np.savez(bad := tmp_path / "b.npz", X, per_image.reshape(-1, 25), per_image.mean(1),
             np.ones(12, bool), VC=np.ones(25, bool))
    with pytest.raises(ValueError, match="arr_3 must give one integer image index"):
        load_sbj_npz(bad)
    rng = np.random.default_rng(0)
    np.savez(imgs := tmp_path / "f.npz", train_images=rng.random((12, 8, 8, 3)) * 255,
             test_images=rng.random((5, 8, 8, 3)))
    with pytest.raises(ValueError, match="must be uint8 .0-255. or floats in .0, 1."):
        load_sbj_npz(path, images=imgs)
    np.savez(bad, X, per_image.reshape(-1, 25), per_image.mean(1), index,
             V4=np.ones(25, bool), hV4=np.ones(25, bool))
    with pytest.raises(ValueError, match="two ROI keys name 'hV4'"):
        load_sbj_npz(bad, rois="hV4")
    assert load_sbj_npz(path, rois="hV4").X_train.shape[1] == 3  # the file's key is V4
