"""Large-scale semantic classification of reconstructions (paper Fig 7, Table 1).

EVALUATION.md, section 4: a gallery of class representatives (mean classifier embedding of
up to 100 images per class), Pearson r between a reconstruction's embedding and each
representative, the rank of the true class, and n-way top-1/top-5 accuracy. The MinD-Vis
protocol (a pretrained classifier's own predictions) is offered as an option and always named.
"""
import json
import numbers
from pathlib import Path

import numpy as np
import torch
from scipy.stats import hypergeom
from sklearn.utils import Bunch, check_random_state

from .._utils import correlation_matrix
from .._validation import check_images
from ..models import get_backbone_spec
from ._stats import bootstrap_ci, sem

GALLERY_PROTOCOL = "class-centroid gallery (Horikawa & Kamitani 2017; Gaziv et al. 2022)"
MINDVIS_PROTOCOL = "pretrained-classifier n-way (MinD-Vis, Chen et al. 2023)"


class ClassGallery:
    """Class representatives: the mean classifier embedding of each class's images.

    Parameters
    ----------
    net : str, default="alexnet"
        Classifier network (paper: AlexNet).
    tap : str or None, default=None
        Layer whose activations are the embedding; None uses the backbone's classifier tap
        (AlexNet: conv4 after ReLU, ``features[:10]``).
    weights : "imagenet", None or path, default="imagenet"
    image_size : int or None, default=None
        Side images are resized to before embedding (None: as given; reconstructions are
        then resized to the gallery images' size).
    max_per_class : int, default=100
        At most this many images per class enter the centroid (the first ones given).
    device : str, default="auto"
    batch_size : int, default=64

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    centroids_ : ndarray of shape (n_classes, n_features), float32
    counts_ : ndarray of shape (n_classes,)
        Images averaged per class.
    image_size_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import ClassGallery
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((6, 32, 32, 3))
    >>> gallery = ClassGallery(net="efficientnet_lite0").fit(images, [0, 0, 1, 1, 2, 2])
    >>> gallery.centroids_.shape[0]
    3
    """

    def __init__(self, net="alexnet", tap=None, weights="imagenet", image_size=None,
                 max_per_class=100, device="auto", batch_size=64):
        self.net = net
        self.tap = tap
        self.weights = weights
        self.image_size = image_size
        self.max_per_class = max_per_class
        self.device = device
        self.batch_size = batch_size

    def _model(self):
        from ._features import FeatureModel

        if getattr(self, "_feature_model", None) is None:
            tap = self.tap or get_backbone_spec(self.net, "net").classifier_tap
            self._feature_model = FeatureModel(self.net, [tap], self.weights,
                                               self.image_size_, self.device, self.batch_size)
        return self._feature_model

    def embed(self, images):
        """Classifier embeddings of images: (n, n_features) float32."""
        return self._model().vectors(images)

    def fit(self, images, labels):
        """Build the class representatives.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3)
        labels : array-like of shape (n,)
            Class of each image (any sortable values; sorted into ``classes_``).
        """
        for attr in ("_sums", "centroids_", "classes_", "counts_", "image_size_"):
            self.__dict__.pop(attr, None)
        return self.partial_fit(images, labels)

    def partial_fit(self, images, labels):
        """Add images to the representatives (chunk by chunk for galleries too large for
        memory); each class keeps its first ``max_per_class`` images.
        """
        labels = np.asarray(labels)
        images = check_images(images, "images",
                              size=getattr(self, "image_size_", None) or self.image_size)
        if labels.shape != (len(images),):
            raise ValueError(
                f"labels must hold one class per image: {len(images)} images, labels of "
                f"shape {labels.shape}.")
        if not isinstance(self.max_per_class, numbers.Integral) or self.max_per_class < 1:
            raise ValueError(f"max_per_class must be a positive int; got {self.max_per_class!r}.")
        if not hasattr(self, "_sums"):
            self.image_size_ = images.shape[1]
            self._feature_model = None
            self._sums, self._counts = {}, {}
        keep = []
        for c in np.unique(labels):
            room = self.max_per_class - self._counts.get(c.item(), 0)
            keep.extend(np.flatnonzero(labels == c)[:max(room, 0)].tolist())
        keep = np.sort(np.asarray(keep, dtype=int))
        if len(keep):
            emb = self.embed(images[keep]).astype(np.float64)
            for c in np.unique(labels[keep]):
                rows = emb[labels[keep] == c]
                key = c.item()
                self._sums[key] = self._sums.get(key, 0.0) + rows.sum(axis=0)
                self._counts[key] = self._counts.get(key, 0) + len(rows)
        classes = sorted(self._sums)
        self.classes_ = np.asarray(classes)
        self.counts_ = np.array([self._counts[c] for c in classes])
        self.centroids_ = np.stack([self._sums[c] / self._counts[c] for c in classes]
                                   ).astype(np.float32)
        return self

    def _check_fitted(self):
        if not hasattr(self, "centroids_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This ClassGallery is not fitted yet; call fit first.")

    def similarity(self, images=None, embeddings=None):
        """Pearson r between each image's embedding and every class representative.

        Returns
        -------
        r : ndarray of shape (n_images, n_classes)
        """
        self._check_fitted()
        if embeddings is None:
            embeddings = self.embed(check_images(images, "images", size=self.image_size_))
        emb = np.asarray(embeddings, dtype=np.float64)
        if emb.ndim != 2 or emb.shape[1] != self.centroids_.shape[1]:
            raise ValueError(
                f"embeddings must have shape (n, {self.centroids_.shape[1]}); got {emb.shape}.")
        if not np.all(np.isfinite(emb)):
            raise ValueError(f"embeddings contain {int((~np.isfinite(emb)).sum())} NaN or "
                             "infinite values.")
        return correlation_matrix(emb, self.centroids_)

    def class_index(self, labels):
        """Index in ``classes_`` of each label (e.g. of each image's true class).

        Parameters
        ----------
        labels : array-like of shape (n,)
            Classes, every one of them in the gallery.

        Returns
        -------
        index : ndarray of int, shape (n,)
        """
        self._check_fitted()
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"labels must be 1D, one class per image; got shape "
                             f"{labels.shape}.")
        index = {c: i for i, c in enumerate(self.classes_.tolist())}
        missing = sorted({lab for lab in labels.tolist() if lab not in index})
        if missing:
            raise ValueError(f"labels {missing[:5]} are not gallery classes; the gallery must "
                             "contain every true class.")
        return np.array([index[lab] for lab in labels.tolist()], dtype=np.int64)

    def _true_index(self, labels, n):
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must hold one class per image ({n}); got shape "
                             f"{labels.shape}.")
        return self.class_index(labels)

    def ranks(self, images, labels, embeddings=None):
        """Rank (1 = best) of each image's true class among all gallery classes."""
        S = self.similarity(images, embeddings)
        return class_ranks(S, self._true_index(labels, len(S)))

    def save(self, path):
        """Save to ``.npz`` (centroids, classes, counts and settings; no pickled objects)."""
        self._check_fitted()
        meta = {k: getattr(self, k) for k in ("net", "tap", "image_size", "max_per_class",
                                              "batch_size")}
        meta.update(weights=str(self.weights) if self.weights is not None else None,
                    image_size_=int(self.image_size_))
        np.savez(path, centroids=self.centroids_, classes=self.classes_.astype(str),
                 classes_kind=str(self.classes_.dtype.kind), counts=self.counts_,
                 meta=json.dumps(meta))

    @classmethod
    def load(cls, path, device="auto"):
        """Load a gallery written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            image_size_ = meta.pop("image_size_")
            gallery = cls(device=device, **meta)
            classes = f["classes"]
            if str(f["classes_kind"]) in "iu":
                classes = classes.astype(np.int64)
            gallery.classes_ = classes
            gallery.centroids_ = f["centroids"]
            gallery.counts_ = f["counts"]
            gallery.image_size_ = image_size_
        # partial_fit can go on adding images to a loaded gallery
        gallery._counts = {c.item(): int(n) for c, n in zip(gallery.classes_, gallery.counts_)}
        gallery._sums = {c.item(): gallery.centroids_[i].astype(np.float64) * gallery.counts_[i]
                         for i, c in enumerate(gallery.classes_)}
        return gallery


def class_ranks(similarity, true_index):
    """Rank (1 = best) of the true class: 1 + number of classes more similar than it.

    Parameters
    ----------
    similarity : array-like of shape (n_images, n_classes)
    true_index : array-like of int, shape (n_images,)
    """
    S = np.asarray(similarity, dtype=np.float64)
    idx = np.asarray(true_index)
    if S.ndim != 2 or idx.shape != (len(S),):
        raise ValueError(f"similarity must be (n_images, n_classes) and true_index (n_images,); "
                         f"got {S.shape} and {idx.shape}.")
    if not np.all(np.isfinite(S)):
        raise ValueError("similarity contains NaN or infinite values.")
    true = S[np.arange(len(S)), idx]
    return 1 + (S > true[:, None]).sum(axis=1)


def n_way_classification(similarity, true_index, n=(50, 100, 500, 1000), top=(1, 5),
                         n_trials=1000, random_state=0, protocol=GALLERY_PROTOCOL,
                         n_boot=10000):
    """n-way top-k classification from class similarities (paper Fig 7).

    For each image, ``n - 1`` other classes are drawn at random with the true class; a trial
    is a hit at top-k when fewer than k drawn classes are strictly more similar than the true
    one (ties favour the true class, as in ranking).

    Parameters
    ----------
    similarity : array-like of shape (n_images, n_classes)
    true_index : array-like of int, shape (n_images,)
    n : int or sequence of int, default=(50, 100, 500, 1000)
    top : int or sequence of int, default=(1, 5)
    n_trials : int or None, default=1000
        Random class subsets per image (paper: 1000); None gives the exact expected rate.
    random_state : int, RandomState or None, default=0
    protocol : str
        Recorded in the results.

    Returns
    -------
    results : dict {(n, k): Bunch}
        Bunch with ``per_image``, ``mean``, ``sem``, ``ci95``, ``n_images``, ``n``, ``top``,
        ``n_trials``, ``n_classes``, ``protocol``, ``chance``.
    """
    S = np.asarray(similarity, dtype=np.float64)
    ranks = class_ranks(S, true_index)
    n_classes = S.shape[1]
    n_better = ranks - 1
    others = n_classes - 1
    ns = [n] if isinstance(n, numbers.Integral) else list(n)
    tops = [top] if isinstance(top, numbers.Integral) else list(top)
    for k in ns:
        if not isinstance(k, numbers.Integral) or k < 2 or k > n_classes:
            raise ValueError(f"n={k!r} must be an int in [2, {n_classes}] (the gallery has "
                             f"{n_classes} classes).")
    if n_trials is not None and (not isinstance(n_trials, numbers.Integral) or n_trials < 1):
        raise ValueError(f"n_trials must be a positive int or None; got {n_trials!r}.")
    rng = check_random_state(random_state)
    results = {}
    for k in ns:
        drawn = None
        if n_trials is not None:
            drawn = rng.hypergeometric(n_better, others - n_better, k - 1,
                                       size=(int(n_trials), len(S)))
        for t in tops:
            if n_trials is None:
                per_image = hypergeom.cdf(t - 1, others, n_better, k - 1)
            else:
                per_image = (drawn <= t - 1).mean(axis=0)
            per_image = np.asarray(per_image, dtype=np.float64)
            results[(k, t)] = Bunch(
                per_image=per_image, mean=float(per_image.mean()), sem=sem(per_image),
                ci95=list(bootstrap_ci(per_image, n_boot=n_boot, random_state=random_state)),
                n_images=len(S), n=k, top=t, n_trials=n_trials, n_classes=n_classes,
                protocol=f"{protocol}, {k}-way top-{t}", chance=min(t, k) / k,
            )
    return results


def mindvis_classification(reconstructions, images, classifier="efficientnet_lite0",
                           weights="imagenet", n=50, n_trials=1000, random_state=0,
                           device="auto", image_size=224, n_boot=10000):
    """The MinD-Vis protocol: a pretrained ImageNet classifier labels the ground truth; the
    reconstruction is correct when that label beats ``n - 1`` random other classes of the
    1000 in the classifier's scores on the reconstruction.

    Not the paper's protocol (use :class:`ClassGallery`); the paper scores about 5.5% under
    it. The protocol name is in the result.

    Parameters
    ----------
    reconstructions, images : array-like of shape (N, H, W, 3)
    classifier : {"efficientnet_lite0", "alexnet", "vgg16", "vgg19"}, default="efficientnet_lite0"
    n : int, default=50
    image_size : int, default=224
        Classifier input side.
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


def semantic_classification(reconstructions, *, protocol, gallery=None, labels=None,
                            images=None, n=(50, 100, 500, 1000), top=(1, 5), n_trials=1000,
                            random_state=0, **mindvis_kwargs):
    """n-way semantic classification of reconstructions under a named protocol.

    Parameters
    ----------
    reconstructions : array-like of shape (N, H, W, 3)
    protocol : {"gallery", "mindvis"}
        "gallery": the paper's class-centroid protocol (needs ``gallery`` and ``labels``);
        "mindvis": a pretrained classifier's own labels of the ground truth (needs
        ``images``; ``n`` must be one int).
    gallery : ClassGallery, labels : array-like of shape (N,)
    images : array-like of shape (N, H, W, 3)
    n, top, n_trials, random_state
        As in :func:`n_way_classification`.

    Returns
    -------
    dict {(n, top): Bunch} for "gallery"; a Bunch for "mindvis". Each names its protocol.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}; got {protocol!r}.")
    if protocol == "gallery":
        if gallery is None or labels is None:
            raise ValueError("protocol='gallery' needs gallery= (a fitted ClassGallery) and "
                             "labels= (the true class of each reconstruction).")
        embeddings = gallery.embed(reconstructions)
        true_index = gallery._true_index(labels, len(embeddings))
        return n_way_classification(gallery.similarity(embeddings=embeddings), true_index,
                                    n=n, top=top, n_trials=n_trials,
                                    random_state=random_state)
    if images is None:
        raise ValueError("protocol='mindvis' needs images= (the ground-truth images).")
    if not isinstance(n, numbers.Integral):
        raise ValueError(f"protocol='mindvis' takes one n (the paper's comparison: 50); got {n!r}.")
    return mindvis_classification(reconstructions, images, n=n, n_trials=n_trials,
                                  random_state=random_state, **mindvis_kwargs)
