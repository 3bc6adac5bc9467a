"""Input checks: every error names the argument, what was expected and what was received."""
import math
import numbers
from pathlib import Path

import numpy as np
import torch

from .backend import resize


def is_niimg_like(data):
    """True for NIfTI paths, nibabel images, or lists of them."""
    if isinstance(data, np.ndarray):  # the common case; no need to import nibabel for it
        return False
    import nibabel

    if isinstance(data, (str, Path, nibabel.spatialimages.SpatialImage)):
        return True
    if isinstance(data, (list, tuple)) and data:
        return all(isinstance(d, (str, Path, nibabel.spatialimages.SpatialImage)) for d in data)
    return False


def as_numeric_array(data, name):
    """``data`` as a numeric numpy array (torch tensors are detached and copied to the CPU)."""
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    try:
        array = np.asarray(data)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be a numeric array; could not convert it ({exc}).") from exc
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(
            f"{name} must be a numeric array; got dtype {array.dtype} "
            f"(type {type(data).__name__})."
        )
    return array


def check_fmri(X, name="X", n_voxels=None, min_samples=1, estimator=None):
    """Validate fMRI samples: a finite float32 (n_samples, n_voxels) array.

    Conversion goes through scikit-learn's :func:`~sklearn.utils.check_array` (so that
    sparse, complex and non-numeric input is refused with its messages, and object arrays
    and DataFrames of numbers are converted); the shape and finiteness checks name the
    argument, count what is wrong and say what to do.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_voxels)
    name : str
        Argument name used in error messages.
    n_voxels : int or None
        Expected number of voxels (the one seen in ``fit``).
    min_samples : int, default=1
    estimator : estimator instance or None
        Named in scikit-learn's messages.

    Returns
    -------
    X : ndarray of shape (n_samples, n_voxels), float32
    """
    from sklearn.utils import check_array

    if X is None:
        raise ValueError(f"{name} is None; expected an array of shape (n_samples, n_voxels).")
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    try:
        array = check_array(X, dtype=np.float32, ensure_2d=False, allow_nd=True,
                            ensure_all_finite=False, ensure_min_samples=0,
                            ensure_min_features=0, input_name=name, estimator=estimator)
    except ValueError as exc:
        if "Complex data not supported" in str(exc):
            raise ValueError(
                f"Complex data not supported: {name} is complex-valued; neurodecode takes "
                "real-valued fMRI and will not drop the imaginary part silently. Pass "
                f"np.abs({name}) (the magnitude) or {name}.real explicitly.") from None
        if "could not convert" not in str(exc):
            raise
        raise ValueError(f"{name} must be a numeric array of fMRI samples; {exc}.") from exc
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2D, (n_samples, n_voxels); got an array of shape {array.shape} "
            "(Expected 2D array). For a single sample use X.reshape(1, -1); for 4D images "
            "pass Niimg-like input with a mask."
        )
    if array.shape[0] < min_samples:
        raise ValueError(
            f"{name} must hold at least {min_samples} sample(s); got {array.shape[0]} "
            f"sample(s) (shape={array.shape})."
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={array.shape}) while a minimum of 1 "
                         "is required: no voxels.")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(
            f"{name} contains {int(bad.sum())} NaN or infinite values, in "
            f"{int(bad.any(axis=0).sum())} voxel(s) and {int(bad.any(axis=1).sum())} "
            f"sample(s) (first bad sample {int(np.flatnonzero(bad.any(axis=1))[0])}, first "
            f"bad voxel {int(np.flatnonzero(bad.any(axis=0))[0])}; values beyond float32's "
            "range count as infinite). Drop those voxels or samples, or impute them."
        )
    if n_voxels is not None and array.shape[1] != n_voxels:
        who = type(estimator).__name__ if estimator is not None else "this estimator"
        raise ValueError(
            f"{name} has {array.shape[1]} features, but {who} is expecting {n_voxels} "
            f"features as input: it was fitted with {n_voxels} voxels. Use the same voxel "
            "selection (mask) and preprocessing as in fit."
        )
    # views with negative or odd strides (X[::-1], df.iloc[::-1]) become one plain block
    return np.ascontiguousarray(array)


#: Warn when the 95th / 5th percentile of the per-voxel variances exceeds this ratio.
UNITS_SPREAD = 100.0
#: ... or when the median per-voxel variance lies further from 1 than this factor.
UNITS_SCALE = 25.0


def check_units(X, name="X"):
    """Warn (:class:`~neurodecode.FMRIUnitsWarning`) when fMRI is evidently not standardised.

    The units policy: both phases' losses are unweighted means over voxels, so the package
    expects every voxel on the same scale, GOD's z-scores within runs
    (:func:`~neurodecode.datasets.load_god`). Raw betas or BOLD show it in their per-voxel
    variances: this warns when the 95th percentile exceeds the 5th by more than
    :data:`UNITS_SPREAD` (100x; the simulated subject in raw units: 824 / 3.95 = 209x) or
    when their median lies more than :data:`UNITS_SCALE` (25x) from 1. z-scored single
    trials have variance 1 at every voxel; means over repeats of z-scored trials are less
    variable (GOD-like test means: a median near 0.05) but not spread 100x. The data are
    used as they are: standardise them first (a
    :class:`~sklearn.preprocessing.StandardScaler` in a pipeline, or z-scores per run).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_voxels)
        Validated fMRI (at least 2 samples).
    name : str, default="X"
        Argument name for the message.

    Returns
    -------
    variance : dict
        The 5th, 50th and 95th percentiles of the per-voxel variance (``p5``, ``p50``,
        ``p95``).

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from neurodecode._validation import check_units
    >>> X = np.random.default_rng(0).standard_normal((100, 50))
    >>> sorted(check_units(X))
    ['p5', 'p50', 'p95']
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = check_units(X * np.logspace(0, 2, 50))  # SDs 1 to 100: variances 1 to 1e4
    >>> caught[0].category.__name__
    'FMRIUnitsWarning'
    """
    import warnings

    from ._errors import FMRIUnitsWarning

    var = np.asarray(X, dtype=np.float64).var(axis=0)
    p5, p50, p95 = (float(v) for v in np.percentile(var, (5, 50, 95)))
    out = {"p5": p5, "p50": p50, "p95": p95}
    spread = p95 / p5 if p5 > 0 else np.inf
    if spread > UNITS_SPREAD or not (1 / UNITS_SCALE <= p50 <= UNITS_SCALE):
        warnings.warn(
            f"{name} does not look standardised: its per-voxel variances are {p5:.3g} / "
            f"{p50:.3g} / {p95:.3g} (5th / 50th / 95th percentile; z-scored fMRI: ~1 at "
            "every voxel). The losses are means over voxels, so the noisiest voxels would "
            "decide the fit. z-score each voxel within its run (neurodecode.datasets.load_god "
            "returns GOD that way), or put a sklearn.preprocessing.StandardScaler before the "
            "estimator in a pipeline.", FMRIUnitsWarning, stacklevel=3)
    return out


def check_niimg_values(imgs, name, masker):
    """Refuse complex or non-finite Niimg input before ``masker`` sees it.

    nilearn casts complex images to real (dropping the imaginary part) and replaces NaN and
    infinite values by 0, silently; arrays with NaN are refused, and so is Niimg input, with
    the same message: how many values, in which voxels (of the mask) and samples. Non-finite
    values outside the mask are ignored. Images stored as integers are not read (they hold
    no NaN).

    Parameters
    ----------
    imgs : Niimg-like or list of Niimg-like
        3-D or 4-D images (paths or nibabel images).
    name : str
        Argument name used in error messages.
    masker : fitted NiftiMasker or None
        Gives the mask (and the voxels' order); None checks the data type only (before a
        masker is fitted on ``imgs``).
    """
    import nibabel
    from nilearn.image import new_img_like

    items = imgs if isinstance(imgs, (list, tuple)) else [imgs]
    if masker is not None:
        mask_img = masker.mask_img_
        inside = np.asanyarray(mask_img.dataobj).astype(bool)
    n_values, bad_voxels, bad_samples, offset = 0, None, [], 0
    for item in items:
        img = nibabel.load(item) if isinstance(item, (str, Path)) else item
        dtype = img.get_data_dtype()
        if dtype.kind == "c":
            raise ValueError(
                f"Complex data not supported: {name} is complex-valued ({dtype}); neurodecode "
                "takes real-valued fMRI and "
                "will not drop the imaginary part silently. Pass the magnitude, e.g. "
                "nilearn.image.math_img('np.abs(img)', img=...), or the real part.")
        n = img.shape[3] if len(img.shape) == 4 else 1
        header = getattr(img, "header", None)
        scaled = header is not None and hasattr(header, "get_slope_inter") and \
            any(v is not None for v in header.get_slope_inter())
        if masker is not None and (dtype.kind == "f" or scaled):
            data = np.asanyarray(img.dataobj)
            bad = ~np.isfinite(data)
            if bad.any():
                bad = bad.reshape(bad.shape[:3] + (n,))
                if bad.shape[:3] == inside.shape and np.allclose(img.affine, mask_img.affine):
                    in_mask = bad[inside]  # (n_voxels, n) in the masker's voxel order
                else:  # another grid: carry the indicator through the masker
                    flag = new_img_like(img, bad.astype(np.float32), copy_header=False)
                    in_mask = np.atleast_2d(masker.transform(flag)).T > 0
                if in_mask.any():
                    n_values += int(in_mask.sum())
                    v = in_mask.any(axis=1)
                    bad_voxels = v if bad_voxels is None else bad_voxels | v
                    bad_samples.extend(offset + np.flatnonzero(in_mask.any(axis=0)))
        offset += n
    if n_values:
        raise ValueError(
            f"{name} contains {n_values} NaN or infinite values inside the mask, in "
            f"{int(bad_voxels.sum())} voxel(s) and {len(bad_samples)} sample(s) (first bad "
            f"sample {int(bad_samples[0])}, first bad voxel "
            f"{int(np.flatnonzero(bad_voxels)[0])} in the mask's order); nilearn would "
            "replace them by 0 silently. Drop those voxels from the mask, or impute them.")


def resize_images(images, size):
    """Resize (n, H, W, 3) float images to (n, size, size, 3) with :func:`backend.resize`."""
    if images.shape[1] == size and images.shape[2] == size:
        return images
    t = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    out = [resize(chunk, size).clamp_(0, 1) for chunk in torch.split(t, 256)]
    return np.ascontiguousarray(torch.cat(out).permute(0, 2, 3, 1).numpy())


def check_images(images, name="images", size=None, min_samples=1, unpaired=False):
    """Validate images: float32 (n, H, W, 3) in [0, 1].

    uint8 images are divided by 255; single-channel images (n, H, W, 1) are repeated to RGB.
    With ``size``, images are resized (antialiased bilinear) to ``size x size``. With
    ``unpaired``, images that are entirely NaN (marking unpaired fMRI rows, see
    ``concat_unpaired_fmri``) are allowed: they are left out of the returned array, and the
    boolean mask of them (None when there are none) is returned with it, in the same pass.
    """
    if images is None:
        raise ValueError(f"{name} is None; expected an array of shape (n, H, W, 3).")
    array = as_numeric_array(images, name)
    if np.iscomplexobj(array):
        raise ValueError(f"{name} are complex-valued; images must be real (float in [0, 1] "
                         "or uint8).")
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        hint = ""
        if array.ndim == 3:
            hint = (" For grayscale images add a channel axis (images[..., None]); for a "
                    "single RGB image add a sample axis (image[None]).")
        elif array.ndim == 4 and array.shape[1] in (1, 3):
            hint = " It looks channels-first: use images.transpose(0, 2, 3, 1)."
        raise ValueError(
            f"{name} must have shape (n, H, W, 3) (or (n, H, W, 1) for grayscale); got "
            f"shape {array.shape}.{hint}"
        )
    if array.shape[0] < min_samples:
        raise ValueError(
            f"{name} must hold at least {min_samples} image(s); got {array.shape[0]}."
        )
    marked = None
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    else:
        array = array.astype(np.float32, copy=False)
        per_image = int(np.prod(array.shape[1:]))
        kept = np.arange(len(array))  # the given row of each row left
        if unpaired and len(array):
            rows = np.isnan(array.reshape(len(array), per_image)).all(axis=1)
            if rows.any():
                marked, array, kept = rows, array[~rows], kept[~rows]
        bad = ~np.isfinite(array.reshape(len(array), per_image))
        if bad.any():
            rows = kept[np.flatnonzero(bad.any(axis=1))]
            raise ValueError(
                f"{name} contains {int(bad.sum())} NaN or infinite values, in {len(rows)} "
                f"image(s) (first: {int(rows[0])}). Only SelfSupervisedDecoder.fit's images "
                "may hold NaN, and only whole images of NaN (marking unpaired fMRI rows)."
            )
        lo, hi = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
        if lo < 0.0 or hi > 1.0:
            raise ValueError(
                f"float {name} must lie in [0, 1]; got values in [{lo:.4g}, {hi:.4g}]. Pass "
                "uint8 images as uint8, or divide 0-255 floats by 255."
            )
    if array.shape[-1] == 1:
        array = np.repeat(array, 3, axis=-1)
    if size is not None:
        array = resize_images(array, int(size))
    array = np.ascontiguousarray(array)
    return (array, marked) if unpaired else array


def check_same_length(a, b, name_a, name_b):
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} has {len(a)} samples but {name_b} has {len(b)}; they must be paired "
            "one to one."
        )


def check_number(value, name, kind=numbers.Real, low=None, high=None, low_inclusive=True,
                 high_inclusive=True, allow_none=False):
    """Check a scalar hyper-parameter's type and range."""
    if value is None and allow_none:
        return value
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an int" if kind is numbers.Integral else "a number"
        raise TypeError(f"{name} must be {expected}; got {value!r} of type {type(value).__name__}.")
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    bad_low = low is not None and (value < low if low_inclusive else value <= low)
    bad_high = high is not None and (value > high if high_inclusive else value >= high)
    if bad_low or bad_high:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        br_l = "[" if low_inclusive and low is not None else "("
        br_h = "]" if high_inclusive and high is not None else ")"
        raise ValueError(f"{name} must be in {br_l}{lo}, {hi}{br_h}; got {value!r}.")
    return value


def check_tuple(value, name, length, kind=numbers.Real, low=None):
    """Check a fixed-length tuple of numbers (e.g. ``loss_weights``)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != length:
        raise ValueError(f"{name} must be a sequence of {length} numbers; got {value!r}.")
    for i, v in enumerate(value):
        check_number(v, f"{name}[{i}]", kind=kind, low=low)
    return tuple(value)


def mask_masker(mask_img):
    """An unfitted :class:`~nilearn.maskers.NiftiMasker` of ``mask_img`` that leaves the
    signal as it is (no standardisation, whatever the nilearn version): how every mask
    image the package is given becomes a masker."""
    import nilearn
    from nilearn.maskers import NiftiMasker
    from packaging.version import Version

    keep = None if Version(nilearn.__version__) >= Version("0.14") else False
    return NiftiMasker(mask_img=mask_img, standardize=keep)


# -- hyper-parameter declarations ------------------------------------------------------------
# Each estimator declares its parameters in ``_PARAMETERS`` ({name: one of these}); its
# ``_check_params`` runs every declaration with the parameter's full name
# (``SelfSupervisedDecoder.encoder.n_epochs``), so that an error says whose parameter it is.
class Number:
    """A number in a range (:func:`check_number`)."""

    def __init__(self, kind=numbers.Real, low=None, high=None, low_inclusive=True,
                 high_inclusive=True, allow_none=False):
        self.kwargs = dict(kind=kind, low=low, high=high, low_inclusive=low_inclusive,
                           high_inclusive=high_inclusive, allow_none=allow_none)

    def __call__(self, value, name):
        check_number(value, name, **self.kwargs)


class Numbers:
    """A sequence of numbers, of a fixed ``length`` (or any length when None)."""

    def __init__(self, length=None, kind=numbers.Real, low=None):
        self.length, self.kind, self.low = length, kind, low

    def __call__(self, value, name):
        if isinstance(value, (str, bytes, dict, set, frozenset)) or (
                isinstance(value, np.ndarray) and value.ndim != 1):
            raise TypeError(f"{name} must be a sequence (tuple or list) of numbers; got "
                            f"{value!r}.")
        if self.length is None:
            if not hasattr(value, "__len__"):
                raise TypeError(f"{name} must be a sequence of "
                                f"{'ints' if self.kind is numbers.Integral else 'numbers'}; "
                                f"got {value!r}.")
            check_tuple(value, name, len(value), kind=self.kind, low=self.low)
        else:
            check_tuple(value, name, self.length, kind=self.kind, low=self.low)


class Options:
    """One of a few values (compared with ``==``; True/False also match only themselves)."""

    def __init__(self, *values):
        self.values = values

    def __call__(self, value, name):
        for v in self.values:
            if isinstance(v, bool) or isinstance(value, bool):
                if value is v or (isinstance(value, np.bool_) and bool(value) is v):
                    return
            elif isinstance(value, type(v)) and value == v:
                return
        shown = [repr(v) for v in self.values]
        shown = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
        raise ValueError(f"{name} must be {shown}; got {value!r}.")


class Flag(Options):
    """True or False."""

    def __init__(self):
        super().__init__(True, False)

    def __call__(self, value, name):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False; got {value!r}.")


class Checked:
    """A parameter checked by ``function(value, name)`` (a device, a backbone, ...), or
    (``function=None``) where it is used, with ``where`` saying so."""

    def __init__(self, function=None, where=None):
        self.function, self.where = function, where

    def __call__(self, value, name):
        if self.function is not None:
            self.function(value, name)


def check_parameters(estimator, owner=None):
    """Run every declaration of ``type(estimator)._PARAMETERS`` on its current values.

    ``owner`` names the parameters in errors (default: the class name), e.g.
    ``"SelfSupervisedDecoder.encoder"`` for the encoder nested in a decoder. Returns the
    owner's name.
    """
    owner = owner or type(estimator).__name__
    for name, check in type(estimator)._PARAMETERS.items():
        check(getattr(estimator, name), f"{owner}.{name}")
    return owner
