"""The simulated subject written as a GOD-layout BIDS dataset (4D BOLD, events, ROI masks)."""
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._docs import fill_doc
from .._rois import COMPOSITES, EARLY_AREAS, GOD_MASK_ROIS, ROIS
from ._synthetic import make_synthetic_subject

TR = 3.0
VOLUME_NOISE = 1.5  # percent of baseline, per volume (white)
_DT = 0.1  # s, resolution of the HRF convolution
_SESSION_SIZES = {"perceptionTraining": 8, "perceptionTest": 10, "imageryTest": 8}
_DEFAULT_RUNS = {"perceptionTraining": 24, "perceptionTest": 35, "imageryTest": 20}
_RUN_RE = re.compile(r"sub-(?P<sub>[a-zA-Z0-9]+)_ses-(?P<ses>[a-zA-Z0-9]+)_task-(?P<task>[a-z]+)"
                     r"_run-(?P<run>\d+)_events\.tsv$")
PERCEPTION_HEADER = ["onset", "duration", "trial_no", "event_type", "stimulus_id",
                     "stimulus_name", "category_index", "image_index", "response_time"]
IMAGERY_HEADER = ["onset", "duration", "trial_no", "event_type", "category_id",
                  "category_name", "category_index", "response_time", "evaluation"]


def _session_type(session):
    return re.sub(r"\d+$", "", session)


def _real_runs(events_from, subject):
    """[(session, task, run, DataFrame, text)] of one subject of a ds001246-like root."""
    base = Path(events_from) / f"sub-{subject}"
    if not base.is_dir():
        found = sorted(p.name for p in Path(events_from).glob("sub-*"))
        raise FileNotFoundError(f"events_from={str(events_from)!r} has no sub-{subject}; "
                                f"subjects: {found or 'none'}.")
    runs = []
    for path in sorted(base.glob("ses-*/func/*_events.tsv")):
        m = _RUN_RE.search(path.name)
        if m is None:
            continue
        text = path.read_text()
        df = pd.read_csv(path, sep="\t", na_values="n/a", keep_default_na=False,
                         dtype={"stimulus_name": str, "category_name": str})
        runs.append((m["ses"], m["task"], int(m["run"]), df, text))
    if not runs:
        raise FileNotFoundError(f"no events.tsv under {base}/ses-*/func/.")
    return runs


def _fmt(x):
    return "n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)


def _tsv_text(df):
    lines = ["\t".join(df.columns)]
    for row in df.itertuples(index=False):
        lines.append("\t".join(_fmt(v) for v in row))
    return "\n".join(lines) + "\n"


def _generated_runs(n_runs, train_names, n_train_per_class, n_test, rng):
    """GOD-format events for the simulated stimuli (when no real events drive the runs)."""
    train_cat = [i // n_train_per_class + 1 for i in range(len(train_names))]
    test_names = [f"n{80000000 + c:08d}_{1}" for c in range(n_test)]
    runs = []

    def perception(names, cats, image_index):
        order = rng.permutation(len(names))
        repeats = set(rng.choice(len(order), size=min(5, len(order)), replace=False).tolist())
        rows = [(0.0, 33.0, 1, "rest", None, None, None, None, None)]
        t = 33.0
        for pos, j in enumerate(order):
            for rep in ((0, 1) if pos in repeats else (0,)):
                sid = float(names[j][1:].replace("_", "."))
                rows.append((t, 9.0, len(rows) + 1, "stimulus", f"{sid:.6f}", names[j],
                             cats[j], image_index[j], round(t + 1.5, 6) if rep else None))
                t += 9.0
        rows.append((t, 6.0, len(rows) + 1, "rest", None, None, None, None, None))
        return pd.DataFrame(rows, columns=PERCEPTION_HEADER)

    def imagery(n_cat):
        rows = [(0.0, 33.0, 1, "rest", None, None, None, None, None)]
        t = 33.0
        for trial, c in enumerate(rng.permutation(n_cat)[:25]):
            cid = 80000000 + int(c)
            for kind, dur in (("cue", 3.0), ("imagery", 15.0), ("evaluation", 3.0),
                              ("inter_rest", 3.0)):
                rows.append((t, dur, trial + 2, kind, cid, f"n{cid:08d}", int(c) + 1,
                             None, 4.0))
                t += dur
        rows.append((t, 6.0, len(rows) + 1, "rest", None, None, None, None, None))
        return pd.DataFrame(rows, columns=IMAGERY_HEADER)

    per_run = -(-len(train_names) // max(n_runs["perceptionTraining"], 1))
    chunks = [np.arange(len(train_names))[i * per_run:(i + 1) * per_run]
              for i in range(n_runs["perceptionTraining"])]
    for kind, task in (("perceptionTraining", "perception"), ("perceptionTest", "perception"),
                       ("imageryTest", "imagery")):
        size = _SESSION_SIZES[kind]
        for k in range(n_runs[kind]):
            session, run = f"{kind}{k // size + 1:02d}", k % size + 1
            if kind == "perceptionTraining":
                idx = chunks[k]
                df = perception([train_names[i] for i in idx], [train_cat[i] for i in idx],
                                [int(i) + 1 for i in idx])
            elif kind == "perceptionTest":
                df = perception(test_names, list(range(1, n_test + 1)),
                                list(range(1, n_test + 1)))
            else:
                df = imagery(n_test)
            runs.append((session, task, run, df, None))
    return runs


def _hrf():
    from nilearn.glm.first_level.hemodynamic_models import spm_hrf

    return spm_hrf(_DT, 1, time_length=32.0)


def _block_gain(hrf, shift=1):
    """Mean of the shifted, mid-volume-sampled BOLD over a 9 s block of unit amplitude."""
    t_end = 33 + 9 + 30
    neural = np.zeros(int(t_end / _DT))
    neural[int(33 / _DT):int(42 / _DT)] = 1.0
    bold = np.convolve(neural, hrf)[:len(neural)]
    vols = (np.arange(11, 14) + shift + 0.5) * TR
    return float(bold[(vols / _DT).astype(int)].mean())


def _place_voxels(grid, roi, rng):
    """Voxel coordinates (i, j, k) of the ROI voxels in the posterior, in-brain part of the
    grid; left hemisphere (world x < 0) for half of each area."""
    nx, ny, nz = grid
    ii, jj, kk = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    c = (np.array(grid) - 1) / 2
    brain = (((ii - c[0]) / (0.48 * nx)) ** 2 + ((jj - c[1]) / (0.48 * ny)) ** 2
             + ((kk - c[2]) / (0.48 * nz)) ** 2) <= 1
    posterior = brain & (jj < max(2, int(0.45 * ny)))
    candidates = {h: np.flatnonzero((posterior & ((ii < nx / 2) == (h == "LH"))).ravel())
                  for h in ("LH", "RH")}
    taken = {h: rng.permutation(v) for h, v in candidates.items()}
    pos = {"LH": 0, "RH": 0}
    flat = np.empty(len(roi), int)
    hemi = np.empty(len(roi), object)
    for name in ROIS:
        members = np.flatnonzero(roi == name)
        for n, v in enumerate(members):
            h = "LH" if n % 2 == 0 else "RH"
            if pos[h] >= len(taken[h]):
                raise ValueError(f"grid={tuple(grid)} is too small for {len(roi)} ROI voxels "
                                 "(they fill the posterior 45% of an ellipsoidal brain); "
                                 "use a larger grid or fewer voxels (n_voxels).")
            flat[v] = taken[h][pos[h]]
            hemi[v] = h
            pos[h] += 1
    return flat, hemi.astype(str), brain


@fill_doc
def simulate_bids(root, subject="01", *, events_from=None, n_voxels=None, grid=(64, 64, 50),
                  snr=0.02, snr_spread=1.7, image_size=32, raw=True, preproc=True,
                  stimuli=True, n_runs=None, overwrite=False, random_state=0, verbose=0):
    """Write the simulated subject as a GOD-layout BIDS dataset (OpenNeuro ds001246).

    The voxels of :func:`make_synthetic_subject` are placed in a brain volume; each run's
    4D BOLD is the block design (9 s stimulus blocks, 15 s imagery periods) weighted by the
    voxels' noiseless responses, convolved with SPM's HRF and sampled at the middle of each
    3 s volume, in percent of a per-voxel baseline (white noise of 1.5 % per volume, the
    signal scaled to give each voxel its single-trial SNR after the GOD sample construction;
    at most 2 %, high SNRs lowering the noise instead), plus a slow drift.
    Written: ``dataset_description.json``, the ``task-*_bold.json`` sidecars, every run's
    events.tsv and BOLD (``sub-XX/ses-*/func/``), the same BOLD as preprocessed derivatives
    (``derivatives/preproc-spm/output/``: the simulation has no motion to correct), the
    ROI masks (``sourcedata/sub-XX/anat/sub-XX_mask_{LH,RH}_{ROI}.nii.gz``) and the
    stimulus images (``stimuli/<stimulus_name>.png``).

    Parameters
    ----------
    root : path-like
        Folder to write into (created; see ``overwrite`` for a subject already there).
    subject : str, default="01"
        The subject label (``sub-<subject>``).
    events_from : path-like or None, default=None
        A ds001246-like root: that subject's real events files (all sessions and runs,
        whatever their number) are copied and drive the runs; the simulated images stand in
        for the real stimuli (one simulated class per ImageNet category). None generates
        events in the same format (``n_runs``).
    n_voxels : dict or None, default=None
        Voxels per ROI (as in :func:`make_synthetic_subject`; default 4500 in all).
    grid : tuple of 3 int, default=(64, 64, 50)
        The EPI grid (GOD: 64 x 64 x 50, 3 mm).
    snr, snr_spread : float, default=0.02, 1.7
        Per-voxel single-trial SNR of the samples (as in :func:`make_synthetic_subject`).
    image_size : int, default=32
        Side of the simulated images.
    raw, preproc : bool, default=True
        Write the raw BOLD and/or the ``preproc-spm`` derivatives.
    stimuli : bool, default=True
        Write the stimulus images.
    n_runs : dict or None, default=None
        Without ``events_from``: runs per session kind, e.g. ``{"perceptionTraining": 3,
        "perceptionTest": 4, "imageryTest": 1}`` (default 24, 35, 20, as GOD). As in GOD,
        each training run shows 50 new images (classes of 8), each test run the 50 test
        images, each with 5 one-back repeats.
    overwrite : bool, default=False
        When the subject's folders already exist under ``root`` (``sub-<subject>`` and its
        derivatives and sourcedata), remove them first; otherwise that is an error (a new
        simulation written over an old one would leave the old runs, and a loader would mix
        the two).
    %(random_state_data)s
    %(verbose)s

    Returns
    -------
    truth : Bunch
        ``subject`` (the :func:`make_synthetic_subject` Bunch: images, noiseless responses,
        pRFs, SNRs, the true noise ceiling of the test data averaged over the test runs), ``stimulus_train`` and ``stimulus_test`` (the stimulus
        names of ``subject.images_train``/``images_test``), ``voxel_ijk`` (grid position of
        each simulated voxel), ``voxel_hemisphere``, ``mask_order`` (the simulated voxels in
        the order :func:`load_god` returns them for ``rois=("VC",)``), ``block_gain`` and
        ``files`` (every file written).

    Examples
    --------
    >>> import tempfile
    >>> from neurodecode.datasets import simulate_bids
    >>> truth = simulate_bids(tempfile.mkdtemp(), grid=(16, 16, 8),
    ...                       n_voxels={"V1": 20, "V2": 0, "V3": 0, "hV4": 0, "LOC": 10,
    ...                                 "FFA": 0, "PPA": 0},
    ...                       n_runs={"perceptionTraining": 2, "perceptionTest": 2,
    ...                               "imageryTest": 0}, stimuli=False, raw=False)
    >>> truth.voxel_ijk.shape
    (30, 3)
    """
    import nibabel as nib
    from scipy.signal import fftconvolve
    from tqdm.auto import tqdm

    root = Path(root)
    subject = str(subject).removeprefix("sub-")
    if not re.fullmatch(r"[A-Za-z0-9]+", subject):
        raise ValueError(f"subject={subject!r} is not a BIDS label (letters and digits only, "
                         "e.g. '01').")
    if not isinstance(overwrite, (bool, np.bool_)):
        raise TypeError(f"overwrite must be True or False; got {overwrite!r}.")
    owned = [root / f"sub-{subject}", root / "derivatives" / "preproc-spm" / "output" /
             f"sub-{subject}", root / "sourcedata" / f"sub-{subject}"]
    present = [p for p in owned if p.exists()]
    if present and not overwrite:
        raise FileExistsError(f"{present[0]} exists: simulate_bids does not write over an "
                              "earlier simulation (its runs would be mixed with the new "
                              "ones); pass overwrite=True to replace it, or another root.")
    for p in present:
        shutil.rmtree(p)
    grid = tuple(int(g) for g in grid)
    if len(grid) != 3 or min(grid) < 4:
        raise ValueError(f"grid must be 3 ints >= 4; got {grid}.")
    from ..backend import seed_from_random_state

    seed = seed_from_random_state(random_state)
    rng = np.random.default_rng([seed, 7919])

    if events_from is not None:
        runs = _real_runs(events_from, subject)
        train_names, test_names = [], []
        for session, task, _, df, _ in runs:
            if task != "perception":
                continue
            names = df.loc[df["event_type"] == "stimulus", "stimulus_name"].tolist()
            (train_names if _session_type(session) == "perceptionTraining"
             else test_names).extend(names)
        train_names = sorted(set(train_names))
        test_names = sorted(set(test_names))
        wnids = sorted({n.split("_")[0] for n in train_names})
        per_class = max(sum(n.startswith(w + "_") for n in train_names) for w in wnids)
        n_classes = len(wnids)
    else:
        counts = dict(_DEFAULT_RUNS, **(n_runs or {}))
        unknown = set(counts) - set(_DEFAULT_RUNS)
        if unknown:
            raise ValueError(f"n_runs: unknown session kinds {sorted(unknown)}; use "
                             f"{sorted(_DEFAULT_RUNS)}.")
        if counts["perceptionTraining"] < 1 or counts["perceptionTest"] < 1:
            raise ValueError("n_runs: at least one training and one test run are needed.")
        # as GOD: 50 training images per run (150 classes x 8 over 24 runs)
        n_images = 50 * min(counts["perceptionTraining"], 24)
        per_class, n_test = 8, 50
        n_classes = -(-n_images // per_class)
        train_names = [f"n{90000000 + c:08d}_{i + 1}" for c in range(n_classes)
                       for i in range(per_class)][:n_images]
        runs = _generated_runs(counts, train_names, per_class, n_test, rng)
        test_names = [f"n{80000000 + c:08d}_1" for c in range(n_test)]
        wnids = sorted({n.split("_")[0] for n in train_names})

    n_test_runs = sum(1 for session, task, *_ in runs
                      if task == "perception" and _session_type(session) == "perceptionTest")
    sub = make_synthetic_subject(
        n_train_classes=n_classes, n_train_per_class=per_class,
        n_test_classes=len(test_names), n_test_repeats=max(n_test_runs, 1),
        n_unpaired_classes=0,
        n_gallery_classes=len(test_names), n_voxels=n_voxels, snr=snr, snr_spread=snr_spread,
        image_size=image_size, random_state=seed)
    # stimulus name -> row of the subject's training / test images
    row_of = {}
    for c, w in enumerate(wnids):
        members = sorted(n for n in train_names if n.split("_")[0] == w)
        for i, n in enumerate(members):
            row_of[n] = ("train", c * per_class + i)
    for i, n in enumerate(test_names):
        row_of[n] = ("test", i)
    stim_train = np.empty(len(sub.images_train), object)
    stim_train[:] = ""
    for n, (split, i) in row_of.items():
        if split == "train":
            stim_train[i] = n
    clean = {"train": sub.Y_train_clean, "test": sub.Y_test_clean}
    category_test = {}
    for session, task, _, df, _ in runs:
        if task == "perception" and _session_type(session) == "perceptionTest":
            for n, c in zip(df["stimulus_name"], df["category_index"]):
                if isinstance(n, str):
                    category_test[int(c)] = n

    V = sub.Y_train_clean.shape[1]
    flat, hemi, brain = _place_voxels(grid, sub.roi, rng)
    ijk = np.stack(np.unravel_index(flat, grid), axis=1)
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    affine[:3, 3] = -3.0 * (np.array(grid) - 1) / 2
    baseline = 600.0 + 300.0 * rng.random(V)
    brain_baseline = np.where(brain, 500.0, 0.0).astype(np.float32)
    hrf = _hrf()
    gain = _block_gain(hrf)
    # percent signal change: volume noise of 1.5 % (3 T, 3 mm) and the signal amplitude that
    # gives the voxel's SNR after averaging a block's 3 volumes (at most 2 %: then less noise)
    amplitude = np.minimum(VOLUME_NOISE * np.sqrt(sub.snr / 3.0) / gain, 2.0)
    noise_sd = amplitude * gain * np.sqrt(3.0 / sub.snr)

    files = []

    def write(path, text=None, img=None):
        path.parent.mkdir(parents=True, exist_ok=True)
        if img is not None:
            nib.save(img, str(path))
        else:
            path.write_text(text)
        files.append(path)

    root.mkdir(parents=True, exist_ok=True)
    description = {"Name": "neurodecode simulated GOD subject", "BIDSVersion": "1.0.2",
                   "License": "CC0",
                   "Authors": ["neurodecode.datasets.simulate_bids"]}
    write(root / "dataset_description.json", json.dumps(description, indent=4))
    for task in ("perception", "imagery"):
        write(root / f"task-{task}_bold.json",
              json.dumps({"RepetitionTime": TR, "TaskName": task}, indent=4))

    # masks: dorsal/ventral halves of V1-V3 (each area's upper and lower half of its voxels
    # by slice, per hemisphere, so that both mask files of an area hold voxels),
    # HVC = LOC | FFA | PPA
    anat = root / "sourcedata" / f"sub-{subject}" / "anat"
    dorsal = np.zeros(V, bool)
    for area in EARLY_AREAS:
        for h in ("LH", "RH"):
            group = np.flatnonzero((sub.roi == area) & (hemi == h))
            by_z = group[np.argsort(ijk[group, 2], kind="stable")]
            dorsal[by_z[len(by_z) // 2:]] = True
    for h in ("LH", "RH"):
        for name in GOD_MASK_ROIS:
            if name[:-1] in EARLY_AREAS:
                area, part = name[:-1], name[-1]
                sel = (sub.roi == area) & (dorsal == (part == "d"))
            elif name in COMPOSITES:
                sel = np.isin(sub.roi, COMPOSITES[name])
            else:
                sel = sub.roi == name
            sel &= hemi == h
            vol = np.zeros(grid, np.uint8)
            vol[tuple(ijk[sel].T)] = 1
            write(anat / f"sub-{subject}_mask_{h}_{name}.nii.gz",
                  img=nib.Nifti1Image(vol, affine))

    for session, task, run, df, text in tqdm(runs, desc="simulated runs", unit="run",
                                             disable=not verbose):
        stem = f"sub-{subject}_ses-{session}_task-{task}_run-{run:02d}"
        func = root / f"sub-{subject}" / f"ses-{session}" / "func"
        events_path = func / f"{stem}_events.tsv"
        write(events_path, text if text is not None else _tsv_text(df))
        end = float((df["onset"] + df["duration"]).max())
        n_vol = int(np.ceil(end / TR - 1e-6))
        neural = np.zeros((int(round(n_vol * TR / _DT)) + 1, V), np.float32)
        for _, ev in df.iterrows():
            if task == "perception" and ev["event_type"] == "stimulus":
                split, i = row_of[ev["stimulus_name"]]
                amp = clean[split][i]
            elif task == "imagery" and ev["event_type"] == "imagery":
                name = category_test.get(int(ev["category_index"]))
                amp = 0.3 * clean["test"][row_of[name][1]] if name in row_of else 0.0
            else:
                continue
            a, b = int(round(ev["onset"] / _DT)), int(round((ev["onset"] + ev["duration"]) / _DT))
            neural[a:b] = amp
        times = ((np.arange(n_vol) + 0.5) * TR / _DT).astype(int)
        bold = fftconvolve(neural, hrf[:, None], axes=0)[:len(neural)][times]
        t = np.linspace(-1, 1, n_vol)[:, None]
        drift = rng.normal(0, 2.0, V) * t + rng.normal(0, 0.1, V) * np.cos(np.pi * (t + 1))
        psc = amplitude * bold + drift + noise_sd * rng.standard_normal((n_vol, V))
        data = np.repeat(brain_baseline[..., None], n_vol, axis=3)
        data[tuple(ijk.T)] = (baseline * (1 + psc / 100.0)).T.astype(np.float32)
        img = nib.Nifti1Image(data, affine)
        img.header.set_xyzt_units("mm", "sec")
        img.header["pixdim"][4] = TR
        if raw:
            write(func / f"{stem}_bold.nii.gz", img=img)
        if preproc:
            out = (root / "derivatives" / "preproc-spm" / "output" / f"sub-{subject}"
                   / f"ses-{session}" / "func" / f"{stem}_bold_preproc.nii.gz")
            if raw:
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(func / f"{stem}_bold.nii.gz", out)
                files.append(out)
            else:
                write(out, img=img)

    if stimuli:
        from PIL import Image

        stim = root / "stimuli"
        stim.mkdir(parents=True, exist_ok=True)
        for names, images in ((stim_train, sub.images_train), (test_names, sub.images_test)):
            for n, im in zip(names, images):
                if n:
                    path = stim / f"{n}.png"
                    Image.fromarray((np.clip(im, 0, 1) * 255).round().astype(np.uint8)).save(path)
                    files.append(path)

    return Bunch(subject=sub, stimulus_train=stim_train.astype(str),
                 stimulus_test=np.asarray(test_names, dtype=str), voxel_ijk=ijk,
                 voxel_hemisphere=hemi, mask_order=np.argsort(flat, kind="stable"),
                 block_gain=gain, files=files)
