"""roi_retraining: ROI sets, leave-one-out, the tidy table, joblib backends, errors."""
import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.utils import Bunch

from neurodecode.analysis import roi_retraining
from neurodecode.metrics import wilcoxon


class RidgeImages(BaseEstimator, RegressorMixin):
    """A linear decoder: fMRI -> flattened images (the analysis is estimator-agnostic)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, images, X_unpaired_fmri=None, unpaired_images=None):
        self.shape_ = images.shape[1:]
        self.ridge_ = Ridge(alpha=self.alpha).fit(X, images.reshape(len(images), -1))
        self.unpaired_seen_ = X_unpaired_fmri is not None
        return self

    def predict(self, X):
        return np.clip(self.ridge_.predict(X), 0, 1).reshape((len(X),) + self.shape_)


@pytest.fixture(scope="module")
def data():
    """Early voxels read the image linearly; late voxels are noise."""
    rng = np.random.default_rng(0)
    n_tr, n_te, side = 300, 50, 8
    images = rng.random((n_tr + n_te, side, side, 3)).astype(np.float32)
    W = rng.standard_normal((side * side * 3, 40))
    early = images.reshape(len(images), -1) @ W
    early = (early - early.mean(0)) / early.std(0) + 0.5 * rng.standard_normal(early.shape)
    late = rng.standard_normal((len(images), 20))
    X = np.c_[early, late].astype(np.float32)
    masks = {"V1": np.r_[np.ones(20, bool), np.zeros(40, bool)],
             "V2": np.r_[np.zeros(20, bool), np.ones(20, bool), np.zeros(20, bool)],
             "HVC": np.r_[np.zeros(40, bool), np.ones(20, bool)]}
    masks["LVC"] = masks["V1"] | masks["V2"]
    masks["VC"] = np.ones(60, bool)
    return Bunch(X_train=X[:n_tr], images_train=images[:n_tr], X_test=X[n_tr:],
                 images_test=images[n_tr:], roi_masks=masks)


def test_early_areas_carry_the_image_and_the_table_is_tidy(data):
    with parallel_config(backend="loky"):
        table = roi_retraining(RidgeImages(alpha=10.0), data, ["LVC", "HVC", "VC", "V1+V2"],
                               n_jobs=2)
    assert set(table.columns) >= {"roi_set", "n_voxels", "metric", "value", "ci_low",
                                  "ci_high", "n", "per_image"}
    assert dict(zip(table.roi_set, table.n_voxels)) == {"LVC": 40, "HVC": 20, "VC": 60,
                                                        "V1+V2": 40}
    two = table[table.metric == "2-way identification (pixels)"].set_index("roi_set")
    assert two.loc["LVC", "value"] > 0.9 and abs(two.loc["HVC", "value"] - 0.5) < 0.15
    assert (two.ci_low <= two.value).all() and (two.value <= two.ci_high).all()
    assert wilcoxon(two.loc["LVC", "per_image"], two.loc["HVC", "per_image"])["pvalue"] < 1e-6
    # the union names the same voxels as LVC: the same fit
    np.testing.assert_allclose(two.loc["V1+V2", "per_image"], two.loc["LVC", "per_image"])
    assert (table.n == 50).all()


def test_leave_one_out_and_explicit_masks(data):
    table = roi_retraining(RidgeImages(), data, {"early": "LVC", "custom": data.roi_masks["V1"]},
                           leave_one_out=True, unpaired_fmri=None,
                           evaluate=lambda r, g: {"mse": ((r - g) ** 2).mean(axis=(1, 2, 3))})
    assert dict(zip(table.roi_set, table.n_voxels)) == {
        "early": 40, "custom": 20, "all but early": 20, "all but custom": 40}
    assert set(table.metric) == {"mse"}


def test_roi_retraining_errors(data):
    with pytest.raises(ValueError, match=r"unknown ROI 'V7'; known: \['HVC', 'LVC', 'V1'"):
        roi_retraining(RidgeImages(), data, ["V7"])
    with pytest.raises(ValueError, match="selects no voxel"):
        roi_retraining(RidgeImages(), data, {"none": np.zeros(60, bool)})
    with pytest.raises(ValueError, match="roi_sets is empty"):
        roi_retraining(RidgeImages(), data, [])
    bad = Bunch(**{**data, "roi_masks": {"V1": np.ones(10, bool)}})
    with pytest.raises(ValueError, match=r"roi_masks\['V1'\]: expected a boolean mask of "
                                         r"shape \(60,\)"):
        roi_retraining(RidgeImages(), bad, ["V1"])
    with pytest.raises(ValueError, match="data: no field .images_train."):
        roi_retraining(RidgeImages(), Bunch(X_train=1), ["V1"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_fig8_on_the_simulated_subject(seed):
    """The paper's Fig 8 with the package's decoder on the simulated subject: LVC-only
    reconstructions identify the test images better than HVC-only ones, and adding the
    higher areas (VC) does not make them worse (Wilcoxon over the 50 test images; scored
    by pixel correlation, so no network is shared with training)."""
    from neurodecode import SelfSupervisedDecoder
    from neurodecode.datasets import make_synthetic_subject

    subject = make_synthetic_subject(
        n_train_classes=100, n_train_per_class=6, n_test_classes=50, n_unpaired_classes=0,
        n_gallery_classes=50,
        n_voxels={"V1": 120, "V2": 80, "V3": 60, "hV4": 30, "LOC": 50, "FFA": 30, "PPA": 30},
        snr=0.3, random_state=seed)
    decoder = SelfSupervisedDecoder(perceptual_net="efficientnet_lite0",
                                    loss_weights=(1, 0, 0),
                                    image_loss_weights=(1.0, 0.0, 0.3), image_size=16,
                                    n_epochs=8,
                                    penalty_weight=0.1, random_state=seed, verbose=0)
    table = roi_retraining(decoder, subject, ["LVC", "HVC", "VC"], n_jobs=1)
    two = table[table.metric == "2-way identification (pixels)"].set_index("roi_set")
    lvc, hvc, vc = (two.loc[k, "per_image"] for k in ("LVC", "HVC", "VC"))
    assert (two.n == 50).all()
    assert wilcoxon(lvc, hvc, alternative="greater")["pvalue"] < 0.05
    assert wilcoxon(lvc, vc, alternative="greater")["pvalue"] > 0.05  # VC >= LVC


def test_each_roi_set_checkpoints_into_its_own_folder(tmp_path):
    """Parallel fits of several sets must never share a checkpoint folder (the second would
    be refused as the folder's lock is held)."""
    from neurodecode import ImageEncoder, SelfSupervisedDecoder
    from neurodecode.analysis._roi import _own_checkpoints

    est = SelfSupervisedDecoder(encoder=ImageEncoder(checkpoint_dir=tmp_path / "enc"),
                                checkpoint_dir=tmp_path)
    own = _own_checkpoints(est, "all but V1+V2")
    assert own.checkpoint_dir == tmp_path / "all_but_V1+V2"
    assert own.encoder.checkpoint_dir == tmp_path / "enc" / "all_but_V1+V2"
    assert _own_checkpoints(SelfSupervisedDecoder(), "V1").checkpoint_dir is None
