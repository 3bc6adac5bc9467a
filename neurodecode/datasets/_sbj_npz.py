"""GOD as exported with the authors' PyTorch code (``sbj_<N>.npz``; also what MinD-Vis and
IC-GAN read).

One file per subject: ``arr_0`` the training fMRI (1200, V), ``arr_1`` the single test
trials (1750, V), ``arr_2`` their means per test image (50, V), ``arr_3`` the index of each
training sample's image in the image file's ``train_images``; the authors' files add
``arr_4`` (the test image of each single trial), ``arr_5`` (per-voxel noise ceiling) and
``arr_6`` (per-voxel SNR). Every other key is a boolean ROI mask over the V columns (``VC``,
``V1``, ...). The images are in a companion ``images_<res>.npz`` (``train_images``,
``test_images``, uint8).
"""
import re
import warnings
from pathlib import Path

import numpy as np

from .._rois import DEFAULT_ROIS, OTHER, ROIS, canonical_roi
from ._bids_files import check_fetched
from ._subject import Subject


def _test_image_of_each_trial(trials, means, test_labels, path):
    """The test image (row of ``means``) of each single trial: ``arr_4`` when the file has
    it, else the one order (image-major or repeat-major) whose means are ``arr_2``."""
    n_images = len(means)
    if n_images == 0:
        raise ValueError(f"{path}: arr_2 holds no test image.")
    if len(trials) % n_images:
        raise ValueError(f"{path}: arr_1 has {len(trials)} single trials, not a multiple of "
                         f"the {n_images} test images of arr_2.")
    n_rep = len(trials) // n_images
    if test_labels is not None:
        test_labels = np.asarray(test_labels).ravel()
        if len(test_labels) != len(trials):
            raise ValueError(f"{path}: arr_4 gives {len(test_labels)} test labels for "
                             f"{len(trials)} single trials (arr_1).")
        values = np.unique(test_labels)
        if len(values) != n_images:
            raise ValueError(f"{path}: arr_4 names {len(values)} test images; arr_2 has "
                             f"{n_images}.")
        return np.searchsorted(values, test_labels)
    candidates = {"image-major": np.repeat(np.arange(n_images), n_rep),
                  "repeat-major": np.tile(np.arange(n_images), n_rep)}
    scale = max(float(np.abs(means).max()), 1.0)
    for order in candidates.values():
        mean = np.stack([trials[order == i].mean(axis=0) for i in range(n_images)])
        if np.allclose(mean, means, atol=1e-4 * scale):
            return order
    raise ValueError(f"{path}: without arr_4 the test image of each single trial is found "
                     "from arr_2 (the means), but neither the image-major nor the "
                     "repeat-major order of arr_1 gives arr_2; the file is not in the "
                     "expected layout.")


def _read_npz(path):
    """The arrays of an .npz file (no pickles); errors name the file."""
    try:
        f = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read it as an .npz file of arrays ({exc}).") from exc
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: one array (.npy), not an .npz archive of named arrays.")
    try:
        with f:
            return {k: f[k] for k in f.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read it as an .npz file of arrays ({exc}).") from exc


def load_sbj_npz(path, images=None, rois=DEFAULT_ROIS):
    """Load one GOD subject from the ``sbj_<N>.npz`` layout of the authors' PyTorch code.

    The layout of ``Gaziv et al.``'s released data (and of MinD-Vis and IC-GAN, which read
    the same files): see the module's notes. The fMRI is returned as stored (the authors'
    export of GOD's samples, z-scored per voxel per run upstream); it is not rescaled.

    Parameters
    ----------
    path : path-like
        The ``sbj_<N>.npz`` file.
    images : path-like or None, default=None
        The companion ``images_<res>.npz`` (``train_images``, ``test_images``); None loads
        the fMRI only.
    rois : str or sequence of str, default=("VC",)
        ROI keys of the file whose union is returned (e.g. ``"VC"``, ``("V1", "V2")``).

    Returns
    -------
    subject : Subject
        The subject contract's fields (:data:`~neurodecode.datasets.FIELDS`): ``X_train``,
        ``X_test``, ``X_test_trials`` (n_test, n_repeats, V), ``roi`` and ``roi_masks``
        (from the file's other ROI keys), ``images_train`` / ``images_test`` (float32 in
        [0, 1]) with ``images``, ``noise_ceiling`` / ``snr`` of the file when present
        (``arr_5`` / ``arr_6``, the authors' estimates), ``image_index_train`` (``arr_3``),
        ``description`` and ``meta``.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> from neurodecode.datasets import load_sbj_npz
    >>> rng = np.random.default_rng(0)
    >>> trials = rng.standard_normal((6, 5)); means = trials.reshape(3, 2, 5).mean(1)
    >>> path = Path(tempfile.mkdtemp()) / "sbj_1.npz"
    >>> np.savez(path, rng.standard_normal((4, 5)), trials, means, np.arange(4),
    ...          VC=np.ones(5, bool))
    >>> sub = load_sbj_npz(path)
    >>> sub.X_train.shape, sub.X_test_trials.shape
    ((4, 5), (3, 2, 5))
    """
    path = Path(path)
    check_fetched(path)
    arrays = _read_npz(path)
    missing = [f"arr_{k}" for k in range(4) if f"arr_{k}" not in arrays]
    if missing:
        raise ValueError(f"{path}: not a sbj_<N>.npz file: no {missing} (arr_0 training "
                         "fMRI, arr_1 single test trials, arr_2 test means, arr_3 training "
                         f"image indices); keys: {sorted(arrays)}.")
    X, trials, means, index = (arrays[f"arr_{k}"] for k in range(4))
    for name, a in (("arr_0", X), ("arr_1", trials), ("arr_2", means)):
        if a.ndim != 2 or a.dtype.kind not in "iuf":
            raise ValueError(f"{path}: {name} must be a 2D numeric array (samples, voxels); "
                             f"got shape {a.shape}, dtype {a.dtype}.")
    n_vox = X.shape[1]
    if trials.shape[1] != n_vox or means.shape[1] != n_vox:
        raise ValueError(f"{path}: arr_0, arr_1 and arr_2 must have the same voxels; got "
                         f"{X.shape[1]}, {trials.shape[1]}, {means.shape[1]}.")
    index = np.asarray(index).ravel()
    integral = index.dtype.kind in "iu" or (
        index.dtype.kind == "f" and np.isfinite(index).all()
        and np.array_equal(index, np.round(index)) and np.abs(index).max(initial=0) < 2**31)
    if len(X) == 0 or len(index) != len(X) or not integral:
        raise ValueError(f"{path}: arr_3 must give one integer image index per training "
                         f"sample ({len(X)}, at least one); got {len(index)} values of dtype "
                         f"{index.dtype}.")
    index = index.astype(int)
    if index.min() < 0:
        raise ValueError(f"{path}: arr_3 holds negative image indices (first: "
                         f"{int(index[index < 0][0])}).")
    order = _test_image_of_each_trial(trials, means, arrays.get("arr_4"), path)
    n_rep = np.bincount(order, minlength=len(means))
    if (n_rep != n_rep[0]).any():
        raise ValueError(f"{path}: test images have unequal repeat counts "
                         f"({n_rep.min()}-{n_rep.max()}).")
    X_test_trials = np.stack([trials[order == i] for i in range(len(means))])
    masks = {}
    for key, v in arrays.items():
        if re.fullmatch(r"arr_\d+", key):
            continue
        m = np.asarray(v).ravel()
        if m.dtype != bool or len(m) != n_vox:
            raise ValueError(f"{path}: ROI key {key!r} must be a boolean mask of the {n_vox} "
                             f"voxels; got dtype {m.dtype}, length {len(m)}.")
        name = canonical_roi(key)
        if name in masks:
            raise ValueError(f"{path}: two ROI keys name {name!r} (e.g. V4 and hV4); keep "
                             "one.")
        masks[name] = m
    rois = (rois,) if isinstance(rois, str) else tuple(rois)
    rois = tuple(canonical_roi(r) if isinstance(r, str) else r for r in rois)
    unknown = [r for r in rois if r not in masks]
    if not rois or unknown:
        raise ValueError(f"rois: {unknown or rois!r} not among the ROI keys of {path}: "
                         f"{sorted(masks)}.")
    keep = np.zeros(n_vox, bool)
    for r in rois:
        keep |= masks[r]
    if not keep.any():
        raise ValueError(f"rois={rois}: no voxel of {path} is in them.")
    data = {"X_train": X[:, keep].astype(np.float32),
            "X_test_trials": X_test_trials[..., keep].astype(np.float32)}
    data["X_test"] = data["X_test_trials"].mean(axis=1)
    for name, a in data.items():
        if not np.isfinite(a).all():
            raise ValueError(f"{path}: {int((~np.isfinite(a)).sum())} NaN or infinite values "
                             f"in the {name} of the voxels selected.")
    if not np.allclose(data["X_test"], means[:, keep], atol=1e-3 * max(
            float(np.abs(means).max()), 1.0)):
        raise ValueError(f"{path}: arr_2 is not the mean of arr_1's repeats per test image.")
    roi_masks = {k: m[keep] for k, m in masks.items() if m[keep].any()}
    labels = np.full(int(keep.sum()), OTHER, object)
    for name in [n for n in ROIS if n in roi_masks]:  # areas name voxels, not composites
        labels[roi_masks[name]] = name
    out = Subject(**data, roi=labels.astype(str), roi_masks=roi_masks,
                  image_index_train=index)
    for key, field in (("arr_5", "noise_ceiling"), ("arr_6", "snr")):
        if key in arrays and np.shape(arrays[key]) == (n_vox,):
            out[field] = np.asarray(arrays[key], dtype=np.float32)[keep]
    if images is not None:
        images = Path(images)
        check_fetched(images)
        found = _read_npz(images)
        if not {"train_images", "test_images"} <= set(found):
            raise ValueError(f"{images}: no 'train_images' and 'test_images' (the "
                             f"images_<res>.npz layout); keys: {sorted(found)}.")
        train, test = found["train_images"], found["test_images"]
        if index.min() < 0 or index.max() >= len(train):
            raise ValueError(f"{path}: arr_3 indexes images {index.min()}-{index.max()} but "
                             f"{images} has {len(train)} train_images.")
        if len(test) != len(means):
            raise ValueError(f"{images}: {len(test)} test_images for {len(means)} test "
                             "images of arr_2.")

        def as_float(a, name):
            a = np.asarray(a)
            if a.ndim != 4 or a.shape[-1] != 3:
                raise ValueError(f"{images}: {name} must be (n, H, W, 3); got {a.shape}.")
            if a.dtype == np.uint8:
                return a.astype(np.float32) / np.float32(255)
            if a.dtype.kind == "f" and np.isfinite(a).all() and a.min() >= 0 and a.max() <= 1:
                return a.astype(np.float32)
            raise ValueError(f"{images}: {name} must be uint8 (0-255) or floats in [0, 1]; "
                             f"got {a.dtype} in [{a.min()}, {a.max()}].")
        out["images_train"] = as_float(train, "train_images")[index]
        out["images_test"] = as_float(test, "test_images")
    if len(np.unique(index)) != len(index):
        warnings.warn(f"{path}: arr_3 repeats {len(index) - len(np.unique(index))} training "
                      "image indices; GOD shows each training image once.", stacklevel=2)
    out["description"] = ("GOD (Horikawa & Kamitani 2017) as exported with the code of "
                          "Gaziv et al. (2022), sbj_<N>.npz: the authors' samples of "
                          "OpenNeuro ds001246 (CC0).")
    out["meta"] = {"dataset": "GOD (sbj_<N>.npz, the authors' export)", "path": str(path),
                   "rois": list(rois), "n_voxels": int(keep.sum()),
                   "fmri_units": "as stored (the authors' export of GOD's samples, z-scored "
                                 "per voxel per run upstream)",
                   "test_order": "arr_4" if "arr_4" in arrays else "from arr_2"}
    return out
