"""Large-scale semantic classification of reconstructions (paper Fig 7, Table 1).

Paper, "Large-scale semantic classification": a gallery of class representatives (mean
classifier embedding of up to 100 images per class), Pearson r between a reconstruction's
embedding and each representative, the rank of the true class, and n-way top-1/top-5
accuracy. The MinD-Vis protocol (a pretrained classifier's own predictions) is offered as an
option and always named.
"""
import numbers

import numpy as np
import torch
from sklearn.utils import Bunch, check_random_state

from .._docs import fill_doc
from .._validation import check_images
from ._stats import bootstrap_ci, sem
from ._ties import expected_rank, topk_hit_rate

GALLERY_PROTOCOL = "class-centroid gallery (Horikawa & Kamitani 2017; Gaziv et al. 2022)"
MINDVIS_PROTOCOL = "pretrained-classifier n-way (MinD-Vis, Chen et al. 2023)"


def class_ranks(similarity, true_index):
    """Rank (1 = best) of the true class, ties counted at their expected value.

    ``1 + (classes more similar than the true one) + (classes exactly as similar) / 2``: the
    expected rank when ties are broken at random, so that an uninformative (constant)
    similarity ranks at chance, ``(n_classes + 1) / 2``, never at 1. The median rank over
    images is the paper's Table 1.

    Parameters
    ----------
    similarity : array-like of shape (n_images, n_classes)
        Similarity of each image to every class (e.g. :meth:`ClassGallery.similarity`);
        finite.
    true_index : array-like of int, shape (n_images,)
        Column of each image's true class (e.g. :meth:`ClassGallery.class_index`).

    Returns
    -------
    ranks : ndarray of float, shape (n_images,)
        The rank of each image's true class, from 1 to ``n_classes`` (a half-integer
        when the true class ties with others).

    Examples
    --------
    >>> from neurodecode.metrics import class_ranks
    >>> class_ranks([[0.9, 0.5, 0.1], [0.9, 0.5, 0.1], [0.5, 0.5, 0.5]], [0, 2, 1])
    array([1., 3., 2.])
    """
    n_better, n_tied = _better_tied(*_check_similarity(similarity, true_index))
    return expected_rank(n_better, n_tied)


def _check_similarity(similarity, true_index):
    S = np.asarray(similarity, dtype=np.float64)
    idx = np.asarray(true_index)
    if S.ndim != 2 or idx.shape != (len(S),):
        raise ValueError(f"similarity must be (n_images, n_classes) and true_index (n_images,); "
                         f"got {S.shape} and {idx.shape}.")
    if not np.all(np.isfinite(S)):
        raise ValueError("similarity contains NaN or infinite values.")
    if len(idx) and (not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0
                     or idx.max() >= S.shape[1]):
        raise ValueError(f"true_index must hold column indices in [0, {S.shape[1] - 1}]; got "
                         f"values from {idx.min()} to {idx.max()}.")
    return S, idx


def _better_tied(S, idx):
    true = S[np.arange(len(S)), idx]
    n_better = (S > true[:, None]).sum(axis=1)
    return n_better, (S == true[:, None]).sum(axis=1) - 1


@fill_doc
def n_way_classification(similarity, true_index, n=(50, 100, 500, 1000), top=(1, 5),
                         n_trials=1000, random_state=0, protocol=GALLERY_PROTOCOL,
                         n_boot=10000):
    """N-way top-k classification from class similarities (paper Fig 7).

    For each image, ``n - 1`` other classes are drawn at random with the true class; a trial
    is a hit at top-k when the true class ranks among the k most similar of the n, ties
    broken at random and counted at their expected value (a constant similarity scores
    chance, k / n).

    Parameters
    ----------
    similarity : array-like of shape (n_images, n_classes)
        Similarity of each image to every class (e.g. :meth:`ClassGallery.similarity`);
        finite.
    true_index : array-like of int, shape (n_images,)
        Column of each image's true class.
    n : int or sequence of int, default=(50, 100, 500, 1000)
        Classes per trial, the true one included; each in [2, n_classes].
    top : int or sequence of int, default=(1, 5)
        The k of top-k accuracy.
    %(n_trials)s
    %(random_state_eval)s
    protocol : str, default=GALLERY_PROTOCOL
        Name of the protocol, recorded in the results.
    %(n_boot)s

    Returns
    -------
    results : dict {(n, k): Bunch}
        Bunch with ``per_image``, ``mean``, ``sem``, ``ci95``, ``n_images``, ``n``, ``top``,
        ``n_trials``, ``n_classes``, ``protocol``, ``chance``.

    See Also
    --------
    semantic_classification : From reconstructions and a :class:`ClassGallery`.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import n_way_classification
    >>> S = np.random.default_rng(0).random((20, 10))
    >>> res = n_way_classification(S, S.argmax(axis=1), n=5, top=1, n_trials=None)
    >>> res[(5, 1)].mean, res[(5, 1)].chance
    (1.0, 0.2)
    """
    S, idx = _check_similarity(similarity, true_index)
    n_better, n_tied = _better_tied(S, idx)
    n_classes = S.shape[1]
    others = n_classes - 1
    ns = [n] if isinstance(n, numbers.Integral) else list(n)
    tops = [top] if isinstance(top, numbers.Integral) else list(top)
    for t in tops:
        if not isinstance(t, numbers.Integral) or t < 1:
            raise ValueError(f"top must be positive ints; got {t!r}.")
    for k in ns:
        if not isinstance(k, numbers.Integral) or k < 2 or k > n_classes:
            raise ValueError(f"n={k!r} must be an int in [2, {n_classes}] (the gallery has "
                             f"{n_classes} classes).")
    if n_trials is not None and (not isinstance(n_trials, numbers.Integral) or n_trials < 1):
        raise ValueError(f"n_trials must be a positive int or None; got {n_trials!r}.")
    rng = check_random_state(random_state)
    results = {}
    for k in ns:
        for t in tops:
            per_image = topk_hit_rate(n_better, n_tied, others, k - 1, top=t,
                                      n_trials=n_trials, rng=rng)
            per_image = np.asarray(per_image, dtype=np.float64)
            results[(k, t)] = Bunch(
                per_image=per_image, mean=float(per_image.mean()), sem=sem(per_image),
                ci95=list(bootstrap_ci(per_image, n_boot=n_boot, random_state=random_state)),
                n_images=len(S), n=k, top=t, n_trials=n_trials, n_classes=n_classes,
                protocol=f"{protocol}, {k}-way top-{t}", chance=min(t, k) / k,
            )
    return results


@fill_doc
def mindvis_classification(reconstructions, images, classifier="efficientnet_lite0",
                           weights="imagenet", n=50, n_trials=1000, random_state=0,
                           device="auto", image_size=224, n_boot=10000):
    """The MinD-Vis protocol: n-way classification by a pretrained ImageNet classifier.

    The classifier labels each ground truth (its top class among the 1000); the
    reconstruction is correct in a trial when none of ``n - 1`` random other classes of the
    1000 scores higher than that label in the classifier's logits on the reconstruction
    (ties favour the label). Not the paper's protocol (use :class:`ClassGallery`); the
    paper scores about 5.5% under it. The protocol name is in the result.

    Parameters
    ----------
    reconstructions, images : array-like of shape (N, H, W, 3)
        Reconstructions and their ground truths, in the same order, in [0, 1]; both are
        resized to ``image_size``.
    classifier : {"efficientnet_lite0", "alexnet", "vgg16", "vgg19"}, default="efficientnet_lite0"
        The ImageNet classifier.
    %(weights_eval)s
    n : int, default=50
        Classes per trial, the ground truth's label included (chance 1/n).
    %(n_trials)s
    %(random_state_eval)s
    %(device_eval)s
    image_size : int, default=224
        Classifier input side.
    %(n_boot)s

    Returns
    -------
    result : Bunch
        As a Bunch of :func:`n_way_classification` (``per_image``, ``mean``, ``sem``,
        ``ci95``, ``n_images``, ``n``, ``top`` (1), ``n_trials``, ``n_classes`` (1000),
        ``protocol``, ``chance``), plus ``classifier``.

    See Also
    --------
    semantic_classification : Either protocol, named.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import mindvis_classification
    >>> images = np.random.default_rng(0).random((2, 32, 32, 3))
    >>> res = mindvis_classification(images, images, classifier="alexnet", weights=None,
    ...                              image_size=64, n_trials=None)
    >>> res.mean, res.n, res.n_classes  # a reconstruction identical to its ground truth
    (1.0, 50, 1000)
    >>> res.protocol
    'pretrained-classifier n-way (MinD-Vis, Chen et al. 2023), 50-way top-1'
    """
    from .._weights import resolve_weights
    from ..backend import batched_inference, resolve_device
    from ..models import build_classifier

    rec = check_images(reconstructions, "reconstructions", size=image_size)
    gt = check_images(images, "images", size=image_size)
    if len(rec) != len(gt):
        raise ValueError(f"reconstructions has {len(rec)} images but images has {len(gt)}.")
    dev = resolve_device(device)
    with torch.random.fork_rng(devices=[]):
        model = build_classifier(classifier, resolve_weights(classifier, weights, "weights"))
    model = model.to(dev).eval()

    def logits(x):
        return batched_inference(model, torch.from_numpy(x).permute(0, 3, 1, 2), 32,
                                 dev).numpy()

    true_index = logits(gt).argmax(axis=1)
    res = n_way_classification(logits(rec), true_index, n=n, top=1, n_trials=n_trials,
                               random_state=random_state, protocol=MINDVIS_PROTOCOL,
                               n_boot=n_boot)
    out = res[(n, 1)]
    out.classifier = classifier
    return out


PROTOCOLS = ("gallery", "mindvis")


@fill_doc
def semantic_classification(reconstructions, *, protocol, gallery=None, labels=None,
                            images=None, n=(50, 100, 500, 1000), top=(1, 5), n_trials=1000,
                            random_state=0, **mindvis_kwargs):
    """N-way semantic classification of reconstructions under a named protocol.

    Parameters
    ----------
    reconstructions : array-like of shape (N, H, W, 3)
        Reconstructions in [0, 1].
    protocol : {"gallery", "mindvis"}
        "gallery": the paper's class-centroid protocol (needs ``gallery`` and ``labels``);
        "mindvis": a pretrained classifier's own labels of the ground truth (needs
        ``images``; ``n`` must be one int).
    gallery : ClassGallery or None, default=None
        A fitted gallery holding every true class ("gallery").
    labels : array-like of shape (N,) or None, default=None
        The true class of each reconstruction ("gallery").
    images : array-like of shape (N, H, W, 3) or None, default=None
        The ground truths, in the same order ("mindvis").
    n : int or sequence of int, default=(50, 100, 500, 1000)
        Classes per trial, the true one included ("mindvis": one int).
    top : int or sequence of int, default=(1, 5)
        The k of top-k accuracy ("gallery"; "mindvis" scores top-1).
    %(n_trials)s
    %(random_state_eval)s
    **mindvis_kwargs : dict
        Further arguments of :func:`mindvis_classification` ("mindvis"), e.g.
        ``classifier``, ``weights``, ``device``.

    Returns
    -------
    results : dict {(n, top): Bunch} or Bunch
        For "gallery", the results of :func:`n_way_classification`; for "mindvis", that of
        :func:`mindvis_classification`. Each names its protocol.

    See Also
    --------
    n_way_classification, mindvis_classification, ClassGallery

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import ClassGallery, semantic_classification
    >>> rng = np.random.default_rng(0)
    >>> images, labels = rng.random((6, 32, 32, 3)), [0, 0, 1, 1, 2, 2]
    >>> gallery = ClassGallery(net="alexnet", weights=None).fit(images, labels)
    >>> res = semantic_classification(images, protocol="gallery", gallery=gallery,
    ...                               labels=labels, n=3, top=(1, 2), n_trials=None)
    >>> sorted(res), res[(3, 2)].chance
    ([(3, 1), (3, 2)], 0.6666666666666666)
    >>> res[(3, 1)].per_image.shape
    (6,)
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}; got {protocol!r}.")
    if protocol == "gallery":
        if gallery is None or labels is None:
            raise ValueError("protocol='gallery' needs gallery= (a fitted ClassGallery) and "
                             "labels= (the true class of each reconstruction).")
        embeddings = gallery.embed(reconstructions)
        true_index = gallery.class_index(labels)
        if len(true_index) != len(embeddings):
            raise ValueError(f"labels must hold one class per reconstruction "
                             f"({len(embeddings)}); got {len(true_index)}.")
        return n_way_classification(gallery.similarity(embeddings=embeddings), true_index,
                                    n=n, top=top, n_trials=n_trials,
                                    random_state=random_state)
    if images is None:
        raise ValueError("protocol='mindvis' needs images= (the ground-truth images).")
    if not isinstance(n, numbers.Integral):
        raise ValueError(f"protocol='mindvis' takes one n (the paper's comparison: 50); got {n!r}.")
    return mindvis_classification(reconstructions, images, n=n, n_trials=n_trials,
                                  random_state=random_state, **mindvis_kwargs)
