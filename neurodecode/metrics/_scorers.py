"""Scorers for scikit-learn's model selection: ``cross_val_score(decoder, X, images,
scoring=...)``.

scikit-learn's own regression scorers expect 1D or 2D targets; the decoder's target is
images (n, H, W, 3). These scorers take them as they are, leave out rows whose image is all
NaN (unpaired fMRI, see :func:`neurodecode.concat_unpaired_fmri`), and score what the paper
reports, greater is better.
"""
import numpy as np
from sklearn.metrics import make_scorer

from .._unpaired import unpaired_rows
from .._validation import as_numeric_array
from ._identification import n_way_identification
from ._image import pixel_correlation, ssim


def _paired_only(images, reconstructions):
    images = as_numeric_array(images, "images")
    marked = unpaired_rows(images)
    if marked is None:
        return images, reconstructions
    if marked.all():
        raise ValueError("every image is all NaN (unpaired): there is nothing to score.")
    return images[~marked], np.asarray(reconstructions)[~marked]


def mean_pixel_correlation(images, reconstructions):
    """Mean PixCorr of reconstructions against the images seen (NaN-marked rows left out).

    Parameters
    ----------
    images : array-like of shape (n, H, W, 3)
        Ground truths (the scorer's ``y_true``).
    reconstructions : array-like of shape (n, H', W', 3)

    Returns
    -------
    score : float
    """
    images, reconstructions = _paired_only(images, reconstructions)
    return float(np.mean(pixel_correlation(reconstructions, images)))


def mean_ssim(images, reconstructions):
    """Mean SSIM of reconstructions against the images seen (NaN-marked rows left out).

    Parameters
    ----------
    images : array-like of shape (n, H, W, 3)
    reconstructions : array-like of shape (n, H', W', 3)

    Returns
    -------
    score : float
    """
    images, reconstructions = _paired_only(images, reconstructions)
    return float(np.mean(ssim(reconstructions, images)))


def identification_accuracy(images, reconstructions, n=2, distance="pixel_correlation",
                            n_trials=None, random_state=0):
    """Mean n-way identification accuracy, the other scored images as distractors.

    Parameters
    ----------
    images : array-like of shape (N, H, W, 3)
    reconstructions : array-like of shape (N, H', W', 3)
    n : int, default=2
    distance : "pixel_correlation", "perceptual" or callable, default="pixel_correlation"
        As in :func:`n_way_identification`.
    n_trials : int or None, default=None
        None: the exact expected accuracy, with no sampling noise (best for model
        selection).
    random_state : int, RandomState or None, default=0

    Returns
    -------
    score : float
    """
    images, reconstructions = _paired_only(images, reconstructions)
    res = n_way_identification(reconstructions, images, n=int(n), pool="others",
                               distance=distance, n_trials=n_trials,
                               random_state=random_state, n_boot=1)
    return float(res[int(n)].mean)


#: PixCorr, for ``scoring=`` (what ``SelfSupervisedDecoder.score`` returns).
pixcorr_scorer = make_scorer(mean_pixel_correlation)
#: SSIM (grayscale, skimage settings of the literature), for ``scoring=``.
ssim_scorer = make_scorer(mean_ssim)


def pixcorr_score(estimator, X, images):
    """``pixcorr_scorer(estimator, X, images)``: mean PixCorr of ``estimator.predict(X)``."""
    return pixcorr_scorer(estimator, X, images)


def make_identification_scorer(n=2, *, distance="pixel_correlation", n_trials=None,
                               random_state=0):
    """A scorer of n-way identification accuracy within the scored fold.

    Parameters
    ----------
    n : int, default=2
        Candidates per trial (chance 1/n); the fold must hold at least ``n`` images.
    distance : "pixel_correlation", "perceptual" or callable, default="pixel_correlation"
        A :class:`PerceptualDistance` instance picks the network (never the one the decoder
        was trained against).
    n_trials : int or None, default=None
        None: exact expected accuracy.
    random_state : int, RandomState or None, default=0

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, images) -> float``, for ``scoring=``.

    Examples
    --------
    >>> from neurodecode.metrics import make_identification_scorer
    >>> scorer = make_identification_scorer(5)
    """
    return make_scorer(identification_accuracy, n=n, distance=distance, n_trials=n_trials,
                       random_state=random_state)


#: Scorers by name: ``cross_validate(decoder, X, images, scoring=SCORERS)`` gives them all.
SCORERS = {
    "pixcorr": pixcorr_scorer,
    "ssim": ssim_scorer,
    "identification_2way": make_identification_scorer(2),
}
