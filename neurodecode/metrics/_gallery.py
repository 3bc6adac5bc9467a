"""The class gallery of the paper's large-scale semantic classification (Fig 7, Table 1):
one representative per class, the mean classifier embedding of its images."""
import inspect
import json
import numbers
from pathlib import Path

import numpy as np

from .._docs import fill_doc
from .._utils import correlation_matrix
from .._validation import check_images
from ..models import get_backbone_spec
from ._classification import class_ranks

#: The header of a saved gallery file.
GALLERY_FORMAT = "neurodecode-class-gallery-1"


@fill_doc
class ClassGallery:
    """Class representatives: the mean classifier embedding of each class's images.

    The gallery of the paper's large-scale semantic classification (Gaziv et al. 2022,
    "Large-scale semantic classification"; Fig 7, Table 1): each class is represented by
    the mean embedding of up to 100 of its images, and a reconstruction is scored by the
    Pearson r between its embedding and every representative.

    Parameters
    ----------
    net : str, default="alexnet"
        Classifier network (paper: AlexNet).
    tap : str or None, default=None
        Layer whose activations are the embedding; None uses the backbone's classifier tap
        (AlexNet: conv4 after ReLU, ``features[:10]``).
    %(weights_eval)s
    image_size : int or None, default=None
        Side images are resized to before embedding (None: as given; reconstructions are
        then resized to the gallery images' size).
    max_per_class : int, default=100
        At most this many images per class enter the centroid (the first ones given).
    %(device_eval)s
    batch_size : int, default=64
        Images per forward pass.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes, sorted.
    centroids_ : ndarray of shape (n_classes, n_features), float32
        The class representatives, in the order of ``classes_``.
    counts_ : ndarray of shape (n_classes,)
        Images averaged per class.
    image_size_ : int
        Side of the images embedded (that of the first images given when ``image_size`` is
        None).

    See Also
    --------
    semantic_classification : N-way classification of reconstructions with a gallery.
    evaluate_reconstructions : Every protocol of the paper in one call.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import ClassGallery
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((6, 32, 32, 3))
    >>> gallery = ClassGallery(weights=None).fit(images, [0, 0, 1, 1, 2, 2])
    >>> gallery.classes_, gallery.counts_
    (array([0, 1, 2]), array([2, 2, 2]))
    >>> gallery.similarity(images[:2]).shape
    (2, 3)
    """

    _saved_params = ("net", "tap", "weights", "image_size", "max_per_class", "batch_size")

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
        """Classifier embeddings of images.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3)
            Images in [0, 1] (uint8 images are scaled to [0, 1]); resized to
            ``image_size_``.

        Returns
        -------
        embeddings : ndarray of shape (n, n_features)
            Float32 activations of the tap, flattened.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`, which fixes the image size of the embeddings.
        """
        if not hasattr(self, "image_size_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This ClassGallery is not fitted yet: fit fixes the image size "
                                 "its embeddings use; call fit first.")
        return self._model().vectors(images)

    def fit(self, images, labels):
        """Build the class representatives.

        Forgets any images given before; see :meth:`partial_fit` to add to them.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3)
            Images of the classes, in [0, 1] (uint8 images are scaled to [0, 1]).
        labels : array-like of shape (n,)
            Class of each image (any sortable values; sorted into ``classes_``).

        Returns
        -------
        self : ClassGallery
            The fitted gallery.
        """
        for attr in ("_sums", "centroids_", "classes_", "counts_", "image_size_"):
            self.__dict__.pop(attr, None)
        return self.partial_fit(images, labels)

    def partial_fit(self, images, labels):
        """Add images to the representatives, chunk by chunk.

        For galleries too large for memory; each class keeps its first ``max_per_class``
        images, over all calls. Works on a fitted or loaded gallery too.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3)
            Images of the classes, in [0, 1] (uint8 images are scaled to [0, 1]).
        labels : array-like of shape (n,)
            Class of each image (new classes are added to ``classes_``).

        Returns
        -------
        self : ClassGallery
            The updated gallery.
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

    @fill_doc
    def fit_from(self, images_of, classes, *, chunk_size=50, also=(), verbose=0):
        """Build the representatives from a source of images, a chunk of classes at a time.

        For galleries of many classes (the paper's 1000): ``images_of(chunk)`` is called
        on consecutive chunks of ``classes`` and the images it returns are added with
        :meth:`partial_fit`; each chunk is loaded once and also added to every gallery in
        ``also`` (e.g. a :class:`ColorHistogramGallery` of the same images). Forgets any
        images given before, like :meth:`fit`.

        Parameters
        ----------
        images_of : callable
            ``images_of(classes) -> (images, labels)``, e.g.
            ``functools.partial(subject.gallery_images, n_per_class=100)``.
        classes : array-like of shape (n_classes,)
            The gallery's classes.
        chunk_size : int, default=50
            At most this many classes per chunk (:func:`numpy.array_split` into
            ``ceil(n_classes / chunk_size)`` chunks of near-equal size).
        also : ClassGallery or sequence of ClassGallery, default=()
            Other galleries fitted on the same images, chunk by chunk (refitted: what they
            held is forgotten).
        %(verbose_bar)s

        Returns
        -------
        self : ClassGallery
            The fitted gallery.

        Examples
        --------
        >>> import numpy as np
        >>> from neurodecode.metrics import ColorHistogramGallery
        >>> rng = np.random.default_rng(0)
        >>> def images_of(classes):
        ...     labels = np.repeat(classes, 2)
        ...     return rng.random((len(labels), 8, 8, 3)), labels
        >>> g = ColorHistogramGallery(bins=2).fit_from(images_of, np.arange(6), chunk_size=2)
        >>> g.classes_.tolist(), g.counts_.tolist()
        ([0, 1, 2, 3, 4, 5], [2, 2, 2, 2, 2, 2])
        """
        from tqdm.auto import tqdm

        if not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int; got {chunk_size!r}.")
        also = [also] if isinstance(also, ClassGallery) else list(also)
        for g in also:
            if not isinstance(g, ClassGallery):
                raise TypeError(f"also must hold ClassGallery objects; got {type(g).__name__}.")
            if g is self:
                raise ValueError("also must not hold the gallery itself (its images would "
                                 "count twice).")
        classes = np.asarray(classes)
        if classes.ndim != 1 or not len(classes):
            raise ValueError(f"classes must be a non-empty 1D array; got shape {classes.shape}.")
        galleries = (self, *also)
        for g in galleries:
            for attr in ("_sums", "centroids_", "classes_", "counts_", "image_size_"):
                g.__dict__.pop(attr, None)
        chunks = np.array_split(classes, -(-len(classes) // chunk_size))
        for chunk in tqdm(chunks, desc="class gallery", unit="chunk", disable=not verbose,
                          leave=False):
            images, labels = images_of(chunk)
            for g in galleries:
                g.partial_fit(images, labels)
        return self

    def _check_fitted(self):
        if not hasattr(self, "centroids_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This ClassGallery is not fitted yet; call fit first.")

    def similarity(self, images=None, embeddings=None):
        """Pearson r between each image's embedding and every class representative.

        Parameters
        ----------
        images : array-like of shape (n_images, H, W, 3) or None, default=None
            Images to embed (ignored when ``embeddings`` is given).
        embeddings : array-like of shape (n_images, n_features) or None, default=None
            Embeddings from :meth:`embed`, to skip computing them again.

        Returns
        -------
        r : ndarray of shape (n_images, n_classes)
            Correlations, the classes in the order of ``classes_``.
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
            Positions in ``classes_``.
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
        """Rank (1 = best) of each image's true class among all gallery classes.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3) or None
            Images to embed (ignored when ``embeddings`` is given).
        labels : array-like of shape (n,)
            The true class of each image, every one of them in the gallery.
        embeddings : array-like of shape (n, n_features) or None, default=None
            Embeddings from :meth:`embed`, to skip computing them again.

        Returns
        -------
        ranks : ndarray of int, shape (n,)
            1 + the number of classes strictly more similar than the true one
            (:func:`class_ranks`).
        """
        S = self.similarity(images, embeddings)
        return class_ranks(S, self._true_index(labels, len(S)))

    def save(self, path):
        """Save to one sealed file (representatives, classes, counts and settings).

        The file is written the way model files and checkpoints are: atomically, by
        :func:`torch.save`, with the SHA-256 of its content, and read back by :meth:`load`
        with ``torch.load(weights_only=True)`` (nothing pickled is executed).

        Parameters
        ----------
        path : str or path-like
            The file (e.g. ``gallery.pt``).
        """
        import torch

        from .._files import atomic_write, seal

        self._check_fitted()
        meta = {k: getattr(self, k) for k in self._saved_params}
        if "weights" in meta and meta["weights"] is not None:
            meta["weights"] = str(meta["weights"])
        meta.update(image_size_=int(self.image_size_))
        payload = seal({
            "format": GALLERY_FORMAT, "class": type(self).__name__,
            "centroids": torch.from_numpy(np.ascontiguousarray(self.centroids_)),
            "classes": self.classes_.astype(str).tolist(),
            "classes_kind": str(self.classes_.dtype.kind),
            "counts": torch.from_numpy(np.asarray(self.counts_, dtype=np.int64)),
            "meta": json.dumps(meta)})
        atomic_write(path, lambda f: torch.save(payload, f), argument="path")

    @classmethod
    @fill_doc
    def load(cls, path, device="auto"):
        """Load a gallery written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The file.
        %(device_eval)s

        Returns
        -------
        gallery : ClassGallery
            Fitted, with the settings it was saved with; :meth:`partial_fit` can add
            images to it.

        Raises
        ------
        ValueError
            The file is empty, truncated, not a gallery of this class, or was damaged or
            edited after it was written (checksum mismatch).
        """
        from .._files import read_torch_file, unseal

        name = str(Path(path))
        legacy = _read_legacy_npz(path)
        if legacy is not None:
            return cls._from_parts(*legacy, device=device)
        what = f"neurodecode {cls.__name__} file"
        payload = read_torch_file(path, what, ValueError)
        if not isinstance(payload, dict) or payload.get("format") != GALLERY_FORMAT:
            raise ValueError(f"{name} is not a {what} (no gallery header).")
        payload = unseal(payload, name, ValueError)
        if payload["class"] != cls.__name__:
            raise ValueError(f"{name} holds a {payload['class']}; load it with "
                             f"{payload['class']}.load.")
        return cls._from_parts(json.loads(payload["meta"]), np.asarray(payload["classes"]),
                               payload["classes_kind"], payload["centroids"].numpy(),
                               payload["counts"].numpy(), device=device)

    @classmethod
    def _from_parts(cls, meta, classes, classes_kind, centroids, counts, device="auto"):
        """A fitted gallery from its stored settings and arrays."""
        image_size_ = meta.pop("image_size_")
        if "device" in inspect.signature(cls).parameters:
            meta["device"] = device
        try:
            gallery = cls(**meta)
        except TypeError as exc:
            raise ValueError(f"the file holds the settings of another kind of gallery "
                             f"({sorted(meta)}), not of a {cls.__name__}: {exc}") from exc
        if classes_kind in "iu":
            classes = classes.astype(np.int64)
        gallery.classes_ = classes
        gallery.centroids_ = centroids
        gallery.counts_ = counts
        gallery.image_size_ = image_size_
        # partial_fit can go on adding images to a loaded gallery
        gallery._counts = {c.item(): int(n) for c, n in zip(gallery.classes_, gallery.counts_)}
        gallery._sums = {c.item(): gallery.centroids_[i].astype(np.float64) * gallery.counts_[i]
                         for i, c in enumerate(gallery.classes_)}
        return gallery


def _read_legacy_npz(path):
    """The parts of a gallery an earlier neurodecode saved as an unsealed ``.npz``, with a
    warning (saving it again seals it); None for any other file."""
    import warnings
    import zipfile

    if Path(path).suffix != ".npz" or not Path(path).is_file():
        return None  # only a file named as numpy.savez named it is read the old way
    try:
        with zipfile.ZipFile(path) as z:
            if not {"centroids.npy", "meta.npy", "classes.npy"} <= set(z.namelist()):
                return None
    except (zipfile.BadZipFile, OSError):
        return None  # damaged: the sealed-file reader names the problem
    with np.load(Path(path), allow_pickle=False) as f:
        parts = (json.loads(str(f["meta"])), f["classes"], str(f["classes_kind"]),
                 f["centroids"], f["counts"])
    warnings.warn(f"{path}: a gallery of an earlier neurodecode, an unsealed .npz (no "
                  "checksum); loaded. Save it again (gallery.save(path)) to seal it.",
                  UserWarning, stacklevel=3)
    return parts


def color_histograms(images, bins=8):
    """Joint RGB histograms of images, each normalised to sum to 1.

    Parameters
    ----------
    images : array-like of shape (n, H, W, 3)
        Images in [0, 1] (uint8 images are scaled to [0, 1]).
    bins : int, default=8
        Bins per channel (``bins ** 3`` joint bins).

    Returns
    -------
    histograms : ndarray of shape (n, bins ** 3), float32
        The fraction of each image's pixels in each joint bin.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import color_histograms
    >>> h = color_histograms(np.zeros((2, 4, 4, 3)), bins=2)
    >>> h.shape, h[0].tolist()  # every pixel black: all in the first bin
    ((2, 8), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    """
    if not isinstance(bins, numbers.Integral) or bins < 1:
        raise ValueError(f"bins must be a positive int; got {bins!r}.")
    x = check_images(images, "images")
    q = np.minimum((x * bins).astype(np.int64), bins - 1)
    codes = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    codes = codes.reshape(len(x), -1) + (np.arange(len(x)) * bins**3)[:, None]
    counts = np.bincount(codes.ravel(), minlength=len(x) * bins**3).reshape(len(x), -1)
    return (counts / codes.shape[1]).astype(np.float32)


class ColorHistogramGallery(ClassGallery):
    """A class gallery of colour histograms: how far colour statistics alone identify a class.

    The same protocol as :class:`ClassGallery` (mean embedding per class, Pearson r, class
    ranks), with the joint RGB histogram (:func:`color_histograms`) as the embedding and no
    network. Applied to the ground-truth test images it bounds what colour alone tells about
    the class: a dataset whose classes it separates is easier than natural images.

    Parameters
    ----------
    bins : int, default=8
        Bins per colour channel.
    max_per_class : int, default=100
        At most this many images per class enter the centroid.
    batch_size : int, default=64
        Unused (kept for the :class:`ClassGallery` interface).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes, sorted.
    centroids_ : ndarray of shape (n_classes, bins ** 3), float32
        The mean histogram of each class.
    counts_ : ndarray of shape (n_classes,)
        Images averaged per class.
    image_size_ : int
        Side of the images given first.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import ColorHistogramGallery
    >>> dark, light = np.full((2, 8, 8, 3), 0.1), np.full((2, 8, 8, 3), 0.9)
    >>> gallery = ColorHistogramGallery(bins=4).fit(np.concatenate([dark, light]), [0, 0, 1, 1])
    >>> gallery.ranks(np.concatenate([dark[:1], light[:1]]), [0, 1])
    array([1., 1.])
    """

    _saved_params = ("bins", "max_per_class", "batch_size")

    def __init__(self, bins=8, max_per_class=100, batch_size=64):
        self.bins = bins
        self.max_per_class = max_per_class
        self.batch_size = batch_size
        self.image_size = None

    def embed(self, images):
        """Colour histograms of images (see :func:`color_histograms`).

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3)
            Images in [0, 1].

        Returns
        -------
        embeddings : ndarray of shape (n, bins ** 3)
            Float32 histograms.
        """
        return color_histograms(images, self.bins)
