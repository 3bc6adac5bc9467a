"""Encoding accuracy, noise-corrected accuracy and receptive-field estimation, against
known truths (scipy, closed forms, maps with known centres)."""
import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from neurodecode.analysis import (
    circular_correlation,
    decoder_receptive_fields,
    gradient_maps,
    noise_corrected_accuracy,
    prediction_accuracy,
    prf_from_maps,
    receptive_field_agreement,
)
from neurodecode.models import DecoderNet, EncoderNet, SpaceFeatureReadout


def test_prediction_accuracy_is_scipys_pearson_per_voxel():
    rng = np.random.default_rng(0)
    y = rng.standard_normal((20, 5))
    p = y + rng.standard_normal((20, 5))
    r = prediction_accuracy(y, p)
    np.testing.assert_allclose(r, [stats.pearsonr(y[:, v], p[:, v])[0] for v in range(5)])


def test_prediction_accuracy_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        prediction_accuracy(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="NaN"):
        prediction_accuracy(np.full((5, 3), np.nan), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="shape \\(n_images, n_voxels\\)"):
        prediction_accuracy(np.zeros(5), np.zeros(5))


def test_noise_corrected_accuracy_masks_unreliable_ceilings():
    out = noise_corrected_accuracy([0.4, 0.4, -0.2], [0.8, 0.2, 0.5], min_ceiling=0.3)
    np.testing.assert_allclose(out, [0.5, np.nan, -0.4])
    with pytest.raises(ValueError, match="same length"):
        noise_corrected_accuracy([0.1, 0.2], [0.5])


def test_noise_corrected_accuracy_recovers_the_model_fit_on_the_simulated_subject():
    """A perfect model of the noiseless response reaches its ceiling: corrected ~ 1."""
    from neurodecode.analysis import noise_ceiling
    from neurodecode.datasets import make_synthetic_subject

    sub = make_synthetic_subject(n_train_classes=20, n_train_per_class=2, n_test_classes=50,
                                 n_unpaired_classes=0, n_gallery_classes=50,
                                 n_voxels={"V1": 60, "V2": 0, "V3": 0, "hV4": 0, "LOC": 0,
                                           "FFA": 0, "PPA": 0}, snr=0.1, random_state=1)
    r = prediction_accuracy(sub.X_test, sub.Y_test_clean)
    ceiling = noise_ceiling(sub.X_test_trials, random_state=0)
    corrected = noise_corrected_accuracy(r, ceiling, min_ceiling=0.5)
    ok = np.isfinite(corrected)
    assert ok.sum() > 20
    assert abs(np.median(corrected[ok]) - 1.0) < 0.1
    # and r itself follows the true ceiling
    assert np.corrcoef(r, sub.noise_ceiling)[0, 1] > 0.8


def _blobs(centres, side=48, sd=2.5):
    yy, xx = np.mgrid[0:side, 0:side]
    return np.stack([np.exp(-((xx - c) ** 2 + (yy - r) ** 2) / (2 * sd**2))
                     for r, c in centres])


def test_prf_from_maps_recovers_known_centres_sizes_and_angles():
    centres = [(10, 30), (24, 24), (36, 8), (20, 12)]  # (row, col)
    sd = 2.5
    prf = prf_from_maps(_blobs(centres, sd=sd), stimulus_degrees=48.0)  # 1 deg per pixel
    x = np.array([c + 0.5 - 24 for _, c in centres])
    y = np.array([24 - (r + 0.5) for r, _ in centres])
    np.testing.assert_allclose(prf.x, x, atol=0.05)
    np.testing.assert_allclose(prf.y, y, atol=0.05)
    np.testing.assert_allclose(prf.eccentricity, np.hypot(x, y), atol=0.05)
    np.testing.assert_allclose(prf.polar_angle, np.rad2deg(np.arctan2(y, x)) % 360, atol=0.5)
    # size: the Gaussian SD, undoing smoothing and power
    np.testing.assert_allclose(prf["size"], sd, rtol=0.05)
    assert prf.confined.all()
    # convention: right = 0 deg, up = 90 deg, counter-clockwise
    assert prf.polar_angle.iloc[0] == pytest.approx(np.rad2deg(np.arctan2(13.5, 6.5)), abs=0.5)


def test_diffuse_maps_are_not_confined():
    rng = np.random.default_rng(0)
    diffuse = rng.random((3, 48, 48)) ** 0.1  # nearly flat
    prf = prf_from_maps(np.concatenate([diffuse, _blobs([(20, 20)])]), 12.0)
    assert prf.confined.tolist() == [False, False, False, True]


def test_prf_bad_maps():
    with pytest.raises(ValueError, match="non-negative"):
        prf_from_maps(-np.ones((1, 8, 8)), 12.0)
    with pytest.raises(ValueError, match="shape \\(n_voxels, h, w\\)"):
        prf_from_maps(np.ones((8, 8)), 12.0)


def test_circular_correlation_is_fisher_lee():
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 360, 50)
    b = (a + rng.normal(0, 30, 50)) % 360
    ra, rb = np.deg2rad(a), np.deg2rad(b)
    da = np.sin(ra[:, None] - ra[None])
    db = np.sin(rb[:, None] - rb[None])
    expected = (da * db).sum() / np.sqrt((da**2).sum() * (db**2).sum())  # the O(n^2) form
    assert circular_correlation(a, b) == pytest.approx(expected)
    assert circular_correlation(a, (a + 90) % 360) == pytest.approx(1.0)  # rotation
    assert circular_correlation(a, (-a) % 360) == pytest.approx(-1.0)  # reflection
    assert circular_correlation(a, b) > 0.7
    assert abs(circular_correlation(a, rng.uniform(0, 360, 50))) < 0.3


def test_gradient_maps_find_the_readout_location_of_a_local_encoder():
    """An encoder whose readout looks at one location per voxel: its gradient map peaks
    there. Uses a conv-only backbone (identity-like taps) so the truth is exact."""
    from neurodecode.models import FeatureExtractor, Tap

    torch.manual_seed(0)
    body = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.ReLU())
    fx = FeatureExtractor(body, [Tap("a", 1, 4, 1), Tap("b", 3, 4, 1)])
    net = EncoderNet(fx, n_voxels=3, image_size=32, branch_channels=4, branch_strides=(1, 1))
    locs = [(5, 20), (16, 16), (25, 6)]  # (row, col) of the 3x3 neighbourhood centre
    with torch.no_grad():
        for g, S in net.readout.space_maps.items():
            S.zero_()
            for v, (r, c) in enumerate(locs):
                S[v, r - 1, c - 1] = 1.0  # map index p is the neighbourhood centred at p+1
    maps = gradient_maps(net, n_images=4, batch_size=8)
    assert maps.shape == (3, 32, 32)
    prf = prf_from_maps(maps, 32.0, sigma=1.0)
    got = np.c_[15.5 - prf.y, prf.x + 15.5]  # back to (row, col), 1 deg per pixel
    # within the 3x3 neighbourhood and the two 3x3 convolutions' reach of the true centre
    np.testing.assert_allclose(got, np.array(locs, dtype=float), atol=1.5)



@pytest.mark.parametrize("vectorised", [True, False])
def test_gradient_maps_are_each_voxels_own_input_gradient(monkeypatch, vectorised):
    """Against the definition, one voxel and one image at a time; the vectorised backward
    pass and its fallback (images replicated per voxel) agree, and the model's parameters
    get no gradient."""
    from neurodecode.models import FeatureExtractor, Tap

    torch.manual_seed(1)
    body = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(4, 4, 3, padding=1, stride=2), torch.nn.ReLU())
    fx = FeatureExtractor(body, [Tap("a", 1, 4, 1), Tap("b", 3, 4, 2)])
    net = EncoderNet(fx, n_voxels=5, image_size=16, branch_channels=4, branch_strides=(1, 1))
    if not vectorised:
        real = torch.autograd.grad

        def no_batching(*args, **kwargs):
            if kwargs.get("is_grads_batched"):
                raise RuntimeError("no batching rule")
            return real(*args, **kwargs)

        monkeypatch.setattr(torch.autograd, "grad", no_batching)
    voxels = [4, 0, 2]
    maps = gradient_maps(net, n_images=3, batch_size=6, voxels=voxels, random_state=7)
    images = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(7))
    net.eval()
    for row, v in enumerate(voxels):
        ref = torch.zeros(16, 16, dtype=torch.float64)
        for i in range(3):
            x = images[i:i + 1].clone().requires_grad_(True)
            g, = torch.autograd.grad(net(x)[0, v], x)
            ref += g[0].double().square().mean(0) / 3
        torch.testing.assert_close(maps[row], ref, rtol=1e-5, atol=1e-12)
    assert all(p.grad is None for p in net.parameters())
    assert all(p.requires_grad for p in net.readout.parameters())

def test_decoder_receptive_fields_find_where_the_dense_layer_writes():
    dec = DecoderNet(n_voxels=2, image_size=32)  # 4x4 seed grid
    with torch.no_grad():
        dec.dense.weight.zero_()
        maps = dec.dense_weight_maps()  # a view: (V, C, 4, 4)
        maps[0, :, 0, 3] = 1.0  # top right
        maps[1, :, 3, 0] = 1.0  # bottom left
    prf = decoder_receptive_fields(dec, stimulus_degrees=12.0)
    np.testing.assert_allclose(prf[["x", "y"]].values, [[4.5, 4.5], [-4.5, -4.5]])
    np.testing.assert_allclose(prf.polar_angle, [45.0, 225.0])


def test_receptive_field_agreement_needs_matching_tables():
    t = pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [0.0, 1, 0, 1], "eccentricity": [1.0, 2, 3, 4],
                      "polar_angle": [0.0, 30, 60, 90]})
    assert receptive_field_agreement(t, t)["x"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same length"):
        receptive_field_agreement(t, t.iloc[:3])
    with pytest.raises(ValueError, match="at least 3 voxels"):
        receptive_field_agreement(t, t, mask=[True, False, False, False])


def test_unfitted_or_foreign_models_are_refused():
    from sklearn.exceptions import NotFittedError

    from neurodecode import ImageEncoder, SelfSupervisedDecoder
    from neurodecode.analysis import estimate_prf

    with pytest.raises(NotFittedError):
        estimate_prf(ImageEncoder())
    with pytest.raises(NotFittedError):
        decoder_receptive_fields(SelfSupervisedDecoder())
    with pytest.raises(TypeError, match="fitted neurodecode.ImageEncoder or an EncoderNet"):
        estimate_prf(object())
    with pytest.raises(TypeError, match="SelfSupervisedDecoder or a DecoderNet"):
        decoder_receptive_fields("decoder")


@pytest.mark.parametrize("snr", [0.02, 0.05])
@pytest.mark.parametrize("seed", [0, 1])
def test_split_half_ceiling_matches_the_true_ceiling_voxel_by_voxel(snr, seed):
    """GOD-matched subject (default SNR 0.02: median ceiling ~0.7; and 0.05), 35 repeats
    of 50 test images: the split-half estimate's median absolute error against the true
    ceiling is <= 0.05 and it is unbiased."""
    from neurodecode.analysis import noise_ceiling
    from neurodecode.datasets import make_synthetic_subject
    from neurodecode.datasets._synthetic import DEFAULT_VOXELS

    s = make_synthetic_subject(n_train_classes=10, n_train_per_class=2, n_unpaired_classes=0,
                               n_gallery_classes=50, snr=snr, random_state=seed,
                               n_voxels={k: v // 3 for k, v in DEFAULT_VOXELS.items()})
    nc = noise_ceiling(s.X_test_trials, random_state=0)
    error = nc - s.noise_ceiling
    assert np.median(np.abs(error)) <= 0.05
    assert abs(np.median(error)) <= 0.02
    if snr == 0.02:
        assert 0.55 <= np.median(s.noise_ceiling) <= 0.75


def test_noise_ceiling_and_snr_bad_input():
    from neurodecode.analysis import noise_ceiling, snr

    good = np.random.default_rng(0).standard_normal((10, 4, 6))
    for f in (noise_ceiling, snr):
        with pytest.raises(ValueError, match="at least 3 images and 2 repeats"):
            f(good[:, :1])
        with pytest.raises(ValueError, match=r"shape \(n_images, n_repeats, n_voxels\)"):
            f(good[0])
        bad = good.copy()
        bad[2, 1, 3] = np.nan
        with pytest.raises(ValueError, match="1 NaN or infinite"):
            f(bad)


def test_estimate_prf_reads_gaussian_maps_and_agrees_with_their_gradients():
    from neurodecode.analysis import estimate_prf

    """An encoder with Gaussian spatial maps: method "gaussian" converts its parameters
    to degrees by hand (x right, y up); the paper's gradient read-out of the same net
    peaks at the same place."""
    from neurodecode.models import FeatureExtractor, Tap
    from neurodecode.models._encoder_net import GAUSSIAN_STEP_SCALE

    torch.manual_seed(0)
    body = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU())
    fx = FeatureExtractor(body, [Tap("a", 1, 4, 1)])
    net = EncoderNet(fx, n_voxels=2, image_size=32, branch_channels=4, branch_strides=(1,),
                     space_model="gaussian")
    with torch.no_grad():
        net.readout.prf_center.copy_(torch.tensor([[0.5, -0.25], [-0.3, 0.4]])
                                     / GAUSSIAN_STEP_SCALE)
        net.readout.prf_log_sd.copy_(torch.log(torch.tensor([0.08, 0.5])) / GAUSSIAN_STEP_SCALE)
    prf = estimate_prf(net, stimulus_degrees=12.0)  # auto -> gaussian
    np.testing.assert_allclose(prf.x, [3.0, -1.8], atol=1e-6)
    np.testing.assert_allclose(prf.y, [1.5, -2.4], atol=1e-6)  # +row is down, +y is up
    np.testing.assert_allclose(prf.eccentricity, np.hypot([3.0, -1.8], [1.5, -2.4]))
    np.testing.assert_allclose(prf.polar_angle, np.rad2deg(np.arctan2([1.5, -2.4],
                                                                      [3.0, -1.8])) % 360)
    np.testing.assert_allclose(prf["size"], [0.48, 3.0], atol=1e-6)
    assert prf.confined.tolist() == [True, False]  # 3 deg > 0.12 x 12 deg
    grad = estimate_prf(net, stimulus_degrees=12.0, method="gradient", sigma=1.0)
    assert abs(grad.x[0] - 3.0) < 0.75 and abs(grad.y[0] - 1.5) < 0.75  # within 2 px
    with pytest.raises(ValueError, match="method must be"):
        estimate_prf(net, method="parameters")
    free = EncoderNet(fx, n_voxels=2, image_size=32, branch_channels=4, branch_strides=(1,))
    with pytest.raises(ValueError, match="space_model='gaussian'"):
        estimate_prf(free, method="gaussian")


@pytest.mark.hostile("analyses", cases={"correct": 1})
def test_a_voxel_without_gradient_has_no_prf():
    """An all-zero gradient map used to come back as a confined pRF of size 0 at a corner
    (issue 23): it has no position, and the paper's filter drops it."""
    import numpy as np

    from neurodecode.analysis import prf_from_maps

    yy, xx = np.mgrid[0:16, 0:16]
    blob = np.exp(-((xx - 10) ** 2 + (yy - 5) ** 2) / 2.0)
    prf = prf_from_maps(np.stack([blob, np.zeros((16, 16))]), stimulus_degrees=16.0)
    assert bool(prf.confined[0]) and not bool(prf.confined[1])
    assert np.isnan(prf.loc[1, ["x", "y", "size", "eccentricity"]].astype(float)).all()


@pytest.mark.hostile("analyses", cases={"error": 2, "correct": 1})
def test_the_repeats_first_layout_is_refused_by_its_shape():
    """Issue 23: noise_ceiling took (35 repeats, 50 images, V) as 35 images of 50 repeats
    and returned ceilings near 0 where the truth is ~1."""
    import numpy as np
    import pytest

    from neurodecode.analysis import noise_ceiling, snr

    rng = np.random.default_rng(0)
    signal = rng.standard_normal((50, 1, 4))
    trials = signal + 0.1 * rng.standard_normal((50, 35, 4))  # images first: GOD's test
    assert np.all(noise_ceiling(trials, n_splits=10, random_state=0) > 0.99)
    repeats_first = np.moveaxis(trials, 1, 0)  # (35, 50, 4), as X_test_repeats
    for fn in (noise_ceiling, snr):
        with pytest.raises(ValueError, match=r"more repeats \(50\) than images \(35\): it "
                                             "looks repeats first"):
            fn(repeats_first)
    few = trials[:6, :8]  # 6 images x 8 repeats, really: confirmed by n_images
    assert noise_ceiling(few, n_images=6, n_splits=5, random_state=0).shape == (4,)
    with pytest.raises(ValueError, match="n_images=7 but trials has 6"):
        snr(few, n_images=7)
