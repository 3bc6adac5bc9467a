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
    """JSON sidecar as a dict (``{}`` when the file is absent); errors name the file.

    Parameters
    ----------
    path : path-like
        The sidecar.

    Returns
    -------
    meta : dict
        What the file holds (a JSON object: anything else is an error).
    """
    path = Path(path)
    if not path.exists():
        return {}
    check_fetched(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a JSON sidecar; remove or rename it.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc}); BIDS sidecars are UTF-8 JSON.") \
            from exc
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}).") from exc
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: a sidecar must hold a JSON object; got "
                         f"{type(meta).__name__}.")
    return meta


def sidecar_chain(root, bold_path, task, raw_run=None):
    """The JSON sidecars that apply to a BOLD run, from the most general to the most
    specific (BIDS inheritance: a later file overrides an earlier one).

    Parameters
    ----------
    root : path-like
        The raw dataset root.
    bold_path : path-like
        The run's BOLD file (raw, or a derivative).
    task : str
        The run's task.
    raw_run : path-like or None, default=None
        Any file of the raw run beside its BOLD (e.g. its events.tsv): its
        ``*_bold.json`` is in the chain, also for a derivative.

    Returns
    -------
    paths : list of Path
        ``task-<task>_bold.json`` at the root, the subject's and the session's
        ``*_task-<task>_bold.json``, the raw run's sidecar, the file's own sidecar (those
        that exist or not: absent files are skipped by the reader).

    Examples
    --------
    >>> from neurodecode.datasets._bids_files import sidecar_chain
    >>> [p.name for p in sidecar_chain("ds", "ds/sub-01/ses-a/func/"
    ...                                "sub-01_ses-a_task-x_run-01_bold.nii.gz", "x")]
    ['task-x_bold.json', 'sub-01_task-x_bold.json', 'sub-01_ses-a_task-x_bold.json', 'sub-01_ses-a_task-x_run-01_bold.json']
    """
    import re

    root, bold = Path(root), Path(bold_path)
    ents = dict(re.findall(r"(?:^|_)(sub|ses)-([A-Za-z0-9]+)", bold.name))
    chain = [root / f"task-{task}_bold.json"]
    if "sub" in ents:
        sub = f"sub-{ents['sub']}"
        chain.append(root / sub / f"{sub}_task-{task}_bold.json")
        if "ses" in ents:
            ses = f"ses-{ents['ses']}"
            chain.append(root / sub / ses / f"{sub}_{ses}_task-{task}_bold.json")
    if raw_run is not None:
        raw_run = Path(raw_run)
        stem = raw_run.name.rsplit("_", 1)[0]
        chain.append(raw_run.with_name(stem + "_bold.json"))
    for suffix in (".nii.gz", ".nii"):
        if bold.name.endswith(suffix):
            own = bold.with_name(bold.name[: -len(suffix)] + ".json")
            if own not in chain:
                chain.append(own)
    return chain


def sidecar_tr(root, bold_path, task, raw_run=None):
    """Repetition time of a run from its JSON sidecars, following BIDS inheritance (see
    :func:`sidecar_chain`: the most specific sidecar that gives it wins; ``null`` counts
    as not given).

    Parameters
    ----------
    root : path-like
        The raw dataset root.
    bold_path : path-like
        The run's BOLD file (raw or derivative).
    task : str
        The run's task.
    raw_run : path-like or None, default=None
        A file of the raw run beside its BOLD (its events.tsv), for a derivative.

    Returns
    -------
    tr : float or None
        Seconds; None when no sidecar gives it.
    """
    tr = where = None
    for path in sidecar_chain(root, bold_path, task, raw_run):
        meta = read_json(path)
        if meta.get("RepetitionTime") is not None:
            tr, where = meta["RepetitionTime"], path
    if tr is None:
        return None
    number = isinstance(tr, (int, float)) and not isinstance(tr, bool)
    try:
        value = float(tr) if number else np.nan
    except OverflowError:  # an integer beyond float range
        value = np.inf
    if not number or not np.isfinite(value) or value <= 0:
        shown = repr(tr) if len(repr(tr)) < 40 else repr(tr)[:20] + "..."
        raise ValueError(f"{where}: RepetitionTime is {shown}; BIDS wants a positive number "
                         "of seconds (GOD: 3).")
    return value
