"""A hostile-input probe of load_god on damaged BIDS trees (issue 23): a small simulated
subject, copied for every case and damaged one way (a BOLD run of the wrong dimensions,
type or length, damaged events files, empty or missing masks, stimulus folders with the
wrong files, bad arguments). Every case must end in a clear error naming the file (or the
argument) or in a correct result; each takes well under a second."""
import json
import shutil
import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from neurodecode.datasets import check_subject, load_god, simulate_bids

SMALL = {"V1": 24, "V2": 16, "V3": 12, "hV4": 8, "LOC": 12, "FFA": 8, "PPA": 8}
DERIV = "derivatives/preproc-spm/output/sub-01/"
pytestmark = pytest.mark.hostile("loaders: BIDS trees (load_god)")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp("pristine") / "ds"
    simulate_bids(root, "01", n_voxels=SMALL, grid=(20, 20, 12), image_size=16,
                  n_runs={"perceptionTraining": 2, "perceptionTest": 3, "imageryTest": 1},
                  random_state=1)
    return root, load_god(root, "01", stimulus_dir=root / "stimuli", verbose=0)


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


def _typo(event_type, task="perception", ses="ses-perceptionTraining01"):
    kind = "stimulus" if task == "perception" else "imagery"

    def edit(df):
        i = df.index[df["event_type"] == kind][1]
        df.loc[i, "event_type"] = event_type
        return df
    return lambda r: _edit_events(r, edit, ses=ses)


def _mask_copy(root):
    src = next(root.glob("sourcedata/sub-01/anat/*_mask_LH_V1d.nii.gz"))
    (root / "sub-01" / "anat").mkdir(parents=True)
    shutil.copy(src, root / "sub-01" / "anat" / src.name)


def _edit_mask(root, edit):
    path = next(root.glob("sourcedata/sub-01/anat/*_mask_LH_V1d.nii.gz"))
    img = nib.load(str(path))
    data = edit(np.asarray(img.dataobj).astype(np.float32))
    nib.save(nib.Nifti1Image(data, img.affine), str(path))


def _negative_mask(d):
    d[d > 0] = -1
    return d


def _nan_mask(d):
    d[0, 0, 0] = np.nan
    return d


def _stimulus_twice(root):
    path = sorted((root / "stimuli").glob("*.png"))[0]
    (root / "stimuli" / "more").mkdir()
    shutil.copy(path, root / "stimuli" / "more" / (path.stem + ".jpg"))


def _drop_run_entity(root):
    path = _bold(root)
    path.rename(path.with_name(path.name.replace("_run-01", "")))


def _sidecars(root, **where):
    """Remove every sidecar, then write RepetitionTime where asked (name: value)."""
    for p in root.rglob("*_bold.json"):
        p.unlink()
    for name, value in where.items():
        path = {"session": root / "sub-01/ses-perceptionTraining01/"
                "sub-01_ses-perceptionTraining01_task-perception_bold.json",
                "raw_run": _events(root).with_name(
                    _events(root).name.replace("_events.tsv", "_bold.json")),
                "top": root / "task-perception_bold.json"}[name]
        path.write_text(json.dumps({"RepetitionTime": value}))


def _set_tr(path, zoom, unit=None):
    """Rewrite one BOLD file's header TR (and its time unit)."""
    img = nib.load(str(path))
    header = img.header.copy()
    header.set_zooms(header.get_zooms()[:3] + (zoom,))
    if unit is not None:
        header.set_xyzt_units("mm", unit)
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj), img.affine, header), str(path))


def _header_tr(root, zoom, unit=None, **where):
    _set_tr(_bold(root, **where), zoom, unit)


def _every_header(root, zoom, unit=None):
    for path in root.glob(DERIV + "ses-*/func/*_bold_preproc.nii.gz"):
        _set_tr(path, zoom, unit)


def _mask_4d(root):
    for path in root.glob("sourcedata/sub-01/anat/*_mask_*.nii.gz"):
        img = nib.load(str(path))
        nib.save(nib.Nifti1Image(np.asarray(img.dataobj)[..., None], img.affine), str(path))


def _decomposed_stimulus_name(root):
    """One training image renamed 'n_café_1' (NFC in the events), its file written with
    the name decomposed (NFD, as macOS stores names)."""
    import unicodedata

    path = _events(root)
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    i = df.index[df["event_type"] == "stimulus"][0]
    old = df.loc[i, "stimulus_name"]
    df.loc[i, "stimulus_name"] = unicodedata.normalize("NFC", "n_café_1")
    df.to_csv(path, sep="\t", index=False)
    (root / "stimuli" / f"{old}.png").rename(
        root / "stimuli" / (unicodedata.normalize("NFD", "n_café_1") + ".png"))


def _same_images(god, ref):
    return _same(god, ref) and np.array_equal(god.images_train, ref.images_train)


def _text_category_on_rest_rows(df):
    df.loc[df["event_type"] == "rest", "category_index"] = "none"
    return df


def _no_category_name(df):
    return df.drop(columns=[c for c in ("category_name",) if c in df])


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
    ("events: event_type 'Stimulus'", _typo("Stimulus"), {}, ValueError,
     "event_type is 'Stimulus', not one of ds001246's"),
    ("events: event_type 'stimuli'", _typo("stimuli"), {}, ValueError,
     "event_type is 'stimuli'"),
    ("events: event_type 'Imagery' in an imagery run", _typo(
        "Imagery", "imagery", "ses-imageryTest01"), {}, ValueError, "event_type is 'Imagery'"),
    ("masks: a second copy of a mask file", _mask_copy, {}, ValueError,
     "2 mask files for LH_V1d"),
    ("masks: negative labels", lambda r: _edit_mask(r, _negative_mask), {}, ValueError,
     "the mask has negative values"),
    ("masks: NaN", lambda r: _edit_mask(r, _nan_mask), {}, ValueError,
     "the mask has NaN or infinite values"),
    ("masks: 2D", lambda r: _edit_mask(r, lambda d: d[..., 0]), {}, ValueError,
     "mask grid (20, 20)"),
    ("stimuli: two files of one name", _stimulus_twice, {"stimulus_dir": "stimuli"},
     ValueError, "match more than one image file"),
    ("a BOLD file without a run- entity", _drop_run_entity, {}, ValueError,
     "a BOLD file without a run- entity"),
    ("sidecar: not UTF-8", lambda r: (r / "task-perception_bold.json").write_bytes(
        b'{"RepetitionTime": 3, "TaskName": "p\xe9rception"}'), {}, ValueError, "not UTF-8"),
    ("sidecar: a folder", lambda r: ((r / "task-perception_bold.json").unlink(),
                                     (r / "task-perception_bold.json").mkdir()), {},
     ValueError, "is a folder, not a JSON sidecar"),
    ("sidecar: a session sidecar disagrees with the header", lambda r: _sidecars(
        r, top=3.0, session=2.0), {}, ValueError, "3 s in the NIfTI header but 2 s in the JSON"),
    ("sidecar: RepetitionTime 1e400", lambda r: (r / "task-perception_bold.json").write_text(
        '{"RepetitionTime": 1' + "0" * 400 + "}"), {}, ValueError, "RepetitionTime is 1000"),
]


def _damaged(pristine, tmp_path, damage):
    """A copy of the pristine tree, damaged one way."""
    root = tmp_path / "ds"
    shutil.copytree(pristine[0], root)
    damage(root)
    return root


def _run(root, kwargs):
    kwargs = {k: root / v if k in ("stimulus_dir", "cache") else v for k, v in kwargs.items()}
    return load_god(root, "01", verbose=0, **kwargs)


@pytest.mark.parametrize("name, damage, kwargs, error, words", ERROR,
                         ids=[c[0] for c in ERROR])
def test_damaged_tree_gives_a_clear_error(pristine, tmp_path, name, damage, kwargs, error,
                                          words):
    root = _damaged(pristine, tmp_path, damage)
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
    ("masks stored as (x, y, z, 1)", _mask_4d, {}, None, _same),
    ("stimuli: a decomposed (NFD) file name", _decomposed_stimulus_name,
     {"stimulus_dir": "stimuli"}, None, _same_images),
    ("header TR in ms (xyzt_units) agrees with the sidecar", lambda r: _every_header(
        r, 3000.0, "msec"), {}, None, _same),
    ("header TR in ms and no sidecar", lambda r: (_sidecars(r), _every_header(
        r, 3000.0, "msec")), {}, None, _same),
    # run-01's header has no TR and no top-level sidecar: only inheritance can give it
    ("sidecar: a session-level sidecar gives the TR", lambda r: (
        _sidecars(r, session=3.0), _header_tr(r, 0.0)), {}, None, _same),
    ("sidecar: the raw run's sidecar applies to its derivative", lambda r: (
        _sidecars(r, raw_run=3.0), _header_tr(r, 0.0)), {}, None, _same),
    ("events: text in category_index of rest rows", lambda r: _edit_events(
        r, _text_category_on_rest_rows), {}, None, _same),
    ("events: imagery without category_name", lambda r: _edit_events(
        r, _no_category_name, ses="ses-imageryTest01"), {}, None,
     lambda god, ref: god.category_imagery.shape == god.labels_imagery.shape
     and check_subject(god) is god),
    ("a test image missing from one run: NaN trial, warned", lambda r: _edit_events(
        r, _hide_a_test_image, ses="ses-perceptionTest01", run="run-01"), {},
     "unequal repeat counts", lambda god, ref: np.isnan(god.X_test_trials).any(axis=2).sum()
     == 1 and np.isfinite(god.X_test).all()),
]


@pytest.mark.parametrize("name, damage, kwargs, warns, check", CORRECT,
                         ids=[c[0] for c in CORRECT])
def test_damaged_tree_gives_a_correct_result(pristine, tmp_path, name, damage, kwargs, warns,
                                             check):
    root = _damaged(pristine, tmp_path, damage)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        god = _run(root, kwargs)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if warns is None:
        assert not messages, f"{name}: unexpected warnings {messages}"
    else:
        assert any(warns in m for m in messages), f"{name}: no warning {warns!r}: {messages}"
    assert check(god, pristine[1]), name
