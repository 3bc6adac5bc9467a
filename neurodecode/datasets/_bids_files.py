"""Finding and opening the files of a BIDS dataset, with errors that say what to do.

pybids indexes the dataset with neurodecode's configuration (``bids_specs/``, shipped as
``neurodecode.bids_specs``); NIfTI files are opened with nibabel after checks for the usual
ways a download goes wrong (DataLad/git-annex placeholders, truncated gzip files).
"""
import gzip
import json
import os
import zlib
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np

#: Folders pybids must not index (``sourcedata`` holds the GOD ROI masks: indexed).
IGNORED = (".git", ".datalad", "code", "stimuli", "derivatives")


@contextmanager
def bids_config(name="god.json"):
    """Path of a pybids configuration of ``bids_specs/`` (works from an installed wheel).

    Parameters
    ----------
    name : str, default="god.json"
        File name in ``bids_specs/``.

    Yields
    ------
    path : pathlib.Path
        A real file path for pybids.
    """
    with as_file(files("neurodecode.bids_specs") / name) as path:
        yield Path(path)


def bids_layout(root, derivative=False):
    """Index ``root`` with pybids and neurodecode's GOD configuration.

    Parameters
    ----------
    root : path-like
        A dataset root (with ``dataset_description.json``), or with ``derivative`` a
        derivative folder (no ``dataset_description.json`` needed).
    derivative : bool, default=False
        Index ``root`` as a derivative dataset.

    Returns
    -------
    layout : bids.BIDSLayout
    """
    from bids import BIDSLayout
    from bids.layout import BIDSLayoutIndexer

    with bids_config() as config:
        indexer = BIDSLayoutIndexer(validate=False, index_metadata=False,
                                    ignore=[i for i in IGNORED if not derivative or
                                            i != "derivatives"])
        return BIDSLayout(str(root), validate=False, is_derivative=derivative,
                          config=[str(config)], indexer=indexer)


def check_fetched(path):
    """Refuse a DataLad/git-annex placeholder (broken symlink or pointer file).

    Parameters
    ----------
    path : path-like
        A data file.

    Raises
    ------
    FileNotFoundError
        When the content was never downloaded ("run `datalad get <path>`") or the file
        does not exist.
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        target = os.readlink(path)
        if "annex" in target:
            raise FileNotFoundError(
                f"{path} is a DataLad/git-annex placeholder whose content was not downloaded; "
                f"run `datalad get {path}` (or `datalad get -r <dataset>`) first.")
        raise FileNotFoundError(f"{path} is a broken symbolic link (to {target}).")
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    if path.stat().st_size < 1024:
        with open(path, "rb") as f:
            head = f.read(200)
        if b"annex/objects" in head or head.startswith(b"/annex/"):
            raise FileNotFoundError(
                f"{path} is a git-annex pointer file, not data; run `datalad get {path}`.")


def load_nifti(path, what="image"):
    """nibabel image of ``path``, after :func:`check_fetched`; errors name the file.

    Parameters
    ----------
    path : path-like
        A .nii or .nii.gz file.
    what : str, default="image"
        Named in errors.

    Returns
    -------
    img : nibabel.Nifti1Image
        Header read, data not loaded.
    """
    import nibabel as nib

    check_fetched(path)
    try:
        return nib.load(str(path))
    except Exception as exc:  # nibabel raises several types for damaged headers
        raise ValueError(f"{path}: cannot read this {what} as NIfTI ({exc}). Is the file "
                         "damaged or only partly downloaded?") from exc


def nifti_data(img, path, dtype=np.float32):
    """The voxel array of ``img``; a truncated or corrupt file raises a ValueError naming it.

    Parameters
    ----------
    img : nibabel.Nifti1Image
        From :func:`load_nifti`.
    path : path-like
        Named in errors.
    dtype : dtype, default=float32
        Of the returned array.

    Returns
    -------
    data : ndarray
    """
    if np.dtype(img.get_data_dtype()).kind not in "biuf":
        raise ValueError(f"{path}: the voxels are stored as {img.get_data_dtype()}, not real "
                         "numbers; neurodecode reads real-valued (integer or float) NIfTI "
                         "files: convert the image (e.g. its magnitude) first.")
    try:
        return np.asanyarray(img.dataobj).astype(dtype, copy=False)
    except (EOFError, OSError, zlib.error, gzip.BadGzipFile, ValueError) as exc:
        raise ValueError(f"{path}: the file is truncated or corrupt ({type(exc).__name__}: "
                         f"{exc}); download it again.") from exc


def read_json(path):
    """JSON sidecar as a dict (``{}`` when the file is absent).

    Parameters
    ----------
    path : path-like
        The sidecar.

    Returns
    -------
    meta : dict
    """
    path = Path(path)
    if not path.exists():
        return {}
    check_fetched(path)
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}).") from exc


def sidecar_tr(root, bold_path, task):
    """Repetition time of a run from its JSON sidecars (BIDS inheritance: the run's own
    sidecar overrides the top-level ``task-<task>_bold.json``).

    Parameters
    ----------
    root : path-like
        The raw dataset root.
    bold_path : path-like
        The run's BOLD file (raw or derivative).
    task : str
        The run's task.

    Returns
    -------
    tr : float or None
        Seconds; None when no sidecar gives it.
    """
    top = Path(root) / f"task-{task}_bold.json"
    meta = read_json(top)
    if not isinstance(meta, dict):
        raise ValueError(f"{top}: a sidecar must hold a JSON object; got {type(meta).__name__}.")
    tr, where = meta.get("RepetitionTime"), top
    name = Path(bold_path).name
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix):
            own = Path(bold_path).with_name(name[: -len(suffix)] + ".json")
            meta = read_json(own)
            if not isinstance(meta, dict):
                raise ValueError(f"{own}: a sidecar must hold a JSON object; got "
                                 f"{type(meta).__name__}.")
            if "RepetitionTime" in meta:
                tr, where = meta["RepetitionTime"], own
    if tr is None:
        return None
    if isinstance(tr, bool) or not isinstance(tr, (int, float)) or not np.isfinite(tr) \
            or tr <= 0:
        raise ValueError(f"{where}: RepetitionTime is {tr!r}; BIDS wants a positive number of "
                         "seconds (GOD: 3).")
    return float(tr)
