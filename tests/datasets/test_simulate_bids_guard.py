"""simulate_bids never writes over an earlier simulation unless told to, and takes BIDS
labels only (issue 23)."""
import numpy as np
import pytest

from neurodecode.datasets import load_god, simulate_bids

SMALL = {"V1": 8, "V2": 0, "V3": 0, "hV4": 0, "LOC": 4, "FFA": 0, "PPA": 0}
KW = dict(n_voxels=SMALL, grid=(12, 12, 8), stimuli=False, raw=False)


@pytest.mark.hostile("simulate_bids", cases={"error": 1, "correct": 2})
def test_an_existing_subject_is_refused_and_overwrite_replaces_it(tmp_path):
    simulate_bids(tmp_path, "01", n_runs={"perceptionTraining": 3, "perceptionTest": 2,
                                          "imageryTest": 0}, random_state=0, **KW)
    with pytest.raises(FileExistsError, match="sub-01 exists: simulate_bids does not write "
                                              "over an earlier simulation"):
        simulate_bids(tmp_path, "01", n_runs={"perceptionTraining": 2, "perceptionTest": 2,
                                              "imageryTest": 0}, random_state=1, **KW)
    truth = simulate_bids(tmp_path, "01", n_runs={"perceptionTraining": 2,
                                                  "perceptionTest": 2, "imageryTest": 0},
                          overwrite=True, random_state=1, **KW)
    god = load_god(tmp_path, "01", verbose=0)
    assert len(god.X_train) == 100  # 2 runs x 50: none of the first simulation's 3 runs
    assert set(god.stimulus_train) <= set(truth.stimulus_train)
    simulate_bids(tmp_path, "02", n_runs={"perceptionTraining": 2, "perceptionTest": 2,
                                          "imageryTest": 0}, random_state=2, **KW)
    assert len(load_god(tmp_path, "02", verbose=0).X_train) == 100  # another subject: fine


@pytest.mark.hostile("simulate_bids")
@pytest.mark.parametrize("label", ["01/../../x", "0 1", "sub-", "01_a", ""])
def test_a_label_that_is_not_bids_is_refused(tmp_path, label):
    with pytest.raises(ValueError, match="is not a BIDS label"):
        simulate_bids(tmp_path / "ds", label, **KW)
    assert not (tmp_path / "x").exists() and not any(tmp_path.rglob("*.nii.gz"))
    assert np.isscalar(1)
