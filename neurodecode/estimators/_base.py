"""Shared plumbing of the estimators: masking, devices, batching, fitted-state (de)serialisation."""
import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone

from .._validation import check_fmri, check_number, is_niimg_like
from ..backend import autocast, resolve_device


def _nilearn_no_standardize():
    """``standardize`` value meaning "leave the signal as is" for this nilearn version."""
    import nilearn
    from packaging.version import Version

    return None if Version(nilearn.__version__) >= Version("0.14") else False


class NeuralEstimator(BaseEstimator):
    """Base of neurodecode's torch-backed estimators."""

    # -- fMRI input: arrays or Niimg-like through an embedded NiftiMasker -----------------
    def _fit_masker(self, X, name):
        if not is_niimg_like(X):
            self.masker_ = None
            return X
        from nilearn.maskers import NiftiMasker

        mask = getattr(self, "mask", None)
        if isinstance(mask, NiftiMasker):
            masker = clone(mask)
        else:
            masker = NiftiMasker(mask_img=mask, standardize=_nilearn_no_standardize())
        # A given mask is used as is; only without one does the masker compute it from X.
        self.masker_ = masker.fit() if masker.mask_img is not None else masker.fit(X)
        return self.masker_.transform(X)

    def _apply_masker(self, X, name):
        if not is_niimg_like(X):
            return X
        masker = getattr(self, "masker_", None)
        if masker is None:
            raise ValueError(
                f"{name} is Niimg-like, but this estimator was fitted on arrays and has no "
                "masker_; pass an array of shape (n_samples, n_voxels)."
            )
        return masker.transform(X)

    def _check_fmri(self, X, name, n_voxels="fitted", min_samples=1):
        """Mask (if Niimg-like) and validate fMRI; ``n_voxels="fitted"`` uses the fitted count."""
        X = self._apply_masker(X, name)
        if isinstance(n_voxels, str):
            n_voxels = self.n_features_in_
        return check_fmri(X, name, n_voxels=n_voxels, min_samples=min_samples)

    _fitted_attribute = "module_"

    def __sklearn_is_fitted__(self):
        return hasattr(self, self._fitted_attribute)

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

    @staticmethod
    def _batched(fn, inputs, batch_size, device):
        """Apply ``fn`` to ``inputs`` (a CPU tensor) in batches, without gradients."""
        outs = []
        with torch.no_grad(), autocast(device):
            for start in range(0, len(inputs), batch_size):
                outs.append(fn(inputs[start:start + batch_size].to(device)).float().cpu())
        return torch.cat(outs)

    # -- common hyper-parameter checks ------------------------------------------------------
    def _check_common_params(self):
        resolve_device(self.device)
        check_number(self.max_shift, "max_shift", kind=numbers.Integral, low=0)
        check_number(self.alpha, "alpha", low=0.0, high=1.0)
        check_number(self.image_size, "image_size", kind=numbers.Integral, low=8, allow_none=True)
        check_number(self.n_epochs, "n_epochs", kind=numbers.Integral, low=0)
        check_number(self.learning_rate, "learning_rate", low=0.0, low_inclusive=False)
        check_number(self.checkpoint_every, "checkpoint_every", kind=numbers.Integral, low=1)
        check_number(self.verbose, "verbose", kind=numbers.Integral, low=0)
        if not isinstance(self.resume, (bool, np.bool_)):
            raise TypeError(f"resume must be True or False; got {self.resume!r}.")
        if self.resume and self.checkpoint_dir is None:
            raise ValueError("resume=True needs checkpoint_dir, the folder of the checkpoint.")

    def _fingerprint_params(self):
        """Hyper-parameters that define the problem (not how long or where it runs)."""
        skip = {"n_epochs", "verbose", "device", "checkpoint_dir", "checkpoint_every",
                "resume", "encoder", "mask"}
        return {k: v for k, v in self.get_params(deep=False).items() if k not in skip}

    def save(self, path):
        """Save the fitted estimator to one file, loadable with :func:`neurodecode.load`.

        The file holds tensors and JSON text only and loads with
        ``torch.load(weights_only=True)``: no code is unpickled.

        Parameters
        ----------
        path : path-like
        """
        from .._io import save

        save(self, path)


def default_image_size(images_shape, image_size, multiple, name="images"):
    """Image side to use: ``image_size`` or the (square) input size, a multiple of ``multiple``."""
    if image_size is not None:
        size = int(image_size)
    else:
        h, w = images_shape[1], images_shape[2]
        if h != w:
            raise ValueError(
                f"{name} are {h}x{w}, not square; pass image_size=<side> to resize them to "
                "a square."
            )
        size = h
    if size % multiple:
        lower = max(multiple, size // multiple * multiple)
        raise ValueError(
            f"the image side must be a multiple of {multiple}; got {size}. Pass "
            f"image_size={lower} or {lower + multiple} to resize."
        )
    return size
