"""Events tables that used to give silent wrong samples (issue 23): ``n/a`` where a block
needs a label or an image, overlapping (duplicated) blocks, non-positive or non-numeric
times. Each is refused, naming the file, the row (and its line) and the column."""
import numpy as np
import pandas as pd
import pytest

from neurodecode.datasets._god_samples import read_events, run_samples

HEADER = "onset\tduration\tevent_type\tstimulus_name\tcategory_index\n"
GOOD = ["0\t6\trest\tn/a\tn/a", "6\t9\tstimulus\timg_a\t1", "15\t9\tstimulus\timg_b\t2",
        "24\t6\trest\tn/a\tn/a"]


def _run(tmp_path, lines, task="perception"):
    path = tmp_path / "sub-01_task-x_run-01_events.tsv"
    path.write_text(HEADER + "\n".join(lines) + "\n")
    events = read_events(path, task)
    data = np.random.default_rng(0).random((12, 4)) + 100
    return run_samples(data, events, tr=3.0, task=task, path=str(path))


@pytest.mark.hostile("loaders: events files", cases={"correct": 1})
def test_a_well_formed_run_gives_its_blocks(tmp_path):
    X, rows = _run(tmp_path, GOOD)
    assert X.shape == (2, 4) and rows["stimulus_name"].tolist() == ["img_a", "img_b"]
    assert rows["category_index"].tolist() == [1, 2]


@pytest.mark.parametrize("row, line, match", [
    (1, "6\t9\tstimulus\timg_a\tn/a", r"row 2 \(line 3\): category_index is 'n/a'; a "
                                      r"perception block needs an integer category"),
    (2, "15\t9\tstimulus\tn/a\t2", r"row 3 \(line 4\): stimulus_name is missing"),
    (2, "15\t9\tstimulus\timg_b\t2.5", r"row 3 \(line 4\): category_index is 2.5"),
    (2, "15\t-9\tstimulus\timg_b\t2", r"row 3 \(line 4\): duration -9 s; a block needs a "
                                      "positive duration"),
    (2, "abc\t9\tstimulus\timg_b\t2", r"row 3 \(line 4\): onset is 'abc', not a number"),
    (1, "6\tn/a\tstimulus\timg_a\t1", r"row 2 \(line 3\): duration is 'n/a', not a number"),
])
@pytest.mark.hostile("loaders: events files")
def test_a_broken_row_is_named(tmp_path, row, line, match):
    lines = list(GOOD)
    lines[row] = line
    with pytest.raises(ValueError, match=match):
        _run(tmp_path, lines)


@pytest.mark.hostile("loaders: events files", cases={"error": 1, "correct": 1})
def test_overlapping_blocks_are_refused(tmp_path):
    lines = GOOD[:2] + ["6\t9\tstimulus\timg_c\t3"] + GOOD[2:]  # a second block at 6 s
    with pytest.raises(ValueError, match=r"rows 2 and 3 \(lines 3 and 4\) overlap"):
        _run(tmp_path, lines)
    # a one-back repeat is not a sample: it may not overlap either, but it is not kept
    repeat = GOOD[:2] + ["15\t9\tstimulus\timg_a\t1", "24\t6\trest\tn/a\tn/a"]
    X, rows = _run(tmp_path, repeat)
    assert rows["stimulus_name"].tolist() == ["img_a"]


@pytest.mark.hostile("loaders: events files", cases={"error": 1})
def test_imagery_blocks_need_a_category(tmp_path):
    lines = ["0\t6\trest\tn/a\tn/a", "6\t15\timagery\tn/a\tn/a", "21\t3\trest\tn/a\tn/a"]
    with pytest.raises(ValueError, match=r"row 2 \(line 3\): category_index is 'n/a'; an "
                                         "imagery block"):
        _run(tmp_path, lines, task="imagery")
    assert isinstance(pd.__version__, str)
