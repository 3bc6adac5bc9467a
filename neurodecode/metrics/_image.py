"""Low-level image similarity: PixCorr and SSIM, as in the reconstruction literature, and a
colour-free edge similarity."""
from typing import Callable, NamedTuple

import numpy as np

from .._utils import pearson_r
from .._validation import check_images, check_same_length


def _pair(reconstructions, images):
    rec = check_images(reconstructions, "reconstructions")
    gt = check_images(images, "images", size=None)
    check_same_length(rec, gt, "reconstructions", "images")
    if rec.shape != gt.shape:
        gt = check_images(gt, "images", size=rec.shape[1])
    return rec, gt


def pixel_correlation(reconstructions, images):
    """PixCorr: Pearson r of the flattened RGB values of each pair, per image.

    Ground-truth images are resized to the reconstructions' size when they differ.

    Parameters
    ----------
    reconstructions : array-like of shape (n, H, W, 3)
        Reconstructed images in [0, 1] (uint8 images are scaled to [0, 1]).
    images : array-like of shape (n, H', W', 3)
        Their ground truths, in the same order.

    Returns
    -------
    r : ndarray of shape (n,)
        Pearson r of each pair (0 where an image is constant).

    See Also
    --------
    ssim : Structural similarity, per image.
    mean_pixel_correlation : Their mean, as a scikit-learn score.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import pixel_correlation
    >>> img = np.random.default_rng(0).random((2, 8, 8, 3))
    >>> pixel_correlation(img, img)
    array([1., 1.])
    """
    rec, gt = _pair(reconstructions, images)
    return pearson_r(rec.reshape(len(rec), -1), gt.reshape(len(gt), -1), axis=1)


def ssim(reconstructions, images):
    """SSIM of each reconstruction against its ground truth, on grayscale versions.

    :func:`skimage.metrics.structural_similarity` with ``gaussian_weights=True``,
    ``sigma=1.5``, ``use_sample_covariance=False`` and ``data_range=1.0`` on
    :func:`skimage.color.rgb2gray` images, as in the reconstruction literature. Ground-truth
    images are resized to the reconstructions' size when they differ.

    Parameters
    ----------
    reconstructions : array-like of shape (n, H, W, 3)
        Reconstructed images in [0, 1] (uint8 images are scaled to [0, 1]).
    images : array-like of shape (n, H', W', 3)
        Their ground truths, in the same order.

    Returns
    -------
    s : ndarray of shape (n,)
        The SSIM of each pair (1 for identical images).

    See Also
    --------
    pixel_correlation : Pearson r of the pixels, per image.
    mean_ssim : Their mean, as a scikit-learn score.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import ssim
    >>> img = np.random.default_rng(0).random((2, 16, 16, 3))
    >>> ssim(img, img)
    array([1., 1.])
    """
    from skimage.color import rgb2gray
    from skimage.metrics import structural_similarity

    rec, gt = _pair(reconstructions, images)
    window = 2 * int(3.5 * 1.5 + 0.5) + 1  # skimage's Gaussian window at sigma 1.5: 11 px
    if min(rec.shape[1:3]) < window:
        raise ValueError(f"ssim needs images of at least {window} x {window} px (its Gaussian "
                         f"window, sigma 1.5, as in the literature); got "
                         f"{rec.shape[1]} x {rec.shape[2]}.")
    return np.array([
        structural_similarity(rgb2gray(a), rgb2gray(b), gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False, data_range=1.0)
        for a, b in zip(rec, gt)
    ])


def edge_maps(images):
    """Colour-free edge maps: the Sobel gradient magnitude of each image's luminance.

    Luminance is :func:`skimage.color.rgb2gray`; the magnitude is
    :func:`skimage.filters.sobel`. Insensitive to colour and to uniform changes of
    brightness, it compares shapes and layouts, with no network.

    Parameters
    ----------
    images : array-like of shape (n, H, W, 3)
        Images in [0, 1] (uint8 images are scaled to [0, 1]).

    Returns
    -------
    edges : ndarray of shape (n, H, W), float64
        The gradient magnitude at each pixel (0 where the luminance is flat).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import edge_maps
    >>> img = np.zeros((1, 8, 8, 3)); img[:, :, 4:] = 1.0  # a vertical edge
    >>> e = edge_maps(img)
    >>> e.shape, bool(e[0, 4, 3] > 0), float(e[0, 4, 0])
    ((1, 8, 8), True, 0.0)
    """
    from skimage.color import rgb2gray
    from skimage.filters import sobel

    x = check_images(images, "images")
    return np.stack([sobel(rgb2gray(a)) for a in x]) if len(x) else np.zeros((0,) + x.shape[1:3])


def edge_correlation(reconstructions, images):
    """Edge correlation: Pearson r of the edge maps of each pair (colour-free), per image.

    The edge maps are :func:`edge_maps`; ground-truth images are resized to the
    reconstructions' size when they differ.

    Parameters
    ----------
    reconstructions : array-like of shape (n, H, W, 3)
        Reconstructed images in [0, 1].
    images : array-like of shape (n, H', W', 3)
        Their ground truths, in the same order.

    Returns
    -------
    r : ndarray of shape (n,)
        Pearson r of each pair's edge maps (0 where a map is constant).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import edge_correlation
    >>> img = np.random.default_rng(0).random((2, 8, 8, 3))
    >>> edge_correlation(img, 1 - img)  # inverted colours, same edges
    array([1., 1.])
    """
    rec, gt = _pair(reconstructions, images)
    a, b = edge_maps(rec), edge_maps(gt)
    return pearson_r(a.reshape(len(a), -1), b.reshape(len(b), -1), axis=1)


class ImageScore(NamedTuple):
    """One per-image score of :func:`~neurodecode.metrics.evaluate_reconstructions`.

    Parameters
    ----------
    function : callable
        ``function(reconstructions, images) -> ndarray of shape (n,)``, higher is better;
        the ground truths come at the reconstructions' size.
    label : str
        The column header of the score in reports.
    protocol : str
        What it measures, in the summary table.

    Examples
    --------
    >>> from neurodecode.metrics import IMAGE_SCORES
    >>> IMAGE_SCORES["pixcorr"].label
    'PixCorr'
    """

    function: Callable
    label: str
    protocol: str


#: The per-image scores every evaluation computes, by name (their column in ``per_image``,
#: their key in the demo's ``results.json`` and in the evidence study). A new score is one
#: entry here (and its test): the demo, its report and ``benchmarks/honest_evidence.py``
#: read this mapping.
IMAGE_SCORES = {
    "pixcorr": ImageScore(pixel_correlation, "PixCorr", "Pearson r of RGB pixels"),
    "ssim": ImageScore(ssim, "SSIM", "SSIM, grayscale (skimage)"),
    "edge_correlation": ImageScore(edge_correlation, "edge r",
                                   "Pearson r of Sobel edge maps of luminance"),
}
