"""What a report states about a subject (issue 22): statistics, class bounds, the encoder's
summary, the memorisation diagnostic; checked against the simulated subject's truth."""
import numpy as np
import pytest

from neurodecode.analysis import (
    class_bounds,
    memorisation,
    noise_ceiling,
    prf_centres,
    subject_statistics,
)
from neurodecode.datasets import make_synthetic_subject
from neurodecode.metrics import ColorHistogramGallery


@pytest.fixture(scope="module")
def subject():
    return make_synthetic_subject(n_train_classes=6, n_train_per_class=4, n_test_classes=5,
                                  n_test_repeats=6, n_voxels={"V1": 30, "LOC": 20},
                                  image_size=16, n_unpaired_classes=0, n_gallery_classes=8,
                                  random_state=0)


def test_subject_statistics_against_the_arrays(subject):
    st = subject_statistics(subject, random_state=0)
    assert st["voxels_per_roi"]["V1"] == 30 and st["voxels_per_roi"]["LOC"] == 20
    assert st["voxels_per_roi"]["V1"] == int(subject.roi_masks["V1"].sum())
    var = subject.X_test.astype(np.float64).var(0)
    assert st["fmri_variance"]["test"]["p50"] == pytest.approx(np.percentile(var, 50))
    ceiling = noise_ceiling(subject.X_test_trials, n_images=5, random_state=0)
    assert st["noise_ceiling_split_half"]["median"] == pytest.approx(np.nanmedian(ceiling))
    assert st["noise_ceiling_true"]["median"] == pytest.approx(np.median(subject.noise_ceiling))
    hvc = st["hvc_clean_correlation"]  # against numpy's Pearson r of the clean responses
    C = np.corrcoef(subject.Y_train_clean[:, np.isin(subject.roi, ["LOC", "FFA", "PPA"])].astype(np.float64))
    same = subject.labels_train[:, None] == subject.labels_train[None]
    off = ~np.eye(len(C), dtype=bool)
    assert hvc["within_class"] == pytest.approx(C[same & off].mean(), abs=1e-9)
    assert hvc["between_class"] == pytest.approx(C[~same].mean(), abs=1e-9)
    assert subject_statistics(subject, ceiling=ceiling) == st
    with pytest.raises(ValueError, match=r"subject_statistics\(subject\)"):
        subject_statistics({k: v for k, v in subject.items() if k != "X_test_trials"})


def test_class_bounds_ground_truth_images_rank_first_with_a_colour_gallery(subject):
    def images_of(classes):
        return subject.gallery_images(classes, n_per_class=4)

    g, colors = ColorHistogramGallery(bins=4), ColorHistogramGallery(bins=4)
    g.fit_from(images_of, subject.gallery_classes, also=[colors])
    b = class_bounds(subject, g, colors)
    assert b["n_classes"] == 8
    truth = b["ground_truth_images"]
    np.testing.assert_array_equal(truth["per_image"],
                                  g.ranks(subject.images_test, subject.labels_test))
    assert truth["n"] == 5 and truth["median"] == np.median(truth["per_image"])
    assert b["linear_fmri_oracle"]["ridge_alpha"] > 0


def test_prf_centres_and_memorisation_by_hand():
    t = prf_centres([0.0, -1.0], [1.0, 0.0])
    assert t.eccentricity.tolist() == [1.0, 1.0] and t.polar_angle.tolist() == [90.0, 180.0]
    h = {"L_DE_decoded": [0.5, 0.7], "L_DE_true_images": [0.6, 0.6]}
    assert memorisation(h) == {"L_DE_decoded": 0.7, "L_DE_true_images": 0.6,
                               "memorises": False, "L_DE_decoded_first": 0.5}
    assert memorisation({"L_ED": [1.0]}) is None
    with pytest.raises(TypeError, match="fitted SelfSupervisedDecoder"):
        memorisation(object())
