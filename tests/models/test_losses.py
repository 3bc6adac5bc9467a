import numpy as np
import pytest
import torch

from neurodecode.models import (
    BACKBONES,
    ImageLoss,
    build_feature_extractor,
    fmri_loss,
    perceptual_distance,
    total_variation,
)


def test_fmri_loss_by_hand():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 9)), rng.standard_normal((4, 9))
    mse = ((a - b) ** 2).mean(axis=1)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    ta, tb = torch.tensor(a), torch.tensor(b)
    for alpha in (0.0, 0.3, 1.0):
        got = fmri_loss(ta, tb, alpha=alpha, reduction="none").numpy()
        np.testing.assert_allclose(got, alpha * mse - (1 - alpha) * cos, rtol=1e-12)
    assert fmri_loss(ta, tb, alpha=0.3).item() == pytest.approx((0.3 * mse - 0.7 * cos).mean())
    # the cosine term is scale-free: -1 for a positive multiple of the target
    assert fmri_loss(3 * tb, tb, alpha=0.0).item() == pytest.approx(-1.0)


def test_total_variation_by_hand():
    img = torch.zeros(1, 1, 3, 3)
    img[0, 0, 0, 1] = 1.0
    # top-left 2x2 grid: (0,0): dx=1, dy=0 -> 1; (0,1): dx=-1, dy=-1 -> 2**1.25; others 0
    assert total_variation(img).item() == pytest.approx((1 + 2**1.25) / 4)
    assert total_variation(torch.full((2, 3, 8, 8), 0.7)).item() == 0.0


def test_perceptual_distance_is_one_minus_cosine_per_location():
    rng = np.random.default_rng(1)
    f = [rng.random((2, 5, 4, 4)) + 0.1, rng.random((2, 7, 2, 2)) + 0.1]
    g = [rng.random((2, 5, 4, 4)) + 0.1, rng.random((2, 7, 2, 2)) + 0.1]
    expected = np.zeros(2)
    for fb, gb in zip(f, g):
        cos = (fb * gb).sum(1) / np.linalg.norm(fb, axis=1) / np.linalg.norm(gb, axis=1)
        expected += (1 - cos).reshape(2, -1).mean(axis=1) / len(f)
    got = perceptual_distance([torch.tensor(x) for x in f], [torch.tensor(x) for x in g],
                              reduction="none")
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-8)


@pytest.mark.parametrize("name", ["vgg16", "efficientnet_lite0"])
def test_perceptual_loss_is_zero_for_identical_images_and_positive_otherwise(name):
    torch.manual_seed(0)
    fx = build_feature_extractor(name, BACKBONES[name].perceptual_taps)
    loss = ImageLoss(fx, weights=(0.0, 1.0, 0.0))
    a, b = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    assert torch.equal(loss(a, a, reduction="none"), torch.zeros(3))
    d = loss(a, b, reduction="none")
    assert (d > 0.01).all()
    # a slightly perturbed image is closer than an unrelated one
    near = loss(a, (a + 0.02 * torch.randn_like(a)).clamp(0, 1), reduction="none")
    assert (near < d).all()


def test_image_loss_combines_l1_perceptual_and_tv():
    torch.manual_seed(0)
    fx = build_feature_extractor("vgg16", BACKBONES["vgg16"].perceptual_taps)
    pred, target = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    full = ImageLoss(fx, weights=(1.0, 10.0, 0.3))(pred, target, reduction="none")
    l1 = (pred - target).abs().mean(dim=(1, 2, 3))
    perc = perceptual_distance(fx(pred), fx(target), reduction="none")
    tv = total_variation(pred, reduction="none")
    torch.testing.assert_close(full, l1 + 10 * perc + 0.3 * tv)
    # target features may be given precomputed
    feats = ImageLoss(fx).target_features(target)
    torch.testing.assert_close(ImageLoss(fx)(pred, target, target_features=feats),
                               ImageLoss(fx)(pred, target))
