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
    assert s.X_test_trials.shape == (10, 6, V) and s.X_test.shape == (10, V)
    np.testing.assert_allclose(s.X_test, s.X_test_trials.mean(1), rtol=1e-5, atol=1e-4)
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
    assert abs(np.exp(np.log(s.snr).mean()) - 0.5) < 1e-6
    # z-units: a single trial correlates with the clean signal as sqrt(snr / (1 + snr)),
    # the single-trial ceiling (z-scoring within runs rescales, it does not mix voxels)
    r1 = [np.corrcoef(s.X_train[:, v], s.Y_train_clean[:, v])[0, 1] for v in range(120)]
    assert abs(np.mean(r1) - np.mean(np.sqrt(s.snr / (1 + s.snr)))) < 0.05
    # the true ceiling predicts the correlation of the measured test means with the truth
    r = [np.corrcoef(s.X_test[:, v], s.Y_test_clean[:, v])[0, 1] for v in range(120)]
    assert abs(np.mean(r) - np.mean(s.noise_ceiling)) < 0.05
    assert np.all(s.noise_ceiling > s.noise_ceiling_single_trial)


def test_fmri_is_in_god_units(subject):
    """Single trials z-scored per voxel within runs of 50 images, test repeats within
    their run (one per repeat) before averaging: what load_god returns."""
    from neurodecode._utils import zscore_runs
    from neurodecode._utils import variance_percentiles
    from neurodecode.datasets._synthetic import run_layout

    s = subject
    assert s.runs_train.shape == (80,) and np.bincount(s.runs_train).tolist() == [40, 40]
    for run in np.unique(s.runs_train):  # mean 0, SD 1 per voxel within every run
        x = s.X_train[s.runs_train == run].astype(np.float64)
        np.testing.assert_allclose(x.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(x.std(0), 1, atol=1e-5)
    for rep in s.X_test_trials.transpose(1, 0, 2).astype(np.float64):  # each repeat is one run of 10 images
        np.testing.assert_allclose(rep.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(rep.std(0), 1, atol=1e-5)
    np.testing.assert_allclose(s.X_test, s.X_test_trials.mean(1), atol=1e-5)
    assert s.X_test_trials.shape == (10, 6, 120)
    v = variance_percentiles(s.X_train)
    assert all(abs(v[k] - 1) < 1e-4 for k in ("p5", "p50", "p95"))
    assert "z-scored" in s.meta["fmri_units"] and s.meta["n_train_runs"] == 2
    # GOD's layout: 1200 training images in 24 runs of 50, in a random order
    runs = run_layout(1200, np.random.default_rng(0))
    assert np.bincount(runs).tolist() == [50] * 24 and not np.all(np.diff(runs) >= 0)
    # the helper is scipy's z-score within each group
    from scipy.stats import zscore

    X = np.random.default_rng(1).standard_normal((6, 3)) * [1, 10, 100]
    Z = zscore_runs(X, [0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(Z[::2], zscore(X[::2], axis=0))
    np.testing.assert_allclose(Z[1::2], zscore(X[1::2], axis=0))


def test_default_subject_variances_in_god_range():
    """The must-show of the units: per-voxel variance of the training fMRI within
    0.8-1.25 at the 5th, 50th and 95th percentiles (raw units gave 4 / 55 / 824)."""
    from neurodecode._utils import variance_percentiles

    s = make_synthetic_subject(n_train_classes=150, n_train_per_class=8, n_unpaired_classes=0,
                               n_gallery_classes=50, n_voxels={"V1": 300, "hV4": 100,
                                                                "PPA": 100})
    v = variance_percentiles(s.X_train)
    assert all(0.8 <= v[k] <= 1.25 for k in ("p5", "p50", "p95")), v
    t = variance_percentiles(s.X_test)  # averaged repeats: signal fraction + noise / 35
    assert t["p5"] < t["p50"] < t["p95"] < 1.0


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
    trials = subject.simulate_fmri(subject.images_test, n_repeats=400, random_state=0,
                                   zscore=False)
    z = (trials - subject.Y_test_clean[None]) * np.sqrt(subject.snr)  # standard normal noise
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    # by default in GOD's units: each repeat z-scored within runs of (up to) 50 images
    trials = subject.simulate_fmri(subject.images_test, n_repeats=3, random_state=0)
    np.testing.assert_allclose(trials.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(trials.std(axis=1), 1, atol=1e-4)
    with pytest.raises(ValueError, match="images must have shape"):
        subject.simulate_fmri(subject.images_test[:, :8])
    with pytest.raises(ValueError, match="at least 2 images"):
        subject.simulate_fmri(subject.images_test[:1])


def test_default_subject_matches_god():
    """The defaults: ~4500 voxels, split-half noise ceiling median ~0.65 (SD ~0.3)."""
    from neurodecode.analysis import noise_ceiling
    from neurodecode.datasets._synthetic import DEFAULT_VOXELS

    assert sum(DEFAULT_VOXELS.values()) == 4500
    s = make_synthetic_subject(n_train_classes=10, n_train_per_class=2, n_unpaired_classes=0,
                               n_gallery_classes=50, n_voxels={k: v // 3 for k, v in
                                                               DEFAULT_VOXELS.items()})
    nc = noise_ceiling(s.X_test_trials, n_splits=30, random_state=0)
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
