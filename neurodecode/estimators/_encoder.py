"""ImageEncoder: the scikit-learn face of the encoder E (image -> voxels, phase I)."""
import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._docs import fill_doc
from .._utils import pearson_r
from .._validation import (
    Checked,
    Flag,
    Number,
    Numbers,
    Options,
    check_images,
    check_same_length,
    check_units,
    resize_images,
)
from .._weights import resolve_weights
from ..backend import seed_from_random_state, tensor_view
from ..models import (
    PAPER_BRANCH_STRIDES,
    build_encoder_net,
    get_backbone_spec,
    smallest_image_size,
)
from ..training import Phase1Config, fit_encoder
from ._base import (
    NeuralEstimator,
    checks_params_first,
    default_image_size,
    holds_checkpoint_dir,
    uses_precision,
)

#: The voxel count the authors' penalty constants were set at (GOD's VC, ~4500 voxels).
REFERENCE_VOXELS = 4500


@fill_doc
class ImageEncoder(NeuralEstimator):
    """Encoder E: predict voxel responses from images (Gaziv et al. 2022, phase I).

    Four branches on a frozen ImageNet backbone feed a space-feature locally-connected
    readout (per-voxel spatial map x per-voxel channel mix) and a per-voxel non-negative
    branch mix; trained with the fMRI loss ``alpha * MSE - (1 - alpha) * cos`` on randomly
    shifted images, Adam with a step schedule.

    Parameters
    ----------
    backbone : {"vgg19", "vgg16", "alexnet", "efficientnet_lite0"}, default="vgg19"
        Frozen feature network; the paper uses VGG19 blocks 1-4.
    %(weights)s
    %(image_size)s
    %(phase1_schedule)s
    %(alpha)s
    %(max_shift)s
    branch_channels : int, default=32
        Channels of each branch's convolution.
    branch3_subsample : bool, default=True
        Subsample branch 3 (the paper: 14x14 at 112 px). False keeps it at 28x28 as the
        authors' Keras code does.
    dropout : float in [0, 1), default=0.5
        Dropout on the branch features entering the space-feature readout during training
        (the authors' code uses 0.5, on the per-voxel pooled features).
    space_init : {"uniform", "glorot"}, default="uniform"
        Initial spatial maps of the readout. "uniform" (ours) starts every map flat
        (global average pooling), so that only what the data make local becomes local;
        the authors' Keras code also starts from a constant map (``c2f_map_const_init``).
        "glorot" is the paper's text (Glorot-normal, signed): the maps multiply the
        channel mixes, so a random signed start is never fully undone. Chosen by held-out
        voxel r in GOD units (``benchmarks/space_init_voxel_r.py``, the quick demo's
        subject and encoder, 3 seeds): median 0.260 / 0.233 / 0.309 with "uniform" against
        0.163 / 0.168 / 0.214 with "glorot", higher in every ROI; on 330 V1-V3 voxels at
        15 epochs 0.288 / 0.287 / 0.349 against 0.248 / 0.268 / 0.381
        (``benchmarks/prf_criterion.py``).
    channel_init : {"small", "glorot"}, default="small"
        Initial channel mixes of the readout. "glorot" is the paper's and the authors'
        (Glorot-normal, fan-out the voxel count: at a few hundred voxels the untrained
        encoder's predictions vary as much as z-scored fMRI, which the first epochs must
        unlearn); "small" (ours) starts every voxel's prediction near its mean, at any
        voxel count (:class:`~neurodecode.models.SpaceFeatureReadout`).

        Why these defaults: on the z-scored simulated subject at the quick demo's size
        (400 voxels, 480 training pairs, EfficientNet-Lite0 at 64 px, 6 epochs), the
        median voxel r on the test means, over the true ceiling's median, was 0.05 / 0.06
        (seeds 0 / 1) with glorot / glorot, 0.15 / 0.17 with uniform / glorot and
        0.36 / 0.36 with uniform / small; held-out *training* classes (never the test
        images) ranked them the same way. Use "uniform" for receptive-field analyses
        (:func:`~neurodecode.analysis.estimate_prf`).
    space_model : {"free", "gaussian"}, default="free"
        The readout's spatial maps: "free", one weight per location (the paper's), or
        "gaussian" (ours), one isotropic Gaussian per voxel (centre and SD, shared by the
        branches; :class:`~neurodecode.models.SpaceFeatureReadout`); the spatial penalties
        then do not apply and :func:`~neurodecode.analysis.estimate_prf` can read the pRFs
        off the Gaussians (``method="gaussian"``). Measured on the simulated subject at
        GOD's SNR (330 V1-V3 voxels, 1200 single trials, Lite0 at 64 px, 15 epochs, 3 seeds;
        ``benchmarks/results/prf_criterion.md``): with ``penalty_weight=10``, held-out
        voxel r 0.37 / 0.39 / 0.44 against 0.29 / 0.29 / 0.35 for "free", and pRF
        eccentricity / polar-angle r 0.87-0.92 / 0.54-0.73 against 0.14-0.28 /
        0.07-0.12. "free" stays the default because the decoder evidence was measured
        with it; use "gaussian" for receptive-field analyses.
    %(encoder_penalty)s
    %(encoder_penalty_weight)s
    cache_features : {"auto", True, False}, default="auto"
        Compute the frozen backbone features once and train on them. Exact only without
        augmentation, so it requires ``max_shift=0``; "auto" caches then when the cache
        takes under 2 GiB.
    %(mask)s
    %(device)s
    %(precision)s
    %(random_state)s
    %(verbose)s
    %(checkpoint)s

    Attributes
    ----------
    module_ : EncoderNet
        The trained network (backbone included).
    history_ : dict of lists
        Per-epoch ``loss``, ``fmri_loss``, ``regularization``, ``lr``, ``seconds``.
    n_features_in_ : int
        Number of voxels.
    image_shape_ : tuple
        (H, W, 3) of the images the network works on.
    voxel_names_ : ndarray of str
        The column names of ``X`` when it was a DataFrame with string columns (the voxels
        of ``predict``'s columns, in order); ``voxel_scores`` and ``score`` refuse a
        DataFrame whose columns differ or are reordered. Absent otherwise.
    masker_ : NiftiMasker or None
        Fitted masker when ``X`` was Niimg-like.

    See Also
    --------
    SelfSupervisedDecoder : The decoder trained against this encoder.

    References
    ----------
    .. [1] Gaziv, Beliy, Granot et al. (2022). Self-supervised natural image reconstruction
       and large-scale semantic classification from brain activity. NeuroImage 254, 119121.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode import ImageEncoder
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((20, 32, 32, 3), dtype=np.float32)
    >>> X = rng.standard_normal((20, 30)).astype(np.float32)
    >>> enc = ImageEncoder(weights=None, n_epochs=2, batch_size=10, random_state=0)
    >>> enc.fit(images, X).predict(images).shape
    (20, 30)
    """

    _fitted_attributes = {**NeuralEstimator._fitted_attributes, "module_": "module",
                          "history_": "json", "n_features_in_": "int", "image_shape_": "tuple",
                          "voxel_names_": "str_array"}

    _PARAMETERS = {
        **NeuralEstimator._PARAMETERS,
        "backbone": Checked(lambda v, name: get_backbone_spec(v, name)),
        "batch_size": Number(numbers.Integral, low=1),
        "lr_milestones": Numbers(kind=numbers.Integral, low=1),
        "lr_gamma": Number(low=0.0, low_inclusive=False),
        "branch_channels": Number(numbers.Integral, low=1),
        "branch3_subsample": Flag(),
        "dropout": Number(low=0.0, high=1.0, high_inclusive=False),
        "space_init": Options("uniform", "glorot"),
        "channel_init": Options("glorot", "small"),
        "space_model": Options("free", "gaussian"),
        "spatial_l1": Number(low=0.0),
        "spatial_smoothness": Number(low=0.0),
        "channel_l1": Number(low=0.0),
        "branch_l1": Number(low=0.0),
        "penalty_weight": Number(low=0.0),
        "cache_features": Options("auto", True, False),
        "mask": Checked(where="when Niimg-like fMRI is masked (_fit_masker)"),
    }

    def __init__(self, backbone="vgg19", *, weights="imagenet", image_size=None, n_epochs=50,
                 batch_size=64, learning_rate=1e-3, lr_milestones=(20, 30, 35), lr_gamma=0.1,
                 alpha=0.9, max_shift=5, branch_channels=32, branch3_subsample=True,
                 dropout=0.5, space_init="uniform", channel_init="small", space_model="free",
                 spatial_l1=5e-6,
                 spatial_smoothness=1e-5, channel_l1=5e-6, branch_l1=5e-2, penalty_weight=1.0,
                 cache_features="auto", mask=None,
                 device="auto", precision="auto", random_state=None, verbose=0,
                 checkpoint_dir=None, checkpoint_every=10, resume=False):
        self.backbone = backbone
        self.weights = weights
        self.image_size = image_size
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_milestones = lr_milestones
        self.lr_gamma = lr_gamma
        self.alpha = alpha
        self.max_shift = max_shift
        self.branch_channels = branch_channels
        self.branch3_subsample = branch3_subsample
        self.dropout = dropout
        self.space_init = space_init
        self.channel_init = channel_init
        self.space_model = space_model
        self.spatial_l1 = spatial_l1
        self.spatial_smoothness = spatial_smoothness
        self.channel_l1 = channel_l1
        self.branch_l1 = branch_l1
        self.penalty_weight = penalty_weight
        self.cache_features = cache_features
        self.mask = mask
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # X is images (n, H, W, 3), not a 2D array
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags

    # -- parameters ------------------------------------------------------------------------
    def _check_params(self, owner=None):
        owner = super()._check_params(owner)
        if self.cache_features is True and self.max_shift:
            raise ValueError(
                f"{owner}.cache_features=True needs {owner}.max_shift=0: with random shifts "
                f"the backbone features change every epoch (got max_shift={self.max_shift}).")
        return owner

    def _penalties(self, n_voxels):
        """The penalty coefficients at ``n_voxels``: the given ones x ``penalty_weight`` x
        ``REFERENCE_VOXELS / n_voxels`` (a voxel's penalty in proportion to its share of the
        per-voxel-mean loss)."""
        scale = float(self.penalty_weight) * REFERENCE_VOXELS / int(n_voxels)
        return {name: float(getattr(self, name)) * scale
                for name in ("spatial_l1", "spatial_smoothness", "channel_l1", "branch_l1")}

    def _branch_strides(self):
        strides = list(PAPER_BRANCH_STRIDES)
        if not self.branch3_subsample:
            strides[2] = strides[1]
        return tuple(strides)

    def _check_image_size(self, size, argument):
        """Refuse an image side this backbone's branches cannot read out, before any work
        (:func:`~neurodecode.models.smallest_image_size`: shapes only, no memory)."""
        config = self._net_config(1, size)
        if smallest_image_size(config, size) == size:
            return
        smallest = smallest_image_size(config, size + 1)
        if smallest is None:
            raise ValueError(f"backbone {self.backbone!r} cannot be read out at any image "
                             "size up to 4096 px.")
        raise ValueError(
            f"{argument}={size} is too small for backbone {self.backbone!r}: its last feature "
            "maps are too coarse for the spatial readout. Use images of at least "
            f"{smallest} px (image_size={smallest}), or a backbone with finer late maps.")

    def _net_config(self, n_voxels, image_size):
        return {
            "backbone": self.backbone,
            "n_voxels": int(n_voxels),
            "image_size": int(image_size),
            "branch_channels": int(self.branch_channels),
            "branch_strides": list(self._branch_strides()),
            "dropout": float(self.dropout),
            "space_init": str(self.space_init),
            "channel_init": str(self.channel_init),
            "space_model": str(self.space_model),
        }

    def _module_config(self):
        return self._net_config(self.n_features_in_, self.image_shape_[0])

    @classmethod
    def _build_module(cls, config, state_dict=None):
        """The network described by ``config`` (backbone weights: ``state_dict`` or random;
        ``load`` then copies every weight in)."""
        return build_encoder_net(config, state_dict)

    # -- fit / predict -----------------------------------------------------------------------
    @checks_params_first
    @uses_precision
    @holds_checkpoint_dir
    def fit(self, images, X):
        """Train the encoder on image-fMRI pairs (phase I).

        Parameters
        ----------
        images : array-like of shape (n_samples, H, W, 3)
            The images seen, float in [0, 1] or uint8 (resized to ``image_size``).
        X : array-like of shape (n_samples, n_voxels) or Niimg-like
            Responses to the images (Niimg-like input is masked with ``mask``).

        Returns
        -------
        self : ImageEncoder
            The fitted encoder.
        """
        names = _voxel_names(X)
        X = self._check_fmri(self._fit_masker(X), "X", n_voxels=None, min_samples=2)
        check_units(X, "X")
        images = check_images(images, "images", min_samples=2)
        check_same_length(images, X, "images", "X")
        return self._fit_checked(images, X, names)

    @uses_precision
    @holds_checkpoint_dir
    def _fit_checked(self, images, X, names=None, owner=None):
        """Fit on validated input: ``images`` float32 (n, H, W, 3) in [0, 1] at any size
        (resized here, once, to the encoder's), ``X`` float32 (n, n_voxels). The decoder
        fits its inner encoder through here, with ``owner`` naming it in errors."""
        owner = owner or type(self).__name__
        size = default_image_size(images.shape, self.image_size, 1, "images",
                                  param=f"{owner}.image_size")
        self._check_image_size(size, f"{owner}.image_size" if self.image_size is not None
                               else "the image side")
        state_dict = resolve_weights(self.backbone, self.weights, f"{owner}.weights")
        images = resize_images(images, size)
        phase1 = Phase1Config(
            n_epochs=int(self.n_epochs), batch_size=int(self.batch_size),
            learning_rate=float(self.learning_rate),
            lr_milestones=tuple(int(m) for m in self.lr_milestones),
            lr_gamma=float(self.lr_gamma), alpha=float(self.alpha),
            max_shift=int(self.max_shift),
            regularization=self._penalties(X.shape[1]),
        )
        net, history = fit_encoder(
            images, X, self._net_config(X.shape[1], size), phase1,
            seed=seed_from_random_state(self.random_state), device=self._device(),
            state_dict=state_dict,
            cache_features=self.cache_features, checkpoint_dir=self.checkpoint_dir,
            checkpoint_every=self.checkpoint_every, identity=self._checkpoint_identity(),
            resume=self.resume, verbose=self.verbose)
        self.module_ = net
        self.history_ = history
        self.n_features_in_ = int(X.shape[1])
        self.image_shape_ = (size, size, 3)
        if names is not None:
            self.voxel_names_ = names
        elif hasattr(self, "voxel_names_"):
            del self.voxel_names_
        return self

    def _prepare_images(self, images, name="images"):
        size = self.image_shape_[0]
        images = check_images(images, name)
        shape = images.shape
        if shape[1] != shape[2]:
            raise ValueError(
                f"{name} are {shape[1]}x{shape[2]}, not square; this encoder was fitted on "
                f"{size}x{size} images and would have to stretch them. Crop them to a square "
                "first, as the training images were (e.g. the centre: "
                "images[:, top:top + side, left:left + side]); square images of another "
                "side are resized.")
        return resize_images(images, size)

    @uses_precision
    def predict(self, images):
        """Predict voxel responses.

        Parameters
        ----------
        images : array-like of shape (n_samples, H, W, 3)
            Float in [0, 1] or uint8; resized to the fitted image size.

        Returns
        -------
        X_pred : ndarray of shape (n_samples, n_voxels), float32
            Predicted responses, one column per voxel of ``fit``.
        """
        check_is_fitted(self)
        images = self._prepare_images(images)
        t = tensor_view(images).permute(0, 3, 1, 2)
        return self._predict_batches(self.module_, t).numpy()

    @uses_precision
    def voxel_scores(self, images, X):
        """Pearson r between predicted and measured responses, per voxel.

        Parameters
        ----------
        images : array-like of shape (n_samples, H, W, 3)
            The images seen.
        X : array-like of shape (n_samples, n_voxels) or Niimg-like
            Measured responses (e.g. test responses averaged over repeats).

        Returns
        -------
        r : ndarray of shape (n_voxels,)
            0 where the prediction or the measurement is constant. With a masker,
            ``masker_.inverse_transform(r)`` is the NIfTI map.
        """
        check_is_fitted(self)
        names = _voxel_names(X)
        fitted = getattr(self, "voxel_names_", None)
        if names is not None and fitted is not None and not np.array_equal(names, fitted):
            if len(names) == len(fitted) and set(names) == set(fitted):
                what = "are the fitted voxels in another order"
            else:
                what = "are not the voxels of fit"
            raise ValueError(f"X's columns {what}; pass X[encoder.voxel_names_] to score "
                             "the voxels in the fitted order.")
        X = self._check_fmri(X, "X", min_samples=2)
        pred = self.predict(images)
        check_same_length(pred, X, "images", "X")
        return pearson_r(pred, X, axis=0)

    @uses_precision
    def score(self, images, X):
        """Mean voxel Pearson r between predicted and measured responses.

        Parameters
        ----------
        images : array-like of shape (n_samples, H, W, 3)
            The images seen.
        X : array-like of shape (n_samples, n_voxels) or Niimg-like
            Measured responses.

        Returns
        -------
        score : float
            The mean of :meth:`voxel_scores`.
        """
        return float(np.mean(self.voxel_scores(images, X)))

    @fill_doc
    def generate_report(self, images=None, X=None, X_test_trials=None, roi=None,
                        title=None):
        """A self-contained HTML report of the fitted encoder, as nilearn's estimators give.

        Its settings, phase I's training curve and, given test images and their fMRI, the
        per-voxel accuracy (against the noise ceiling of ``X_test_trials``, per ROI with
        ``roi``) and its pRF maps: see :func:`neurodecode.reporting.encoder_report`.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3) or None, default=None
            Test images.
        X : array-like of shape (n, n_voxels) or None, default=None
            Their fMRI.
        X_test_trials : array-like of shape (n, n_repeats, n_voxels) or None, default=None
            The single trials behind ``X`` (for the noise ceiling).
        roi : array-like of shape (n_voxels,) or None, default=None
            Each voxel's ROI.
        %(report_returns)s
        """
        from ..reporting import encoder_report  # the report layer draws the figures

        return encoder_report(self, images, X, X_test_trials, roi, title)


def _voxel_names(X):
    """The column names of a DataFrame with string columns (as scikit-learn records
    ``feature_names_in_``), else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not all(isinstance(c, str) for c in columns):
        return None
    return np.asarray(columns, dtype=object)
