"""GOD preprocessed by its authors: BData files (figshare ``Subject*.h5``; legacy ``.mat``).

A BData file holds one matrix ``dataset`` (n_samples x n_columns) and metadata rows
(``key``, ``description``, ``value`` of n_columns): a key marks the columns it describes
with 1 (``VoxelData``, ``ROI_V1``, ``DataType``) or gives per-column values
(``voxel_x``). Legacy files name them ``dataSet`` and ``metaData``.
"""
import warnings
from pathlib import Path

import numpy as np

from ._bids_files import check_fetched
from ._subject import Subject
from .._rois import ALIASES, BDATA_ROIS, DEFAULT_ROIS, GOD_LABEL_ORDER, OTHER, canonical_roi



def _decode(values):
    out = []
    for v in np.asarray(values).ravel():
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, np.ndarray):
            v = "".join(chr(int(c)) for c in v.ravel()) if v.dtype.kind in "iu" else str(v)
        out.append(str(v).strip())
    return out


def _read_h5(path):
    import h5py

    with h5py.File(path, "r") as f:
        data_key = "dataset" if "dataset" in f else "dataSet" if "dataSet" in f else None
        meta_key = "metadata" if "metadata" in f else "metaData" if "metaData" in f else None
        if data_key is None or meta_key is None:
            raise ValueError(f"{path}: not a BData file (no 'dataset'/'dataSet' and "
                             f"'metadata'/'metaData'); found {sorted(f.keys())}.")
        data = np.asarray(f[data_key])  # in its stored dtype (checked by the caller)
        meta = f[meta_key]
        keys = meta["key"]
        if keys.dtype.kind == "O" or keys.dtype.kind == "S":
            names = _decode(keys[()])
        else:  # MATLAB v7.3 cell array of char: object references
            names = ["".join(chr(int(c)) for c in np.asarray(f[ref]).ravel())
                     for ref in np.asarray(keys).ravel()]
        value = np.asarray(meta["value"], dtype=np.float64)
    return _orient(data, names, value)


def _orient(data, names, value):
    """Undo MATLAB v7.3's reversed dimensions: value is (keys, columns), data (samples,
    columns)."""
    if data.ndim != 2:
        raise ValueError(f"the dataset must be a 2D matrix (samples x columns); got shape "
                         f"{data.shape}")
    value = np.atleast_2d(value)
    if value.shape[0] != len(names) and value.shape[1] == len(names):
        value = value.T
    if data.shape[1] != value.shape[1] and data.shape[0] == value.shape[1]:
        data = data.T
    return data, names, value


def _read_mat(path):
    import h5py
    from scipy.io import loadmat

    if h5py.is_hdf5(path):  # MATLAB v7.3 files are HDF5; scipy reads v5 only
        return _read_h5(path)
    mat = loadmat(path, squeeze_me=True, struct_as_record=False)
    if "dataSet" not in mat or "metaData" not in mat:
        raise ValueError(f"{path}: not a BData .mat file (no 'dataSet' and 'metaData'); "
                         f"found {sorted(k for k in mat if not k.startswith('__'))}.")
    meta = mat["metaData"]
    names = [str(k) for k in np.atleast_1d(meta.key)]
    return _orient(np.asarray(mat["dataSet"]), names,
                   np.asarray(meta.value, np.float64))


def load_god_bdata(path, *, rois=DEFAULT_ROIS):
    """Load a GOD subject from the authors' preprocessed BData file (.h5 or legacy .mat).

    Parameters
    ----------
    path : path-like
        ``Subject1.h5`` ... ``Subject5.h5`` (figshare, bdpy format) or a legacy ``.mat``
        with ``dataSet``/``metaData``.
    rois : sequence of str, default=("VC",)
        Voxels kept: the union of these ROI columns (``V1 V2 V3 V4 LOC FFA PPA LVC HVC
        VC``; ``hV4`` is accepted for the file's ``V4``).

    Returns
    -------
    data : Subject
        The subject contract's fields (:data:`~neurodecode.datasets.FIELDS`), as
        :func:`load_god` gives them: ``X_train``, ``stimulus_id_train``,
        ``labels_train`` (the ImageNet synset number, the integer part of the stimulus
        id); ``X_test`` (mean of the repeats), ``X_test_trials`` (n_test, n_repeats, V),
        ``stimulus_id_test``, ``labels_test``; ``X_imagery``, ``labels_imagery``; ``roi``
        (the file's ``V4`` labelled ``hV4``, as by every loader), ``roi_masks`` (per-voxel
        boolean),
        ``voxel_xyz`` (mm), ``samples`` (run and block of each sample), ``meta``.
        Stimulus names are not in BData files: ``stimulus_train`` are the ids formatted as
        ``n<8-digit synset>_<image number>``.

    Examples
    --------
    >>> from neurodecode.datasets import load_god_bdata
    >>> god = load_god_bdata("Subject1.h5")  # doctest: +SKIP
    >>> god.X_train.shape, god.X_test_trials.shape  # doctest: +SKIP
    ((1200, 4466), (50, 35, 4466))
    """
    import pandas as pd

    path = Path(path)
    check_fetched(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; pass one BData file (e.g. Subject1.h5).")
    try:
        data, names, value = (_read_mat(path) if path.suffix == ".mat" else _read_h5(path))
    except Exception as exc:  # h5py and scipy.io raise many types for a damaged file
        if isinstance(exc, ValueError) and str(exc).startswith(str(path)):  # our own
            raise
        raise ValueError(f"{path}: cannot read it as a BData file ({exc}).") from exc
    if data.dtype.kind not in "fiub":
        raise ValueError(f"{path}: the dataset holds {data.dtype} values, not numbers.")
    stored = data.dtype
    data = data.astype(np.float64)
    if value.shape != (len(names), data.shape[1]):
        raise ValueError(f"{path}: metadata value has shape {value.shape}, expected "
                         f"({len(names)}, {data.shape[1]}) (keys x columns).")
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{path}: the metadata key {name!r} appears more than once; a "
                             "BData file names each key once (which row would be meant?).")
        seen.add(name)
    meta = dict(zip(names, value))

    def column(*keys):
        for key in keys:
            if key in meta:
                cols = np.flatnonzero(meta[key] == 1)
                if len(cols) == 1:
                    return data[:, cols[0]], key
        raise ValueError(f"{path}: no single column for {' or '.join(keys)}; keys: {names}.")

    def columns(key):
        if key not in meta:
            raise ValueError(f"{path}: no metadata key {key!r}; keys: {names}.")
        return meta[key] == 1

    datatype, _ = column("DataType")
    other = ~np.isin(datatype, (1, 2, 3))
    if other.any():
        found = sorted({str(v) for v in np.unique(datatype[other])})
        raise ValueError(f"{path}: {int(other.sum())} sample(s) (first: row "
                         f"{int(np.flatnonzero(other)[0])}) have DataType {found}; GOD's are 1 "
                         "(training), 2 (test) and 3 (imagery). Remove the other rows first.")
    stim, id_key = column("stimulus_id", "Label")
    if stored.kind == "f" and stored.itemsize < 8:
        raise ValueError(f"{path}: the dataset is stored as {stored}, which cannot hold GOD's "
                         f"{id_key} values (synset id + image number / 1e6, e.g. "
                         "1518878.010042): the images of one category would merge into one. "
                         "Use the file as published (float64), or rewrite it in float64 "
                         "from the source.")
    if not np.isfinite(stim).all():
        raise ValueError(f"{path}: {int((~np.isfinite(stim)).sum())} sample(s) have no "
                         f"{id_key} (NaN or infinite; first: row "
                         f"{int(np.flatnonzero(~np.isfinite(stim))[0])}).")
    voxel = columns("VoxelData")
    if isinstance(rois, str):
        rois = (rois,)
    if rois is None or len(rois) == 0:
        raise ValueError("rois must name at least one ROI, e.g. ('VC',).")
    keep = np.zeros(data.shape[1], bool)
    # the package's names are accepted for the file's spellings ("hV4" for ROI_V4)
    rois = [next((a for a, c in ALIASES.items() if c == r and f"ROI_{a}" in meta), r)
            for r in rois]
    for r in rois:
        if f"ROI_{r}" not in meta:
            known = [n[4:] for n in names if n.startswith("ROI_")]
            raise ValueError(f"rois: unknown ROI {r!r} in {path}; known: {known}.")
        keep |= columns(f"ROI_{r}")
    keep &= voxel
    if not keep.any():
        raise ValueError(f"rois={tuple(rois)}: no voxel of {path} is in them (the ROI columns "
                         "mark no VoxelData column).")
    X = data[:, keep].astype(np.float32)
    bad = ~np.isfinite(X)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise ValueError(f"{path}: {int(bad.sum())} NaN or infinite value(s) in the voxels "
                         f"selected (first: sample {int(rows[0])}, voxel {int(cols[0])}); "
                         "exclude those voxels (rois) or repair the file.")
    run = column("Run")[0] if "Run" in meta else np.full(len(data), np.nan)
    block = column("Block")[0] if "Block" in meta else np.full(len(data), np.nan)
    stim = np.round(stim, 6)

    train, test, imagery = datatype == 1, datatype == 2, datatype == 3
    for mask, what in ((train, "training (DataType 1)"), (test, "test (DataType 2)")):
        if not mask.any():
            raise ValueError(f"{path}: no {what} samples; a GOD subject's BData file holds "
                             "both (is it one of several files of a subject?).")
    test_ids = np.unique(stim[test])
    groups = [np.flatnonzero(test & (stim == s)) for s in test_ids]
    n_rep = max((len(g) for g in groups), default=0)
    trials = np.full((len(test_ids), n_rep, X.shape[1]), np.nan, np.float32)
    for i, g in enumerate(groups):
        trials[i, :len(g)] = X[g]
    if any(len(g) != n_rep for g in groups):
        warnings.warn("test images have unequal repeat counts; missing repeats are NaN.",
                      stacklevel=2)
    labels, roi_masks = np.full(int(keep.sum()), OTHER, object), {}
    for r in BDATA_ROIS:
        if f"ROI_{r}" in meta:
            roi_masks[canonical_roi(r)] = columns(f"ROI_{r}")[keep]
    for r in reversed(GOD_LABEL_ORDER):  # the most specific label last, so that it wins
        if r in roi_masks:
            labels[roi_masks[r]] = r
    xyz = np.stack([meta[k][keep] if k in meta else np.full(int(keep.sum()), np.nan)
                    for k in ("voxel_x", "voxel_y", "voxel_z")], axis=1)

    def names_of(ids):
        return np.array([f"n{int(s):08d}_{int(round((s - int(s)) * 1e6))}" for s in ids])

    labels = labels.astype(str)
    from ._fetch import DESCRIPTION

    return Subject(
        description=DESCRIPTION.replace(
            "OpenNeuro ds001246.", "from the authors' preprocessed BData file (figshare); "
            "the BIDS version is OpenNeuro ds001246.", 1),
        X_train=X[train], stimulus_id_train=stim[train], stimulus_train=names_of(stim[train]),
        labels_train=np.floor(stim[train]).astype(int),
        X_test=np.nanmean(trials, axis=1).astype(np.float32) if len(test_ids) else X[:0],
        X_test_trials=trials,
        stimulus_id_test=test_ids, stimulus_test=names_of(test_ids),
        labels_test=np.floor(test_ids).astype(int),
        X_imagery=X[imagery], labels_imagery=np.floor(stim[imagery]).astype(int),
        roi=labels, roi_masks=roi_masks, voxel_xyz=xyz,
        samples=pd.DataFrame({"split": np.select([train, test, imagery],
                                                 ["train", "test", "imagery"], "other"),
                              "run": run, "block": block, "stimulus_id": stim}),
        meta={"dataset": "GOD (BData)", "path": str(path), "rois": list(rois),
              "fmri_units": "as stored in the BData file",
              "n_voxels": int(keep.sum()), "stimulus_key": id_key,
              "n_test_repeats": [len(g) for g in groups]},
    )
