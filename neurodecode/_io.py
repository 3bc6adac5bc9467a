"""Save a fitted estimator to one file and load it back without unpickling code.

The file is written by :func:`torch.save` but holds only tensors, strings, numbers and
containers of them: hyper-parameters and fitted metadata are JSON text, weights are tensors.
It loads with ``torch.load(weights_only=True)``, so opening a model file from someone else
cannot execute code.
"""
import json
import os

import numpy as np
import torch

from ._version import __version__

FORMAT = "neurodecode.estimator"
FORMAT_VERSION = 1


def _classes():
    from .estimators import ImageEncoder, SelfSupervisedDecoder

    return {"ImageEncoder": ImageEncoder, "SelfSupervisedDecoder": SelfSupervisedDecoder}


def _is_nifti_image(value):
    import nibabel

    return isinstance(value, nibabel.spatialimages.SpatialImage)


def _encode(value, tensors, key):
    """JSON-able form of a hyper-parameter; arrays go to ``tensors``."""
    from nilearn.maskers import NiftiMasker

    from .estimators._base import NeuralEstimator

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return {"__path__": os.fspath(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, tensors, f"{key}.{i}") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, tensors, f"{key}.{i}") for i, v in enumerate(value)]
    if isinstance(value, NeuralEstimator):
        return {"__estimator__": type(value).__name__,
                "params": _encode_params(value.get_params(deep=False), tensors, key)}
    if _is_nifti_image(value):
        tensors[f"{key}.data"] = torch.from_numpy(np.asarray(value.dataobj).copy())
        tensors[f"{key}.affine"] = torch.from_numpy(np.asarray(value.affine, dtype=np.float64))
        return {"__niimg__": key}
    if isinstance(value, NiftiMasker):
        params = {k: v for k, v in value.get_params(deep=False).items()
                  if v is None or isinstance(v, (bool, int, float, str, tuple, list))
                  or k == "mask_img"}
        return {"__niftimasker__": _encode_params(params, tensors, key)}
    if isinstance(value, np.random.RandomState):
        # A RandomState's stream cannot be stored as data; record that one was used.
        return {"__randomstate__": True}
    raise TypeError(
        f"cannot save hyper-parameter {key.rsplit('/', 1)[-1]}={value!r} of type "
        f"{type(value).__name__}; use numbers, strings, paths or None."
    )


def _encode_params(params, tensors, prefix):
    return {k: _encode(v, tensors, f"{prefix}/{k}") for k, v in params.items()}


def _decode(value, tensors):
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v, tensors) for v in value["__tuple__"])
    if "__path__" in value:
        from pathlib import Path

        return Path(value["__path__"])
    if "__estimator__" in value:
        cls = _classes()[value["__estimator__"]]
        return cls(**_decode_params(value["params"], tensors))
    if "__niimg__" in value:
        import nibabel

        key = value["__niimg__"]
        return nibabel.Nifti1Image(tensors[f"{key}.data"].numpy(),
                                   tensors[f"{key}.affine"].numpy())
    if "__niftimasker__" in value:
        from nilearn.maskers import NiftiMasker

        return NiftiMasker(**_decode_params(value["__niftimasker__"], tensors))
    if "__randomstate__" in value:
        return None
    return {k: _decode(v, tensors) for k, v in value.items()}


def _decode_params(params, tensors):
    return {k: _decode(v, tensors) for k, v in params.items()}


def _dump(estimator):
    tensors = {}
    params = _encode_params(estimator.get_params(deep=False), tensors, "param")
    meta, fitted_tensors = estimator._fitted_state()
    tensors.update({f"fitted/{k}": v for k, v in fitted_tensors.items()})
    masker = getattr(estimator, "masker_", None)
    masker_json = ""
    if masker is not None:
        masker_json = json.dumps(_encode(
            type(masker)(**{**masker.get_params(deep=False), "mask_img": masker.mask_img_}),
            tensors, "masker"))
    children = {}
    encoder = getattr(estimator, "encoder_", None)
    if encoder is not None:
        children["encoder_"] = _dump(encoder)
    return {
        "class": type(estimator).__name__,
        "params": json.dumps(params),
        "fitted": json.dumps(meta),
        "masker": masker_json,
        "tensors": tensors,
        "children": children,
    }


def _restore(node):
    classes = _classes()
    if node.get("class") not in classes:
        raise ValueError(f"unknown estimator class {node.get('class')!r} in the file.")
    tensors = node["tensors"]
    estimator = classes[node["class"]](**_decode_params(json.loads(node["params"]), tensors))
    fitted = {k[len("fitted/"):]: v for k, v in tensors.items() if k.startswith("fitted/")}
    with torch.random.fork_rng(devices=[]):  # building nets draws random numbers
        estimator._restore_fitted_state(json.loads(node["fitted"]), fitted)
    estimator.masker_ = None
    if node["masker"]:
        estimator.masker_ = _decode(json.loads(node["masker"]), tensors).fit()
    if "encoder_" in node["children"]:
        estimator.encoder_ = _restore(node["children"]["encoder_"])
    elif hasattr(estimator, "decoder_module_"):
        estimator.encoder_ = None
    return estimator


def save(estimator, path):
    """Save a fitted neurodecode estimator to ``path`` (see :meth:`ImageEncoder.save`)."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "neurodecode_version": __version__,
        "estimator": _dump(estimator),
    }
    path = os.fspath(path)
    tmp = path + ".tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load(path):
    """Load an estimator saved with ``estimator.save(path)``.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    ImageEncoder or SelfSupervisedDecoder
        Fitted, on the CPU until used (``device`` is resolved at predict time).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from neurodecode import SelfSupervisedDecoder, load
    >>> rng = np.random.default_rng(0)
    >>> X, images = rng.standard_normal((8, 20)), rng.random((8, 16, 16, 3))
    >>> dec = SelfSupervisedDecoder(weights=None, n_epochs=1, batch_sizes=(4, 4, 4),
    ...                             random_state=0).fit(X, images)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.nd")
    >>> dec.save(path)
    >>> bool(np.array_equal(load(path).predict(X), dec.predict(X)))
    True
    """
    payload = torch.load(os.fspath(path), map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a neurodecode estimator file.")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by neurodecode {payload.get('neurodecode_version')} in format "
            f"{payload['format_version']}; this neurodecode ({__version__}) reads up to "
            f"{FORMAT_VERSION}. Upgrade neurodecode."
        )
    return _restore(payload["estimator"])
