"""pRF mapping through an encoder: bar apertures, Gaussian pRF fits, the in-silico experiment."""
import numpy as np
import pytest
import torch

from neurodecode.analysis import bar_apertures, fit_gaussian_prf, map_prf
from neurodecode.models import EncoderNet, FeatureExtractor, Tap


def test_bar_apertures_sweep_the_whole_field_at_each_orientation():
    A = bar_apertures(20, n_orientations=4, n_steps=17, bar_width=0.1)
    assert A.shape[1:] == (20, 20) and set(np.unique(A)) == {0.0, 1.0}
    # every pixel is covered by each orientation's sweep (steps no wider than the bars)
    assert len(A) == 68
    per = A.reshape(4, 17, 20, 20)
    assert (per.max(1) == 1).all()
    assert (A.sum((1, 2)) == 0).any()  # blanks at the ends of the sweeps
    # a vertical bar (orientation 0) is constant down each column
    assert (per[0] == per[0, :, :1]).all()
    with pytest.raises(ValueError, match="bar_width"):
        bar_apertures(20, bar_width=1.5)
    with pytest.raises(ValueError, match="n_steps >= 17"):
        bar_apertures(20, n_steps=16, bar_width=0.1)


def test_fit_gaussian_prf_recovers_known_centres_and_sizes():
    A = bar_apertures(24, n_steps=30)
    deg = 12.0 / 24
    c = (np.arange(24) + 0.5 - 12) * deg
    xs, ys = np.meshgrid(c, -c)
    truth = [(-3.25, 2.25, 0.5), (0.25, -0.25, 1.0), (4.25, -3.75, 2.0)]
    R = np.stack([(A * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * s * s))).sum((1, 2))
                  for x, y, s in truth], 1)
    R = 3.0 * R + 1.0 + np.random.default_rng(0).normal(0, 0.05 * R.std(), R.shape)
    prf = fit_gaussian_prf(R, A, 12.0, sizes=(0.5, 1.0, 2.0))
    np.testing.assert_allclose(prf[["x", "y", "size"]].to_numpy(), np.array(truth))
    assert prf.confined.all() and (prf.fit_r > 0.99).all()
    np.testing.assert_allclose(prf.polar_angle, np.rad2deg(np.arctan2(
        [t[1] for t in truth], [t[0] for t in truth])) % 360)
    # a voxel that does not follow the bars is not confined
    noise = np.random.default_rng(1).normal(size=(len(A), 1))
    assert not fit_gaussian_prf(noise, A, 12.0).confined[0]
    with pytest.raises(ValueError, match="one row per aperture"):
        fit_gaussian_prf(R[:-1], A, 12.0)


def test_map_prf_finds_where_a_local_encoder_reads():
    """A conv-only encoder whose readout looks at one location per voxel (positive channel
    mixes: textured bars drive every ReLU channel above grey, by Jensen's inequality)."""
    torch.manual_seed(0)
    body = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(4, 4, 3, padding=1), torch.nn.ReLU())
    fx = FeatureExtractor(body, [Tap("a", 1, 4, 1), Tap("b", 3, 4, 1)])
    net = EncoderNet(fx, n_voxels=3, image_size=32, branch_channels=4, branch_strides=(1, 1))
    locs = [(5, 20), (16, 16), (25, 6)]  # (row, col)
    with torch.no_grad():
        net.readout.channel_mix.abs_()
        for S in net.readout.space_maps.values():
            S.zero_()
            for v, (r, c) in enumerate(locs):
                S[v, r - 1, c - 1] = 1.0
    prf = map_prf(net, stimulus_degrees=32.0, n_steps=40, n_carriers=8, grid=32,
                  sizes=(0.5, 1.0, 2.0))
    got = np.c_[15.5 - prf.y, prf.x + 15.5]  # back to (row, col), 1 deg per pixel
    np.testing.assert_allclose(got, np.array(locs, dtype=float), atol=1.5)
    assert prf.confined.all()
    assert list(prf.index) == [0, 1, 2] and prf.index.name == "voxel"
    again = map_prf(net, stimulus_degrees=32.0, n_steps=40, n_carriers=8, grid=32,
                    sizes=(0.5, 1.0, 2.0))
    assert again.equals(prf)  # seeded
    with pytest.raises(TypeError, match="encoder"):
        map_prf(object())


def test_map_prf_with_image_carriers_and_bad_carriers():
    torch.manual_seed(0)
    body = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU())
    fx = FeatureExtractor(body, [Tap("a", 1, 4, 1)])
    net = EncoderNet(fx, n_voxels=1, image_size=32, branch_channels=4, branch_strides=(1,))
    with torch.no_grad():
        net.readout.channel_mix.abs_()
        for S in net.readout.space_maps.values():
            S.zero_()
            S[0, 7, 22] = 1.0  # reads (row 8, col 23)
    images = np.random.default_rng(0).random((20, 16, 16, 3)).astype(np.float32)  # resized
    prf = map_prf(net, stimulus_degrees=32.0, n_steps=40, n_carriers=8, carriers=images,
                  sizes=(0.5, 1.0, 2.0))
    np.testing.assert_allclose([15.5 - prf.y[0], prf.x[0] + 15.5], [8, 23], atol=1.5)
    with pytest.raises(ValueError, match=r"carriers must have shape \(n, H, W, 3\)"):
        map_prf(net, carriers=images[..., 0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        map_prf(net, carriers=images * 255)
