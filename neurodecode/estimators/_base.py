"""Shared plumbing of the estimators: masking, fMRI validation, devices, batching, tags.

Persistence is declared, not coded, per estimator: ``_fitted_attributes`` maps each fitted
attribute to how :mod:`neurodecode._io` stores it, and every subclass registers itself there
by name, so that ``_io`` never imports the estimators.
"""
import copy
import functools
import json
import numbers

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import RegressorTags
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import _io
from .._files import hold_dir
from .._validation import (
    Checked,
    Flag,
    Number,
    check_fmri,
    check_niimg_values,
    check_parameters,
    is_niimg_like,
    mask_masker,
)
from ..backend import (
    batched_inference,
    check_precision,
    inference_batch_size,
    precision_scope,
    resolve_device,
)


def is_fitted(estimator):
    """True when ``estimator`` is fitted (scikit-learn's own test)."""
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _device(value, name):
    try:
        resolve_device(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from exc


def _random_state(value, name):
    from sklearn.utils import check_random_state

    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value < 0:
        raise ValueError(f"{name} must be a non-negative int; got {value}.")
    try:
        check_random_state(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be None, an int or a numpy RandomState; got "
                         f"{value!r}.") from exc


class NeuralEstimator(BaseEstimator):
    """Base of neurodecode's torch-backed estimators."""

    #: The parameters every estimator has, and their checks (``_validation``'s
    #: declarations); each subclass adds its own. A check runs with the parameter's full
    #: name (``ImageEncoder.n_epochs``; ``SelfSupervisedDecoder.encoder.n_epochs`` for the
    #: encoder nested in a decoder).
    _PARAMETERS = {
        "image_size": Number(numbers.Integral, low=8, allow_none=True),
        "n_epochs": Number(numbers.Integral, low=0),
        "learning_rate": Number(low=0.0, low_inclusive=False),
        "alpha": Number(low=0.0, high=1.0),
        "max_shift": Number(numbers.Integral, low=0),
        "weights": Checked(where="resolved when the backbone is built (resolve_weights)"),
        "device": Checked(_device),
        "precision": Checked(lambda v, name: check_precision(v, name)),
        "random_state": Checked(_random_state),
        "verbose": Number(numbers.Integral, low=0),
        "checkpoint_dir": Checked(where="a folder, created when the fit starts"),
        "checkpoint_every": Number(numbers.Integral, low=1),
        "resume": Flag(),
    }

    #: Fitted attributes and how ``save``/``load`` store them (see ``neurodecode._io``):
    #: "module" (a network: its config and weights), "estimator" (a nested fitted
    #: estimator or None), "masker" (a fitted NiftiMasker or None), "json", "int", "tuple",
    #: "float_array", "str_array". Attributes listed here that a fit did not set (e.g.
    #: ``feature_names_in_`` without a DataFrame) are stored as absent.
    _fitted_attributes = {"masker_": "masker"}
    #: A FrozenEstimator hyper-parameter is restored (by ``load``) from this fitted copy.
    _fitted_copies = {"mask": "masker_"}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _io.register_estimator(cls)

    @classmethod
    def _module_attribute(cls):
        return next(k for k, kind in cls._fitted_attributes.items() if kind == "module")

    def __sklearn_is_fitted__(self):
        return hasattr(self, self._module_attribute())

    def __sklearn_tags__(self):
        # Both estimators predict many continuous outputs (voxels, or pixels of images)
        # from a required target.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags(poor_score=True)
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.non_deterministic = False  # bit-for-bit repeatable on the CPU with an int seed
        return tags

    # -- fMRI input: arrays or Niimg-like through an embedded NiftiMasker -----------------
    def _fit_masker(self, X, name="X"):
        """Fit ``masker_`` when ``X`` is Niimg-like (else ``masker_ = None``); return arrays.

        A fitted :class:`~nilearn.maskers.NiftiMasker` given as ``mask`` (or wrapped in a
        FrozenEstimator) is used as is (a copy: its mask is kept); an unfitted one is
        cloned and fitted; a mask image is wrapped in a NiftiMasker that leaves the signal
        unstandardised; with no mask, the masker computes one from ``X``.
        """
        if not is_niimg_like(X):
            self.masker_ = None
            return X
        check_niimg_values(X, name, None)  # complex data, before a mask is computed on it
        from nilearn.maskers import NiftiMasker

        from sklearn.frozen import FrozenEstimator

        mask = getattr(self, "mask", None)
        if isinstance(mask, FrozenEstimator):
            mask = mask.estimator
            if not (isinstance(mask, NiftiMasker) and is_fitted(mask)):
                raise TypeError("mask=FrozenEstimator(...) must wrap a fitted NiftiMasker; "
                                f"got {type(mask).__name__}.")
        if isinstance(mask, NiftiMasker) and is_fitted(mask):
            self.masker_ = copy.deepcopy(mask)
        else:
            if isinstance(mask, NiftiMasker):
                masker = clone(mask)
            else:
                masker = mask_masker(mask)
            # A given mask is used as is; only without one is it computed from X.
            self.masker_ = masker.fit() if masker.mask_img is not None else masker.fit(X)
        return self._masked(X, name)

    def _masked(self, X, name):
        """``masker_.transform(X)`` after refusing complex or NaN values inside the mask; a
        single 3-D volume is one sample (as nilearn's maskers treat it)."""
        check_niimg_values(X, name, self.masker_)
        out = self.masker_.transform(X)
        return out[None] if np.ndim(out) == 1 else out

    def _apply_masker(self, X, name):
        if not is_niimg_like(X):
            return X
        masker = getattr(self, "masker_", None)
        if masker is None:
            raise ValueError(
                f"{name} is Niimg-like, but this estimator was fitted on arrays and has no "
                "masker_; pass an array of shape (n_samples, n_voxels). (Inside a Pipeline "
                "that masks X, put the unpaired fMRI in X too, marked by NaN images: see "
                "neurodecode.concat_unpaired_fmri.)"
            )
        return self._masked(X, name)

    def _check_fmri(self, X, name, n_voxels="fitted", min_samples=1):
        """Mask (if Niimg-like) and validate fMRI; ``n_voxels="fitted"`` uses the fitted count."""
        X = self._apply_masker(X, name)
        if isinstance(n_voxels, str):
            n_voxels = self.n_features_in_
        return check_fmri(X, name, n_voxels=n_voxels, min_samples=min_samples, estimator=self)

    def _validate_fmri_input(self, X, name, reset, min_samples=1):
        """fMRI that is the estimator's ``X``: validated, and its feature names (DataFrame
        columns) recorded (``reset=True``) or checked against those of ``fit``."""
        array = self._check_fmri(X, name, n_voxels=None if reset else "fitted",
                                 min_samples=min_samples)
        if not is_niimg_like(X):
            validate_data(self, X, skip_check_array=True, reset=reset)
        elif reset:
            self.n_features_in_ = array.shape[1]
        return array

    # -- devices ---------------------------------------------------------------------------
    def _device(self):
        return resolve_device(self.device)

    def _module_on_device(self, module):
        device = self._device()
        try:
            current = next(module.parameters()).device
        except StopIteration:  # pragma: no cover - every module here has parameters
            current = device
        if current != device:
            module.to(device)
        return device

    def _predict_batches(self, module, inputs, batch_size=None):
        """``module(inputs)`` in eval mode, in batches, on the estimator's device -> CPU.

        ``batch_size=None``: as many samples as fit a quarter of the device's free memory
        (at most 2 GiB of activations; :func:`~neurodecode.backend.inference_batch_size`).
        """
        device = self._module_on_device(module)
        module.eval()
        if batch_size is None:
            batch_size = inference_batch_size(module, inputs[:1].to(device), device)
        return batched_inference(module, inputs, batch_size, device)

    # -- hyper-parameter checks -------------------------------------------------------------
    def _check_params(self, owner=None):
        """Check every declared parameter (``_PARAMETERS``), then the combinations; errors
        name ``owner.parameter`` (``owner``: the class name unless given). Returns the
        owner."""
        owner = check_parameters(self, owner)
        if self.resume and self.checkpoint_dir is None:
            raise ValueError(f"{owner}.resume=True needs {owner}.checkpoint_dir, the folder "
                             "of the checkpoint.")
        return owner

    def _fingerprint_params(self):
        """Hyper-parameters that define the problem (not how long or where it runs)."""
        skip = {"n_epochs", "verbose", "device", "precision", "checkpoint_dir", "checkpoint_every",
                "resume", "encoder", "mask"}
        return {k: v for k, v in self.get_params(deep=False).items() if k not in skip}

    def _checkpoint_identity(self, **extra):
        """The settings a checkpoint of this fit is tied to (JSON-able, no data).

        ``random_state`` enters only as an int: with None (or a RandomState) every fit
        draws its own seed, and a checkpoint holds the complete training state anyway
        (weights, optimiser, schedule, generators), so it resumes whatever seed the
        interrupted fit drew.
        """
        params = self._fingerprint_params()
        rs = params.pop("random_state", None)
        rs = int(rs) if isinstance(rs, numbers.Integral) and not isinstance(rs, bool) else None
        return {"estimator": type(self).__name__, "random_state": rs, **extra,
                **json.loads(json.dumps(params, sort_keys=True, default=str))}

    def save(self, path):
        """Save the fitted estimator to one file, loadable with :func:`neurodecode.load`.

        The file holds tensors and JSON text only and loads with
        ``torch.load(weights_only=True)``: no code is unpickled. It stores the SHA-256 of
        its content, which :func:`neurodecode.load` checks. A masker's cache folder
        (``memory``) is not stored.

        Hyper-parameters are stored as specifications, as :func:`sklearn.base.clone` sees
        them: an estimator passed as a hyper-parameter (e.g. ``encoder=ImageEncoder()``)
        comes back unfitted even if it was fitted when saved (its fitted copy, e.g.
        ``encoder_``, is what is stored), except a
        :class:`~sklearn.frozen.FrozenEstimator`, which comes back frozen and fitted.
        Settings of the networks that change memory use, and results only by float
        rounding (:attr:`~neurodecode.models.SpaceFeatureReadout.max_weight_bytes`), are
        not stored.

        Parameters
        ----------
        path : path-like
            File to write, in an existing folder. It is written to a unique temporary file
            next to it, fsync-ed and renamed, so the old file stays intact until the new
            one is complete and a failed save leaves nothing behind. A replaced file keeps
            its permissions; a symbolic link at ``path`` is replaced by the file (its target
            is left as it was).
        """
        _io.save(self, path)


def checks_params_first(fit):
    """Decorate a ``fit`` (outermost): every hyper-parameter is checked, and named
    (``_check_params``), before the precision scope or the checkpoint folder is touched."""
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        self._check_params()
        return fit(self, *args, **kwargs)

    return wrapper


def holds_checkpoint_dir(fit):
    """Decorate a ``fit``: its ``checkpoint_dir`` is checked (created, writable) and locked
    for the whole fit, before any work, so that a bad folder fails at once and two fits
    never write one folder (the second gets :class:`~neurodecode.CheckpointDirInUseError`).
    """
    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        with hold_dir(self.checkpoint_dir, f"{type(self).__name__}.checkpoint_dir"):
            return fit(self, *args, **kwargs)

    return wrapper


def uses_precision(method):
    """Decorate a method: it runs under the estimator's ``precision``
    (:func:`~neurodecode.backend.precision_scope`), checked first; ``"auto"`` keeps the
    precision in force (bfloat16 on CUDA, float32 on the CPU outside any scope)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        precision = check_precision(self.precision, f"{type(self).__name__}.precision")
        if precision == "auto":
            return method(self, *args, **kwargs)
        with precision_scope(precision):
            return method(self, *args, **kwargs)

    return wrapper


def default_image_size(images_shape, image_size, multiple, name="images", minimum=1,
                       param="image_size"):
    """Image side to use: ``image_size`` or the (square) input size, a multiple of ``multiple``
    and at least ``minimum``; ``param`` names the parameter in errors
    (``"SelfSupervisedDecoder.image_size"``)."""
    if image_size is not None:
        size = int(image_size)
    else:
        h, w = images_shape[1], images_shape[2]
        if h != w:
            raise ValueError(
                f"{name} are {h}x{w}, not square; pass {param}=<side> to resize them to "
                "a square."
            )
        size = h
    smallest = -(-max(minimum, multiple) // multiple) * multiple  # smallest valid side
    if size % multiple:
        lower = max(smallest, size // multiple * multiple)
        raise ValueError(
            f"{param}: the image side must be a multiple of {multiple}; got {size}. Pass "
            f"{param}={lower} or {lower + multiple} to resize"
            + (f" (the smallest side is {smallest})." if smallest > multiple else ".")
        )
    if size < smallest:
        raise ValueError(
            f"{param}: the image side must be at least {smallest}; got {size}. Pass "
            f"{param}={smallest} (or larger) to resize."
        )
    return size
