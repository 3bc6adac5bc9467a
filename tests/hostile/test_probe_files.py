"""A hostile-input probe of the file readers and the subject contract (issue 23): events
tables, sidecars, image files and folders, hand-built subjects. Every case must end in a
clear error naming the file (or argument) or in a correct result."""
import json

import numpy as np
import pytest
from PIL import Image

from neurodecode import concat_unpaired_fmri
from neurodecode.datasets import check_subject, load_image_folder, read_images
from neurodecode.datasets._bids_files import read_json, sidecar_tr
from neurodecode.datasets._god_samples import read_events, run_samples

HEADER = ["onset", "duration", "event_type", "stimulus_name", "category_index"]
GOOD = [["0", "6", "rest", "n/a", "n/a"], ["6", "9", "stimulus", "a", "1"],
        ["15", "9", "stimulus", "b", "2"], ["24", "6", "rest", "n/a", "n/a"]]


def _events(tmp_path, rows, header=HEADER, task="perception"):
    path = tmp_path / "e_events.tsv"
    path.write_text("\n".join("\t".join(r) for r in [header] + rows) + "\n")
    events = read_events(path, task)
    data = np.random.default_rng(0).random((12, 3)) + 100
    return run_samples(data, events, tr=3.0, task=task, path=str(path))


def _edit(i, j, value):
    rows = [list(r) for r in GOOD]
    rows[i][j] = value
    return rows


EVENT_CASES = [
    ("no category column", GOOD, HEADER[:4], ValueError, "lack the column"),
    ("no onset column", [r[1:] for r in GOOD], HEADER[1:], ValueError, "lack the column"),
    ("onset 'abc'", _edit(1, 0, "abc"), HEADER, ValueError, "onset is 'abc'"),
    ("onset empty", _edit(1, 0, ""), HEADER, ValueError, "onset is"),
    ("duration 0", _edit(2, 1, "0"), HEADER, ValueError, "positive duration"),
    ("duration inf", _edit(2, 1, "inf"), HEADER, ValueError, "not a number"),
    ("category n/a", _edit(2, 4, "n/a"), HEADER, ValueError, "category_index is 'n/a'"),
    ("category 'cat'", _edit(2, 4, "cat"), HEADER, ValueError, "category_index is"),
    ("stimulus n/a", _edit(1, 3, "n/a"), HEADER, ValueError, "stimulus_name is missing"),
    ("no rest", [["0", "9", "stimulus", "a", "1"], ["9", "9", "stimulus", "b", "2"]], HEADER,
     ValueError, "no 'rest' event"),
    ("no stimulus", [GOOD[0], GOOD[3]], HEADER, ValueError, "no 'stimulus' events"),
    ("block past the run", _edit(2, 0, "30"), HEADER, ValueError, "needs volumes up to"),
    ("duplicated row", GOOD[:2] + [GOOD[1]] + GOOD[2:], HEADER, ValueError, "overlap"),
    ("rows out of order: same samples", [GOOD[0], GOOD[2], GOOD[1], GOOD[3]], HEADER, None,
     lambda out: out[1]["stimulus_name"].tolist() == ["a", "b"]),
    ("unknown event types ignored", GOOD + [["30", "3", "button", "n/a", "n/a"]], HEADER,
     None, lambda out: len(out[0]) == 2),
]


@pytest.mark.hostile("loaders: events files")
@pytest.mark.parametrize("name, rows, header, error, expected", EVENT_CASES,
                         ids=[c[0] for c in EVENT_CASES])
def test_hostile_events(tmp_path, name, rows, header, error, expected):
    if error is None:
        assert expected(_events(tmp_path, rows, header)), name
        return
    with pytest.raises(error) as info:
        _events(tmp_path, rows, header)
    assert expected in str(info.value) and "e_events.tsv" in str(info.value), info.value


@pytest.mark.hostile("loaders: sidecars (JSON)")
@pytest.mark.parametrize("content, words", [
    ('{"RepetitionTime": 0}', "RepetitionTime is 0"),
    ('{"RepetitionTime": null}', None),  # absent: the header decides
    ('{"RepetitionTime": true}', "RepetitionTime is True"),
    ('{"RepetitionTime": [3]}', "RepetitionTime is [3]"),
    ("{not json", "not valid JSON"),
    ("[]", "must hold a JSON object"),
    ('{"RepetitionTime": 2.0}', 2.0),
])
def test_hostile_sidecars(tmp_path, content, words):
    (tmp_path / "task-perception_bold.json").write_text(content)
    bold = tmp_path / "sub-01_task-perception_run-01_bold.nii.gz"
    if words is None or isinstance(words, float):
        assert sidecar_tr(tmp_path, bold, "perception") == words
        return
    with pytest.raises(ValueError, match="task-perception_bold.json") as info:
        sidecar_tr(tmp_path, bold, "perception")
    assert words in str(info.value)
    assert read_json(tmp_path / "absent.json") == {}


def _png(path, array, mode=None):
    Image.fromarray(array, mode=mode).save(path)
    return path


@pytest.mark.hostile("loaders: image files")
@pytest.mark.parametrize("name, make, error, expected", [
    ("empty list", lambda p: [], None, lambda x: x.shape == (0, 0, 0, 3)),
    ("different sizes", lambda p: [_png(p / "a.png", np.zeros((4, 4, 3), np.uint8)),
                                   _png(p / "b.png", np.zeros((6, 6, 3), np.uint8))],
     ValueError, "different sizes"),
    ("missing file", lambda p: [p / "none.png"], ValueError, "none.png: cannot be read"),
    ("text file", lambda p: [(p / "t.png").write_text("x") and p / "t.png"], ValueError,
     "t.png: cannot be read"),
    ("wide image centre-cropped", lambda p: [_png(p / "w.png", np.tile(
        np.arange(8, dtype=np.uint8)[None, :, None] * 30, (4, 1, 3)))], None,
     lambda x: x.shape == (1, 4, 4, 3) and np.isclose(x[0, 0, 0, 0], 60 / 255)),
    ("1-bit image", lambda p: [_png(p / "b.png", np.eye(4, dtype=bool))], None,
     lambda x: x.shape == (1, 4, 4, 3) and x.max() == 1.0),
])
def test_hostile_image_files(tmp_path, name, make, error, expected):
    paths = make(tmp_path)
    if error is None:
        assert expected(read_images(paths)), name
        return
    with pytest.raises(error) as info:
        read_images(paths)
    assert expected in str(info.value), info.value


@pytest.mark.hostile("loaders: image files", cases={"error": 2})
def test_hostile_image_folders(tmp_path):
    with pytest.raises((ValueError, FileNotFoundError), match="no_such"):
        load_image_folder(tmp_path / "no_such")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no images .* in the 0 class folders"):
        load_image_folder(tmp_path / "empty")


@pytest.mark.hostile("subject contract")
@pytest.mark.parametrize("name, edit, words", [
    ("X_train 1D", lambda d: d.update(X_train=d["X_train"][:, 0]), "X_train"),
    ("X_test of other voxels", lambda d: d.update(X_test=d["X_test"][:, :3]), "X_test"),
    ("NaN in X_train", lambda d: d["X_train"].__setitem__((0, 0), np.nan), "X_train"),
    ("X_test not the mean", lambda d: d.update(X_test=d["X_test"] + 1), "X_test"),
    ("roi mask of other length", lambda d: d["roi_masks"].update(V1=np.ones(3, bool)),
     "roi_masks"),
    ("images out of range", lambda d: d.update(images_train=d["images_train"] * 3),
     "images_train"),
    ("no meta", lambda d: d.pop("meta"), "meta"),
])
def test_hostile_hand_built_subjects(name, edit, words):
    rng = np.random.default_rng(1)
    trials = rng.standard_normal((4, 3, 5)).astype(np.float32)
    d = {"X_train": rng.standard_normal((6, 5)).astype(np.float32), "X_test": trials.mean(1),
         "X_test_trials": trials, "roi": np.array(["V1"] * 5),
         "roi_masks": {"V1": np.ones(5, bool)},
         "images_train": rng.random((6, 8, 8, 3)).astype(np.float32),
         "meta": {"dataset": "hand", "n_voxels": 5, "fmri_units": "z"}}
    check_subject(d, needs=("X_train", "images_train"))  # sound before the edit
    edit(d)
    with pytest.raises((ValueError, TypeError)) as info:
        check_subject(d)
    assert words in str(info.value), info.value


@pytest.mark.hostile("subject contract", cases={"error": 2, "correct": 1})
def test_concat_unpaired_fmri_refuses_mismatched_parts():
    X, images = np.zeros((4, 3)), np.zeros((4, 8, 8, 3))
    with pytest.raises(ValueError, match="voxels"):
        concat_unpaired_fmri(X, images, np.zeros((2, 5)))
    with pytest.raises(ValueError):
        concat_unpaired_fmri(X, images[:3], np.zeros((2, 3)))
    Xc, Sc = concat_unpaired_fmri(X, images, np.zeros((2, 3)))
    assert Xc.shape == (6, 3) and np.isnan(Sc[4:]).all() and not np.isnan(Sc[:4]).any()
    assert json.dumps({"ok": True})
