"""load_god_subjects: several ds001246 subjects from one BIDS root, each with its own
voxels, the same images (issue 25)."""
import numpy as np
import pytest

from neurodecode.datasets import load_god_subjects, simulate_bids

SMALL = {"V1": 12, "V2": 8, "V3": 8, "hV4": 4, "LOC": 8, "FFA": 4, "PPA": 4}
RUNS = {"perceptionTraining": 2, "perceptionTest": 3, "imageryTest": 0}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("god2") / "ds"
    for label, extra, seed in (("01", 0, 1), ("02", 6, 2)):
        simulate_bids(root, label, n_voxels={**SMALL, "V1": SMALL["V1"] + extra},
                      grid=(16, 16, 10), stimuli=False, raw=False, n_runs=RUNS,
                      random_state=seed)
    return root


def test_every_subject_with_its_own_voxels(root):
    god = load_god_subjects(root, rois=("VC",), verbose=0)
    assert list(god) == ["01", "02"]
    assert god["01"].X_train.shape[1] == 48 and god["02"].X_train.shape[1] == 54
    assert (god["01"].roi == "V1").sum() == 12 and (god["02"].roi == "V1").sum() == 18
    one = load_god_subjects(root, subjects="2", verbose=0)
    assert list(one) == ["02"]
    np.testing.assert_array_equal(one["02"].X_train, god["02"].X_train)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 3})
def test_bad_subject_lists(root, tmp_path):
    with pytest.raises(ValueError, match="no 'sub-07'"):
        load_god_subjects(root, subjects=["01", "07"], verbose=0)
    with pytest.raises(ValueError, match="named twice"):
        load_god_subjects(root, subjects=["01", "sub-01"], verbose=0)
    with pytest.raises(FileNotFoundError, match="not a BIDS dataset root"):
        load_god_subjects(tmp_path)
