"""Low-level image similarity: PixCorr and SSIM (EVALUATION.md, section 3)."""
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

    Returns
    -------
    r : ndarray of shape (n,)

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
    """SSIM per image on grayscale versions (skimage; gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=1.0), as in the reconstruction literature.

    Returns
    -------
    s : ndarray of shape (n,)
    """
    from skimage.color import rgb2gray
    from skimage.metrics import structural_similarity

    rec, gt = _pair(reconstructions, images)
    return np.array([
        structural_similarity(rgb2gray(a), rgb2gray(b), gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False, data_range=1.0)
        for a, b in zip(rec, gt)
    ])
