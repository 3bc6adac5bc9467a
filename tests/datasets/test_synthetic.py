import numpy as np
import pytest

from neurodecode.datasets import ROIS, make_synthetic_subject

SMALL = dict(n_train_classes=20, n_train_per_class=4, n_test_classes=10, n_test_repeats=6,
             n_unpaired_classes=6, n_unpaired_per_class=2, n_gallery_classes=40,
             n_voxels={"V1": 30, "V2": 20, "V3": 20, "hV4": 15, "LOC": 15, "FFA": 10,
                       "PPA": 10},
             image_size=32, random_state=0)


@pytest.fixture(scope="module")
def subject():
    return make_synthetic_subject(**SMALL)


def test_protocol_shapes(subject):
    s = subject
    V = 120
    assert s.X_train.shape == (80, V) and s.images_train.shape == (80, 32, 32, 3)
    assert s.X_test_repeats.shape == (6, 10, V) and s.X_test.shape == (10, V)
    np.testing.assert_allclose(s.X_test, s.X_test_repeats.mean(0), rtol=1e-5, atol=1e-4)
    assert s.images_unpaired.shape == (12, 32, 32, 3)
    assert len(np.unique(s.labels_train)) == 20 and np.all(np.bincount(s.labels_train)[10:] == 4)


def test_class_sets(subject):
    s = subject
    test, train, unpaired = set(s.labels_test), set(s.labels_train), set(s.labels_unpaired)
    assert not test & train and not test & unpaired and not train & unpaired
    assert test <= set(s.gallery_classes.tolist()) and len(s.gallery_classes) == 40
    g, labels = s.gallery_images(s.gallery_classes[:3], n_per_class=2)
    assert g.shape == (6, 32, 32, 3) and labels.tolist() == [0, 0, 1, 1, 2, 2]
    # gallery images of a test class are new images, not the test image
    assert not np.allclose(g[0], s.images_test[0])


def test_roi_labels_and_composites(subject):
    s = subject
    assert [int(s.roi_masks[r].sum()) for r in ROIS] == [30, 20, 20, 15, 15, 10, 10]
    np.testing.assert_array_equal(s.roi_masks["LVC"],
                                  s.roi_masks["V1"] | s.roi_masks["V2"] | s.roi_masks["V3"])
    np.testing.assert_array_equal(s.roi_masks["HVC"],
                                  s.roi_masks["LOC"] | s.roi_masks["FFA"] | s.roi_masks["PPA"])
    assert s.roi_masks["VC"].all()


def test_prf_ground_truth_follows_the_hierarchy(subject):
    s = subject
    ecc = np.hypot(*s.prf_center.T)
    assert ecc.max() <= 6.0 * 1.05 + 1e-9
    medians = [np.median(s.prf_size[s.roi_masks[r]]) for r in ("V1", "V2", "V3", "hV4", "LOC")]
    assert medians == sorted(medians)
    v1 = s.roi_masks["V1"]
    assert np.corrcoef(ecc[v1], s.prf_size[v1])[0, 1] > 0.9  # size grows with eccentricity


def test_noise_matches_the_snr_and_the_true_noise_ceiling(subject):
    s = make_synthetic_subject(**{**SMALL, "n_test_repeats": 35, "snr": 0.5})
    noise = s.X_train - s.Y_train_clean
    # per-voxel noise variance is 1 / snr (relative error of a variance from 80 samples)
    ratio = noise.var(axis=0) * s.snr
    assert abs(np.median(ratio) - 1) < 0.1
    assert abs(np.exp(np.log(s.snr).mean()) - 0.5) < 1e-6
    # the true ceiling predicts the correlation of the measured test means with the truth
    r = [np.corrcoef(s.X_test[:, v], s.Y_test_clean[:, v])[0, 1] for v in range(120)]
    assert abs(np.mean(r) - np.mean(s.noise_ceiling)) < 0.05
    assert np.all(s.noise_ceiling > s.noise_ceiling_single_trial)


def test_responses_are_a_fixed_function_of_the_image(subject):
    s = make_synthetic_subject(**SMALL)
    np.testing.assert_array_equal(s.X_train, subject.X_train)
    # signal standardised on the training images
    np.testing.assert_allclose(s.Y_train_clean.std(0), 1, atol=1e-4)
    # higher areas carry class information, computed from the image: same-class images
    # respond alike, but far from identically (no lookup of the label)
    hvc = s.roi_masks["HVC"]
    same, diff = [], []
    for i in range(0, 80, 4):
        same.append(np.corrcoef(s.Y_train_clean[i, hvc], s.Y_train_clean[i + 1, hvc])[0, 1])
        diff.append(np.corrcoef(s.Y_train_clean[i, hvc], s.Y_train_clean[(i + 4) % 80, hvc])[0, 1])
    assert np.mean(same) > np.mean(diff) + 0.1
    assert np.mean(same) < 0.8


def test_responses_depend_on_the_image_only(subject):
    # the same image gives the same response whatever class it is said to belong to, and
    # the subject's response function reproduces its own noiseless test responses
    trials = subject.simulate_fmri(subject.images_test, n_repeats=400, random_state=0)
    z = (trials - subject.Y_test_clean[None]) * np.sqrt(subject.snr)  # standard normal noise
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    with pytest.raises(ValueError, match="images must have shape"):
        subject.simulate_fmri(subject.images_test[:, :8])


def test_default_subject_matches_god():
    """The defaults: ~4500 voxels, split-half noise ceiling median ~0.65 (SD ~0.3)."""
    from neurodecode.analysis import noise_ceiling
    from neurodecode.datasets._synthetic import DEFAULT_VOXELS

    assert sum(DEFAULT_VOXELS.values()) == 4500
    s = make_synthetic_subject(n_train_classes=10, n_train_per_class=2, n_unpaired_classes=0,
                               n_gallery_classes=50, n_voxels={k: v // 3 for k, v in
                                                               DEFAULT_VOXELS.items()})
    nc = noise_ceiling(s.X_test_repeats.transpose(1, 0, 2), n_splits=30, random_state=0)
    assert 0.55 <= np.median(nc) <= 0.75
    assert 0.22 <= nc.std() <= 0.36
    # the estimate tracks the truth voxel by voxel
    assert np.corrcoef(nc, s.noise_ceiling)[0, 1] > 0.6
    assert abs(np.median(nc) - np.median(s.noise_ceiling)) < 0.06


def test_anti_correlated_halves_are_not_read_as_ceiling_one():
    from neurodecode.analysis import noise_ceiling

    rng = np.random.default_rng(13)
    noise = rng.standard_normal((3, 3, 400))  # pure noise, 3 images x 3 repeats (odd)
    nc = noise_ceiling(noise, n_splits=100, random_state=0)
    assert (nc == 1).mean() < 0.01  # Spearman-Brown's pole at r = -0.5 sent ~5 % to 1


def test_palettes_are_shared_so_colour_alone_does_not_identify_classes():
    from neurodecode.datasets import class_recipe
    from neurodecode.metrics import ColorHistogramGallery

    palettes = [tuple(class_recipe(0, c)["palettes"]) for c in range(40)]
    used = {p for ps in palettes for p in ps}
    assert len(used) <= 12  # a bank shared by every class
    s = make_synthetic_subject(**{**SMALL, "n_test_classes": 20, "n_gallery_classes": 100})
    images, labels = s.gallery_images(n_per_class=6)
    colors = ColorHistogramGallery().fit(images, labels)
    ranks = colors.ranks(s.images_test, s.labels_test)
    assert np.median(ranks) > 5  # of 100 classes: colour alone is a weak cue


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_train_classes must be >= 1"):
        make_synthetic_subject(n_train_classes=0)
    with pytest.raises(ValueError, match="snr must be > 0"):
        make_synthetic_subject(snr=0)
