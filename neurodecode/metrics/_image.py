"""Low-level image similarity: PixCorr and SSIM, as in the reconstruction literature."""
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
    return np.array([
        structural_similarity(rgb2gray(a), rgb2gray(b), gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False, data_range=1.0)
        for a, b in zip(rec, gt)
    ])
