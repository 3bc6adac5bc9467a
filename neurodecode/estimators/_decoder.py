"""SelfSupervisedDecoder: the scikit-learn face of the decoder D (voxels -> image, phase II)."""
import copy
import numbers

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from .._docs import fill_doc
from .._unpaired import (
    check_unpaired_data,
    de_voxel_weights,
    unwrap,
    warn_if_sliceable,
)
from .._validation import (
    Checked,
    Flag,
    Number,
    Numbers,
    Options,
    check_images,
    check_same_length,
    check_tuple,
    check_units,
    resize_images,
)
from .._weights import resolve_weights
from ..backend import seed_from_random_state, tensor_view
from ..metrics import pixcorr_scorer
from ..models import DecoderNet, get_backbone_spec, smallest_feature_size
from ..training import DE_LOSSES, Phase2Config, fit_decoder
from ._base import (
    NeuralEstimator,
    checks_params_first,
    default_image_size,
    holds_checkpoint_dir,
    is_fitted,
    uses_precision,
)
from ._encoder import ImageEncoder

DECODER_MULTIPLE = 8


def _voxel_weights(snr):
    """Per-voxel weights of the dense layer's l1 term and of the authors' L_DE: 1/SNR and
    SNR, each normalised to mean 1 (None, None without an SNR)."""
    if snr is None:
        return None, None
    inv = 1.0 / snr
    return inv / inv.mean(), snr / snr.mean()


def _loss_weights(value, name):
    if isinstance(value, str) and value == "auto":
        return
    check_tuple(value, name, 3, low=0.0)
    if not any(value):
        raise ValueError(f"{name} are all zero ({value!r}); switch at least one term on.")


@fill_doc
class SelfSupervisedDecoder(NeuralEstimator):
    """Decoder D: reconstruct seen images from fMRI, with self-supervision on unpaired data.

    Implements Gaziv et al. (2022). Phase I fits an encoder E (image -> fMRI) on the pairs,
    unless a fitted one is given. Phase II trains D with E frozen; each step mixes image-fMRI
    pairs, unpaired natural images and unpaired fMRI, minimising
    ``w_D L_D + w_ED L_ED + w_DE L_DE`` with ``L_D = L_s(D(r), s)``,
    ``L_ED = L_s(D(E(s')), s')`` and ``L_DE = L_r(E(D(r')), r')``; ``L_s`` is L1 +
    channel-normalised perceptual distance + TV, ``L_r`` the fMRI loss. Each term is divided
    by its value at initialisation so that all start at 1.

    **Unpaired fMRI and leakage.** The paper draws the unpaired fMRI from the *test* cohort
    (its images are never used): a transductive protocol, legitimate only when test images
    stay unseen. Which fMRI is passed as unpaired is the user's explicit choice; for a
    leakage-free evaluation pass fMRI of other trials or sessions, or none.

    **Unpaired fMRI in pipelines.** Rows of ``X_paired`` whose image is all NaN are unpaired
    fMRI (scikit-learn's semi-supervised convention: a missing target marks an unlabelled
    row); :func:`~neurodecode.concat_unpaired_fmri` builds such ``X``/``images``. Inside a
    :class:`~sklearn.pipeline.Pipeline` this is the way to pass unpaired fMRI: every step
    before the decoder (scaler, PCA, NiftiMasker) transforms those rows like the others. A
    fit parameter skips the pipeline's steps, so ``X_unpaired_fmri`` that is evidently in
    other units than ``X_paired`` is refused.

    Parameters
    ----------
    encoder : ImageEncoder, FrozenEstimator or None, default=None
        The encoder E. A fitted :class:`ImageEncoder` is used as is (copied, frozen); an
        unfitted one is cloned and fitted on the pairs in phase I (showing its progress
        when this decoder's ``verbose`` is higher than its own). :func:`~sklearn.base.clone`
        (and so every cross-validation helper) returns an *unfitted* copy of an encoder, so
        each fold refits phase I on its own pairs; to keep a pre-fitted encoder through
        cloning, wrap it: ``encoder=FrozenEstimator(fitted_encoder)``
        (:class:`sklearn.frozen.FrozenEstimator`). None fits ``ImageEncoder()`` with this
        decoder's ``weights``, ``image_size``, ``device``, ``random_state``, ``verbose`` and
        checkpoint settings, when L_ED or L_DE is on.
    perceptual_net : {"vgg16", "vgg19", "alexnet", "efficientnet_lite0"}, default="vgg16"
        Network of the perceptual loss (its 5 blocks).
    %(weights)s
    %(image_size)s
        Must be a multiple of 8, and at least 16.
    loss_weights : "auto" or tuple of 3 floats, default="auto"
        Weights ``(w_D, w_ED, w_DE)``. "auto" is 1 for each term whose data is given. A zero
        switches a term off: ``(1, 0, 0)`` is the supervised-only baseline, ``(1, 1, 0)`` and
        ``(1, 0, 1)`` the paper's ablations.
    image_loss_weights : tuple of 3 floats, default=(1.0, 10.0, 0.3)
        Weights of L1, perceptual and TV in the image loss (the authors' values).
    %(alpha)s
    %(phase2_schedule)s
    %(max_shift)s
    %(decoder_penalty)s
    %(de_options)s
    %(mask)s
    %(device)s
    %(precision)s
    %(random_state)s
    %(verbose)s
    %(checkpoint)s

    Attributes
    ----------
    encoder_ : ImageEncoder or None
        The frozen encoder of phase II (None when only L_D is on and no encoder was given).
    decoder_module_ : DecoderNet
    history_ : dict of lists
        Phase II, per epoch: ``loss`` (normalised total), raw ``L_D``, ``L_ED``, ``L_DE``
        (NaN when off), ``regularization``, ``lr``, ``seconds``; with
        ``unpaired_fmri_images`` (``fit``), the memorisation diagnostic ``L_DE_decoded`` and
        ``L_DE_true_images``. Phase I's is in ``encoder_.history_``.
    loss_weights_ : tuple
        The weights used (after "auto").
    loss_scales_ : ndarray of shape (3,)
        The normalisation constants of L_D, L_ED, L_DE.
    n_unpaired_images_, n_unpaired_fmri_ : int
        Sizes of the unpaired sets used.
    n_features_in_ : int
        Number of voxels.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Column names, when ``X_paired`` was a DataFrame with string column names.
    image_shape_ : tuple
        (H, W, 3) of the reconstructions.
    masker_ : NiftiMasker or None
        Fitted masker when ``X_paired`` was Niimg-like.

    See Also
    --------
    ImageEncoder : The encoder E.
    Unpaired : Keeps scikit-learn's CV helpers from slicing the unpaired data.
    concat_unpaired_fmri : Unpaired fMRI in ``X``, marked by NaN images.

    References
    ----------
    .. [1] Gaziv, Beliy, Granot et al. (2022). Self-supervised natural image reconstruction
       and large-scale semantic classification from brain activity. NeuroImage 254, 119121.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode import ImageEncoder, SelfSupervisedDecoder
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((24, 32, 32, 3), dtype=np.float32)
    >>> X = rng.standard_normal((24, 40)).astype(np.float32)
    >>> enc = ImageEncoder(weights=None, n_epochs=1, batch_size=8, random_state=0)
    >>> dec = SelfSupervisedDecoder(encoder=enc, weights=None, n_epochs=1,
    ...                             batch_sizes=(8, 8, 8), random_state=0)
    >>> dec.fit(X[:16], images[:16], X_unpaired_fmri=X[16:],
    ...         unpaired_images=images[16:]).predict(X[16:]).shape
    (8, 32, 32, 3)
    """

    _fitted_attributes = {
        **NeuralEstimator._fitted_attributes, "decoder_module_": "module",
        "encoder_": "estimator", "history_": "json", "loss_weights_": "tuple",
        "loss_scales_": "float_array", "n_unpaired_images_": "int", "n_unpaired_fmri_": "int",
        "n_features_in_": "int", "feature_names_in_": "str_array", "image_shape_": "tuple",
    }
    _fitted_copies = {**NeuralEstimator._fitted_copies, "encoder": "encoder_"}

    _PARAMETERS = {
        **NeuralEstimator._PARAMETERS,
        "encoder": Checked(where="_given_encoder (its own parameters as "
                                 "SelfSupervisedDecoder.encoder.<name>)"),
        "perceptual_net": Checked(lambda v, name: get_backbone_spec(v, name)),
        "loss_weights": Checked(_loss_weights),
        "image_loss_weights": Numbers(3, low=0.0),
        "batch_sizes": Numbers(3, kind=numbers.Integral, low=1),
        "lr_step": Number(numbers.Integral, low=1),
        "lr_gamma": Number(low=0.0, low_inclusive=False),
        "decoder_l1": Number(low=0.0),
        "decoder_group_lasso": Number(low=0.0),
        "penalty_weight": Number(low=0.0),
        "normalize_losses": Flag(),
        "de_loss": Options(*DE_LOSSES),
        "subaverage_fraction": Number(low=0.0, high=1.0, low_inclusive=False),
        "de_dropout": Number(low=0.0, high=1.0, high_inclusive=False),
        "mask": Checked(where="when Niimg-like fMRI is masked (_fit_masker)"),
    }

    def __init__(self, encoder=None, *, perceptual_net="vgg16", weights="imagenet",
                 image_size=None, loss_weights="auto", image_loss_weights=(1.0, 10.0, 0.3),
                 alpha=0.9, n_epochs=150, batch_sizes=(16, 16, 16), learning_rate=1e-3,
                 lr_step=30, lr_gamma=0.2, max_shift=5, decoder_l1=20.0,
                 decoder_group_lasso=400.0, penalty_weight=1.0, normalize_losses=False,
                 de_loss="paper", subaverage_fraction=1.0 / 3.0, de_dropout=0.0,
                 mask=None, device="auto", precision="auto", random_state=None, verbose=0,
                 checkpoint_dir=None, checkpoint_every=10, resume=False):
        self.encoder = encoder
        self.perceptual_net = perceptual_net
        self.weights = weights
        self.image_size = image_size
        self.loss_weights = loss_weights
        self.image_loss_weights = image_loss_weights
        self.alpha = alpha
        self.n_epochs = n_epochs
        self.batch_sizes = batch_sizes
        self.learning_rate = learning_rate
        self.lr_step = lr_step
        self.lr_gamma = lr_gamma
        self.max_shift = max_shift
        self.decoder_l1 = decoder_l1
        self.decoder_group_lasso = decoder_group_lasso
        self.penalty_weight = penalty_weight
        self.normalize_losses = normalize_losses
        self.de_loss = de_loss
        self.subaverage_fraction = subaverage_fraction
        self.de_dropout = de_dropout
        self.mask = mask
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.resume = resume

    def _module_config(self):
        return {"n_voxels": int(self.n_features_in_), "image_size": int(self.image_shape_[0])}

    @staticmethod
    def _check_restored(estimator):
        """What is inconsistent in a loaded decoder (None when nothing): used by ``load``."""
        encoder = getattr(estimator, "encoder_", None)
        if encoder is None:
            return None
        if not isinstance(encoder, ImageEncoder):
            return f"its encoder_ is a {type(encoder).__name__}, not an ImageEncoder"
        if encoder.n_features_in_ != estimator.n_features_in_:
            return (f"its encoder_ predicts {encoder.n_features_in_} voxels, the decoder reads "
                    f"{estimator.n_features_in_}")
        return None

    @classmethod
    def _build_module(cls, config):
        return DecoderNet(config["n_voxels"], config["image_size"])

    # -- parameters ------------------------------------------------------------------------
    def _given_encoder(self):
        """The ImageEncoder given as ``encoder`` (unwrapped from a FrozenEstimator), or None."""
        from sklearn.frozen import FrozenEstimator

        enc = self.encoder
        if isinstance(enc, FrozenEstimator):
            enc = enc.estimator
            if not isinstance(enc, ImageEncoder) or not is_fitted(enc):
                raise TypeError(
                    "encoder=FrozenEstimator(...) must wrap a fitted neurodecode.ImageEncoder; "
                    f"got {'an unfitted ' if isinstance(enc, ImageEncoder) else ''}"
                    f"{type(enc).__name__}."
                )
        elif enc is not None and not isinstance(enc, ImageEncoder):
            raise TypeError(
                "encoder must be a neurodecode.ImageEncoder (fitted or not), a "
                f"FrozenEstimator of a fitted one, or None; got {type(enc).__name__}."
            )
        return enc

    def _check_params(self, owner=None):
        owner = super()._check_params(owner)
        enc = self._given_encoder()
        if enc is not None and not is_fitted(enc):  # fitted here: checked before any work
            enc._check_params(f"{owner}.encoder")
        return owner

    def _resolve_loss_weights(self, X_unpaired_fmri, unpaired_images):
        if isinstance(self.loss_weights, str):
            return (1.0, 1.0 if unpaired_images is not None else 0.0,
                    1.0 if X_unpaired_fmri is not None else 0.0)
        w = tuple(float(v) for v in self.loss_weights)
        if w[1] > 0 and unpaired_images is None:
            raise ValueError(
                f"loss_weights[1] (L_ED) is {w[1]} but unpaired_images was not given; pass "
                "unpaired images or set loss_weights[1] = 0."
            )
        if w[2] > 0 and X_unpaired_fmri is None:
            raise ValueError(
                f"loss_weights[2] (L_DE) is {w[2]} but X_unpaired_fmri was not given; pass "
                "unpaired fMRI (or rows of X marked by NaN images) or set loss_weights[2] = 0."
            )
        return w

    def _get_encoder(self, images, X, size, needed):
        """The encoder of phase II: a copy of the given fitted one, or one fitted here on
        the validated pairs (``images`` as given, resized once to the encoder's own size),
        or None when no term needs it."""
        owner = f"{type(self).__name__}.encoder"
        enc = self._given_encoder()
        if enc is not None:
            if is_fitted(enc):
                if enc.n_features_in_ != X.shape[1]:
                    raise ValueError(
                        f"{owner} was fitted with {enc.n_features_in_} voxels but X_paired has "
                        f"{X.shape[1]}; fit it on these voxels, or pass it unfitted."
                    )
                return copy.deepcopy(enc)
            fresh = clone(enc)  # the copy shows phase I's progress when the decoder's does
            fresh.set_params(verbose=max(int(enc.verbose), int(self.verbose)))
            return fresh._fit_checked(images, X, owner=owner)
        if not needed:
            return None
        enc = ImageEncoder(
            weights=self.weights, image_size=size, device=self.device,
            precision=self.precision, random_state=self.random_state, verbose=self.verbose,
            checkpoint_dir=self.checkpoint_dir, checkpoint_every=self.checkpoint_every,
            resume=self.resume,
        )
        return enc._fit_checked(images, X, owner=owner)

    # -- fit / predict -----------------------------------------------------------------------
    def _split_inputs(self, X_paired, images, X_unpaired_fmri):
        """Validated paired fMRI and images (converted and scanned once, at their given
        size), and the rows of X marked unpaired (all-NaN images) or None."""
        if images is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None: "
                "pass the images seen with X_paired as `images`, (n, H, W, 3).")
        X = self._validate_fmri_input(self._fit_masker(X_paired, "X_paired"), "X_paired",
                                      reset=True, min_samples=2)
        images, marked = check_images(images, "images", min_samples=2, unpaired=True)
        if marked is None:
            check_same_length(X, images, "X_paired", "images")
            return X, images, None
        if X_unpaired_fmri is not None:
            raise ValueError(
                f"{int(marked.sum())} images are all NaN, marking rows of X_paired as "
                "unpaired fMRI, and X_unpaired_fmri was given as well; pass the unpaired fMRI "
                "one way only.")
        check_same_length(X, marked, "X_paired", "images")
        if (~marked).sum() < 2:
            raise ValueError(f"X_paired must hold at least 2 paired samples (images not NaN); "
                             f"got {int((~marked).sum())} sample(s).")
        return X[~marked], images, X[marked]

    @checks_params_first
    @uses_precision
    @holds_checkpoint_dir
    def fit(self, X_paired, images, X_unpaired_fmri=None, unpaired_images=None,
            voxel_snr=None, unpaired_fmri_images=None):
        """Fit the decoder (and, if needed, the encoder) on paired and unpaired data.

        Parameters
        ----------
        X_paired : array-like of shape (n_samples, n_voxels) or Niimg-like
            The fMRI of the training pairs; rows whose image is all NaN are unpaired fMRI.
        images : array-like of shape (n_samples, H, W, 3)
            The images seen, float in [0, 1] or uint8. An all-NaN image marks its row of
            ``X_paired`` as unpaired fMRI (see :func:`~neurodecode.concat_unpaired_fmri`).
        X_unpaired_fmri : array-like of shape (n_fmri, n_voxels) or (n_fmri, n_repeats, \
n_voxels), Niimg-like, Unpaired or None
            The fMRI without images, for L_DE, in the units of ``X_paired`` (see the class
            notes on leakage and on pipelines). Not together with NaN-marked rows. A 3D
            array holds the repeats of each sample (e.g. ``X_test_trials``), drawn as fresh
            random sub-averages (``subaverage_fraction``, the authors' protocol).
        unpaired_images : array-like of shape (n_images, H', W', 3), Unpaired or None
            Natural images without fMRI, for L_ED; resized to the paired images' size.
        voxel_snr : array-like of shape (n_voxels,), Unpaired or None
            Per-voxel SNR; the dense layer's l1 penalty is weighted by 1/SNR (normalised to
            mean 1), and ``de_loss="authors"`` weights L_DE's voxels by SNR. None: computed
            from unpaired repeats when given (:func:`neurodecode.analysis.snr`), else no
            weighting. Wrap it in :class:`neurodecode.Unpaired` inside cross-validation when
            there are as many voxels as samples (scikit-learn would slice it).
        unpaired_fmri_images : array-like of shape (n_fmri, H, W, 3), Unpaired or None
            The images behind ``X_unpaired_fmri``, where they are known (the simulated
            subject, benchmarks): used only for the memorisation diagnostic, never in a
            loss. ``history_`` then records, after every epoch, ``L_DE_true_images`` (L_DE
            of these images) and ``L_DE_decoded`` (of the decoder's reconstructions of the
            unpaired fMRI, their means for repeats); a decoder whose ``L_DE_decoded`` falls
            below ``L_DE_true_images`` fits the unpaired vectors with images that fool the
            encoder rather than with the images seen.

        Returns
        -------
        self : SelfSupervisedDecoder
            The fitted decoder.

        Notes
        -----
        Inside ``cross_val_score``/``GridSearchCV``, pass unpaired data given as fit
        parameters wrapped in :class:`neurodecode.Unpaired`: scikit-learn slices any fit
        parameter with as many rows as ``X_paired``.
        """
        X, images, marked_fmri = self._split_inputs(X_paired, images, unwrap(X_unpaired_fmri))
        check_units(X, "X_paired")
        n_rows = len(X) + (0 if marked_fmri is None else len(marked_fmri))
        for name, value in (("X_unpaired_fmri", X_unpaired_fmri),
                            ("unpaired_images", unpaired_images), ("voxel_snr", voxel_snr),
                            ("unpaired_fmri_images", unpaired_fmri_images)):
            warn_if_sliceable(value, name, n_rows)
        owner = type(self).__name__
        size = default_image_size(images.shape, self.image_size, DECODER_MULTIPLE, "images",
                                  minimum=2 * DECODER_MULTIPLE, param=f"{owner}.image_size")
        smallest = (smallest_feature_size(self.perceptual_net, start=size)
                    if float(self.image_loss_weights[1]) > 0 else size)  # else never run
        if smallest != size:
            fix = -(-(smallest or 4096) // DECODER_MULTIPLE) * DECODER_MULTIPLE
            raise ValueError(f"{owner}.image_size: the images' side {size} is too small for "
                             f"perceptual_net {self.perceptual_net!r} (its layers need at least "
                             f"{smallest} px); pass {owner}.image_size={fix} (or larger), or "
                             "a perceptual_net with smaller late maps.")
        # the perceptual net's weights are found before any training (phase I included)
        perceptual_state = resolve_weights(self.perceptual_net, self.weights,
                                           f"{owner}.weights")
        unpaired_fmri = marked_fmri if marked_fmri is not None else X_unpaired_fmri
        weights = self._resolve_loss_weights(unpaired_fmri, unwrap(unpaired_images))
        Xu, U = check_unpaired_data(self, X, unpaired_fmri, marked_fmri is not None,
                                    unwrap(unpaired_images), weights, size)
        repeats = Xu if Xu is not None and Xu.ndim == 3 else None
        snr = de_voxel_weights(unwrap(voxel_snr), repeats, X.shape[1],
                               self.de_loss if weights[2] > 0 else "paper")
        voxel_weights, de_weights = _voxel_weights(snr)
        truth = None
        if unpaired_fmri_images is not None and Xu is not None:
            truth = check_images(unwrap(unpaired_fmri_images), "unpaired_fmri_images",
                                 size=size, min_samples=1)
            check_same_length(truth, Xu, "unpaired_fmri_images", "X_unpaired_fmri")

        # the inner encoder from the images as given (at its own size), then the decoder's
        encoder = self._get_encoder(images, X, size, needed=weights[1] > 0 or weights[2] > 0)
        images = resize_images(images, size)
        device = self._device()
        enc_net = None
        if encoder is not None:
            self._module_on_device(encoder.module_)
            enc_net = encoder.module_
        config = Phase2Config(
            n_epochs=int(self.n_epochs), batch_sizes=tuple(int(b) for b in self.batch_sizes),
            learning_rate=float(self.learning_rate), lr_step=int(self.lr_step),
            lr_gamma=float(self.lr_gamma), loss_weights=weights, alpha=float(self.alpha),
            max_shift=int(self.max_shift), decoder_l1=float(self.decoder_l1),
            decoder_group_lasso=float(self.decoder_group_lasso),
            penalty_weight=float(self.penalty_weight),
            normalize_losses=bool(self.normalize_losses), de_loss=str(self.de_loss),
            subaverage_fraction=float(self.subaverage_fraction),
            de_dropout=float(self.de_dropout),
        )
        decoder, history, scales = fit_decoder(
            X, images, config, seed=seed_from_random_state(self.random_state), device=device,
            perceptual_net=self.perceptual_net,
            perceptual_state=perceptual_state,
            image_loss_weights=self.image_loss_weights, encoder_net=enc_net, X_unpaired=Xu,
            unpaired_images=U, voxel_weights=voxel_weights, de_voxel_weights=de_weights,
            unpaired_fmri_images=truth, checkpoint_dir=self.checkpoint_dir,
            checkpoint_every=self.checkpoint_every,
            identity=self._checkpoint_identity(loss_weights_=list(weights)),
            resume=self.resume, verbose=self.verbose)
        self.encoder_ = encoder
        self.decoder_module_ = decoder
        self.history_ = history
        self.loss_weights_ = weights
        self.loss_scales_ = scales.numpy().astype(np.float64)
        self.n_unpaired_images_ = 0 if U is None else len(U)
        self.n_unpaired_fmri_ = 0 if Xu is None else len(Xu)
        self.image_shape_ = (size, size, 3)
        return self

    @uses_precision
    def predict(self, X):
        """Reconstruct the images seen from fMRI.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_voxels) or Niimg-like
            The fMRI, with the voxels (mask) and preprocessing of ``fit``.

        Returns
        -------
        images : ndarray of shape (n_samples, H, W, 3), float32 in [0, 1]
            The reconstructions.
        """
        check_is_fitted(self)
        X = self._validate_fmri_input(X, "X", reset=False)
        out = self._predict_batches(self.decoder_module_, tensor_view(X))
        return np.ascontiguousarray(out.permute(0, 2, 3, 1).numpy())

    @uses_precision
    def score(self, X, images):
        """Mean pixel correlation (PixCorr) between reconstructions and the images seen.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_voxels) or Niimg-like
            The fMRI.
        images : array-like of shape (n_samples, H, W, 3)
            The images seen; rows marked unpaired (all NaN) are left out.

        Returns
        -------
        score : float
            Mean over images of :func:`neurodecode.metrics.pixel_correlation`.
        """
        return pixcorr_scorer(self, X, images)

    @fill_doc
    def generate_report(self, X=None, images=None, gallery=None, labels=None,
                        distance="pixel_correlation", title=None):
        """A self-contained HTML report of the fitted decoder, as nilearn's estimators give.

        Its settings, the phase II training curves and, given test fMRI and the images
        seen, the reconstructions, n-way identification and (with a class ``gallery`` and
        ``labels``) the class ranks: see :func:`neurodecode.reporting.decoder_report`.

        Parameters
        ----------
        X : array-like of shape (n, n_voxels) or None, default=None
            Test fMRI.
        images : array-like of shape (n, H, W, 3) or None, default=None
            The images seen.
        gallery : ClassGallery or None, default=None
            A fitted class gallery.
        labels : array-like of shape (n,) or None, default=None
            The images' classes (with ``gallery``).
        distance : str or callable, default="pixel_correlation"
            Identification distance.
        %(report_returns)s
        """
        from ..reporting import decoder_report  # the report layer draws the figures

        return decoder_report(self, X, images, gallery, labels, distance, title)
