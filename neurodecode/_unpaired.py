"""Unpaired fMRI and images: how they reach ``fit`` without being sliced, mis-scaled or lost.

Two ways in, both exact:

* **In X, marked** (pipelines): rows of ``X`` whose image is all NaN are unpaired fMRI, the
  convention of scikit-learn's semi-supervised estimators (unlabelled rows carry a missing
  target). Every step of a :class:`~sklearn.pipeline.Pipeline` before the decoder (scaler,
  PCA, :class:`~nilearn.maskers.NiftiMasker`) then transforms them exactly as it transforms
  the paired rows. :func:`concat_unpaired_fmri` builds such ``X``/``images``.
* **As fit parameters** (``X_unpaired_fmri=``, ``unpaired_images=``), wrapped in
  :class:`Unpaired` inside cross-validation so that scikit-learn never slices them. No
  pipeline step touches a fit parameter, so fMRI passed this way is checked to be in the
  units of ``X`` (:func:`check_same_units`).
"""
import warnings

import numpy as np


class Unpaired:
    """Mark an array as unpaired data so that scikit-learn never slices it.

    scikit-learn's cross-validation helpers (``cross_val_score``, ``cross_validate``,
    ``GridSearchCV``...) slice every fit parameter that is array-like with as many rows as
    ``X``, which would silently subsample the unpaired fMRI or images to the training fold
    whenever their length happens to equal that of the paired data. Wrapping them in
    ``Unpaired`` makes them opaque to that logic; :meth:`SelfSupervisedDecoder.fit` unwraps
    them.

    Parameters
    ----------
    data : array-like or Niimg-like
        Unpaired fMRI (n, n_voxels) or unpaired images (n, H, W, 3).

    See Also
    --------
    concat_unpaired_fmri : Put unpaired fMRI in X, where pipeline steps transform it.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode import Unpaired
    >>> Unpaired(np.zeros((3, 2))).data.shape
    (3, 2)
    """

    __slots__ = ("data",)

    def __init__(self, data):
        if isinstance(data, Unpaired):
            data = data.data
        self.data = data

    def __repr__(self):
        shape = getattr(self.data, "shape", None)
        return f"Unpaired({'shape=' + str(shape) if shape is not None else type(self.data).__name__})"


def unwrap(data):
    """The data inside an :class:`Unpaired` (anything else is returned as is)."""
    return data.data if isinstance(data, Unpaired) else data


def concat_unpaired_fmri(X_paired, images, X_unpaired_fmri):
    """Stack paired and unpaired fMRI in one ``X``, marking the unpaired rows by NaN images.

    :meth:`SelfSupervisedDecoder.fit` treats rows of ``X`` whose image is all NaN as
    unpaired fMRI (for L_DE), exactly as if they had been passed as ``X_unpaired_fmri``. In
    a :class:`~sklearn.pipeline.Pipeline`, every step before the decoder then sees them:
    a scaler or PCA is fitted on paired and unpaired rows together and transforms both, a
    :class:`~nilearn.maskers.NiftiMasker` masks both.

    Parameters
    ----------
    X_paired : array-like of shape (n_pairs, n_voxels) or Niimg-like
        The fMRI of the image-fMRI pairs.
    images : array-like of shape (n_pairs, H, W, 3)
        Their images (uint8 images are converted to float in [0, 1]).
    X_unpaired_fmri : array-like of shape (n_unpaired, n_voxels) or Niimg-like
        The fMRI without images. Niimg-like input needs Niimg-like ``X_paired`` (4D images
        of the same space).

    Returns
    -------
    X : ndarray or DataFrame of shape (n_pairs + n_unpaired, n_voxels), or 4D Nifti1Image
        The paired rows, then the unpaired ones (DataFrames stay DataFrames, their columns
        checked to match).
    images : ndarray of shape (n_pairs + n_unpaired, H, W, 3), float32
        The paired images, then all-NaN images marking the unpaired rows. Images that
        are marked already stay marked, so unpaired sets can be added one after another.

    See Also
    --------
    Unpaired : The other way in, as a fit parameter.

    Notes
    -----
    In cross-validation, shuffle (``KFold(shuffle=True)``) or group the folds so that each
    training fold holds unpaired rows: the unpaired rows come last, and an unshuffled
    ``KFold`` gives some folds none (then ``loss_weights="auto"`` silently fits those folds
    without L_DE; set ``loss_weights`` explicitly to make such a fold an error).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode import concat_unpaired_fmri
    >>> X, y = concat_unpaired_fmri(np.ones((4, 10)), np.zeros((4, 8, 8, 3)),
    ...                             np.zeros((6, 10)))
    >>> X.shape, y.shape, int(np.isnan(y).all(axis=(1, 2, 3)).sum())
    ((10, 10), (10, 8, 8, 3), 6)
    """
    from ._validation import as_numeric_array, check_images, is_niimg_like

    images = as_numeric_array(images, "images")
    marked = unpaired_rows(images)
    if marked is None:
        images = check_images(images, "images")
    else:  # already marked: add more unpaired rows
        images = images.astype(np.float32)
        check_images(images[~marked], "images")
    if is_niimg_like(X_paired) or is_niimg_like(X_unpaired_fmri):
        if not (is_niimg_like(X_paired) and is_niimg_like(X_unpaired_fmri)):
            raise TypeError("X_paired and X_unpaired_fmri must both be arrays or both be "
                            "Niimg-like.")
        from nilearn.image import concat_imgs

        parts = [_as_4d(X_paired), _as_4d(X_unpaired_fmri)]
        X = concat_imgs(parts, auto_resample=False)
        n_paired, n_unpaired = parts[0].shape[3], parts[1].shape[3]
    elif hasattr(X_paired, "columns") or hasattr(X_unpaired_fmri, "columns"):
        import pandas as pd

        if not (hasattr(X_paired, "columns") and hasattr(X_unpaired_fmri, "columns")):
            raise TypeError("X_paired and X_unpaired_fmri must both be DataFrames or both "
                            "be arrays.")
        if list(X_paired.columns) != list(X_unpaired_fmri.columns):
            raise ValueError("X_paired and X_unpaired_fmri must have the same columns (the "
                             "same voxels, in the same order).")
        X = pd.concat([X_paired, X_unpaired_fmri], ignore_index=True)
        n_paired, n_unpaired = len(X_paired), len(X_unpaired_fmri)
    else:
        X_paired, X_unpaired_fmri = np.asarray(X_paired), np.asarray(X_unpaired_fmri)
        if X_paired.ndim != 2 or X_unpaired_fmri.ndim != 2 \
                or X_paired.shape[1] != X_unpaired_fmri.shape[1]:
            raise ValueError(
                "X_paired and X_unpaired_fmri must be 2D with as many voxels; got shapes "
                f"{X_paired.shape} and {X_unpaired_fmri.shape}.")
        X = np.concatenate([X_paired, X_unpaired_fmri])
        n_paired, n_unpaired = len(X_paired), len(X_unpaired_fmri)
    if n_paired != len(images):
        raise ValueError(f"X_paired has {n_paired} samples but images has {len(images)}; "
                         "they must be paired one to one.")
    marks = np.full((n_unpaired,) + images.shape[1:], np.nan, dtype=np.float32)
    return X, np.concatenate([images, marks])


def _as_4d(img):
    """A Niimg-like as one 4D image (a 3D image becomes a single volume)."""
    import nibabel
    from nilearn.image import concat_imgs, load_img

    if isinstance(img, (list, tuple)):
        return concat_imgs(img, auto_resample=False)
    img = load_img(img)
    if len(img.shape) == 3:
        return nibabel.Nifti1Image(np.asanyarray(img.dataobj)[..., None], img.affine,
                                   img.header)
    return img


def unpaired_rows(images):
    """Boolean mask of the images that are entirely NaN (marking unpaired fMRI), or None.

    Only float arrays can carry the mark; any other input gives None.
    """
    if not isinstance(images, np.ndarray) or images.dtype.kind != "f" or images.ndim < 2:
        return None
    marked = np.isnan(images.reshape(len(images), -1)).all(axis=1)
    return marked if marked.any() else None


def warn_if_sliceable(data, name, n_paired):
    """Warn when a fit parameter has as many rows as the pairs (CV helpers would slice it)."""
    if isinstance(data, Unpaired) or data is None or n_paired is None:
        return
    if hasattr(data, "__len__") and len(data) == n_paired:
        warnings.warn(
            f"{name} has as many rows as X_paired ({n_paired}). scikit-learn's "
            "cross-validation helpers slice such fit parameters to the training fold; "
            f"wrap it as neurodecode.Unpaired({name}) to keep it whole.",
            UserWarning, stacklevel=3,
        )


#: Refuse unpaired fMRI whose typical voxel SD differs from the paired fMRI's by more than
#: this factor, or whose voxel means lie further than this many paired SDs from theirs.
UNIT_TOLERANCE = 10.0


def check_same_units(X, X_unpaired, name="X_unpaired_fmri", tolerance=None):
    """Refuse unpaired fMRI that is evidently in other units than the paired fMRI.

    Two robust statistics over voxels: the offset, the median over voxels of
    ``|mean_unpaired - mean_paired| / sd_paired``, and the scale, the ratio of the median
    voxel SDs. Legitimate unpaired fMRI (other trials, test averages over repeats, another
    session normalised the same way) is within a few fold and a few SDs; fMRI that skipped a
    pipeline's scaler or normalisation usually is not (raw BOLD against z-scores, x100 + 50).

    This is a guard against gross mistakes, not a proof of equal units: a statistical test
    cannot tell a per-voxel rescaling within that range (e.g. raw betas of SD ~1 against
    z-scores) from legitimate differences. The way that cannot go wrong is to put the
    unpaired fMRI in ``X`` (:func:`concat_unpaired_fmri`), where every preprocessing step
    transforms it; rows passed that way are never checked.

    Parameters
    ----------
    X : ndarray of shape (n, n_voxels)
        The paired fMRI (at least 2 samples).
    X_unpaired : ndarray of shape (m, n_voxels)
        The unpaired fMRI, as passed to ``fit``.
    name : str, default="X_unpaired_fmri"
        Argument name for the message.
    tolerance : float or None, default=None
        Largest accepted scale ratio (either way) and offset (in paired SDs); None uses
        :data:`UNIT_TOLERANCE` (10).

    Raises
    ------
    ValueError
        When the offset or the scale ratio exceeds the tolerance.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode._unpaired import check_same_units
    >>> X = np.random.default_rng(0).standard_normal((20, 5))
    >>> check_same_units(X, X[:4] / 3)  # test averages are less variable: accepted
    >>> check_same_units(X, 100 * X[:4] + 50)
    Traceback (most recent call last):
    ...
    ValueError: X_unpaired_fmri is not in the units of X_paired: ...
    """
    tolerance = UNIT_TOLERANCE if tolerance is None else float(tolerance)
    if len(X) < 2 or len(X_unpaired) < 1:
        return
    sd_voxel = X.std(axis=0, dtype=np.float64)
    varying = sd_voxel > 0
    if not varying.any():
        return
    offsets = np.abs(X_unpaired[:, varying].mean(axis=0, dtype=np.float64)
                     - X[:, varying].mean(axis=0, dtype=np.float64)) / sd_voxel[varying]
    offset = float(np.median(offsets))
    sd_x = float(np.median(sd_voxel[varying]))
    ratio = None
    if len(X_unpaired) >= 2:
        sd_u = float(np.median(X_unpaired[:, varying].std(axis=0, dtype=np.float64)))
        ratio = sd_u / sd_x if sd_u > 0 else None
    bad_scale = ratio is not None and not 1 / tolerance <= ratio <= tolerance
    if bad_scale or offset > tolerance:
        scale = f"median voxel SD {ratio * sd_x:.3g} against {sd_x:.3g} ({ratio:.3g}x), " \
            if ratio is not None else ""
        raise ValueError(
            f"{name} is not in the units of X_paired: {scale}voxel means {offset:.3g} SDs "
            f"apart (median over voxels; tolerance {tolerance:g}). This happens when a "
            f"Pipeline preprocesses X (scaling, PCA, masking) while {name}, a fit parameter, "
            "skips those steps. Put the unpaired fMRI in X instead, its rows marked by "
            "all-NaN images (neurodecode.concat_unpaired_fmri): every step then transforms "
            "it, and such rows are not checked. Or bring it to the units of X_paired before "
            "fitting."
        )


def check_repeats(data, name, n_voxels):
    """Unpaired fMRI given as repeats, (n, n_repeats, n_voxels), validated: float32.

    Repeats are drawn as random sub-averages during training (the authors' protocol), so
    every value must be finite: drop the samples with missing repeats or pass their means.
    """
    X = np.asarray(data)
    if X.dtype.kind not in "fiu" or X.ndim != 3:
        raise ValueError(
            f"{name} given as repeats must be a numeric array of shape (n_samples, n_repeats, "
            f"n_voxels); got shape {X.shape}, dtype {X.dtype}.")
    if X.shape[1] < 2:
        raise ValueError(f"{name} holds {X.shape[1]} repeat(s) per sample; sub-averages need "
                         "at least 2 (pass a 2D array of vectors instead).")
    if X.shape[2] != n_voxels:
        raise ValueError(f"{name} has {X.shape[2]} voxels per repeat; X_paired has {n_voxels}.")
    X = X.astype(np.float32)
    bad = ~np.isfinite(X)
    if bad.any():
        samples = np.flatnonzero(bad.any(axis=(1, 2)))
        raise ValueError(
            f"{name} holds {int(bad.sum())} NaN or infinite values (samples "
            f"{samples[:5].tolist()}{'...' if len(samples) > 5 else ''}); repeats are drawn "
            "at random, so each must be complete: drop those samples, or pass the means over "
            "the available repeats as a 2D array.")
    return X


def de_voxel_weights(voxel_snr, repeats, n_voxels, de_loss):
    """Per-voxel SNR for the phase-II weights: ``voxel_snr`` when given, else the SNR of
    the unpaired repeats (:func:`~neurodecode.analysis.snr`), else None. Raises when
    ``de_loss="authors"`` has neither (its L_DE weights voxels by SNR)."""
    if voxel_snr is not None:
        snr = np.asarray(voxel_snr, dtype=np.float64).ravel()
    elif repeats is not None:
        from ._utils import snr as repeat_snr

        # (n, n_repeats, V), the layout snr() takes; a voxel without signal gets a tiny SNR
        snr = np.maximum(repeat_snr(repeats, n_images=len(repeats)), 1e-6)
    elif de_loss == "authors":
        raise ValueError(
            "de_loss='authors' weights each voxel's error by its SNR: pass voxel_snr (e.g. "
            "neurodecode.analysis.snr(X_test_trials)), or the unpaired fMRI as repeats, "
            "shape (n_samples, n_repeats, n_voxels), from which it is computed.")
    else:
        return None
    if snr.shape != (n_voxels,) or not np.all(np.isfinite(snr)) or np.any(snr <= 0):
        raise ValueError(
            f"voxel_snr must be {n_voxels} finite positive values (one per voxel); got shape "
            f"{snr.shape}, min {np.nanmin(snr) if snr.size else 'n/a'}.")
    return snr


def check_unpaired_data(estimator, X, unpaired_fmri, marked, unpaired_images, weights, size):
    """The unpaired fMRI and images that the switched-on terms of ``estimator`` (a
    SelfSupervisedDecoder) use, validated: ``(X_unpaired or None, images or None)``, the
    images at ``size``."""
    from sklearn.utils.validation import validate_data

    from ._validation import check_images

    b_u, b_f = int(estimator.batch_sizes[1]), int(estimator.batch_sizes[2])
    Xu = U = None
    if weights[2] > 0:
        name = ("the rows of X_paired marked unpaired (all-NaN images)" if marked
                else "X_unpaired_fmri")
        if marked:  # they went through every step X went through: same units
            Xu = unpaired_fmri
        else:
            raw = unwrap(unpaired_fmri)
            if np.ndim(raw) == 3 and not hasattr(raw, "affine"):  # repeats
                Xu = check_repeats(raw, "X_unpaired_fmri", X.shape[1])
                check_same_units(X, Xu.mean(axis=1))
            else:
                Xu = estimator._check_fmri(raw, "X_unpaired_fmri", n_voxels=X.shape[1])
                if hasattr(raw, "columns"):  # DataFrame: its columns must be X's
                    validate_data(estimator, raw, skip_check_array=True, reset=False)
                check_same_units(X, Xu)
        if len(Xu) < b_f:
            raise ValueError(
                f"{name} holds {len(Xu)} samples, fewer than the {b_f} drawn per step "
                "(batch_sizes[2]); pass more unpaired fMRI or lower batch_sizes[2]. In "
                "cross-validation, shuffle or group the folds so that each training fold "
                "holds enough unpaired rows."
            )
    if weights[1] > 0:
        U = check_images(unpaired_images, "unpaired_images", size=size, min_samples=1)
        if len(U) < b_u:
            raise ValueError(
                f"unpaired_images holds {len(U)} images, fewer than the {b_u} drawn per "
                "step (batch_sizes[1]); pass more unpaired images or lower "
                "batch_sizes[1]."
            )
    return Xu, U
