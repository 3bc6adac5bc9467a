"""vim-1 (Kay et al. 2008; CRCNS): ``EstimatedResponses.mat`` and ``Stimuli.mat`` (v7.3)."""
import numbers
import warnings
from pathlib import Path

import numpy as np

from .._validation import check_number
from ._bids_files import check_fetched
from ._subject import Subject
from .._rois import OTHER, VIM1_ROIS

#: The functional grid of vim-1's voxel indices.
VIM1_GRID = (64, 64, 18)


def _h5(path, keys):
    import h5py

    path = Path(path)
    check_fetched(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path}: cannot open it as a MATLAB v7.3 (HDF5) file ({exc}); vim-1's "
                         "files are v7.3.") from exc
    with f:
        missing = [k for k in keys if k not in f]
        if missing:
            raise ValueError(f"{path}: no variable(s) {missing}; found {sorted(f.keys())}.")
        return {k: np.asarray(f[k]) for k in keys}


def load_vim1(responses_mat, stimuli_mat, subject=1, *, image_size=None):
    """Load one vim-1 subject: voxel responses, ROIs, voxel positions and the stimuli.

    Parameters
    ----------
    responses_mat : path-like
        ``EstimatedResponses.mat`` (MATLAB v7.3).
    stimuli_mat : path-like
        ``Stimuli.mat`` (MATLAB v7.3).
    subject : {1, 2}, default=1
        The subject (``dataTrnS<subject>``, ...).
    image_size : int or None, default=None
        Side of the returned images (resized); None keeps 128.

    Returns
    -------
    data : Subject
        The subject contract's fields (:data:`~neurodecode.datasets.FIELDS`):
        ``X_train`` (1750, V), ``X_test`` (120, V; vim-1
        publishes the validation responses averaged over their 13 repeats, so
        ``X_test_trials`` is ``X_test[:, None]``), ``images_train``, ``images_test``
        (grayscale scaled to [0, 1] over both sets, as RGB), ``stimulus_train`` /
        ``stimulus_test`` (``trn_<i>`` / ``val_<i>``), ``roi``,
        ``roi_masks`` (per-voxel boolean), ``voxel_index`` (0-based, into the 64 x 64 x 18
        grid, C order), ``mask_img`` (a NIfTI of the kept voxels), ``n_nan_voxels`` (voxels
        dropped for NaN responses) and ``meta``.

    Warns
    -----
    UserWarning
        When voxels with NaN responses are dropped (their count).

    Examples
    --------
    >>> from neurodecode.datasets import load_vim1
    >>> vim = load_vim1("EstimatedResponses.mat", "Stimuli.mat", subject=1)  # doctest: +SKIP
    """
    import nibabel as nib

    if isinstance(subject, (bool, np.bool_)) or subject not in (1, 2):
        raise ValueError(f"subject must be 1 or 2 (vim-1 has two subjects); got {subject!r}.")
    check_number(image_size, "image_size", numbers.Integral, low=1, allow_none=True)
    s = int(subject)
    r = _h5(responses_mat, [f"dataTrnS{s}", f"dataValS{s}", f"roiS{s}", f"voxIdxS{s}"])
    st = _h5(stimuli_mat, ["stimTrn", "stimVal"])
    trn, val = r[f"dataTrnS{s}"].astype(np.float64), r[f"dataValS{s}"].astype(np.float64)
    for key in (f"roiS{s}", f"voxIdxS{s}"):
        v = np.asarray(r[key], np.float64).ravel()
        if not np.all(np.isfinite(v)) or not np.array_equal(v, np.round(v)):
            raise ValueError(f"{responses_mat}: {key} must hold integers; found NaN, infinite "
                             "or fractional values.")
    roi = r[f"roiS{s}"].ravel().astype(int)
    idx = r[f"voxIdxS{s}"].ravel().astype(np.int64)
    n_grid = int(np.prod(VIM1_GRID))
    if len(idx) and (idx.min() < 1 or idx.max() > n_grid):
        raise ValueError(f"{responses_mat}: voxIdxS{s} holds indices from {idx.min()} to "
                         f"{idx.max()}; vim-1's are 1-based into the {VIM1_GRID} grid (1 to "
                         f"{n_grid}).")
    if len(np.unique(idx)) != len(idx):
        raise ValueError(f"{responses_mat}: voxIdxS{s} names {len(idx) - len(np.unique(idx))} "
                         "voxel position(s) twice; each voxel has its own position.")
    n_vox = len(roi)
    # v7.3 reverses the dimensions: responses come back (samples, voxels); be tolerant
    if trn.shape[1] != n_vox and trn.shape[0] == n_vox:
        trn, val = trn.T, val.T
    if trn.shape[1] != n_vox or val.shape[1] != n_vox or len(idx) != n_vox:
        raise ValueError(f"{responses_mat}: inconsistent sizes: dataTrnS{s} {trn.shape}, "
                         f"dataValS{s} {val.shape}, roiS{s} {roi.shape}, voxIdxS{s} "
                         f"{idx.shape}.")
    bad = ~np.isfinite(trn).all(axis=0) | ~np.isfinite(val).all(axis=0)
    if bad.any():
        warnings.warn(f"vim-1 subject {s}: {int(bad.sum())} of {n_vox} voxels have NaN or "
                      "infinite responses and are dropped (count in n_nan_voxels).",
                      stacklevel=2)
    keep = ~bad
    # 1-based, column-major (MATLAB) indices into the 64 x 64 x 18 grid
    ijk = np.unravel_index(idx[keep] - 1, VIM1_GRID, order="F")
    vol = np.zeros(VIM1_GRID, np.uint8)
    vol[ijk] = 1
    # voxels as a NiftiMasker on mask_img orders them (C order of the volume)
    flat_c = np.ravel_multi_index(ijk, VIM1_GRID)
    order = np.argsort(flat_c, kind="stable")
    mask_img = nib.Nifti1Image(vol, np.diag([2.0, 2.0, 2.5, 1.0]))

    def images(a):
        a = np.asarray(a, np.float64)
        if a.shape[0] == a.shape[1] and a.shape[2] != a.shape[0]:  # (x, y, n) as read
            a = np.transpose(a, (2, 1, 0))
        return a

    trn_img, val_img = images(st["stimTrn"]), images(st["stimVal"])
    for name, a, X in (("stimTrn", trn_img, trn), ("stimVal", val_img, val)):
        if a.ndim != 3 or a.shape[1] != a.shape[2]:
            raise ValueError(f"{stimuli_mat}: {name} must hold square grey images (n, side, "
                             f"side); got shape {a.shape}.")
        if len(a) != len(X):
            raise ValueError(f"{stimuli_mat}: {name} holds {len(a)} images but "
                             f"{responses_mat} has {len(X)} responses for them; the two files "
                             "must be of the same release.")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{stimuli_mat}: {name} contains NaN or infinite pixels.")
    lo = min(trn_img.min(), val_img.min())
    hi = max(trn_img.max(), val_img.max())
    if not hi > lo:
        raise ValueError(f"{stimuli_mat}: every stimulus pixel equals {lo:g}; the images are "
                         "blank.")

    def rgb(a):
        a = ((a - lo) / (hi - lo)).astype(np.float32)
        out = np.repeat(a[..., None], 3, axis=-1)
        if image_size and image_size != out.shape[1]:
            from .._validation import resize_images

            out = resize_images(out, int(image_size))
        return out

    labels = np.array([VIM1_ROIS.get(int(c), OTHER) for c in roi[keep]])[order]
    X_train = trn[:, keep][:, order].astype(np.float32)
    X_test = val[:, keep][:, order].astype(np.float32)
    return Subject(
        description=("vim-1 (Kay, Naselaris, Prenger & Gallant 2008, Nature 452:352; CRCNS): "
                     "two subjects saw 1750 training and 120 validation greyscale natural "
                     "images; per-voxel response estimates (EstimatedResponses.mat) and the "
                     "stimuli (Stimuli.mat). From CRCNS (crcns.org, data set vim-1), under its "
                     "terms of use; cite Kay et al. 2008."),
        X_train=X_train, X_test=X_test, X_test_trials=X_test[:, None, :],
        images_train=rgb(trn_img), images_test=rgb(val_img),
        stimulus_train=np.array([f"trn_{i:04d}" for i in range(len(X_train))]),
        stimulus_test=np.array([f"val_{i:04d}" for i in range(len(X_test))]),
        roi=labels,
        roi_masks={name: labels == name for name in VIM1_ROIS.values() if name != OTHER},
        voxel_index=flat_c[order], mask_img=mask_img, n_nan_voxels=int(bad.sum()),
        meta={"dataset": "vim-1 (Kay et al. 2008)", "subject": s, "n_voxels": int(keep.sum()),
              "fmri_units": "estimated responses (beta weights) as published",
              "n_nan_voxels": int(bad.sum()), "grid": VIM1_GRID,
              "test": "responses averaged over 13 repeats (as published)"},
    )
