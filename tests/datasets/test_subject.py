"""The subject contract: check_subject / check_subjects against hand-made faults, and the
ROI vocabulary written once in the package."""
import ast
from pathlib import Path

import numpy as np
import pytest

import neurodecode
from neurodecode import _rois
from neurodecode.datasets import FIELDS, Subject, check_subject, check_subjects
from neurodecode.datasets import make_synthetic_subject

KW = dict(n_train_classes=3, n_train_per_class=2, n_test_classes=3, n_test_repeats=3,
          n_unpaired_classes=2, n_unpaired_per_class=2, n_gallery_classes=4,
          n_voxels={"V1": 6, "V2": 0, "V3": 0, "hV4": 0, "LOC": 3, "FFA": 0, "PPA": 0},
          image_size=16)


@pytest.fixture(scope="module")
def subject():
    return make_synthetic_subject(**KW)


def faulty(subject, **changes):
    out = dict(subject)
    out.update(changes)
    return {k: v for k, v in out.items() if v is not ...}


def test_every_field_is_described_and_the_simulator_fills_the_required_ones(subject):
    for name, field in FIELDS.items():
        assert field.kind in {"fmri", "stimulus", "voxel", "truth", "info"}, name
        assert field.description, name
    required = {k for k, f in FIELDS.items() if f.required}
    assert required == {"X_train", "X_test", "X_test_trials", "roi", "roi_masks", "meta"}
    assert required <= set(subject)
    assert set(subject) <= set(FIELDS)  # no field outside the contract
    # a plain dict comes back as a Subject holding the same arrays (no copy)
    out = check_subject(dict(subject))
    assert isinstance(out, Subject) and out.X_train is subject.X_train


@pytest.mark.parametrize("changes, match", [
    ({"roi": ...}, r"no field 'roi'"),
    ({"X_train": "abc"}, r"X_train: expected floating-point"),
    ({"X_test": np.zeros((3, 5), np.float32)}, r"X_test: shape \(3, 5\) gives n_voxels = 5"),
    ({"labels_train": np.zeros(5, int)}, r"labels_train: shape \(5,\) gives n_train = 5"),
    ({"X_test_trials": np.zeros((3, 9, 3), np.float32)}, r"n_voxels = 3"),
    ({"X_test": np.ones((3, 9), np.float32)}, r"X_test is not the mean"),
    ({"images_train": np.full((6, 16, 16, 3), 255.0, np.float32)}, r"\[0, 1\]"),
    ({"roi_masks": {"V1": np.ones(4, bool)}}, r"roi_masks\['V1'\]: expected a boolean mask"),
    ({"meta": {"dataset": "x", "n_voxels": 9}}, r"meta: no \['fmri_units'\]"),
    ({"meta": {"dataset": "x", "n_voxels": 7, "fmri_units": "z"}}, r"n_voxels'\] is 7"),
    ({"simulate_fmri": 3}, r"simulate_fmri: expected a callable"),
])
def test_faults_name_the_field(subject, changes, match):
    with pytest.raises(ValueError, match=match):
        check_subject(faulty(subject, **changes))


def test_nan_fmri_and_missing_needs(subject):
    X = subject.X_train.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match=r"X_train: 1 values are NaN"):
        check_subject(faulty(subject, X_train=X))
    # a missing repeat (NaN in X_test_trials) is allowed when X_test is the mean of the rest
    trials = subject.X_test_trials.copy()
    trials[0, 0] = np.nan
    check_subject(faulty(subject, X_test_trials=trials, X_test=np.nanmean(trials, 1)))
    with pytest.raises(ValueError, match=r"no field 'images_train'.*this consumer needs it"):
        check_subject(faulty(subject, images_train=...), needs=("X_train", "images_train"),
                      name="run_pipeline(subject)")
    with pytest.raises(ValueError, match="not a field of the subject contract"):
        check_subject(subject, needs=("images",))
    with pytest.raises(TypeError, match="a subject is a mapping"):
        check_subject([1, 2])


def test_several_subjects_share_the_images_and_must_agree_on_labels(subject):
    other = make_synthetic_subject(**{**KW, "n_voxels": {**KW["n_voxels"], "V2": 4}})
    both = check_subjects({"01": subject, "02": other})
    assert both["01"].X_train.shape[1] != both["02"].X_train.shape[1]  # own voxels
    np.testing.assert_array_equal(both["01"].stimulus_test, both["02"].stimulus_test)
    wrong = faulty(other, labels_test=other.labels_test[::-1].copy())
    with pytest.raises(ValueError, match=r"subjects\['02'\].labels_test: image"):
        check_subjects({"01": subject, "02": wrong})


def _code_strings(path):
    """String constants of a module's code (docstrings left out), with their line."""
    tree = ast.parse(path.read_text())
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                 ast.AsyncFunctionDef)) and ast.get_docstring(node) is not None}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docs:
            yield node.lineno, node.value


def test_roi_names_are_written_once_in_the_package():
    names = (set(_rois.ROIS) | set(_rois.GOD_MASK_ROIS) | set(_rois.GOD_COMPOSITES)
             | set(_rois.COMPOSITES) | set(_rois.BDATA_ROIS) | set(_rois.VIM1_ROIS.values())
             | set(_rois.ROI_GROUPS)) - {_rois.OTHER}
    root = Path(neurodecode.__file__).parent
    found = [f"{p.relative_to(root)}:{line} {value!r}" for p in sorted(root.rglob("*.py"))
             if p != root / "_rois.py" for line, value in _code_strings(p) if value in names]
    assert not found, "ROI names outside neurodecode/_rois.py: " + ", ".join(found)
