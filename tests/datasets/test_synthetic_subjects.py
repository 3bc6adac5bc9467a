"""make_synthetic_subjects: several simulated subjects who saw the same images, each with
their own voxels, ROI sizes, pRFs, SNR and noise, in GOD's units (issue 25)."""
import numpy as np
import pytest

from neurodecode.datasets import check_subjects, make_synthetic_subjects

KW = dict(n_train_classes=6, n_train_per_class=5, n_test_classes=4, n_test_repeats=3,
          n_unpaired_classes=2, n_unpaired_per_class=2, n_gallery_classes=8, image_size=16)
SMALL = {"V1": 40, "V2": 30, "V3": 0, "hV4": 0, "LOC": 20, "FFA": 10, "PPA": 0}


@pytest.fixture(scope="module")
def five():
    return list(make_synthetic_subjects(5, n_voxels=SMALL, random_state=2, **KW).values())


def test_they_saw_the_same_images_and_have_their_own_voxels(five):
    first = five[0]
    for sub in five[1:]:
        for key in ("images_train", "images_test", "images_unpaired"):
            np.testing.assert_array_equal(sub[key], first[key])
        assert list(sub.stimulus_train) == list(first.stimulus_train)
        np.testing.assert_array_equal(sub.gallery_images([0, 1], 2)[0],
                                      first.gallery_images([0, 1], 2)[0])
    assert check_subjects({s.meta["subject"]: s for s in five}) is not None
    assert [s.meta["subject"] for s in five] == ["sim01", "sim02", "sim03", "sim04", "sim05"]
    counts = np.array([[int((s.roi == r).sum()) for r in SMALL] for s in five])
    assert len({tuple(c) for c in counts}) == 5  # every subject its own ROI sizes
    expected = np.array(list(SMALL.values()))
    assert np.all(np.abs(counts - expected) <= np.ceil(0.15 * expected))
    assert (counts[:, 2] == 0).all()  # an ROI left out stays out
    snrs = np.array([s.meta["snr"] for s in five])
    assert len(set(snrs.round(8))) == 5
    for s in five:  # each subject's voxel SNRs have its own geometric mean
        assert np.isclose(np.exp(np.log(s.snr).mean()), s.meta["snr"], rtol=1e-6)
    # their own receptive fields and noise: the same voxel index differs between subjects
    assert not np.allclose(five[0].prf_center[:10], five[1].prf_center[:10])


def test_each_is_in_gods_units_and_the_draw_is_seeded(five):
    for s in five:
        for run in np.unique(s.runs_train):
            x = s.X_train[s.runs_train == run].astype(np.float64)
            np.testing.assert_allclose(x.mean(0), 0, atol=1e-5)
            np.testing.assert_allclose(x.std(0), 1, atol=1e-4)
    again = make_synthetic_subjects(5, n_voxels=SMALL, random_state=2, **KW).values()
    for a, b in zip(five, again):
        np.testing.assert_array_equal(a.X_train, b.X_train)
    other = make_synthetic_subjects(2, n_voxels=SMALL, random_state=3, **KW)
    assert not np.array_equal(other["sim01"].images_train, five[0].images_train)


def test_equal_subjects_when_the_spreads_are_zero():
    two = list(make_synthetic_subjects(2, n_voxels=SMALL, voxel_spread=0, snr_between=0,
                                       random_state=0, **KW).values())
    assert two[0].X_train.shape == two[1].X_train.shape
    assert two[0].meta["snr"] == two[1].meta["snr"] == pytest.approx(0.02)
    assert not np.allclose(two[0].X_train, two[1].X_train)  # still two brains


@pytest.mark.hostile("simulators", cases={"error": 3})
def test_bad_arguments():
    with pytest.raises(ValueError, match="n_subjects must be in"):
        make_synthetic_subjects(0)
    with pytest.raises(ValueError, match="voxel_spread must be in"):
        make_synthetic_subjects(2, voxel_spread=1.0)
    with pytest.raises(TypeError, match="sets 'image_random_state' per subject"):
        make_synthetic_subjects(2, image_random_state=1)
