"""load_god_bdata, load_vim1 and load_image_folder on files written in the published layouts."""
import h5py
import numpy as np
import pytest
import scipy.io
from PIL import Image

from neurodecode.datasets import (
    check_subject,
    load_god_bdata,
    load_image_folder,
    load_vim1,
    make_synthetic_subject,
    read_images,
)


def _bdata_arrays(rng, n_vox=12, n_train=6, n_test=3, n_rep=4, n_imag=2):
    """A BData matrix in bdpy's layout: metadata keys mark their columns with 1."""
    rows, dtype, stim, runs = [], [], [], []
    train_ids = [1518878.010042 + i * 1e-6 for i in range(n_train)]
    test_ids = [1443537.022563, 1621127.01902, 1677366.018182][:n_test]
    for i, s in enumerate(train_ids):
        dtype.append(1), stim.append(s), runs.append(1 + i // 3)
    for r in range(n_rep):
        for s in test_ids:
            dtype.append(2), stim.append(s), runs.append(10 + r)
    for s in test_ids[:n_imag]:
        dtype.append(3), stim.append(float(int(s))), runs.append(30)
    n = len(dtype)
    voxels = rng.standard_normal((n, n_vox))
    # columns: voxels..., DataType, stimulus_id, Run, Block
    data = np.column_stack([voxels, dtype, stim, runs, np.arange(n) % 5])
    n_col = data.shape[1]
    keys, values = [], []

    def add(key, value):
        keys.append(key)
        values.append(value)

    def one(cols):
        v = np.full(n_col, np.nan)
        v[cols] = 1
        return v

    add("VoxelData", one(np.arange(n_vox)))
    add("DataType", one([n_vox]))
    add("stimulus_id", one([n_vox + 1]))
    add("Run", one([n_vox + 2]))
    add("Block", one([n_vox + 3]))
    roi = {"V1": np.arange(0, 4), "V2": np.arange(4, 7), "LOC": np.arange(7, 10),
           "FFA": np.arange(9, 12)}
    roi["LVC"] = np.r_[roi["V1"], roi["V2"]]
    roi["HVC"] = np.r_[roi["LOC"], roi["FFA"]]
    roi["VC"] = np.arange(n_vox)
    for k, cols in roi.items():
        add(f"ROI_{k}", one(cols))
    for k, j in (("voxel_x", 0), ("voxel_y", 1), ("voxel_z", 2)):
        v = np.full(n_col, np.nan)
        v[:n_vox] = np.arange(n_vox) * 3.0 + j
        add(k, v)
    return data, keys, np.array(values), voxels, np.array(dtype), np.round(stim, 6)


def test_bdata_h5_in_the_bdpy_layout(tmp_path):
    rng = np.random.default_rng(0)
    data, keys, value, voxels, dtype, stim = _bdata_arrays(rng)
    path = tmp_path / "Subject1.h5"
    with h5py.File(path, "w") as f:
        f["dataset"] = data
        f["metadata/key"] = np.array([k.encode() for k in keys])
        f["metadata/description"] = np.array([b"" for _ in keys])
        f["metadata/value"] = value
    god = load_god_bdata(path)
    assert check_subject(god) is god
    np.testing.assert_allclose(god.X_train, voxels[dtype == 1], rtol=1e-6)
    assert god.X_test_trials.shape == (3, 4, 12)
    for i, s in enumerate(god.stimulus_id_test):
        np.testing.assert_allclose(god.X_test[i], voxels[(dtype == 2) & (stim == s)].mean(0),
                                   rtol=1e-5)
    assert god.X_imagery.shape == (2, 12)
    assert god.labels_train.tolist() == [1518878] * 6
    assert god.stimulus_test.tolist() == ["n01443537_22563", "n01621127_19020",
                                          "n01677366_18182"]
    # voxel 9 is in LOC and FFA: the first area of the label order (LOC) names it
    assert god.roi.tolist() == ["V1"] * 4 + ["V2"] * 3 + ["LOC"] * 3 + ["FFA"] * 2
    assert god.roi_masks["HVC"].sum() == 5
    hvc = load_god_bdata(path, rois=("HVC",))
    assert hvc.X_train.shape == (6, 5)
    np.testing.assert_allclose(hvc.voxel_xyz[:, 0], np.arange(7, 12) * 3.0)
    with pytest.raises(ValueError, match=r"unknown ROI 'V7'.*known: \['V1'"):
        load_god_bdata(path, rois=("V7",))


def test_bdata_legacy_names_and_label_key_in_a_v5_mat(tmp_path):
    from scipy.io import savemat

    rng = np.random.default_rng(1)
    data, keys, value, voxels, dtype, _ = _bdata_arrays(rng)
    keys = ["Label" if k == "stimulus_id" else k for k in keys]
    path = tmp_path / "Subject2.mat"
    savemat(path, {"dataSet": data,
                   "metaData": {"key": np.array(keys, dtype=object),
                                "description": np.array([""] * len(keys), dtype=object),
                                "value": value}})
    god = load_god_bdata(path)
    np.testing.assert_allclose(god.X_train, voxels[dtype == 1], rtol=1e-6)
    assert god.meta["stimulus_key"] == "Label"


def test_bdata_v73_reversed_dimensions(tmp_path):
    """MATLAB v7.3 writes column-major: h5py reads every matrix transposed."""
    rng = np.random.default_rng(2)
    data, keys, value, voxels, dtype, _ = _bdata_arrays(rng)
    path = tmp_path / "Subject3.h5"
    with h5py.File(path, "w") as f:
        f["dataSet"] = data.T
        f["metaData/key"] = np.array([k.encode() for k in keys])
        f["metaData/value"] = value.T
    god = load_god_bdata(path)
    np.testing.assert_allclose(god.X_train, voxels[dtype == 1], rtol=1e-6)


@pytest.mark.hostile("loaders: BData (.h5/.mat)", cases={"error": 2})
def test_bdata_damaged_or_foreign_files(tmp_path):
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as f:
        f["something"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"x.h5: not a BData file"):
        load_god_bdata(path)
    bad = tmp_path / "y.h5"
    bad.write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match=r"y.h5: cannot read it as a BData file"):
        load_god_bdata(bad)


def _vim1_files(tmp_path, rng, n_vox=30, n_trn=8, n_val=4):
    """vim-1's v7.3 files as h5py reads them (samples x voxels; images 128 x 128 x n)."""
    trn = rng.standard_normal((n_trn, n_vox))
    val = rng.standard_normal((n_val, n_vox))
    trn[:, 3] = np.nan
    val[1, 7] = np.nan
    roi = rng.integers(0, 8, n_vox)
    flat = rng.choice(64 * 64 * 18, n_vox, replace=False)
    resp = tmp_path / "EstimatedResponses.mat"
    with h5py.File(resp, "w") as f:
        f["dataTrnS1"] = trn
        f["dataValS1"] = val
        f["roiS1"] = roi[None].astype(float)
        f["voxIdxS1"] = (flat + 1)[None].astype(float)
    stim = tmp_path / "Stimuli.mat"
    imgs_trn = rng.uniform(-100, 200, (n_trn, 128, 128))
    imgs_val = rng.uniform(-100, 200, (n_val, 128, 128))
    with h5py.File(stim, "w") as f:
        f["stimTrn"] = imgs_trn.transpose(2, 1, 0)  # MATLAB (n, y, x) read reversed
        f["stimVal"] = imgs_val.transpose(2, 1, 0)
    return resp, stim, trn, val, roi, flat, imgs_trn


def test_vim1_drops_nan_voxels_and_maps_column_major_indices(tmp_path):
    rng = np.random.default_rng(3)
    resp, stim, trn, val, roi, flat, imgs = _vim1_files(tmp_path, rng)
    with pytest.warns(UserWarning, match="2 of 30 voxels have NaN"):
        vim = load_vim1(resp, stim, subject=1)
    assert check_subject(vim, needs=("images_train", "images_test")) is vim
    assert vim.n_nan_voxels == 2
    keep = np.ones(30, bool)
    keep[[3, 7]] = False
    # voxel j of the file: 1-based column-major index -> (i, j, k) -> C-order position
    ijk = np.unravel_index(flat[keep], (64, 64, 18), order="F")
    order = np.argsort(np.ravel_multi_index(ijk, (64, 64, 18)))
    np.testing.assert_allclose(vim.X_train, trn[:, keep][:, order], rtol=1e-6)
    mask = np.asarray(vim.mask_img.dataobj)
    assert mask.shape == (64, 64, 18) and mask.sum() == 28
    assert (mask[ijk] == 1).all()
    # a NiftiMasker on mask_img orders the voxels as X_train's columns
    from nilearn.maskers import NiftiMasker
    import nibabel as nib

    masker = NiftiMasker(vim.mask_img, standardize=None).fit()
    vol = np.zeros((64, 64, 18), np.float32)
    vol[ijk] = np.arange(28, dtype=np.float32)
    got = masker.transform(nib.Nifti1Image(vol[..., None], vim.mask_img.affine))[0]
    np.testing.assert_array_equal(got, np.arange(28)[order])
    assert vim.images_train.shape == (8, 128, 128, 3)
    assert 0 <= vim.images_train.min() and vim.images_train.max() <= 1
    # image orientation: the first training image, rescaled, is recovered
    lo, hi = imgs.min(), imgs.max()
    expected = (imgs[0] - lo) / (hi - lo)
    corr = np.corrcoef(vim.images_train[0, ..., 0].ravel(), expected.ravel())[0, 1]
    assert corr > 0.999
    assert set(vim.roi) <= {"other", "V1", "V2", "V3", "V3A", "V3B", "V4", "LatOcc"}


@pytest.mark.hostile("loaders: vim-1 (.mat)", cases={"error": 2})
def test_vim1_errors(tmp_path):
    rng = np.random.default_rng(4)
    resp, stim, *_ = _vim1_files(tmp_path, rng)
    with pytest.raises(ValueError, match="subject must be 1 or 2"):
        load_vim1(resp, stim, subject=3)
    with pytest.raises(ValueError, match=r"no variable\(s\) \['stimTrn', 'stimVal'\]"):
        load_vim1(resp, resp)


def test_image_folder_excludes_test_classes_and_samples_per_class(tmp_path):
    rng = np.random.default_rng(5)
    for wnid in ("n01443537", "n01621127", "n01677366"):
        (tmp_path / wnid).mkdir()
        for i in range(5):
            Image.fromarray(rng.integers(0, 255, (24, 30, 3), dtype=np.uint8)).save(
                tmp_path / wnid / f"{wnid}_{i}.JPEG")
    (tmp_path / "n01443537" / "notes.txt").write_text("not an image")
    pool = load_image_folder(tmp_path, exclude_classes=[1443537.022563], per_class=2,
                             image_size=16)
    assert pool.class_names == ["n01621127", "n01677366"]
    assert pool.images.shape == (4, 16, 16, 3)
    assert pool.labels.tolist() == [0, 0, 1, 1]
    again = load_image_folder(tmp_path, exclude_classes=["n01443537"], per_class=2,
                              image_size=16)
    assert again.paths == pool.paths  # seeded draw
    with pytest.raises(FileNotFoundError, match=r"classes: 1 not in"):
        load_image_folder(tmp_path, classes=["n99999999"])


def test_the_simulated_subject_passes_the_contract_and_old_names_warn():
    sub = make_synthetic_subject(n_train_classes=2, n_train_per_class=2, n_test_classes=2,
                                 n_test_repeats=3, n_unpaired_classes=0, n_gallery_classes=2,
                                 n_voxels={"V1": 4, "V2": 0, "V3": 0, "hV4": 0, "LOC": 2,
                                           "FFA": 0, "PPA": 0}, image_size=16)
    assert check_subject(sub, needs=("images_train", "images_test", "labels_test")) is sub
    assert sub.X_test_trials.shape == (2, 3, 6)
    assert "X_test_repeats" not in sub and "roi_labels" not in sub  # one name each
    with pytest.warns(FutureWarning, match="X_test_trials"):
        np.testing.assert_array_equal(sub.X_test_trials.transpose(1, 0, 2), sub.X_test_repeats)
    with pytest.warns(FutureWarning, match="subject.roi"):
        assert sub["roi_labels"] is sub.roi


def test_bdata_v73_mat_file_is_read_as_hdf5(tmp_path):
    """A .mat of MATLAB v7.3 is HDF5: read with h5py, reversed dimensions undone."""
    rng = np.random.default_rng(6)
    data, keys, value, voxels, dtype, _ = _bdata_arrays(rng)
    path = tmp_path / "Subject4.mat"
    with h5py.File(path, "w") as f:
        f["dataSet"] = data.T
        f["metaData/key"] = np.array([k.encode() for k in keys])
        f["metaData/value"] = value.T
    np.testing.assert_allclose(load_god_bdata(path).X_train, voxels[dtype == 1], rtol=1e-6)


def _write_bdata(path, data, keys, value):
    with h5py.File(path, "w") as f:
        f["dataset"] = data
        f["metadata/key"] = np.array([k.encode() for k in keys])
        f["metadata/description"] = np.array([b"" for _ in keys])
        f["metadata/value"] = value


@pytest.mark.hostile("loaders: BData (.h5/.mat)", cases={"error": 4, "correct": 1})
def test_bdata_hostile_files_are_refused_naming_what_is_wrong(tmp_path):
    """Issue 23: a duplicated key used to take its last row, rows of another DataType to
    vanish, NaN to pass, an empty ROI to give 0-voxel arrays."""
    rng = np.random.default_rng(3)
    data, keys, value, voxels, dtype, _ = _bdata_arrays(rng)
    path = tmp_path / "dup.h5"
    _write_bdata(path, data, keys + ["ROI_V1"], np.vstack([value, value[keys.index("ROI_V2")]]))
    with pytest.raises(ValueError, match="the metadata key 'ROI_V1' appears more than once"):
        load_god_bdata(path)
    odd = data.copy()
    odd[2, 12] = 4  # the DataType column (after the 12 voxel columns)
    _write_bdata(path := tmp_path / "type.h5", odd, keys, value)
    with pytest.raises(ValueError, match=r"1 sample\(s\) \(first: row 2\) have DataType "
                                         r"\['4.0'\]"):
        load_god_bdata(path)
    nan = data.copy()
    nan[3, 1] = np.nan
    _write_bdata(path := tmp_path / "nan.h5", nan, keys, value)
    with pytest.raises(ValueError, match=r"1 NaN or infinite value\(s\) in the voxels selected "
                                         r"\(first: sample 3, voxel 1\)"):
        load_god_bdata(path)
    assert load_god_bdata(path, rois=("LOC",)).X_train.shape[1] == 3  # V1's NaN left out
    empty = value.copy()
    empty[keys.index("ROI_FFA")] = np.nan
    _write_bdata(path := tmp_path / "empty.h5", data, keys, empty)
    with pytest.raises(ValueError, match=r"rois=\('FFA',\): no voxel"):
        load_god_bdata(path, rois=("FFA",))
    assert voxels.shape[1] == 12 and len(dtype) == len(data)


def _rewrite(path, **arrays):
    with h5py.File(path, "a") as f:
        for k, v in arrays.items():
            del f[k]
            f[k] = v


@pytest.mark.hostile("loaders: vim-1 (.mat)")
@pytest.mark.parametrize("edit, words", [
    (lambda r, s, flat: _rewrite(r, voxIdxS1=np.r_[flat[:-1] + 1, 0][None].astype(float)),
     "voxIdxS1 holds indices from 0"),
    (lambda r, s, flat: _rewrite(r, voxIdxS1=np.r_[flat[:-1] + 1, flat[0] + 1][None]
                                 .astype(float)), "names 1 voxel position(s) twice"),
    (lambda r, s, flat: _rewrite(r, roiS1=np.full((1, 30), np.nan)), "roiS1 must hold integers"),
    (lambda r, s, flat: _rewrite(s, stimTrn=np.zeros((128, 128, 5))), "stimTrn holds 5 images "
                                                                      "but"),
    (lambda r, s, flat: _rewrite(s, stimTrn=np.zeros((128, 128, 8)),
                                 stimVal=np.zeros((128, 128, 4))), "the images are blank"),
    (lambda r, s, flat: _rewrite(s, stimVal=np.full((128, 128, 4), np.nan)),
     "NaN or infinite pixels"),
])
def test_vim1_hostile_files_are_refused(tmp_path, edit, words):
    """Issue 23: an index out of the grid or given twice, non-integer ROI codes, stimuli
    that do not match the responses, blank or NaN stimuli: each refused, naming the file."""
    rng = np.random.default_rng(5)
    resp, stim, trn, val, roi, flat, imgs = _vim1_files(tmp_path, rng)
    edit(resp, stim, flat)
    import warnings

    with pytest.raises(ValueError, match=r"\.mat: ") as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the NaN voxels of the fixture, when reached
        load_vim1(resp, stim, subject=1)
    assert words in str(info.value), info.value


@pytest.mark.hostile("loaders: vim-1 (.mat)", cases={"correct": 1})
def test_vim1_infinite_responses_are_dropped_like_nan(tmp_path):
    rng = np.random.default_rng(6)
    resp, stim, trn, val, roi, flat, imgs = _vim1_files(tmp_path, rng)
    trn = trn.copy()
    trn[0, 9] = np.inf
    _rewrite(resp, dataTrnS1=trn)
    with pytest.warns(UserWarning, match="3 of 30 voxels have NaN or infinite"):
        assert load_vim1(resp, stim, subject=1).X_train.shape[1] == 27


def _h5_1d(path):
    with h5py.File(path, "w") as f:
        f["dataset"] = np.zeros(5)
        f["metadata/key"] = np.array([b"VoxelData"])
        f["metadata/value"] = np.zeros((1, 5))
        f["metadata/description"] = np.array([b""])


@pytest.mark.hostile("loaders: BData (.h5/.mat)")
@pytest.mark.parametrize("name, make, error, words", [
    ("missing file", lambda p: p / "none.h5", FileNotFoundError, "none.h5 does not exist"),
    ("a folder", lambda p: p, ValueError, "is a folder; pass one BData file"),
    ("a v5 .mat of something else", lambda p: (scipy.io.savemat(p / "v5.mat", {"x": [1.0]}),
                                               p / "v5.mat")[1], ValueError,
     "v5.mat: not a BData .mat file"),
    ("a .mat that is not MATLAB", lambda p: ((p / "junk.mat").write_bytes(b"MATLAB 5.0 x" * 9),
                                             p / "junk.mat")[1], ValueError,
     "junk.mat: cannot read it as a BData file"),
    ("a 1D dataset", lambda p: (_h5_1d(p / "d1.h5"), p / "d1.h5")[1], ValueError,
     "d1.h5: cannot read it as a BData file (the dataset must be a 2D matrix"),
])
def test_bdata_unreadable_files_are_named(tmp_path, name, make, error, words):
    path = make(tmp_path)
    with pytest.raises(error) as info:
        load_god_bdata(path)
    assert words in str(info.value), f"{name}: {info.value}"


@pytest.mark.hostile("loaders: vim-1 (.mat)")
@pytest.mark.parametrize("name, files, error, words", [
    ("missing file", lambda p: (p / "none.mat", p / "none.mat"), FileNotFoundError,
     "none.mat does not exist"),
    ("v5 .mat files", lambda p: [(scipy.io.savemat(p / "v5.mat", {"x": [1.0]}), p / "v5.mat")[1]]
     * 2, ValueError, "v5.mat: cannot open it as a MATLAB v7.3 (HDF5) file"),
])
def test_vim1_unreadable_files_are_named(tmp_path, name, files, error, words):
    resp, stim = files(tmp_path)
    with pytest.raises(error) as info:
        load_vim1(resp, stim, subject=1)
    assert words in str(info.value), f"{name}: {info.value}"


@pytest.mark.hostile("loaders: BData (.h5/.mat)", cases={"error": 4})
def test_bdata_float32_ids_and_missing_rois_are_refused(tmp_path):
    """Review of issue 23: a float32 dataset merged the stimulus ids of a category
    (1518878.010042 -> 1518878.0) silently; rois=None gave a raw TypeError."""
    data, keys, value, *_ = _bdata_arrays(np.random.default_rng(0))
    _write_bdata(path := tmp_path / "f32.h5", data.astype(np.float32), keys, value)
    with pytest.raises(ValueError, match=r"f32.h5: the dataset is stored as float32, which "
                                         "cannot hold GOD's stimulus_id values"):
        load_god_bdata(path)
    _write_bdata(path := tmp_path / "ok.h5", data, keys, value)
    for rois in (None, ()):
        with pytest.raises(ValueError, match="rois must name at least one ROI"):
            load_god_bdata(path, rois=rois)
    col = np.flatnonzero(value[keys.index("DataType")] == 1)[0]
    rows = data[:, col] != 2  # drop the test samples
    _write_bdata(path := tmp_path / "notest.h5", data[rows], keys, value)
    with pytest.raises(ValueError, match=r"notest.h5: no test \(DataType 2\) samples"):
        load_god_bdata(path)


@pytest.mark.hostile("loaders: vim-1 (.mat)")
@pytest.mark.parametrize("kwargs, error, words", [
    ({"image_size": 0}, ValueError, "image_size must be in [1, inf); got 0"),
    ({"image_size": 64.7}, TypeError, "image_size must be an int"),
    ({"subject": True}, ValueError, "subject must be 1 or 2"),
])
def test_vim1_arguments_are_checked(tmp_path, kwargs, error, words):
    resp, stim, *_ = _vim1_files(tmp_path, np.random.default_rng(7))
    with pytest.raises(error) as info:
        load_vim1(resp, stim, **{"subject": 1, **kwargs})
    assert words in str(info.value), info.value


@pytest.mark.hostile("loaders: image files", cases={"error": 4, "correct": 2})
def test_image_folder_arguments(tmp_path):
    """Review of issue 23: exclude_classes="n01443537" (one string) was iterated by
    character and excluded nothing; bad names and per_class gave raw errors."""
    for wnid in ("n01443537", "n01621127"):
        (tmp_path / wnid).mkdir()
        for i in range(2):
            Image.new("RGB", (8, 8)).save(tmp_path / wnid / f"{wnid}_{i}.png")
    one = load_image_folder(tmp_path, exclude_classes="n01443537", image_size=8)
    assert one.class_names == ["n01621127"]
    assert load_image_folder(tmp_path, exclude_classes=1443537, image_size=8).class_names == [
        "n01621127"]
    for bad in (["abc"], ["N01443537"]):
        with pytest.raises(ValueError, match=r"exclude_classes: '\w+' is neither a class "
                                             "folder"):
            load_image_folder(tmp_path, exclude_classes=bad)
    with pytest.raises(TypeError, match="per_class must be an int"):
        load_image_folder(tmp_path, per_class="2")
    with pytest.raises(TypeError, match=r"paths must be a sequence of image files"):
        read_images(str(tmp_path / "n01443537" / "n01443537_0.png"))
