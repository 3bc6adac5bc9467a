"""Generic Object Decoding (OpenNeuro ds001246) from BIDS: raw or preprocessed BOLD to samples."""
import numbers
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._docs import fill_doc
from .._version import __version__
from .._validation import check_number, resize_images
from ._bids_files import bids_layout, load_nifti, nifti_data, sidecar_tr
from ._god_rois import resolve_roi, voxel_labels
from ._subject import FMRI_UNITS, Subject
from .._rois import COMPOSITES, DEFAULT_ROIS, ROIS
from ._god_samples import read_events, run_samples

#: (split, session prefix, task) of the three kinds of GOD runs.
SPLITS = (("train", "perceptionTraining", "perception"),
          ("test", "perceptionTest", "perception"),
          ("imagery", "imageryTest", "imagery"))
SOURCES = ("preproc-spm", "raw")
#: Bumped whenever the sample construction changes: part of the cache key.
SAMPLES_VERSION = 2
IMAGE_EXTENSIONS = (".JPEG", ".jpeg", ".jpg", ".JPG", ".png", ".PNG", ".bmp", ".tif", ".tiff")


def _subject_label(subject, layout):
    if isinstance(subject, (bool, np.bool_)) or not isinstance(
            subject, (str, int, np.integer)):
        raise TypeError(f"subject must be a label like '01', 'sub-01' or an int; got "
                        f"{subject!r}.")
    known = sorted(layout.get_subjects())
    label = str(subject).removeprefix("sub-")
    if isinstance(subject, (int, np.integer)) or (label.isdigit() and label not in known):
        label = f"{int(label):02d}"
    if label not in known:
        raise ValueError(f"subject={subject!r}: no 'sub-{label}' in {layout.root}; subjects "
                         f"found: {known or 'none'}.")
    return label


def _cached_run(cache, where, bold_path, events_path, mask, affine, tr, task, shift):
    """``(samples, rows, problem)`` of one run: from the cache folder ``cache`` when it
    holds a sound entry for exactly these inputs (the whole content of both files, the
    mask, the settings, the code version, the run's place), else computed (and stored).
    ``problem`` says why an entry present was not used (None otherwise): the caller warns,
    as a worker process's warnings would be lost."""
    if cache is None:
        return (*_process_run(bold_path, events_path, mask, affine, tr, task, shift), None)
    from ._cache import Cache, array_sha256, file_sha256

    store = Cache(cache, "god-run-samples")
    inputs = {"neurodecode": __version__, "samples_version": SAMPLES_VERSION, **where,
              "bold_sha256": file_sha256(bold_path), "events_sha256": file_sha256(events_path),
              "mask_sha256": array_sha256(np.asarray(mask, bool)),
              "affine": np.round(np.asarray(affine, np.float64), 6).tolist(),
              "tr": None if tr is None else float(tr), "task": task, "shift": int(shift)}
    arrays, table, problem = store.get(inputs)
    if arrays is not None:
        return arrays["samples"], table, None
    samples, rows = _process_run(bold_path, events_path, mask, affine, tr, task, shift)
    store.put(inputs, {"samples": samples}, rows)
    return samples, rows, problem


def _process_run(bold_path, events_path, mask, affine, tr, task, shift):
    """Samples of one run and the events rows of its blocks."""
    img = load_nifti(bold_path, "BOLD run")
    if img.ndim != 4 or img.shape[3] < 1:
        raise ValueError(f"{bold_path}: a BOLD run must be 4D with at least one volume; got "
                         f"shape {img.shape}.")
    if img.shape[:3] != mask.shape or not np.allclose(img.affine, affine, atol=1e-3):
        raise ValueError(f"{bold_path}: grid {img.shape[:3]} (affine "
                         f"{np.round(img.affine, 3).tolist()}) differs from the ROI masks' "
                         f"{mask.shape} (affine {np.round(affine, 3).tolist()}); every run "
                         "and mask must share one grid.")
    header_tr = float(img.header.get_zooms()[3])
    time_unit = img.header.get_xyzt_units()[1]
    header_tr /= {"msec": 1e3, "usec": 1e6}.get(time_unit, 1.0)  # NIfTI: seconds by default
    if tr is None:
        if not (np.isfinite(header_tr) and header_tr > 0):
            raise ValueError(f"{bold_path}: no repetition time: the NIfTI header gives "
                             f"{header_tr:g} s and no JSON sidecar gives RepetitionTime; add "
                             "it to the run's sidecar (GOD: 3).")
        tr = header_tr
    elif header_tr > 0 and abs(header_tr - tr) > 1e-3 and header_tr != 1.0:
        raise ValueError(f"{bold_path}: repetition time {header_tr:g} s in the NIfTI header "
                         f"but {tr:g} s in the JSON sidecar; fix the sidecar or the header.")
    data = nifti_data(img, bold_path)[mask].T  # (n_volumes, n_voxels), C order of the mask
    bad = ~np.isfinite(data).all(axis=0)
    if bad.any():
        ijk = np.argwhere(mask)[np.flatnonzero(bad)[:3]].tolist()
        raise ValueError(f"{bold_path}: {int(bad.sum())} voxel(s) inside the ROI mask have "
                         f"NaN or infinite values (first at voxel indices {ijk}); exclude "
                         "them from the mask or repair the run.")
    flat = np.ptp(data, axis=0) == 0
    if flat.any():
        ijk = np.argwhere(mask)[np.flatnonzero(flat)[:3]].tolist()
        raise ValueError(f"{bold_path}: {int(flat.sum())} voxel(s) inside the ROI mask are "
                         f"constant over the run (first at voxel indices {ijk}): no signal, "
                         "and z-scoring would turn their rounding errors into unit-variance "
                         "noise; exclude them from the mask or repair the run.")
    events = read_events(events_path, task)
    samples, rows = run_samples(data, events, tr, task=task, shift=shift,
                                path=f"{events_path} (BOLD: {Path(bold_path).name})")
    from ._cache import canonical_table

    return samples, canonical_table(rows)  # as a cache entry restores it


def _runs(layout, raw, subject, session_type, task, source):
    suffix = "bold_preproc" if source == "preproc-spm" else "bold"
    files = layout.get(subject=subject, session_type=session_type, task=task, suffix=suffix,
                       extension=[".nii.gz", ".nii"])
    by_run = {}
    for f in files:
        ent = f.get_entities()
        if "run" not in ent or "session" not in ent:
            raise ValueError(f"{f.path}: a BOLD file without a "
                             f"{'run' if 'run' not in ent else 'ses'}- entity; GOD names "
                             f"every run sub-<label>_ses-<label>_task-{task}_run-<index>_"
                             f"{suffix}.nii.gz (rename it, and its events.tsv).")
        by_run.setdefault((ent["session"], int(ent["run"])), []).append(f.path)
    runs = []
    for (session, run), paths in sorted(by_run.items()):
        if len(paths) > 1:
            raise ValueError(f"sub-{subject} ses-{session} task-{task} run-{run:02d}: "
                             f"{len(paths)} BOLD files ({sorted(paths)}); keep one per run.")
        ev = raw.get(subject=subject, session=session, task=task, run=run,
                     suffix="events", extension=".tsv")
        if not ev:
            raise FileNotFoundError(
                f"{paths[0]}: no events.tsv for sub-{subject} ses-{session} task-{task} "
                f"run-{run:02d} in {raw.root}.")
        if len(ev) > 1:
            raise ValueError(f"sub-{subject} ses-{session} task-{task} run-{run:02d}: "
                             f"{len(ev)} events files ({sorted(e.path for e in ev)}).")
        runs.append({"session": session, "run": run, "bold": paths[0],
                     "events": ev[0].path})
    events = raw.get(subject=subject, session_type=session_type, task=task, suffix="events",
                     extension=".tsv")
    orphans = sorted({(e.get_entities().get("session"), e.get_entities().get("run"))
                      for e in events} - set(by_run))
    if orphans:
        warnings.warn(f"sub-{subject}: {len(orphans)} {session_type} run(s) have events but no "
                      f"{suffix} file in source={source!r} (first: "
                      f"{[f'ses-{s} run-{r}' for s, r in orphans[:5]]}); they are left out.",
                      stacklevel=3)
    return runs


def _mask_volume(path, grid_img):
    img = load_nifti(path, "ROI mask")
    if img.shape[:3] != grid_img.shape[:3] or not np.allclose(img.affine, grid_img.affine,
                                                              atol=1e-3):
        raise ValueError(f"{path}: mask grid {img.shape[:3]} (affine "
                         f"{np.round(img.affine, 3).tolist()}) differs from the BOLD grid "
                         f"{grid_img.shape[:3]} (affine "
                         f"{np.round(grid_img.affine, 3).tolist()}); resample the mask to "
                         "the BOLD grid (e.g. nilearn.image.resample_to_img).")
    data = nifti_data(img, path, dtype=np.float64)
    if data.ndim == 4 and data.shape[3] == 1:  # (x, y, z, 1), as some tools write masks
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"{path}: a mask must be a 3D volume; got shape {data.shape}.")
    if not np.isfinite(data).all():
        raise ValueError(f"{path}: the mask has NaN or infinite values; a mask holds 0 "
                         "(outside) and 1 (inside).")
    if not np.array_equal(data, np.round(data)):
        raise ValueError(f"{path}: the mask has non-integer values (a probabilistic map?); "
                         "threshold it into a binary mask first.")
    if (data < 0).any():
        raise ValueError(f"{path}: the mask has negative values ({int((data < 0).sum())} "
                         "voxels); a mask holds 0 (outside) and positive values (inside).")
    return data > 0


def _roi_volumes(raw, subject, parts, grid_img):
    """The requested mask files (strict), and every other mask file that loads (for the
    per-voxel labels; an unfetched or damaged one is skipped)."""
    available = raw.get(subject=subject, suffix="mask", extension=[".nii.gz", ".nii"])
    by_key, copies = {}, {}
    for f in available:
        key = (f.get_entities().get("hemisphere"), f.get_entities().get("roi"))
        copies.setdefault(key, []).append(f.path)
        by_key[key] = f.path
    twice = {key: sorted(paths) for key, paths in copies.items()
             if len(paths) > 1 and key in parts}
    if twice:
        key, paths = next(iter(twice.items()))
        raise ValueError(f"sub-{subject}: {len(paths)} mask files for {key[0]}_{key[1]} "
                         f"({paths}); keep one (GOD's are in sourcedata/sub-{subject}/anat/).")
    missing = [f"{h}_{r}" for h, r in parts if (h, r) not in by_key]
    if missing:
        raise FileNotFoundError(
            f"no mask file for {missing} of sub-{subject} in {Path(raw.root) / 'sourcedata'} "
            f"(expected sourcedata/sub-{subject}/anat/sub-{subject}_mask_<LH|RH>_<ROI>.nii.gz); "
            f"found: {sorted(f'{h}_{r}' for h, r in by_key) or 'none'}.")
    masks = {key: _mask_volume(by_key[key], grid_img) for key in parts}
    skipped = []
    for key, path in by_key.items():
        if key in masks or len(copies[key]) > 1:
            if key not in masks:
                skipped.append(f"{key[0]}_{key[1]}")
            continue
        try:
            masks[key] = _mask_volume(path, grid_img)
        except (FileNotFoundError, ValueError):
            skipped.append(f"{key[0]}_{key[1]}")
    return masks, sorted(skipped)


def _find_images(stimulus_dir, *name_lists):
    """Paths of the images named in each list (one scan of the folder), or an error
    counting the missing ones of the first incomplete list."""
    stimulus_dir = Path(stimulus_dir)
    if not stimulus_dir.is_dir():
        raise FileNotFoundError(f"stimulus_dir={str(stimulus_dir)!r} is not a folder.")
    import unicodedata

    def key(name):  # macOS writes file names decomposed (NFD), events hold NFC
        return unicodedata.normalize("NFC", str(name))

    found = {}
    for p in sorted(stimulus_dir.rglob("*")):
        if p.suffix in IMAGE_EXTENSIONS:
            found.setdefault(key(p.stem), []).append(p)
    name_lists = [[key(n) for n in names] for names in name_lists]
    wanted = {n for names in name_lists for n in names}
    twice = sorted(n for n in wanted if len(found.get(n, ())) > 1)
    if twice:
        raise ValueError(
            f"stimulus_dir={str(stimulus_dir)!r}: {len(twice)} stimulus name(s) match more than "
            f"one image file (first: {twice[0]!r}: {[str(p) for p in found[twice[0]]]}); "
            "keep one file per stimulus_name.")
    found = {n: paths[0] for n, paths in found.items()}
    for names in name_lists:
        missing = [n for n in names if n not in found]
        if missing:
            raise FileNotFoundError(
                f"stimulus_dir={str(stimulus_dir)!r}: {len(missing)} of {len(names)} stimulus "
                f"images are missing (first: {[str(n) for n in missing[:5]]}). Files are "
                "matched by stimulus_name (e.g. n01518878_10042.JPEG).")
    return [[found[n] for n in names] for names in name_lists]


def read_images(paths, image_size=None):
    """Read image files as float32 RGB in [0, 1], centre-cropped to squares and resized.

    The resize is the package's one (:func:`neurodecode.backend.resize`: bilinear,
    antialiased), the same the estimators apply to the images they are given.

    Parameters
    ----------
    paths : sequence of path-like
        Image files (any format Pillow reads).
    image_size : int or None, default=None
        Side of the returned squares; None keeps the files' size (they must all share
        one square size).

    Returns
    -------
    images : ndarray of shape (n, s, s, 3), float32
        RGB in [0, 1].

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from neurodecode.datasets import read_images
    >>> path = Path(tempfile.mkdtemp()) / "n01518878_10042.png"
    >>> Image.new("RGB", (40, 30), (255, 0, 0)).save(path)
    >>> images = read_images([path], image_size=16)
    >>> images.shape, round(float(images[0, 0, 0, 0]), 5)
    ((1, 16, 16, 3), 1.0)
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(f"paths must be a sequence of image files; got one path {paths!r} "
                        "(pass [path] for one image).")
    check_number(image_size, "image_size", numbers.Integral, low=1, allow_none=True)
    out, first = [], {}
    for p in paths:
        try:
            with Image.open(p) as im:
                im = ImageOps.exif_transpose(im)  # the orientation the camera recorded
                rgb = _rgb(im, p)
        except Image.DecompressionBombError as exc:
            raise ValueError(f"{p}: {exc} Raise PIL.Image.MAX_IMAGE_PIXELS if the file is "
                             "trusted, or downscale it.") from exc
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"{p}: cannot be read as an image ({exc}).") from exc
        out.append(_square(rgb, image_size))
        first.setdefault(out[-1].shape, p)
    if len(first) > 1:
        sizes = "; ".join(f"{s[0]} x {s[1]} (e.g. {p})" for s, p in list(first.items())[:3])
        raise ValueError(f"the images have different sizes: {sizes}; pass image_size to "
                         "resize them to one square size.")
    return np.stack(out) if out else np.zeros((0, image_size or 0, image_size or 0, 3),
                                              np.float32)


def _rgb(im, path):
    """An opened image as float32 RGB in [0, 1], by its mode: 16-bit grey by 65535 (not
    clipped at 255 as ``convert("RGB")`` would), every 8-bit mode (L, P, CMYK, YCbCr,
    RGBA, ...) through Pillow's RGB conversion."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        grey = np.asarray(im, dtype=np.float64)
        if grey.size and (grey.min() < 0 or grey.max() > 65535):
            raise ValueError(f"{path}: a 32-bit integer image (values {grey.min():g} to "
                             f"{grey.max():g}); save it with 8 or 16 bits per channel.")
        grey = (grey / 65535.0).astype(np.float32)
        return np.repeat(grey[..., None], 3, axis=-1)
    if im.mode == "F":
        raise ValueError(f"{path}: a floating-point image (mode F) has no defined range; save "
                         "it with 8 or 16 bits per channel.")
    return np.asarray(im.convert("RGB"), dtype=np.float32) / 255.0


def _square(rgb, image_size):
    """The centre square of an (H, W, 3) image, resized to ``image_size`` (the package's
    resize)."""
    h, w = rgb.shape[:2]
    side = min(w, h)
    top, left = (h - side) // 2, (w - side) // 2
    square = np.ascontiguousarray(rgb[top:top + side, left:left + side])[None]
    return resize_images(square, image_size or side)[0]


def _labels(rows):
    """The integer ``category_index`` of the sample rows (checked integers by
    ``check_blocks``; the column may hold text where other rows have it)."""
    if not len(rows):
        return np.zeros(0, int)
    return pd.to_numeric(rows["category_index"]).to_numpy().astype(int)


def _names(rows, column):
    """A text column of the sample rows, one entry per row: '' where the events give none
    (``n/a``, or no such column)."""
    if column not in rows:
        return np.full(len(rows), "", dtype=str) if len(rows) else np.zeros(0, str)
    return rows[column].fillna("").astype(str).to_numpy(dtype=str)


def _group_test(samples, rows):
    """(n_images, n_repeats, V) trials of the test images, images sorted by name."""
    names = rows["stimulus_name"].to_numpy(dtype=str)
    order = sorted(set(names))
    groups = [np.flatnonzero(names == n) for n in order]
    labels = _labels(rows)
    for n, g in zip(order, groups):
        if len(set(labels[g].tolist())) > 1:
            where = [[a, int(b), int(c)] for (a, b), c in zip(
                rows.iloc[g][["session", "run"]].to_numpy().tolist(), labels[g])]
            raise ValueError(
                f"test image {str(n)!r} has category_index {sorted(set(labels[g].tolist()))} "
                f"in different test runs (session, run, category_index: {where[:6]}); one "
                "image has one category: repair those events files.")
    counts = np.array([len(g) for g in groups])
    n_rep = int(counts.max())
    if (counts != n_rep).any():
        warnings.warn(f"test images have unequal repeat counts ({int(counts.min())}-{n_rep}); "
                      "missing repeats are NaN in X_test_trials and left out of X_test.",
                      stacklevel=3)
    trials = np.full((len(order), n_rep, samples.shape[1]), np.nan, np.float32)
    for i, g in enumerate(groups):
        trials[i, :len(g)] = samples[g]
    first = [g[0] for g in groups]
    return trials, rows.iloc[first].reset_index(drop=True), counts


@fill_doc
def load_god(bids_root, subject, *, source="preproc-spm", rois=DEFAULT_ROIS, stimulus_dir=None,
             image_size=None, shift=1, cache=None, n_jobs=1, verbose=1):
    """Load one subject of Generic Object Decoding (OpenNeuro ds001246) from its BIDS files.

    Builds the samples of Horikawa & Kamitani (2017) run by run (memory independent of the
    number of runs): linear detrend, percent signal change relative to the initial rest,
    a 1-volume shift for the haemodynamic delay, the mean of each 9 s block, one-back
    repeats left out, z-score per voxel per run. Training: one sample per image (1200);
    test: the 35 repeats of each of the 50 images and their mean; imagery: one sample per
    15 s imagery period. Sessions and runs are discovered (they differ between subjects).

    Parameters
    ----------
    bids_root : path-like
        The dataset root (``dataset_description.json``, ``sub-XX/``, ``sourcedata/``,
        ``derivatives/preproc-spm/output/``).
    subject : str or int
        ``"01"``, ``"sub-01"`` or ``1``.
    source : {"preproc-spm", "raw"}, default="preproc-spm"
        The authors' SPM-preprocessed runs (``derivatives/preproc-spm/output``) or the raw
        BOLD (no derivatives needed; no motion correction).
    rois : sequence of str, default=("VC",)
        The voxels kept: the union of these ROIs (see Notes).
    stimulus_dir : path-like or None, default=None
        Folder with the stimulus images, named by ``stimulus_name``
        (``n01518878_10042.JPEG``; searched recursively). None: no images returned.
    image_size : int or None, default=None
        Side of the returned images (centre-cropped, resized); None keeps the files' size.
    shift : int, default=1
        Volumes of haemodynamic delay.
    cache : str, path-like, joblib.Memory or None, default=None
        Folder of the cache of the per-run samples (a ``joblib.Memory`` stands for its
        folder). Entries hold arrays and JSON only (nothing in them can run code), each
        bound to its inputs by name and seal: the whole content of the run's BOLD and events
        files, the mask, the settings, the run and the neurodecode version; an entry that is
        damaged, foreign or stale is recomputed with a warning, never used.
    n_jobs : int, default=1
        Runs processed in parallel (joblib).
    %(verbose)s

    Returns
    -------
    data : Subject
        The subject contract's fields (:data:`~neurodecode.datasets.FIELDS`):
        ``X_train`` (n_train, V), ``stimulus_train`` (names), ``stimulus_id_train``,
        ``labels_train`` (category index); ``X_test`` (n_test, V, mean of the repeats),
        ``X_test_trials`` (n_test, n_repeats, V), ``stimulus_test``, ``stimulus_id_test``,
        ``labels_test``; ``X_imagery``, ``labels_imagery``, ``category_imagery`` (the
        events' ``category_name``, '' where they give none);
        ``images_train``/``images_test`` (with ``stimulus_dir``); ``roi`` (area of each
        voxel), ``roi_hemisphere``, ``roi_masks`` (per-voxel
        boolean, by ROI name, as the simulated subject), ``roi_imgs`` (NIfTI masks);
        ``masker`` (fitted :class:`nilearn.maskers.NiftiMasker`: per-voxel results back to
        NIfTI with ``masker.inverse_transform``); ``samples`` (a DataFrame: split,
        session, run, onset, stimulus of every sample); ``meta``.

    Notes
    -----
    ROI names: the mask files' ``V1d V1v V2d V2v V3d V3v hV4 LOC FFA PPA HVC``, and the
    composites ``V1 V2 V3`` (dorsal and ventral), ``V4`` (hV4), ``LVC`` (V1-V3) and ``VC``
    (LVC, V4 and HVC); both hemispheres unless prefixed ``LH_`` or ``RH_``; ``"+"`` joins
    names into one union (``"V1+FFA"``). Voxels are ordered as the mask volume (C order),
    as in :class:`nilearn.maskers.NiftiMasker`.

    Examples
    --------
    >>> from neurodecode.datasets import load_god
    >>> god = load_god("ds001246", "01", rois=("VC",))  # doctest: +SKIP
    >>> god.X_train.shape, god.X_test_trials.shape  # doctest: +SKIP
    ((1200, 4466), (50, 35, 4466))
    """
    import nibabel as nib
    from joblib import Memory, Parallel, delayed
    from .._validation import mask_masker
    from tqdm.auto import tqdm

    root = Path(bids_root)
    if not (root / "dataset_description.json").exists():
        raise FileNotFoundError(f"bids_root={str(bids_root)!r} is not a BIDS dataset root (no "
                                "dataset_description.json).")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}; got {source!r}.")
    if isinstance(shift, (bool, np.bool_)) or not isinstance(shift, (int, np.integer)) \
            or shift < 0:
        raise ValueError(f"shift must be an int >= 0 (volumes of haemodynamic delay); got "
                         f"{shift!r}.")
    check_number(image_size, "image_size", numbers.Integral, low=1, allow_none=True)
    if image_size is not None and stimulus_dir is None:
        raise ValueError(f"image_size={image_size!r} sizes the stimulus images, which are "
                         "read only with stimulus_dir; pass stimulus_dir too, or leave "
                         "image_size None.")
    check_number(n_jobs, "n_jobs", numbers.Integral)
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of processes, or negative as in "
                         "joblib (-1: all cores); got 0.")
    if isinstance(rois, str):
        rois = (rois,)
    if rois is None or len(rois) == 0:
        raise ValueError("rois must name at least one ROI, e.g. ('VC',).")
    parts = list(dict.fromkeys(p for r in rois for p in resolve_roi(r)))
    raw = bids_layout(root)
    label = _subject_label(subject, raw)
    layout = raw
    if source == "preproc-spm":
        deriv = root / "derivatives" / "preproc-spm" / "output"
        if not deriv.is_dir():
            raise FileNotFoundError(f"source='preproc-spm' but {deriv} does not exist; "
                                    "download the derivatives or pass source='raw'.")
        layout = bids_layout(deriv, derivative=True)
    runs = {split: _runs(layout, raw, label, st, task, source) for split, st, task in SPLITS}
    for split in ("train", "test"):
        if not runs[split]:
            sessions = sorted(layout.get_sessions(subject=label))
            raise FileNotFoundError(
                f"sub-{label}: no {split} runs (ses-{dict((s, t) for s, t, _ in SPLITS)[split]}"
                f"NN, source={source!r}) in {layout.root}; sessions found: {sessions or 'none'}.")
    grid_img = load_nifti(runs["train"][0]["bold"], "BOLD run")
    masks, skipped_masks = _roi_volumes(raw, label, parts, grid_img)
    keep = np.zeros(grid_img.shape[:3], bool)
    for key in parts:
        keep |= masks[key]
    if not keep.any():
        raise ValueError(f"rois={tuple(rois)}: the masks of sub-{label} select no voxel.")
    for name in rois:
        members = resolve_roi(name)
        if not any(masks[key].any() for key in members):
            raise ValueError(f"rois: {name!r} selects no voxel: every mask file of it is "
                             f"empty ({sorted(f'{h}_{r}' for h, r in members)} of sub-{label}"
                             f" in {Path(raw.root) / 'sourcedata'}); repair those masks or "
                             "drop the ROI from rois.")
    if isinstance(cache, Memory):  # a joblib.Memory of earlier versions: its folder
        cache = cache.location
    if cache is not None:
        cache = Path(cache).expanduser()

    jobs = []
    for split, _, task in SPLITS:
        for r in runs[split]:
            tr = sidecar_tr(root, r["bold"], task, raw_run=r["events"])
            where = {"subject": label, "session": r["session"], "run": int(r["run"]),
                     "bold": os.path.relpath(r["bold"], root),
                     "events": os.path.relpath(r["events"], root), "source": source}
            jobs.append((split, r, delayed(_cached_run)(
                cache, where, r["bold"], r["events"], keep, grid_img.affine, tr, task,
                int(shift))))
    results = Parallel(n_jobs=n_jobs, return_as="generator")(j[2] for j in jobs)
    collected = {"train": [], "test": [], "imagery": []}
    tables = []
    bar = tqdm(results, total=len(jobs), desc=f"sub-{label} runs", unit="run",
               disable=not verbose)
    for (split, r, _), (samples, rows, problem) in zip(jobs, bar):
        if problem:
            warnings.warn(f"cache: {problem}; sub-{label} ses-{r['session']} run-"
                          f"{int(r['run']):02d} was recomputed (and its entry rewritten).",
                          stacklevel=2)
        collected[split].append(samples)
        rows = rows.assign(split=split, session=r["session"], run=r["run"])
        tables.append(rows)
    table = pd.concat(tables, ignore_index=True)

    def split_rows(split):
        return table[table["split"] == split].reset_index(drop=True)

    X_train = np.concatenate(collected["train"])
    train_rows = split_rows("train")
    names = train_rows["stimulus_name"].astype(str)
    if names.duplicated().any():
        warnings.warn(f"sub-{label}: {int(names.duplicated().sum())} training sample(s) repeat "
                      f"an earlier training sample's image (first: "
                      f"{names[names.duplicated()].tolist()[:3]}); GOD shows each training "
                      "image once.", stacklevel=2)
    leak = sorted(set(names) & set(split_rows("test")["stimulus_name"].astype(str)))
    if leak:
        warnings.warn(f"sub-{label}: {len(leak)} test image(s) also appear in training runs "
                      f"(first: {leak[:3]}): test scores would be inflated.", stacklevel=2)
    test_samples = np.concatenate(collected["test"])
    trials, test_rows, counts = _group_test(test_samples, split_rows("test"))
    X_imagery = (np.concatenate(collected["imagery"]) if collected["imagery"]
                 else np.zeros((0, int(keep.sum())), np.float32))
    imagery_rows = split_rows("imagery")

    labels, hemisphere = voxel_labels(masks, keep)
    roi_imgs, roi_masks = {}, {}
    for name in dict.fromkeys(list(rois) + list(ROIS) + list(COMPOSITES)):
        try:
            members = resolve_roi(name)
        except ValueError:
            continue
        if not all(m in masks for m in members):
            continue
        vol = np.zeros(keep.shape, bool)
        for m in members:
            vol |= masks[m]
        if not (vol & keep).any():
            continue
        roi_imgs[name] = nib.Nifti1Image(vol.astype(np.uint8), grid_img.affine)
        roi_masks[name] = vol[keep]
    mask_img = nib.Nifti1Image(keep.astype(np.uint8), grid_img.affine)
    masker = mask_masker(mask_img).fit()

    def ids(rows):
        if "stimulus_id" not in rows:
            return np.full(len(rows), np.nan)
        return np.round(pd.to_numeric(rows["stimulus_id"], errors="coerce").to_numpy(), 6)

    from ._fetch import DESCRIPTION

    out = Subject(
        description=DESCRIPTION,
        X_train=X_train, stimulus_train=train_rows["stimulus_name"].to_numpy(dtype=str),
        stimulus_id_train=ids(train_rows),
        labels_train=_labels(train_rows),
        X_test=np.nanmean(trials, axis=1).astype(np.float32), X_test_trials=trials,
        stimulus_test=test_rows["stimulus_name"].to_numpy(dtype=str),
        stimulus_id_test=ids(test_rows),
        labels_test=_labels(test_rows),
        X_imagery=X_imagery,
        labels_imagery=_labels(imagery_rows),
        category_imagery=_names(imagery_rows, "category_name"),
        roi=labels, roi_hemisphere=hemisphere, roi_masks=roi_masks,
        roi_imgs=roi_imgs, masker=masker, samples=table,
        meta={"dataset": "GOD (OpenNeuro ds001246)", "subject": label, "source": source,
              "rois": list(rois), "n_voxels": int(keep.sum()), "shift_volumes": int(shift),
              "fmri_units": FMRI_UNITS,
              "n_runs": {k: len(v) for k, v in runs.items()},
              "sessions": sorted({r["session"] for v in runs.values() for r in v}),
              "n_test_repeats": counts.tolist(), "bids_root": str(root),
              "masks_skipped": skipped_masks},
    )
    if stimulus_dir is not None:
        train, test = _find_images(stimulus_dir, list(out.stimulus_train),
                                   list(out.stimulus_test))
        out.images_train = read_images(train, image_size)
        out.images_test = read_images(test, image_size)
    return out


def load_god_subjects(bids_root, subjects=None, **kwargs):
    """Load several GOD subjects, who saw the same images, each with their own voxels.

    Each subject is :func:`load_god`'s (with the same ``kwargs``); together they are
    checked by :func:`~neurodecode.datasets.check_subjects` (an image two subjects saw has
    one label). ds001246's five subjects each have their own voxel count.

    Parameters
    ----------
    bids_root : path-like
        The ds001246 root (e.g. ``fetch_god(subjects=[...]).root``).
    subjects : sequence of str or None, default=None
        Subject labels (``"01"``, ``"sub-02"``, 3); None loads every subject of the root.
    **kwargs
        Passed to :func:`load_god` for every subject (``rois``, ``stimulus_dir``,
        ``cache``, ...).

    Returns
    -------
    subjects : dict of str to Subject
        ``{"01": subject, "02": ...}``, in label order.

    Examples
    --------
    >>> from neurodecode.datasets import fetch_god, load_god_subjects
    >>> files = fetch_god(subjects=["01", "02"])  # doctest: +SKIP
    >>> god = load_god_subjects(files.root)  # doctest: +SKIP
    >>> {k: s.X_train.shape for k, s in god.items()}  # doctest: +SKIP
    {'01': (1200, 4466), '02': (1200, 4404)}
    """
    from ._subject import check_subjects

    root = Path(bids_root)
    if not (root / "dataset_description.json").exists():
        raise FileNotFoundError(f"bids_root={str(bids_root)!r} is not a BIDS dataset root (no "
                                "dataset_description.json).")
    if subjects is None:
        labels = sorted(bids_layout(root).get_subjects())
        if not labels:
            raise FileNotFoundError(f"bids_root={str(bids_root)!r}: no sub-<label> folders.")
    else:
        if isinstance(subjects, (str, int, np.integer)):
            subjects = [subjects]
        labels = list(subjects)
        if not labels:
            raise ValueError("subjects must name at least one subject, or be None (all).")
    out = {}
    for subject in labels:
        sub = load_god(root, subject, **kwargs)
        label = sub.meta["subject"]
        if label in out:
            raise ValueError(f"subjects: sub-{label} is named twice ({labels}).")
        out[label] = sub
    return check_subjects(dict(sorted(out.items())))
