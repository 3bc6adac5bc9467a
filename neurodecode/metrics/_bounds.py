"""A bound every class rank should be read against: a linear read-out of the class from the
fMRI, no images involved."""
import numpy as np

from .._utils import correlation_matrix
from .._validation import check_fmri, check_same_length
from ._classification import class_ranks


def linear_oracle_ranks(X_train, images_train, X_test, labels_test, gallery,
                        alphas=np.logspace(0, 7, 15)):
    """Class ranks of a linear fMRI -> gallery-embedding read-out (no images decoded).

    Ridge regression (:class:`sklearn.linear_model.RidgeCV`, alpha by efficient
    leave-one-out on the training pairs only) from the training fMRI to the gallery
    network's embedding of the training images; the test fMRI's predicted embeddings are
    ranked against the class representatives by Pearson r, both centred on the mean
    training embedding (a shrunken prediction stays close to that mean, which would
    otherwise decide the ranking).

    Parameters
    ----------
    X_train : array-like of shape (n_train, n_voxels)
        Training fMRI.
    images_train : array-like of shape (n_train, H, W, 3)
        The training images, in the same order.
    X_test : array-like of shape (n_test, n_voxels)
        Test fMRI.
    labels_test : array-like of shape (n_test,)
        The true class of each test image, every one in ``gallery``.
    gallery : ClassGallery
        A fitted gallery (its network embeds the training images).
    alphas : array-like, default=np.logspace(0, 7, 15)
        The ridge penalties tried.

    Returns
    -------
    ranks : ndarray of int, shape (n_test,)
        Rank (1 = best) of each test image's true class (:func:`class_ranks`).
    alpha : float
        The chosen ridge penalty.

    See Also
    --------
    neurodecode.analysis.class_bounds : This bound with the colour and ground-truth ones.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import ColorHistogramGallery, linear_oracle_ranks
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((40, 8, 8, 3)); labels = np.arange(40) % 4
    >>> images[:, :, :, 0] = labels[:, None, None] / 3  # the red channel tells the class
    >>> g = ColorHistogramGallery(bins=4).fit(images, labels)
    >>> X = g.embed(images) @ rng.standard_normal((64, 30))  # fMRI linear in the embedding
    >>> ranks, alpha = linear_oracle_ranks(X[:30], images[:30], X[30:], labels[30:], g)
    >>> ranks.tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    from sklearn.linear_model import RidgeCV

    X_train = check_fmri(X_train, "X_train")
    X_test = check_fmri(X_test, "X_test", n_voxels=X_train.shape[1])
    E = gallery.embed(images_train).astype(np.float64)
    check_same_length(X_train, E, "X_train", "images_train")
    ridge = RidgeCV(alphas=alphas).fit(X_train, E)
    mu = E.mean(axis=0)
    P = ridge.predict(X_test)
    S = correlation_matrix(P - mu, gallery.centroids_.astype(np.float64) - mu)
    return class_ranks(S, gallery.class_index(labels_test)), float(ridge.alpha_)
