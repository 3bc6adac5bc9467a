"""A hostile-input probe of load_god on damaged BIDS trees (issue 23): a small simulated
subject, copied for every case and damaged one way (a BOLD run of the wrong dimensions,
type or length, damaged events files, empty or missing masks, stimulus folders with the
wrong files, bad arguments). Every case must end in a clear error naming the file (or the
argument) or in a correct result; each takes well under a second."""
import shutil
import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from neurodecode.datasets import load_god, simulate_bids

SMALL = {"V1": 24, "V2": 16, "V3": 12, "hV4": 8, "LOC": 12, "FFA": 8, "PPA": 8}
DERIV = "derivatives/preproc-spm/output/sub-01/"
pytestmark = pytest.mark.hostile("loaders: BIDS trees (load_god)")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("pristine") / "ds"
    simulate_bids(root, "01", n_voxels=SMALL, grid=(20, 20, 12), image_size=16,
                  n_runs={"perceptionTraining": 2, "perceptionTest": 3, "imageryTest": 1},
                  random_state=1)
    return root, load_god(root, "01", verbose=0)


def _bold(root, ses="ses-perceptionTraining01", run="run-01"):
    return next(root.glob(DERIV + f"{ses}/func/*{run}_bold_preproc.nii.gz"))


def _events(root, ses="ses-perceptionTraining01", run="run-01"):
    return next(root.glob(f"sub-01/{ses}/func/*{run}_events.tsv"))


def _edit_bold(root, edit, dtype=None, zoom=None, **where):
    path = _bold(root, **where)
    img = nib.load(str(path))
    data, affine = edit(np.asarray(img.dataobj).copy(), img.affine.copy())
    header = img.header.copy()
    header.set_data_dtype(dtype or data.dtype)
    if zoom is not None:
        header.set_zooms(header.get_zooms()[:3] + (zoom,))
    nib.save(nib.Nifti1Image(data, affine, header if data.ndim == 4 else None), str(path))


def _edit_events(root, edit, **where):
    path = _events(root, **where)
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    edit(df).to_csv(path, sep="\t", index=False)


def _first_mask_voxel(root):
    mask = nib.load(str(next(root.glob("sourcedata/sub-01/anat/*_mask_LH_V1d.nii.gz"))))
    return tuple(np.argwhere(np.asarray(mask.dataobj) > 0)[0])


def _constant_voxel(root):
    i, j, k = _first_mask_voxel(root)

    def edit(d, a):
        d[i, j, k, :] = d[i, j, k, 0]
        return d, a
    _edit_bold(root, edit)


def _nan_outside_the_mask(root):
    def edit(d, a):
        d[0, 0, 0, :] = np.nan  # a corner of the grid, outside the brain
        return d, a
    _edit_bold(root, edit)


def _empty_masks(root, roi="V1"):
    for path in root.glob(f"sourcedata/sub-01/anat/*_mask_*_{roi}?.nii.gz"):
        img = nib.load(str(path))
        nib.save(nib.Nifti1Image(np.zeros(img.shape, np.uint8), img.affine), str(path))


def _relabel_a_test_image(df):
    i = df.index[df["event_type"] == "stimulus"][0]
    df.loc[i, "category_index"] = str(float(df.loc[i, "category_index"]) + 1)
    return df


def _hide_a_test_image(df):
    i = df.index[df["event_type"] == "stimulus"][0]
    df.loc[i, "event_type"] = "rest"
    return df


def _int16_scaled(root):
    path = _bold(root)
    img = nib.load(str(path))
    data = np.asarray(img.dataobj, np.float32)
    out = nib.Nifti1Image(data, img.affine, img.header.copy())
    out.header.set_data_dtype(np.int16)  # nibabel picks scl_slope / scl_inter
    nib.save(out, str(path))


def _stimulus(root, content):
    path = sorted((root / "stimuli").glob("*.png"))[0]
    if content is None:
        path.write_bytes(b"not an image")
    else:
        Image.fromarray(content).save(path)


def _shift_affine(d, a):
    a[0, 3] += 5.0
    return d, a


def _every_5th_inf(d, a):
    d = d.astype(np.float32)
    d.reshape(-1)[::97] = np.inf
    return d, a


def _same(god, pristine_god, atol=0.0):
    return (np.allclose(god.X_train, pristine_god.X_train, atol=atol)
            and np.allclose(god.X_test_trials, pristine_god.X_test_trials, atol=atol))


ERROR = [
    # (id, damage(root), load_god kwargs, exception type, words in the message)
    ("3D BOLD", lambda r: _edit_bold(r, lambda d, a: (d[..., 0], a)), {}, ValueError,
     "bold_preproc.nii.gz: a BOLD run must be 4D"),
    ("5D BOLD", lambda r: _edit_bold(r, lambda d, a: (d[..., None], a)), {}, ValueError,
     "bold_preproc.nii.gz: a BOLD run must be 4D"),
    ("BOLD cut short", lambda r: _edit_bold(r, lambda d, a: (d[..., :20], a)), {}, ValueError,
     "but the run has 20 volumes"),
    ("inf in the BOLD", lambda r: _edit_bold(r, _every_5th_inf), {}, ValueError,
     "NaN or infinite values"),
    ("BOLD on a shifted grid", lambda r: _edit_bold(r, _shift_affine), {}, ValueError,
     "differs from the BOLD grid"),
    ("complex BOLD", lambda r: _edit_bold(r, lambda d, a: (d.astype(np.complex64), a)), {},
     ValueError, "stored as complex64, not real numbers"),
    ("a voxel constant over a run", _constant_voxel, {}, ValueError,
     "constant over the run"),
    ("BOLD not gzip", lambda r: _bold(r).write_text("hello"), {}, ValueError,
     "bold_preproc.nii.gz: cannot read this BOLD run as NIfTI"),
    ("header TR 0 and no sidecar", lambda r: ([p.unlink() for p in r.glob("task-*.json")],
                                              _edit_bold(r, lambda d, a: (d, a), zoom=0.0)),
     {}, ValueError, "no repetition time"),
    ("events file missing", lambda r: _events(r).unlink(), {}, FileNotFoundError,
     "no events.tsv for sub-01 ses-perceptionTraining01 task-perception run-01"),
    ("events: header only", lambda r: _edit_events(r, lambda df: df.iloc[:0]), {},
     ValueError, "run-01_events.tsv (BOLD: "),
    ("events: comma-separated", lambda r: (lambda p: p.write_text(
        p.read_text().replace("\t", ",")))(_events(r)), {}, ValueError, "comma-separated"),
    ("events: empty file", lambda r: _events(r).write_text(""), {}, ValueError,
     "run-01_events.tsv: cannot read this events file"),
    ("events: one test image with two categories", lambda r: _edit_events(
        r, _relabel_a_test_image, ses="ses-perceptionTest01", run="run-02"), {}, ValueError,
     "has category_index"),
    ("masks: an ROI asked for is empty", _empty_masks, {"rois": ("V1", "LOC")}, ValueError,
     "'V1' selects no voxel"),
    ("masks: one hemisphere's file missing", lambda r: next(
        r.glob("sourcedata/sub-01/anat/*_mask_LH_V1d.nii.gz")).unlink(), {},
     FileNotFoundError, "no mask file for ['LH_V1d']"),
    ("stimulus_dir is a file", lambda r: (r / "stimfile").write_text("x"),
     {"stimulus_dir": "stimfile"}, FileNotFoundError, "is not a folder"),
    ("a stimulus image of another size", lambda r: _stimulus(r, np.zeros((20, 20, 3),
                                                                         np.uint8)),
     {"stimulus_dir": "stimuli"}, ValueError, "20 x 20 (e.g."),
    ("a stimulus image that is not an image", lambda r: _stimulus(r, None),
     {"stimulus_dir": "stimuli"}, ValueError, "cannot be read as an image"),
    ("image_size 0", lambda r: None, {"stimulus_dir": "stimuli", "image_size": 0},
     ValueError, "image_size must be in [1, inf)"),
    ("image_size without stimulus_dir", lambda r: None, {"image_size": 16}, ValueError,
     "read only with stimulus_dir"),
    ("n_jobs 0", lambda r: None, {"n_jobs": 0}, ValueError, "n_jobs must be a positive"),
    ("n_jobs 1.5", lambda r: None, {"n_jobs": 1.5}, TypeError, "n_jobs must be an int"),
    ("cache is a file", lambda r: (r / "cachefile").write_text("x"), {"cache": "cachefile"},
     NotADirectoryError, "which is a file"),
    ("source 'fmriprep'", lambda r: None, {"source": "fmriprep"}, ValueError,
     "source must be one of"),
]


def _run(root, kwargs):
    kwargs = {k: root / v if k in ("stimulus_dir", "cache") else v for k, v in kwargs.items()}
    return load_god(root, "01", verbose=0, **kwargs)


@pytest.mark.parametrize("name, damage, kwargs, error, words", ERROR,
                         ids=[c[0] for c in ERROR])
def test_damaged_tree_gives_a_clear_error(pristine, tmp_path, name, damage, kwargs, error,
                                          words):
    root = tmp_path / "ds"
    shutil.copytree(pristine[0], root)
    damage(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            _run(root, kwargs)
    assert words in str(info.value), f"{name}: unclear message: {info.value}"


CORRECT = [
    # (id, damage(root), load_god kwargs, warning words or None, check(god, pristine god))
    ("NaN outside the masks is ignored", _nan_outside_the_mask, {}, None, _same),
    ("an invalid dataset_description.json is not read", lambda r: (
        r / "dataset_description.json").write_text("{bad"), {}, None, _same),
    ("unrelated files in func/ are ignored", lambda r: [
        (p.parent / ".DS_Store").write_text("x") for p in r.glob("sub-01/ses-*/func/")]
        + [(_bold(r).parent / "notes.txt").write_text("x")], {}, None, _same),
    ("int16 BOLD with a scale factor gives the same samples", _int16_scaled, {}, None,
     lambda god, ref: _same(god, ref, atol=0.05)),
    ("empty mask files inside a composite ROI: its other parts", _empty_masks, {}, None,
     lambda god, ref: god.X_train.shape[1] == ref.X_train.shape[1] - SMALL["V1"]
     and not (god.roi == "V1").any()),
    ("a test image missing from one run: NaN trial, warned", lambda r: _edit_events(
        r, _hide_a_test_image, ses="ses-perceptionTest01", run="run-01"), {},
     "unequal repeat counts", lambda god, ref: np.isnan(god.X_test_trials).any(axis=2).sum()
     == 1 and np.isfinite(god.X_test).all()),
]


@pytest.mark.parametrize("name, damage, kwargs, warns, check", CORRECT,
                         ids=[c[0] for c in CORRECT])
def test_damaged_tree_gives_a_correct_result(pristine, tmp_path, name, damage, kwargs, warns,
                                             check):
    root = tmp_path / "ds"
    shutil.copytree(pristine[0], root)
    damage(root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        god = _run(root, kwargs)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if warns is None:
        assert not messages, f"{name}: unexpected warnings {messages}"
    else:
        assert any(warns in m for m in messages), f"{name}: no warning {warns!r}: {messages}"
    assert check(god, pristine[1]), name
