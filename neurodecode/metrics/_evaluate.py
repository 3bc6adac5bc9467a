"""The paper's evaluation battery in one call: :func:`evaluate_reconstructions`."""
import numbers

import numpy as np
from sklearn.utils import Bunch

from .._docs import fill_doc
from .._unpaired import unpaired_rows
from .._validation import as_numeric_array, check_images, check_same_length
from ._classification import class_ranks, mindvis_classification, n_way_classification
from ._identification import (
    _resolve_distance,
    n_way_identification,
    pairwise_identification,
)
from ._image import IMAGE_SCORES, ImageScore
from ._stats import bootstrap_se, summarize


def _distances(distance):
    """{name: distance callable} from one distance, a sequence of them or a dict."""
    if isinstance(distance, dict):
        return {name: _resolve_distance(d)[0] for name, d in distance.items()}
    if isinstance(distance, str) or callable(distance):
        distance = [distance]
    out = {}
    for d in distance:
        fn, name = _resolve_distance(d)
        name = "pixel" if isinstance(d, str) and d == "pixel_correlation" else name
        if name in out:
            raise ValueError(f"two distances are both named {name!r}; pass a dict "
                             "{name: distance} to tell them apart.")
        out[name] = fn
    return out


def _image_scores(extra):
    """The per-image scores of one evaluation: IMAGE_SCORES, then the extra ones."""
    out = dict(IMAGE_SCORES)
    if extra is None:
        return out
    if not isinstance(extra, dict):
        raise TypeError("scores must be a dict {name: function or ImageScore} or None; got "
                        f"{type(extra).__name__}.")
    for name, score in extra.items():
        if name in out:
            raise ValueError(f"scores[{name!r}]: {name!r} is already computed (one of "
                             f"{sorted(IMAGE_SCORES)}); give the extra score another name.")
        if not isinstance(score, ImageScore):
            if not callable(score):
                raise TypeError(f"scores[{name!r}] must be a function(reconstructions, "
                                f"images) or an ImageScore; got {type(score).__name__}.")
            score = ImageScore(score, name, getattr(score, "__name__", name))
        out[name] = score
    return out


def _ints(values, name):
    values = [values] if isinstance(values, numbers.Integral) else list(values)
    for k in values:
        if not isinstance(k, numbers.Integral) or isinstance(k, bool):
            raise TypeError(f"{name} takes ints; got {k!r}.")
    return tuple(int(k) for k in values)


def _row(metric, values, protocol, random_state, n_boot, chance=None, bunch=None):
    values = np.asarray(values, dtype=np.float64)
    if bunch is not None:  # the metric's own summary (its CI was drawn when it was scored)
        mean, err, ci = bunch.mean, bunch.sem, bunch.ci95
    else:
        try:
            s = summarize(values, random_state=random_state, n_boot=n_boot)
        except ValueError as exc:
            raise ValueError(f"the per-image scores of {metric!r}: {exc}") from exc
        mean, err, ci = s["mean"], s["sem"], s["ci95"]
    return {"metric": metric, "protocol": protocol, "mean": mean, "sem": err,
            "ci95_low": float(ci[0]), "ci95_high": float(ci[1]),
            "median": float(np.median(values)), "n": int(values.size), "chance": chance}


@fill_doc
def evaluate_reconstructions(reconstructions, images, *, gallery=None, labels=None,
                             identification_n=(2, 5, 10, 50), pool="others",
                             distance="perceptual", classification_n=(50, 100, 500, 1000),
                             top=(1, 5), mindvis=None, scores=None, n_trials=1000,
                             random_state=0, n_boot=10000):
    """Score reconstructions with the paper's protocols, every number with its N.

    Runs, on the same images: n-way identification (for each distance), pairwise
    identification on pixels, the per-image scores of :data:`IMAGE_SCORES` (PixCorr, SSIM,
    edge correlation) and any extra ``scores``; with a ``gallery`` and ``labels``, the
    class rank of each reconstruction among the gallery classes (paper Table 1) and n-way
    top-k semantic classification (Fig 7); with ``mindvis``, the MinD-Vis protocol.

    Parameters
    ----------
    reconstructions : array-like of shape (N, H, W, 3)
        In [0, 1].
    images : array-like of shape (N, H', W', 3)
        The ground truths, in the same order (resized to the reconstructions' size). Rows
        whose image is all NaN (unpaired fMRI, see :func:`neurodecode.concat_unpaired_fmri`)
        are left out, with their reconstructions and labels.
    gallery : ClassGallery or None, default=None
        A fitted gallery holding every true class; None skips semantic classification.
    labels : array-like of shape (N,) or None, default=None
        The true class of each image (needed with ``gallery``).
    identification_n : int or sequence of int, default=(2, 5, 10, 50)
        The n of n-way identification (values that need more distractors than ``pool``
        holds are an error).
    pool : "others" or array-like of shape (M, H, W, 3), default="others"
        Distractors of n-way identification; see :func:`n_way_identification`.
    distance : str, callable, sequence or dict, default="perceptual"
        Distance(s) of n-way identification: "perceptual", "pixel_correlation", a callable
        (e.g. a :class:`PerceptualDistance` of a network the decoder was *not* trained
        with), a sequence of these, or a dict {name: distance}. Results are keyed by name
        ("pixel" for pixel correlation, the callable's ``name`` otherwise).
    classification_n : int or sequence of int, default=(50, 100, 500, 1000)
        The n of n-way semantic classification (at most the number of gallery classes).
    top : int or sequence of int, default=(1, 5)
        The k of top-k semantic classification.
    mindvis : dict or None, default=None
        Keyword arguments of :func:`mindvis_classification` (e.g.
        ``{"classifier": "efficientnet_lite0", "n": 50}``); None skips it.
    scores : dict or None, default=None
        Extra per-image scores, ``{name: function}`` or ``{name: ImageScore}``, computed
        beside those of :data:`IMAGE_SCORES`; ``function(reconstructions, images)`` returns
        one score per image (ground truths at the reconstructions' size).
    %(n_trials)s
    %(random_state_eval)s
    %(n_boot)s

    Returns
    -------
    result : Bunch
        ``per_image`` (pandas DataFrame, one row per image, one column per score),
        ``summary`` (DataFrame, one row per score: protocol, mean, SEM, bootstrap 95% CI,
        median, N, chance), and the detailed results: ``identification`` ({distance name:
        {n: Bunch}}), ``pairwise_identification`` (Bunch), ``scores`` ({name: array} of
        every per-image score, with ``image_scores`` their :class:`ImageScore`; those of
        :data:`IMAGE_SCORES` also as attributes: ``pixcorr``, ``ssim``,
        ``edge_correlation``), and with a gallery ``class_ranks`` (array), ``class_rank`` (dict: median,
        bootstrap SE of the median, mean, N, number of classes, protocol) and
        ``classification`` ({(n, top): Bunch}); ``mindvis`` (Bunch) when requested;
        ``n_images``.

    See Also
    --------
    n_way_identification, pairwise_identification, pixel_correlation, ssim, ClassGallery,
    n_way_classification, mindvis_classification

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import evaluate_reconstructions
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((10, 16, 16, 3))
    >>> noisy = np.clip(images + 0.1 * rng.standard_normal(images.shape), 0, 1)
    >>> res = evaluate_reconstructions(noisy, images, identification_n=(2, 5),
    ...                                distance="pixel_correlation", n_trials=None)
    >>> float(res.summary.set_index("metric").loc["identification pixel 2-way", "mean"])
    1.0
    >>> list(res.per_image.columns)[:3]
    ['identification pixel 2-way', 'identification pixel 5-way', 'pairwise identification pixels']
    """
    import pandas as pd

    rec = check_images(reconstructions, "reconstructions", min_samples=2)
    if rec.shape[1] != rec.shape[2]:
        raise ValueError(f"reconstructions must be square images; got {rec.shape[1]}x"
                         f"{rec.shape[2]}.")
    images = as_numeric_array(images, "images")
    marked = unpaired_rows(images)
    if marked is not None:  # rows marked unpaired have no ground truth: left out
        check_same_length(rec, images, "reconstructions", "images")
        if labels is not None:
            check_same_length(images, np.asarray(labels), "images", "labels")
        rec, images = rec[~marked], images[~marked]
        labels = None if labels is None else np.asarray(labels)[~marked]
    gt_full = check_images(images, "images", min_samples=2)
    gt = check_images(gt_full, "images", size=rec.shape[1])
    check_same_length(rec, gt, "reconstructions", "images")
    if (gallery is None) != (labels is None):
        raise ValueError("semantic classification needs both gallery= (a fitted "
                         "ClassGallery) and labels= (the true class of each image); got "
                         f"{'a gallery' if gallery is not None else 'labels'} only.")
    if mindvis is not None and not isinstance(mindvis, dict):
        raise TypeError(f"mindvis must be a dict of mindvis_classification arguments or "
                        f"None; got {type(mindvis).__name__}.")
    true_index = None
    if gallery is not None:
        true_index = gallery.class_index(labels)
        check_same_length(rec, true_index, "reconstructions", "labels")
    identification_n = _ints(identification_n, "identification_n")
    classification_n = _ints(classification_n, "classification_n")
    top = _ints(top, "top")
    image_scores = _image_scores(scores)

    out = Bunch(n_images=len(rec), identification={})
    per_image, rows = {}, []
    for name, fn in _distances(distance).items():
        res = n_way_identification(rec, gt, n=identification_n, pool=pool, distance=fn,
                                   n_trials=n_trials, random_state=random_state,
                                   n_boot=n_boot)
        out.identification[name] = res
        for k, b in res.items():
            metric = f"identification {name} {k}-way"
            per_image[metric] = b.per_image
            rows.append(_row(metric, b.per_image, f"{b.protocol}, {b.distance}, pool: "
                             f"{b.pool}", random_state, n_boot, b.chance, b))
    pair = pairwise_identification(rec, gt)
    out.pairwise_identification = pair
    per_image["pairwise identification pixels"] = pair.per_image
    rows.append(_row("pairwise identification pixels", pair.per_image,
                     f"{pair.protocol}, pixels", random_state, n_boot, pair.chance))
    out.image_scores, out.scores = image_scores, {}

    def add_scores(names):  # the package's scores in place, the extra ones after the rest
        for metric in names:
            score = image_scores[metric]
            if metric in per_image:
                raise ValueError(f"scores[{metric!r}]: {metric!r} is already a column of "
                                 "per_image; give the extra score another name.")
            values = np.asarray(score.function(rec.copy(), gt.copy()), dtype=np.float64)
            if values.shape != (len(rec),):
                raise ValueError(f"scores[{metric!r}] must return one score per image, shape "
                                 f"({len(rec)},); got shape {values.shape}.")
            out.scores[metric] = per_image[metric] = values
            if metric in IMAGE_SCORES:
                out[metric] = values
            rows.append(_row(metric, values, score.protocol, random_state, n_boot))

    add_scores(IMAGE_SCORES)
    if gallery is not None:
        sim = gallery.similarity(embeddings=gallery.embed(rec))
        ranks = class_ranks(sim, true_index)
        out.class_ranks = ranks
        out.class_rank = {
            "median": float(np.median(ranks)),
            "se_median": bootstrap_se(ranks, random_state=random_state),
            "mean": float(ranks.mean()), "n": len(ranks), "n_classes": len(gallery.classes_),
            "protocol": "class-centroid gallery"}
        per_image["class rank"] = ranks
        rows.append(_row("class rank", ranks, f"rank of the true class among "
                         f"{len(gallery.classes_)} (class-centroid gallery)", random_state,
                         n_boot, (len(gallery.classes_) + 1) / 2))
        out.classification = n_way_classification(sim, true_index, n=classification_n,
                                                  top=top, n_trials=n_trials,
                                                  random_state=random_state, n_boot=n_boot)
        for (k, t), b in out.classification.items():
            metric = f"classification {k}-way top-{t}"
            per_image[metric] = b.per_image
            rows.append(_row(metric, b.per_image, b.protocol, random_state, n_boot,
                             b.chance, b))
    if mindvis is not None:
        kwargs = {"n_trials": n_trials, "random_state": random_state, "n_boot": n_boot,
                  **mindvis}
        out.mindvis = mindvis_classification(rec, gt_full, **kwargs)
        metric = f"MinD-Vis {out.mindvis.n}-way"
        per_image[metric] = out.mindvis.per_image
        rows.append(_row(metric, out.mindvis.per_image, out.mindvis.protocol, random_state,
                         n_boot, out.mindvis.chance, out.mindvis))
    add_scores([m for m in image_scores if m not in IMAGE_SCORES])
    out.per_image = pd.DataFrame(per_image)
    out.per_image.index.name = "image"
    out.summary = pd.DataFrame(rows)
    return out
