"""Procedural, class-structured, natural-looking images (no natural image set installs here).

Each class is a seeded recipe: an object family (a radial-Fourier outline, optionally hollow
or elongated), a surface texture (stripes, checks, spots or a smooth gradient) with its own
orientation and frequency, a background (sky/ground gradient, 1/f texture), a typical number
and size of objects, and the palettes its images are coloured with. Palettes (two object
colours and two background colours) come from a bank shared by all classes (``N_PALETTES``)
and every image draws one of its class's ``PALETTES_PER_CLASS`` at random: like real
categories (cars, birds), classes overlap in colour and vary in colour within, so colour
statistics alone do not tell classes apart; shape and texture do. Each image draws its own positions,
sizes, rotations, colour jitter, occluders, lighting and 1/f noise. Class ``k`` is the same
recipe whatever else is generated, so training, test, unpaired and gallery sets can be drawn
independently and stay consistent.
"""
import colorsys
import functools

import numpy as np

from .._docs import fill_doc
from ..backend import seed_from_random_state

N_FOURIER = 6
TEXTURES = ("stripes", "checks", "spots", "gradient")
N_PALETTES = 12
PALETTES_PER_CLASS = 4


def _hsv(h, s, v):
    return np.array(colorsys.hsv_to_rgb(h % 1.0, np.clip(s, 0, 1), np.clip(v, 0, 1)))


@functools.lru_cache(maxsize=4096)
@fill_doc
def class_recipe(seed, class_id):
    """The parameters that define class ``class_id`` (deterministic in ``seed``).

    Results are cached (the last 4096 classes asked for); treat them as read-only.

    Parameters
    ----------
    %(class_seed)s

    Returns
    -------
    recipe : dict
        The object outline (``fourier``, ``phases``, ``aspect``, ``hollow``), pose
        (``orientation``, ``orientation_jitter``, ``scale``, ``n_objects``), surface
        (``texture``, ``texture_freq``, ``texture_angle``, ``texture_sharpness``),
        background (``background_gradient``, ``background_texture``) and ``palettes`` (the
        indices of its palettes in the shared bank; ``colors`` and ``background`` are those
        of its first palette) of the class.

    Examples
    --------
    >>> from neurodecode.datasets import class_recipe
    >>> recipe = class_recipe(0, 7)
    >>> recipe["texture"] in ("stripes", "checks", "spots", "gradient"), recipe["n_objects"] >= 1
    (True, True)
    """
    rng = np.random.default_rng([seed, 7919, int(class_id)])
    fourier = rng.normal(0, 1, N_FOURIER) * (0.35 / np.arange(1, N_FOURIER + 1) ** 0.8)
    fourier[0] = 0.0  # a first harmonic only shifts the outline
    bank = _palette_bank(seed)
    chosen = rng.choice(N_PALETTES, size=PALETTES_PER_CLASS, replace=False)
    palettes = [bank[int(i)] for i in chosen]
    return {
        "fourier": fourier,
        "phases": rng.uniform(0, 2 * np.pi, N_FOURIER),
        "aspect": float(np.exp(rng.normal(0, 0.35))),
        "hollow": bool(rng.random() < 0.2),
        "orientation": float(rng.uniform(0, np.pi)),
        "orientation_jitter": float(rng.uniform(0.05, 0.6)),
        "scale": float(rng.uniform(0.16, 0.32)),
        "n_objects": int(rng.choice([1, 1, 1, 2, 3])),
        "texture": TEXTURES[int(rng.integers(len(TEXTURES)))],
        "texture_freq": float(rng.uniform(2.0, 9.0)),
        "texture_angle": float(rng.uniform(0, np.pi)),
        "texture_sharpness": float(rng.uniform(1.5, 8.0)),
        "palettes": [int(i) for i in chosen],
        "colors": palettes[0]["colors"],
        "background": palettes[0]["background"],
        "background_gradient": float(rng.uniform(0, 1)),
        "background_texture": float(rng.uniform(0.05, 0.35)),
    }


@functools.lru_cache(maxsize=64)
def _palette_bank(seed):
    """The palettes shared by every class of ``seed``: object and background colours."""
    rng = np.random.default_rng([seed, 3571])
    bank = []
    for _ in range(N_PALETTES):
        hue = rng.random()
        bank.append({
            "colors": [_hsv(hue, rng.uniform(0.4, 1.0), rng.uniform(0.45, 1.0)),
                       _hsv(hue + rng.normal(0, 0.25), rng.uniform(0.2, 1.0),
                            rng.uniform(0.1, 0.9))],
            "background": [_hsv(rng.random(), rng.uniform(0.0, 0.6), rng.uniform(0.2, 0.9)),
                           _hsv(rng.random(), rng.uniform(0.0, 0.6), rng.uniform(0.2, 0.9))],
        })
    return bank


@functools.lru_cache(maxsize=8)
def _pink_filter(size):
    f = np.fft.fftfreq(size)
    radius = np.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    radius[0, 0] = 1.0
    filt = 1.0 / radius
    filt[0, 0] = 0.0
    return filt


def pink_noise(size, rng, channels=3):
    """Draw a 1/f (pink) noise image, zero mean and unit standard deviation per channel.

    White Gaussian noise filtered by ``1 / |f|`` in the Fourier domain (the constant
    component removed): the amplitude spectrum of natural images. The backgrounds and the
    lighting noise of :func:`make_class_images` use it.

    Parameters
    ----------
    size : int
        Side of the square image.
    rng : numpy.random.Generator
        Generator the white noise is drawn from.
    channels : int, default=3
        Independent noise channels.

    Returns
    -------
    noise : ndarray of shape (size, size, channels)
        Float64 noise, each channel of mean 0 and standard deviation 1.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.datasets import pink_noise
    >>> noise = pink_noise(32, np.random.default_rng(0))
    >>> noise.shape, bool(np.allclose(noise.std(axis=(0, 1)), 1))
    ((32, 32, 3), True)
    """
    white = rng.standard_normal((channels, size, size))
    out = np.real(np.fft.ifft2(np.fft.fft2(white) * _pink_filter(size)))
    out /= out.std(axis=(1, 2), keepdims=True) + 1e-12
    return out.transpose(1, 2, 0)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _texture(recipe, u, v):
    f, a = recipe["texture_freq"], recipe["texture_angle"]
    p = u * np.cos(a) + v * np.sin(a)
    q = -u * np.sin(a) + v * np.cos(a)
    kind = recipe["texture"]
    if kind == "stripes":
        t = np.sin(2 * np.pi * f * p)
    elif kind == "checks":
        t = np.sin(2 * np.pi * f * p) * np.sin(2 * np.pi * f * q) * 2
    elif kind == "spots":
        t = (np.cos(2 * np.pi * f * p) + np.cos(2 * np.pi * f * q)) - 0.8
    else:
        t = 3 * p
    return _sigmoid(recipe["texture_sharpness"] * t)


def _render(recipe, palette, rng, size, yy, xx):
    bg0, bg1 = (np.asarray(c) for c in palette["background"])
    jitter = rng.normal(0, 0.05, 3)
    grad = recipe["background_gradient"] * (yy[..., None] + 0.5)
    img = (bg0 + jitter) * (1 - grad) + bg1 * grad
    img = img + recipe["background_texture"] * 0.25 * pink_noise(size, rng)
    n_objects = recipe["n_objects"]
    order = np.arange(N_FOURIER) + 1
    for k in range(n_objects):
        main = k == 0
        cy, cx = rng.uniform(-0.18, 0.18, 2) if main else rng.uniform(-0.35, 0.35, 2)
        scale = recipe["scale"] * np.exp(rng.normal(0, 0.15)) * (1.0 if main else 0.7)
        theta0 = recipe["orientation"] + rng.normal(0, recipe["orientation_jitter"])
        dy, dx = yy - cy, xx - cx
        u = dx * np.cos(theta0) + dy * np.sin(theta0)
        v = (-dx * np.sin(theta0) + dy * np.cos(theta0)) * recipe["aspect"]
        rho = np.sqrt(u**2 + v**2)
        ang = np.arctan2(v, u)
        radius = scale * (1 + np.tensordot(recipe["fourier"],
                                           np.cos(order[:, None, None] * ang
                                                  + recipe["phases"][:, None, None]), 1))
        edge = 0.012 + 0.01 * rng.random()
        mask = _sigmoid((radius - rho) / edge)
        if recipe["hollow"]:
            mask = mask * _sigmoid((rho - 0.5 * radius) / edge)
        t = _texture(recipe, u / scale, v / scale)[..., None]
        c0 = palette["colors"][0] * np.exp(rng.normal(0, 0.08, 3))
        c1 = palette["colors"][1] * np.exp(rng.normal(0, 0.08, 3))
        shade = 1.0 - 0.35 * np.clip(rho / np.maximum(radius, 1e-6), 0, 1)[..., None] \
            * (0.5 + 0.5 * np.cos(ang - rng.uniform(0, 2 * np.pi)))[..., None]
        obj = (c0 * (1 - t) + c1 * t) * shade
        img = img * (1 - mask[..., None]) + obj * mask[..., None]
    if rng.random() < 0.5:  # an occluder: a bar or a blob of an unrelated colour
        colour = _hsv(rng.random(), rng.uniform(0, 0.7), rng.uniform(0.1, 0.9))
        oy, ox = rng.uniform(-0.5, 0.5, 2)
        if rng.random() < 0.5:
            ang = rng.uniform(0, np.pi)
            dist = np.abs((xx - ox) * np.sin(ang) - (yy - oy) * np.cos(ang))
            occ = _sigmoid((rng.uniform(0.03, 0.09) - dist) / 0.01)
        else:
            occ = _sigmoid((rng.uniform(0.08, 0.18) - np.hypot(xx - ox, yy - oy)) / 0.01)
        img = img * (1 - occ[..., None]) + colour * occ[..., None]
    light = 1 + 0.15 * (rng.normal() * xx + rng.normal() * yy)
    img = img * light[..., None] + 0.03 * pink_noise(size, rng)
    return np.clip(img, 0.0, 1.0)


@fill_doc
def make_class_images(n_classes=10, n_per_class=10, image_size=64, random_state=0,
                      classes=None, first_image=0):
    """Draw procedural, class-structured, natural-looking images.

    Each class is a seeded recipe (object outline, texture, background, number and size of
    objects, and a few palettes from a bank shared by all classes); each image draws one of
    its class's palettes and its own positions, sizes, rotations, colour jitter, occluders,
    lighting and 1/f noise. Image ``j`` of class ``k`` depends only on the seed,
    ``k``, ``j`` and ``image_size``, so sets drawn separately stay consistent.

    Parameters
    ----------
    n_classes : int, default=10
        Classes 0 .. n_classes - 1 (ignored when ``classes`` is given).
    n_per_class : int, default=10
        Images per class (at least 1).
    image_size : int, default=64
        Side of the square images (at least 8).
    %(random_state_data)s
    classes : sequence of int or None, default=None
        Explicit class ids (any non-negative ints; 1000+ classes are fine).
    first_image : int, default=0
        Index of the first image drawn per class: disjoint ranges give disjoint image sets of
        the same classes (e.g. training images vs. gallery images).

    Returns
    -------
    images : ndarray of shape (n_classes * n_per_class, image_size, image_size, 3), float32
        The images, in [0, 1], class by class.
    labels : ndarray of shape (n_classes * n_per_class,), int
        The class of each image.

    See Also
    --------
    make_synthetic_subject : A simulated subject that sees these images.

    Examples
    --------
    >>> from neurodecode.datasets import make_class_images
    >>> images, labels = make_class_images(n_classes=3, n_per_class=2, image_size=32)
    >>> images.shape, labels.tolist()
    ((6, 32, 32, 3), [0, 0, 1, 1, 2, 2])
    """
    seed = seed_from_random_state(random_state)
    classes = np.arange(n_classes) if classes is None else np.asarray(classes, dtype=np.int64)
    if classes.ndim != 1 or (classes < 0).any():
        raise ValueError("classes must be a 1D sequence of non-negative ints.")
    if int(n_per_class) < 1 or int(image_size) < 8:
        raise ValueError(f"n_per_class must be >= 1 and image_size >= 8; got {n_per_class}, "
                         f"{image_size}.")
    size = int(image_size)
    coords = (np.arange(size) + 0.5) / size - 0.5
    yy, xx = np.meshgrid(coords, coords, indexing="ij")
    images = np.empty((len(classes) * n_per_class, size, size, 3), dtype=np.float32)
    labels = np.repeat(classes, n_per_class)
    i = 0
    for c in classes:
        recipe = class_recipe(seed, int(c))
        bank = _palette_bank(seed)
        for j in range(first_image, first_image + n_per_class):
            rng = np.random.default_rng([seed, int(c), j])
            palette = bank[recipe["palettes"][int(rng.integers(PALETTES_PER_CLASS))]]
            images[i] = _render(recipe, palette, rng, size, yy, xx)
            i += 1
    return images, labels


PHOTOGRAPHS = ("astronaut", "chelsea", "coffee", "rocket", "cat", "immunohistochemistry")


def load_photographs(image_size=64, names=PHOTOGRAPHS):
    """Load real photographs bundled with scikit-image, centre-cropped square and resized.

    No download: the photographs ship with scikit-image. Resizing is antialiased bilinear.

    Parameters
    ----------
    image_size : int, default=64
        Side of the square images returned.
    names : sequence of str, default=PHOTOGRAPHS
        Names of :mod:`skimage.data` images; those that are not RGB are skipped. The
        default: ``("astronaut", "chelsea", "coffee", "rocket", "cat",
        "immunohistochemistry")``.

    Returns
    -------
    images : ndarray of shape (n, image_size, image_size, 3), float32 in [0, 1]
        The photographs.
    names : list of str
        The names of the photographs returned, in order.

    Examples
    --------
    >>> from neurodecode.datasets import load_photographs
    >>> images, names = load_photographs(image_size=32, names=("astronaut", "camera"))
    >>> images.shape, names  # "camera" is grayscale: skipped
    ((1, 32, 32, 3), ['astronaut'])
    """
    import skimage.data

    from .._validation import resize_images

    out, kept = [], []
    for name in names:
        img = getattr(skimage.data, name)()
        if img.ndim != 3 or img.shape[-1] != 3:
            continue
        h, w = img.shape[:2]
        s = min(h, w)
        top, left = (h - s) // 2, (w - s) // 2
        crop = img[top:top + s, left:left + s].astype(np.float32) / 255.0
        out.append(resize_images(crop[None], int(image_size))[0])
        kept.append(name)
    return np.stack(out), kept
