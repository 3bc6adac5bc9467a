import numpy as np
import pytest

from neurodecode.datasets import load_photographs, make_class_images, pink_noise


def test_shapes_range_and_labels():
    images, labels = make_class_images(n_classes=3, n_per_class=4, image_size=24, random_state=1)
    assert images.shape == (12, 24, 24, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    assert labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4


def test_classes_are_stable_recipes_and_image_ranges_are_disjoint():
    a, _ = make_class_images(n_classes=6, n_per_class=2, image_size=16, random_state=3)
    b, _ = make_class_images(classes=[4], n_per_class=2, image_size=16, random_state=3)
    np.testing.assert_array_equal(a[8:10], b)  # class 4 does not depend on the others
    c, _ = make_class_images(classes=[4], n_per_class=2, image_size=16, random_state=3,
                             first_image=2)
    assert not np.allclose(b, c)
    d, _ = make_class_images(classes=[4], n_per_class=2, image_size=16, random_state=4)
    assert not np.allclose(b, d)  # another seed, another recipe
    big, labels = make_class_images(classes=[1234, 5], n_per_class=1, image_size=16)
    assert labels.tolist() == [1234, 5]


def test_classes_are_separable_by_pretrained_features():
    from neurodecode.metrics import FeatureModel

    classes = np.arange(700, 720)  # 20 classes: chance is 5%
    train, ltr = make_class_images(classes=classes, n_per_class=6, image_size=64)
    test, lte = make_class_images(classes=classes, n_per_class=3, image_size=64,
                                  first_image=50)
    fm = FeatureModel("efficientnet_lite0", ["block10"])
    ftr, fte = fm.vectors(train), fm.vectors(test)

    def z(a):
        a = a - a.mean(1, keepdims=True)
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    centroids = np.stack([ftr[ltr == c].mean(0) for c in classes])
    accuracy = (classes[np.argmax(z(fte) @ z(centroids).T, axis=1)] == lte).mean()
    # classes share palettes (colour alone is a weak cue), so this is far from perfect, but
    # far above chance: shape and texture tell classes apart (measured: 0.47)
    assert accuracy > 0.3


def test_pink_noise_has_a_one_over_f_spectrum():
    rng = np.random.default_rng(0)
    noise = np.stack([pink_noise(64, rng, channels=1)[..., 0] for _ in range(20)])
    power = (np.abs(np.fft.fft2(noise)) ** 2).mean(0)
    f = np.fft.fftfreq(64)
    radius = np.hypot(f[:, None], f[None, :])
    low = power[(radius > 0.04) & (radius < 0.06)].mean()
    high = power[(radius > 0.2) & (radius < 0.3)].mean()
    # amplitude ~ 1/f, power ~ 1/f^2: a 5x higher frequency has ~25x less power
    assert 10 < low / high < 60


def test_photographs():
    images, names = load_photographs(image_size=32)
    assert images.shape == (len(names), 32, 32, 3) and "chelsea" in names
    assert 0 <= images.min() and images.max() <= 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="non-negative ints"):
        make_class_images(classes=[-1])
    with pytest.raises(ValueError, match="n_per_class must be >= 1"):
        make_class_images(n_per_class=0)
