"""The simulated subject: a seeded stand-in for one GOD subject with a known ground truth.

Matched to GOD (Horikawa & Kamitani 2017) as the paper used it: ~4500 visual-cortex voxels
in V1, V2, V3, hV4, LOC, FFA and PPA, each with a 2D Gaussian population receptive field
(pRF) whose size grows with eccentricity and along the hierarchy. Early areas sum local Gabor
energy (several orientations and spatial frequencies) and colour inside their pRF; higher
areas read fixed nonlinear mid-level features of the image (texture conjunctions and their
layout, two fixed random layers on the Gabor energy) pooled over their large pRFs: computed
from the image, never looked up from its label, so they vary within a class and carry class
information only as far as images of a class look alike. Responses are per-trial (no
haemodynamics) with Gaussian noise; per-voxel SNRs spread log-normally so that the
split-half noise ceiling of the averaged test data has a median of about 0.65 and an SD of
about 0.28 (GOD, paper Table 1: 0.56-0.73). The protocol follows GOD: 150 training classes x
8 images seen once (single trials), 50 novel test classes x 1 image x 35 repeats, an
unpaired image pool from other classes (never the test classes), and a class gallery.

The fMRI comes in GOD's units, as :func:`~neurodecode.datasets.load_god` returns them:
single trials z-scored per voxel within their run (training: runs of 50 images in a random
order, 24 runs for the 1200 default images; test: one run per repeat, showing every test
image once), test repeats z-scored in their runs before they are averaged. Without it the
noisiest voxels (variance 1 + 1/SNR, up to ~1000 at GOD's SNR) dominate every unweighted
loss, which real data never do.
"""
import numbers

import numpy as np

from .._docs import fill_doc
from .._validation import check_number
from ..backend import seed_from_random_state
from .._utils import zscore_runs
from .._rois import COMPOSITES, ROIS
from ._images import make_class_images
from ._subject import FMRI_UNITS, Subject

# ~4500 voxels in roughly GOD's proportions (VC of sub-01..05: 4400-4700 voxels)
DEFAULT_VOXELS = dict(zip(ROIS, (1000, 950, 800, 450, 550, 400, 350)))

# Per area: pRF size (deg) = intercept + slope * eccentricity; weight of the mid-level
# (shape/texture) features, against the local Gabor energy and colour; preferred spatial
# frequency (index into SPATIAL_FREQUENCIES); gain of the colour channels
_AREA = dict(zip(ROIS, ((0.25, 0.10, 0.0), (0.35, 0.15, 0.05), (0.5, 0.22, 0.1),
                         (0.8, 0.3, 0.3), (2.5, 0.5, 0.8), (3.5, 0.5, 0.95),
                         (3.5, 0.55, 0.95))))
_SF_PREFERENCE = dict(zip(ROIS, (2, 2, 1, 0, 0, 0, 0)))
_COLOUR_GAIN = dict(zip(ROIS, (0.6, 0.6, 0.6, 1.5, 0.6, 0.6, 0.6)))
N_ORIENTATIONS = 4
SPATIAL_FREQUENCIES = (0.5, 1.0, 2.0)  # cycles per degree

# Class-id blocks: test classes first, then training, then unpaired-pool classes; the gallery
# takes the test classes and others. Image ranges keep the sets disjoint within a class.
GALLERY_FIRST_IMAGE = 100_000
UNPAIRED_FIRST_IMAGE = 50_000

#: Images per simulated run (GOD: 50 images per run, training and test alike).
RUN_LENGTH = 50
CLEAN_UNITS = ("noiseless signal, standardised to mean 0 and variance 1 per voxel over the "
               "training images (not z-units: a voxel's z-scored trial is about "
               "signal / sqrt(1 + 1 / snr))")


def run_layout(n, rng=None, run_length=RUN_LENGTH):
    """The run of each of ``n`` samples: ``round(n / run_length)`` runs (at least one) of
    near-equal length, in a random order of the samples when ``rng`` is given (GOD's
    training runs) or in their order otherwise."""
    n_runs = max(1, int(round(n / run_length)))
    order = np.arange(n) if rng is None else rng.permutation(n)
    runs = np.empty(n, dtype=int)
    for k, chunk in enumerate(np.array_split(order, n_runs)):
        runs[chunk] = k
    return runs


def gabor_energy(images, degrees, orientations=N_ORIENTATIONS,
                 frequencies=SPATIAL_FREQUENCIES):
    """Gabor energy maps of image luminance, per orientation and spatial frequency.

    Quadrature (complex) log-Gabor-like filters in the Fourier domain, one octave wide; the
    energy is the modulus of the complex response. The early visual areas of
    :func:`make_synthetic_subject` sum it inside their receptive fields.

    Parameters
    ----------
    images : ndarray of shape (n, H, H, 3)
        Square RGB images; luminance is ``0.299 R + 0.587 G + 0.114 B``, mean removed.
    degrees : float
        Visual angle spanned by the images, which converts frequencies to cycles per
        image.
    orientations : int, default=4
        Orientations, evenly spaced over 180 degrees.
    frequencies : sequence of float, default=(0.5, 1.0, 2.0)
        Preferred spatial frequencies, in cycles per degree.

    Returns
    -------
    energy : ndarray of shape (n, orientations * len(frequencies), H, H)
        Float64 energy maps, frequency-major (all orientations of the first frequency
        first).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.datasets import gabor_energy
    >>> images = np.random.default_rng(0).random((2, 16, 16, 3))
    >>> gabor_energy(images, degrees=12.0).shape
    (2, 12, 16, 16)
    """
    n, size = images.shape[:2]
    lum = images @ np.array([0.299, 0.587, 0.114])
    lum = lum - lum.mean(axis=(1, 2), keepdims=True)
    spectrum = np.fft.fft2(lum)
    fy = np.fft.fftfreq(size)[:, None] * size / degrees  # cycles per degree
    fx = np.fft.fftfreq(size)[None, :] * size / degrees
    out = np.empty((n, orientations * len(frequencies), size, size))
    k = 0
    for f0 in frequencies:
        for o in range(orientations):
            theta = np.pi * o / orientations
            along = fx * np.cos(theta) + fy * np.sin(theta)
            across = -fx * np.sin(theta) + fy * np.cos(theta)
            sigma = f0 / 2.355  # one octave full width at half maximum
            H = np.exp(-((along - f0) ** 2 + across**2) / (2 * sigma**2)) * 2.0
            out[:, k] = np.abs(np.fft.ifft2(spectrum * H))
            k += 1
    return out


def _prf_weights(centers, sizes, size, degrees):
    coords = ((np.arange(size) + 0.5) / size - 0.5) * degrees
    x = coords[None, None, :]
    y = -coords[None, :, None]  # +y up
    g = np.exp(-((x - centers[:, 0, None, None]) ** 2 + (y - centers[:, 1, None, None]) ** 2)
               / (2 * sizes[:, None, None] ** 2))
    g = g.reshape(len(centers), -1)
    return g / np.maximum(g.sum(axis=1, keepdims=True), 1e-12)


def _shape_texture_features(energy, weights, reference, pool=4):
    """Fixed nonlinear mid-level features of Gabor energy maps, on a coarse grid.

    Two fixed random layers: divisive normalisation of the energy across channels, a 1x1
    mixing with rectified-square output (conjunctions of orientation and scale: texture and
    contour), 2x2 average pooling, a 3x3 mixing with rectification (their spatial layout:
    shape), 2x2 average pooling. Computed from the image alone, so responses vary within a
    class and generalise to novel classes only as far as the images resemble each other.
    ``reference`` (the mean energy of the calibration images) keeps the normalisation a
    fixed function of each image, whatever else is in the batch.
    """
    import torch
    import torch.nn.functional as F

    w1, w2 = weights
    x = torch.from_numpy(energy)
    x = x / (x.mean(dim=1, keepdim=True) + 0.1 * reference + 1e-12)  # divisive normalisation
    x = F.relu(F.conv2d(x, torch.from_numpy(w1))) ** 2
    x = F.avg_pool2d(x, 2)
    x = F.relu(F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), torch.from_numpy(w2)))
    x = F.avg_pool2d(x, pool // 2) if pool > 2 else x
    return x.numpy()


class _VoxelModel:
    """Noiseless responses of the simulated voxels to any images (no labels needed)."""

    N_MID = (24, 32)  # channels of the two fixed mid-level layers

    def __init__(self, seed, n_voxels, degrees, image_size):
        rng = np.random.default_rng([seed, 104729])
        self.seed, self.degrees, self.image_size = seed, degrees, image_size
        counts = {**DEFAULT_VOXELS, **(n_voxels or {})}
        self.roi = np.concatenate([[name] * int(counts[name]) for name in ROIS])
        V = len(self.roi)
        max_ecc = degrees / 2 * 1.05
        ecc = max_ecc * rng.random(V) ** 1.5  # denser near the fovea
        angle = rng.uniform(0, 2 * np.pi, V)
        self.prf_center = np.stack([ecc * np.cos(angle), ecc * np.sin(angle)], axis=1)
        area = np.array([_AREA[r] for r in self.roi])
        self.prf_size = area[:, 0] + area[:, 1] * ecc
        self.category_weight = area[:, 2]
        n_gabor = N_ORIENTATIONS * len(SPATIAL_FREQUENCIES)
        # early features: Gabor channels (tuned) + colour (R, G, B) inside the pRF
        sf_pref = np.array([_SF_PREFERENCE[r] for r in self.roi])
        tuning = rng.gamma(0.7, 1.0, (V, n_gabor))
        sf_index = np.repeat(np.arange(len(SPATIAL_FREQUENCIES)), N_ORIENTATIONS)
        tuning *= np.exp(-0.8 * np.abs(sf_index[None, :] - sf_pref[:, None]))
        self.gabor_weights = tuning / tuning.sum(axis=1, keepdims=True)
        gain = np.array([_COLOUR_GAIN[r] for r in self.roi])
        self.colour_weights = rng.normal(0, 1, (V, 3)) * gain[:, None]
        # mid-level features: two fixed random layers on the Gabor energy
        k1, k2 = self.N_MID
        self.mid_weights = (rng.normal(0, 1, (k1, n_gabor, 1, 1)) / np.sqrt(n_gabor),
                            rng.normal(0, 1, (k2, k1, 3, 3)) / np.sqrt(9 * k1))
        self.pool = 4 if image_size >= 16 else 2
        self.mid_size = image_size // self.pool
        self.mid_readout = rng.normal(0, 1, (V, k2))
        self.prf = _prf_weights(self.prf_center, self.prf_size, image_size, degrees)
        self._prf32 = self.prf.astype(np.float32)  # the large product runs in float32
        self.prf_mid = _prf_weights(self.prf_center, self.prf_size, self.mid_size, degrees)
        self.mean = self.scale = None

    def components(self, images):
        """Unscaled early (Gabor energy), colour and mid-level drives, each (n, V)."""
        n = len(images)
        energy = gabor_energy(images, self.degrees)  # (n, F, H, H)
        flat = energy.reshape(n * energy.shape[1], -1).astype(np.float32)
        local = (flat @ self._prf32.T).reshape(n, energy.shape[1], -1)  # pRF-weighted (n, F, V)
        local = local.astype(np.float64)
        early = np.einsum("nfv,vf->nv", local, self.gabor_weights)
        rgb = images.reshape(n, -1, 3).transpose(0, 2, 1).astype(np.float32)
        colour = (rgb @ self._prf32.T).astype(np.float64)  # (n, 3, V)
        colour = (colour * self.colour_weights.T[None]).sum(1)
        if self._mid_stats is None:
            self._energy_reference = float(energy.mean())
        mid = _shape_texture_features(energy, self.mid_weights, self._energy_reference,
                                      self.pool)  # (n, K, h, h)
        if self._mid_stats is None:
            # a channel (almost) silent on the calibration images must not blow up on others
            sd = mid.std(axis=(0, 2, 3), keepdims=True)
            self._mid_stats = (mid.mean(axis=(0, 2, 3), keepdims=True),
                               np.maximum(sd, 0.1 * np.median(sd) + 1e-12))
        mid = (mid - self._mid_stats[0]) / self._mid_stats[1]
        k = mid.shape[1]
        pooled = (mid.reshape(n * k, -1) @ self.prf_mid.T).reshape(n, k, -1)  # (n, K, V)
        category = np.einsum("nkv,vk->nv", pooled, self.mid_readout) / np.sqrt(k)
        return early, colour, category

    def _combine(self, early, colour, category):
        s = self._scales
        low = early / s["early"] + 0.5 * colour / s["colour"]
        w = self.category_weight[None]
        return (1 - w) * low / s["low"] + w * category / s["category"]

    def calibrate(self, images):
        """Fix every scale on the training images (responses are then a fixed function);
        returns the training images' responses."""
        self._mid_stats = None
        early, colour, category = self.components(images)
        sd = lambda a: a.std(axis=0) + 1e-12  # noqa: E731
        self._scales = {"early": sd(early), "colour": sd(colour), "category": sd(category)}
        self._scales["low"] = sd(early / self._scales["early"]
                                 + 0.5 * colour / self._scales["colour"])
        signal = self._combine(early, colour, category)
        self.mean, self.scale = signal.mean(axis=0), signal.std(axis=0) + 1e-12
        return (signal - self.mean) / self.scale

    def __call__(self, images):
        """Noiseless responses, standardised on the training images (unit signal variance)."""
        return (self._combine(*self.components(images)) - self.mean) / self.scale


def stimulus_names(seed, labels, first_image=0):
    """Names of simulated images: ``sim<seed>_c<class>_<image>`` (their identity across
    subjects, as GOD's file names are); the images of a class are numbered in order."""
    counts, names = {}, []
    for c in np.asarray(labels).tolist():
        j = counts.get(c, first_image)
        counts[c] = j + 1
        names.append(f"sim{seed}_c{c:05d}_{j:06d}")
    return np.array(names, dtype=str)


@fill_doc
def make_synthetic_subject(n_train_classes=150, n_train_per_class=8, n_test_classes=50,
                           n_test_repeats=35, n_unpaired_classes=400, n_unpaired_per_class=5,
                           n_gallery_classes=1000, n_voxels=None, snr=0.02, snr_spread=1.7,
                           image_size=32, stimulus_degrees=12.0, random_state=0,
                           image_random_state=None):
    """Simulate one subject of a GOD-like experiment, with its ground truth.

    Parameters
    ----------
    n_train_classes, n_train_per_class : int, default=150, 8
        Training pairs: images seen once each.
    n_test_classes, n_test_repeats : int, default=50, 35
        One image per novel class, each shown ``n_test_repeats`` times.
    n_unpaired_classes, n_unpaired_per_class : int, default=400, 5
        The unpaired image pool: classes other than the test classes (and the training
        classes), images without fMRI.
    n_gallery_classes : int, default=1000
        Classes of the semantic-classification gallery, the test classes included; draw its
        images with ``subject.gallery_images(classes, n_per_class)``.
    n_voxels : dict or None, default=None
        Voxels per ROI, e.g. ``{"V1": 160, ..., "PPA": 40}``; ROIs left out keep their
        default count (defaults: V1 1000, V2 950, V3 800, hV4 450, LOC 550, FFA 400,
        PPA 350; 4500 voxels, like GOD's VC).
    snr : float, default=0.02
        Geometric mean of the per-voxel single-trial SNRs (signal variance / noise
        variance). The default gives, with 35 test repeats, a median noise ceiling of the
        averaged test data of about 0.65 (GOD).
    snr_spread : float, default=1.7
        Standard deviation of the per-voxel log SNR (which also falls along the hierarchy);
        the default gives a noise-ceiling SD of about 0.28 (split-half estimate).
    image_size : int, default=32
        Side of the square images.
    stimulus_degrees : float, default=12.0
        Visual angle spanned by the images (GOD: 12 deg).
    %(random_state_data)s
    image_random_state : int, RandomState instance or None, default=None
        Seeds the images (training, test, unpaired and gallery) and their names apart from
        the voxels: subjects simulated with one ``image_random_state`` and different
        ``random_state`` saw the same images (:func:`make_synthetic_subjects`). None: the
        images follow ``random_state``.

    Returns
    -------
    subject : Subject
        The subject contract's fields (:data:`~neurodecode.datasets.FIELDS`; it passes
        :func:`~neurodecode.datasets.check_subject`): ``images_train``, ``X_train``,
        ``labels_train``, ``stimulus_train`` (``sim<seed>_c<class>_<image>``),
        ``runs_train`` (the simulated run of each training sample); ``images_test``,
        ``X_test`` (mean over repeats), ``X_test_trials`` (n_test, n_repeats, n_voxels),
        ``labels_test``, ``stimulus_test``;
        ``images_unpaired``, ``labels_unpaired``; ``gallery_classes`` and
        ``gallery_images(classes, n_per_class)``; ``simulate_fmri(images, n_repeats=1,
        random_state=None)``, this subject's noisy single trials (n_repeats, n, n_voxels)
        for any other images (e.g. fMRI of other novel images, for a leakage-free unpaired
        set); ``roi`` (per voxel) and ``roi_masks``
        (ROIs plus LVC, HVC, VC); ground truth ``prf_center`` (deg, +x right, +y up),
        ``prf_size`` (deg), ``snr`` (per voxel, single-trial signal variance / noise
        variance: a ratio, the same in every unit), ``Y_train_clean``, ``Y_test_clean``
        (noiseless responses, in signal units: variance 1 per voxel over the training
        images), ``noise_ceiling`` (true correlation ceiling of ``X_test``; correlations
        do not depend on the units) and ``noise_ceiling_single_trial``; ``meta``
        (``fmri_units`` and ``clean_units`` state the units).

    Notes
    -----
    Units are GOD's: every training trial is z-scored per voxel within its simulated run
    (``runs_train``: runs of 50 images in a random order), every test repeat within its run
    (one run per repeat, each test image shown once), before the repeats are averaged; so
    each training voxel has variance 1, and a test voxel's variance is its signal fraction
    plus the noise left after averaging. The default subject's training variance is 1.0
    at every voxel; its averaged test data's per-voxel variance spreads with the SNR (about
    0.025 / 0.05 / 0.3 at the 5th / 50th / 95th percentile; seeds 0 and 1 measured
    0.025 / 0.048 / 0.28 and 0.026 / 0.055 / 0.37).
    ``neurodecode.analysis.subject_statistics`` gives these numbers for any subject.

    Examples
    --------
    >>> from neurodecode.datasets import make_synthetic_subject
    >>> s = make_synthetic_subject(n_train_classes=4, n_train_per_class=2, n_test_classes=3,
    ...                            n_test_repeats=2, n_unpaired_classes=2,
    ...                            n_unpaired_per_class=2, n_gallery_classes=10,
    ...                            n_voxels={"V1": 5, "V2": 0, "V3": 0, "hV4": 0, "LOC": 5,
    ...                                      "FFA": 0, "PPA": 0}, image_size=16)
    >>> s.X_train.shape, s.X_test_trials.shape, s.images_unpaired.shape
    ((8, 10), (3, 2, 10), (4, 16, 16, 3))
    """
    seed = seed_from_random_state(random_state)
    image_seed = seed if image_random_state is None else seed_from_random_state(
        image_random_state)
    for name, value in (("n_train_classes", n_train_classes), ("n_test_classes", n_test_classes),
                        ("n_train_per_class", n_train_per_class),
                        ("n_test_repeats", n_test_repeats)):
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1; got {value}.")
    if snr <= 0:
        raise ValueError(f"snr must be > 0; got {snr}.")
    if snr_spread < 0:
        raise ValueError(f"snr_spread must be >= 0; got {snr_spread}.")
    test_classes = np.arange(n_test_classes)
    train_classes = n_test_classes + np.arange(n_train_classes)
    unpaired_classes = n_test_classes + n_train_classes + np.arange(n_unpaired_classes)
    n_other = max(int(n_gallery_classes) - n_test_classes, 0)
    gallery_classes = np.concatenate([test_classes, n_test_classes + np.arange(n_other)])

    images_train, labels_train = make_class_images(
        n_per_class=n_train_per_class, image_size=image_size, random_state=image_seed,
        classes=train_classes)
    images_test, labels_test = make_class_images(
        n_per_class=1, image_size=image_size, random_state=image_seed,
        classes=test_classes)
    images_unpaired, labels_unpaired = make_class_images(
        n_per_class=n_unpaired_per_class, image_size=image_size, random_state=image_seed,
        classes=unpaired_classes, first_image=UNPAIRED_FIRST_IMAGE) if n_unpaired_classes \
        else (np.zeros((0, image_size, image_size, 3), np.float32), np.zeros(0, int))

    model = _VoxelModel(seed, n_voxels, stimulus_degrees, image_size)
    Y_train = model.calibrate(images_train)
    Y_test = model(images_test)
    V = Y_train.shape[1]
    rng = np.random.default_rng([seed, 15485863])
    hierarchy = np.array([ROIS.index(r) for r in model.roi])
    voxel_snr = snr * np.exp(rng.normal(0, snr_spread, V) - 0.08 * hierarchy)
    voxel_snr *= snr / np.exp(np.log(voxel_snr).mean())  # geometric mean = snr
    noise_sd = 1.0 / np.sqrt(voxel_snr)
    runs_train = run_layout(len(Y_train), rng)
    X_train = zscore_runs(Y_train + noise_sd * rng.standard_normal(Y_train.shape), runs_train)
    raw_repeats = Y_test[None] + noise_sd * rng.standard_normal((n_test_repeats,) + Y_test.shape)
    # one run per repeat, showing every test image once (runs of 50 for more images)
    test_runs = run_layout(len(Y_test))
    X_test_repeats = np.stack([zscore_runs(r, test_runs) for r in raw_repeats])
    var_signal = Y_test.var(axis=0)
    noise_ceiling = np.sqrt(var_signal / (var_signal + noise_sd**2 / n_test_repeats))
    noise_ceiling_single = np.sqrt(var_signal / (var_signal + noise_sd**2))

    roi_masks = {name: model.roi == name for name in ROIS}
    roi_masks.update({k: np.isin(model.roi, v) for k, v in COMPOSITES.items()})

    def gallery_images(classes=None, n_per_class=100):
        """Gallery images of ``classes`` (default: all gallery classes), never used elsewhere."""
        classes = gallery_classes if classes is None else np.asarray(classes)
        return make_class_images(n_per_class=n_per_class, image_size=image_size,
                                 random_state=image_seed, classes=classes,
                                 first_image=GALLERY_FIRST_IMAGE)

    def simulate_fmri(images, n_repeats=1, random_state=None, zscore=True):
        """Noisy single-trial responses of this subject to any images (n_repeats, n, V).

        Each repeat is one pass over the images in their order, cut into runs of 50 images
        (as GOD's test runs show each test image once), z-scored per voxel within each run;
        ``zscore=False`` returns signal + noise in the clean responses' units (not GOD's).
        """
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 4 or images.shape[1:] != (image_size, image_size, 3):
            raise ValueError(f"images must have shape (n, {image_size}, {image_size}, 3); "
                             f"got {images.shape}.")
        if zscore and len(images) < 2:
            raise ValueError(f"simulate_fmri z-scores each voxel within runs of the images "
                             f"given, which needs at least 2 images; got {len(images)}. Pass "
                             "more images, or zscore=False for signal + noise units.")
        clean = model(images)
        noise_rng = np.random.default_rng(random_state)
        trials = clean[None] + noise_sd * noise_rng.standard_normal((int(n_repeats),) + clean.shape)
        if zscore:
            runs = run_layout(len(images))
            trials = np.stack([zscore_runs(t, runs) for t in trials]) if len(trials) \
                else trials
        return trials.astype(np.float32)

    f32 = np.float32
    return Subject(
        description=("The neurodecode simulated subject, matched to GOD (Horikawa & Kamitani "
                     "2017): procedural class-structured images, voxels with Gabor-energy "
                     "receptive fields in V1-V3 and category-selective higher areas, "
                     "single-trial SNR as GOD's, z-scored per voxel per run as GOD's samples; "
                     "its ground truth (pRFs, SNRs, noise ceiling, noiseless responses) is "
                     "returned with it. Generated, no licence needed."),
        images_train=images_train, X_train=X_train.astype(f32), labels_train=labels_train,
        stimulus_train=stimulus_names(image_seed, labels_train), runs_train=runs_train,
        images_test=images_test, X_test=X_test_repeats.mean(0).astype(f32),
        X_test_trials=np.ascontiguousarray(X_test_repeats.transpose(1, 0, 2)).astype(f32),
        labels_test=labels_test, stimulus_test=stimulus_names(image_seed, labels_test),
        images_unpaired=images_unpaired, labels_unpaired=labels_unpaired,
        gallery_classes=gallery_classes, gallery_images=gallery_images,
        simulate_fmri=simulate_fmri,
        roi=model.roi, roi_masks=roi_masks,
        prf_center=model.prf_center, prf_size=model.prf_size, snr=voxel_snr,
        Y_train_clean=Y_train.astype(f32), Y_test_clean=Y_test.astype(f32),
        noise_ceiling=noise_ceiling, noise_ceiling_single_trial=noise_ceiling_single,
        meta={"random_state": seed, "image_random_state": image_seed,
              "image_size": int(image_size),
              "stimulus_degrees": float(stimulus_degrees), "snr": float(snr),
              "snr_spread": float(snr_spread),
              "n_voxels": int(V), "n_train": len(labels_train), "n_test": len(labels_test),
              "n_test_repeats": int(n_test_repeats), "n_unpaired": len(labels_unpaired),
              "n_gallery_classes": len(gallery_classes),
              "fmri_units": FMRI_UNITS, "clean_units": CLEAN_UNITS,
              "run_length": RUN_LENGTH, "n_train_runs": int(runs_train.max()) + 1,
              "coordinates": "degrees of visual angle, +x right, +y up, origin at fixation",
              "dataset": "simulated (neurodecode)",
              "description": "neurodecode simulated GOD-like subject"},
    )


@fill_doc
def make_synthetic_subjects(n_subjects=5, *, n_voxels=None, voxel_spread=0.15, snr=0.02,
                            snr_between=0.3, random_state=0, **kwargs):
    """Simulate several subjects who saw the same images (as GOD's five), each their own.

    Every subject sees the same training, test, unpaired and gallery images (one image
    seed) and has its own voxels: its own count per ROI (each default count scaled by a
    factor drawn in ``1 +- voxel_spread``; GOD's subjects differ by ~10 %), receptive
    fields, per-voxel SNRs around its own geometric mean (``snr`` times a log-normal factor
    of SD ``snr_between``) and noise, in GOD's units like :func:`make_synthetic_subject`.

    Parameters
    ----------
    n_subjects : int, default=5
        How many subjects.
    n_voxels : dict or None, default=None
        The mean voxels per ROI (as in :func:`make_synthetic_subject`; default GOD's 4500).
    voxel_spread : float, default=0.15
        Half-width of the uniform factor on each ROI's count, per subject (0: equal sizes).
    snr : float, default=0.02
        The subjects' typical single-trial SNR (geometric mean over subjects).
    snr_between : float, default=0.3
        SD of the log of each subject's SNR around ``snr`` (0: equal SNRs).
    %(random_state_data)s
    **kwargs
        The other parameters of :func:`make_synthetic_subject` (sizes, ``snr_spread``,
        ``image_size``, ...), the same for every subject.

    Returns
    -------
    subjects : dict of str to Subject
        ``{"sim01": subject, "sim02": ...}`` (also each ``meta["subject"]``), as
        :func:`check_subjects` and :func:`load_god_subjects` have them; the images (and
        their names) are identical across subjects, the fMRI is not.

    Examples
    --------
    >>> from neurodecode.datasets import make_synthetic_subjects
    >>> subjects = make_synthetic_subjects(
    ...     3, n_voxels={"V1": 20, "V2": 0, "V3": 0, "hV4": 0, "LOC": 10, "FFA": 0,
    ...                  "PPA": 0}, n_train_classes=4, n_train_per_class=2,
    ...     n_test_classes=3, n_test_repeats=2, n_unpaired_classes=0, n_gallery_classes=5,
    ...     image_size=16)
    >>> list(subjects), [s.X_train.shape for s in subjects.values()]
    (['sim01', 'sim02', 'sim03'], [(8, 32), (8, 29), (8, 28)])
    """
    check_number(n_subjects, "n_subjects", numbers.Integral, low=1)
    check_number(voxel_spread, "voxel_spread", low=0, high=1, high_inclusive=False)
    check_number(snr, "snr", low=0, low_inclusive=False)
    check_number(snr_between, "snr_between", low=0)
    for key in ("random_state", "image_random_state", "snr"):
        if key in kwargs:
            raise TypeError(f"make_synthetic_subjects sets {key!r} per subject; pass "
                            "random_state (and snr) to it instead.")
    seed = seed_from_random_state(random_state)
    rng = np.random.default_rng([seed, 7919])
    base = dict(DEFAULT_VOXELS, **(n_voxels or {}))
    subjects = {}
    for k in range(int(n_subjects)):
        counts = {r: int(round(n * rng.uniform(1 - voxel_spread, 1 + voxel_spread)))
                  for r, n in base.items()}
        subject_snr = float(snr * np.exp(rng.normal(0.0, snr_between)))
        sub = make_synthetic_subject(n_voxels=counts, snr=subject_snr,
                                     random_state=int(rng.integers(2**31 - 1)),
                                     image_random_state=seed, **kwargs)
        sub.meta["subject"] = f"sim{k + 1:02d}"
        subjects[sub.meta["subject"]] = sub
    return subjects
