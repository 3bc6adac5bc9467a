"""Scorers for scikit-learn's model selection: ``cross_val_score(decoder, X, images,
scoring=...)``.

scikit-learn's own regression scorers expect 1D or 2D targets; the decoder's target is
images (n, H, W, 3). These scorers take them as they are, leave out rows whose image is all
NaN (unpaired fMRI, see :func:`neurodecode.concat_unpaired_fmri`), and score what the paper
reports, greater is better.
"""
import numpy as np
from sklearn.metrics import make_scorer

from .._docs import fill_doc
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


@fill_doc
def mean_pixel_correlation(images, reconstructions):
    """Mean PixCorr of reconstructions against the images seen (NaN-marked rows left out).

    The score of :data:`pixcorr_scorer`, and what ``SelfSupervisedDecoder.score``
    returns. Its arguments come in scikit-learn's order, ``(y_true, y_pred)``.

    Parameters
    ----------
    %(scored_pair)s

    Returns
    -------
    score : float
        Mean over the scored images of :func:`pixel_correlation` (greater is better).

    See Also
    --------
    pixel_correlation : The per-image values.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import mean_pixel_correlation
    >>> images = np.random.default_rng(0).random((4, 8, 8, 3))
    >>> mean_pixel_correlation(images, images)
    1.0
    """
    images, reconstructions = _paired_only(images, reconstructions)
    return float(np.mean(pixel_correlation(reconstructions, images)))


@fill_doc
def mean_ssim(images, reconstructions):
    """Mean SSIM of reconstructions against the images seen (NaN-marked rows left out).

    The score of :data:`ssim_scorer`. Its arguments come in scikit-learn's order,
    ``(y_true, y_pred)``.

    Parameters
    ----------
    %(scored_pair)s

    Returns
    -------
    score : float
        Mean over the scored images of :func:`ssim` (greater is better).

    See Also
    --------
    ssim : The per-image values.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import mean_ssim
    >>> images = np.random.default_rng(0).random((4, 16, 16, 3))
    >>> mean_ssim(images, images)
    1.0
    """
    images, reconstructions = _paired_only(images, reconstructions)
    return float(np.mean(ssim(reconstructions, images)))


@fill_doc
def identification_accuracy(images, reconstructions, n=2, distance="pixel_correlation",
                            n_trials=None, random_state=0):
    """Mean n-way identification accuracy, the other scored images as distractors.

    :func:`n_way_identification` with ``pool="others"``, as a score: arguments in
    scikit-learn's order ``(y_true, y_pred)``, rows of all-NaN images (unpaired fMRI) left
    out. :func:`make_identification_scorer` turns it into a scorer.

    Parameters
    ----------
    %(scored_pair)s
    n : int, default=2
        Candidates per trial (chance 1/n); at least ``n`` images must be scored.
    distance : "pixel_correlation", "perceptual" or callable, default="pixel_correlation"
        As in :func:`n_way_identification`.
    %(n_trials: default=None)s
    %(random_state_eval)s

    Returns
    -------
    score : float
        The mean accuracy over the scored images (greater is better).

    See Also
    --------
    make_identification_scorer : The scorer built on it.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import identification_accuracy
    >>> images = np.random.default_rng(0).random((6, 8, 8, 3))
    >>> identification_accuracy(images, images, n=5)
    1.0
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


@fill_doc
def make_identification_scorer(n=2, *, distance="pixel_correlation", n_trials=None,
                               random_state=0):
    """Make a scorer of n-way identification accuracy within the scored fold.

    The scorer predicts the fold's images from its fMRI and scores
    :func:`identification_accuracy`: each reconstruction against its ground truth and
    ``n - 1`` of the fold's other images.

    Parameters
    ----------
    n : int, default=2
        Candidates per trial (chance 1/n); the fold must hold at least ``n`` images.
    distance : "pixel_correlation", "perceptual" or callable, default="pixel_correlation"
        A :class:`PerceptualDistance` instance picks the network (never the one the decoder
        was trained against).
    %(n_trials: default=None)s
    %(random_state_eval)s

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, images) -> float``, for ``scoring=``.

    See Also
    --------
    identification_accuracy : The score itself.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from neurodecode.metrics import make_identification_scorer
    >>> class Oracle(BaseEstimator):  # a stand-in decoder that reconstructs perfectly
    ...     def predict(self, X):
    ...         return X.reshape(len(X), 8, 8, 3)
    >>> images = np.random.default_rng(0).random((6, 8, 8, 3))
    >>> X = images.reshape(6, -1)
    >>> make_identification_scorer(5)(Oracle(), X, images)
    1.0
    """
    return make_scorer(identification_accuracy, n=n, distance=distance, n_trials=n_trials,
                       random_state=random_state)


#: Scorers by name: ``cross_validate(decoder, X, images, scoring=SCORERS)`` gives them all.
SCORERS = {
    "pixcorr": pixcorr_scorer,
    "ssim": ssim_scorer,
    "identification_2way": make_identification_scorer(2),
}
