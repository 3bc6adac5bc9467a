"""Save a fitted estimator to one file and load it back without unpickling code.

The file is written by :func:`torch.save` but holds only tensors, strings, numbers and
containers of them: hyper-parameters and fitted metadata are JSON text, weights are tensors.
It loads with ``torch.load(weights_only=True)``, so opening a model file from someone else
cannot execute code.

What is stored is declared by the estimators, never hard-coded here: each estimator class
registers itself (:func:`register_estimator`, called by its base class) and lists its fitted
attributes with their kind in ``_fitted_attributes``; a "module" attribute is rebuilt with
the class's ``_build_module(config)`` from ``_module_config()``. This module imports no
estimator.
"""
import copy
import json
import os

import numpy as np
import torch

from ._version import __version__

FORMAT = "neurodecode.estimator"
FORMAT_VERSION = 2

#: Estimator classes by name: the only classes a model file may name.
ESTIMATORS = {}


def register_estimator(cls):
    """Make ``cls`` savable and loadable (done for every subclass of the estimator base)."""
    ESTIMATORS[cls.__name__] = cls
    return cls


def _estimator_class(name):
    if name not in ESTIMATORS:
        raise ValueError(f"unknown estimator class {name!r} in the file; this neurodecode "
                         f"knows {sorted(ESTIMATORS)}.")
    return ESTIMATORS[name]


def _is_nifti_image(value):
    import nibabel

    return isinstance(value, nibabel.spatialimages.SpatialImage)


def _frozen_estimator_class():
    from sklearn.frozen import FrozenEstimator

    return FrozenEstimator


# -- hyper-parameters -------------------------------------------------------------------------
def _encode(value, tensors, key):
    """JSON-able form of a hyper-parameter; arrays go to ``tensors``."""
    from nilearn.maskers import NiftiMasker

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
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v, tensors, f"{key}.{k}") for k, v in value.items()}}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        tensors[f"{key}.array"] = torch.from_numpy(np.ascontiguousarray(value))
        return {"__array__": key}
    if type(value) in ESTIMATORS.values():
        return {"__estimator__": type(value).__name__,
                "params": _encode_params(value.get_params(deep=False), tensors, key)}
    if isinstance(value, _frozen_estimator_class()):
        # a pre-fitted estimator: restored from the fitted copy the estimator keeps of it
        return {"__frozen__": _encode(value.estimator, tensors, key)}
    if _is_nifti_image(value):
        tensors[f"{key}.data"] = torch.from_numpy(np.asarray(value.dataobj).copy())
        tensors[f"{key}.affine"] = torch.from_numpy(np.asarray(value.affine, dtype=np.float64))
        return {"__niimg__": key}
    if isinstance(value, NiftiMasker):
        # every parameter, or a clear refusal: a masker must not come back different
        return {"__niftimasker__": _encode_params(value.get_params(deep=False), tensors, key)}
    if isinstance(value, np.random.RandomState):
        # A RandomState's stream cannot be stored as data; record that one was used.
        return {"__randomstate__": True}
    raise TypeError(
        f"cannot save hyper-parameter {key.rsplit('/', 1)[-1]}={value!r} of type "
        f"{type(value).__name__}; use numbers, strings, paths, arrays, dicts or None."
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
    if "__dict__" in value:
        return {k: _decode(v, tensors) for k, v in value["__dict__"].items()}
    if "__array__" in value:
        return tensors[f"{value['__array__']}.array"].numpy()
    if "__path__" in value:
        from pathlib import Path

        return Path(value["__path__"])
    if "__estimator__" in value:
        cls = _estimator_class(value["__estimator__"])
        return cls(**_decode_params(value["params"], tensors))
    if "__frozen__" in value:
        return _FrozenPlaceholder(_decode(value["__frozen__"], tensors))
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


class _FrozenPlaceholder:
    """A FrozenEstimator hyper-parameter while loading, until its fitted copy is restored."""

    def __init__(self, unfitted):
        self.unfitted = unfitted


# -- fitted attributes, by kind ---------------------------------------------------------------
def _dump_attribute(kind, value, key, tensors, children):
    if kind == "module":
        raise AssertionError("modules are dumped by _dump")  # pragma: no cover
    if kind == "estimator":
        if value is not None:
            children[key] = _dump(value)
        return None
    if kind == "masker":
        if value is None:
            return None
        fitted = type(value)(**{**value.get_params(deep=False), "mask_img": value.mask_img_})
        return _encode(fitted, tensors, f"fitted/{key}")
    if kind == "float_array":
        return [float(v) for v in np.asarray(value, dtype=np.float64).ravel()]
    if kind == "str_array":
        return [str(v) for v in value]
    if kind == "tuple":
        return list(value)
    if kind == "int":
        return int(value)
    if kind == "json":
        return value
    raise ValueError(f"unknown kind {kind!r} of fitted attribute {key}")  # pragma: no cover


def _load_attribute(kind, value, key, tensors, children):
    if kind == "estimator":
        return _restore(children[key]) if key in children else None
    if kind == "masker":
        return None if value is None else _decode(value, tensors).fit()
    if kind == "float_array":
        return np.asarray(value, dtype=np.float64)
    if kind == "str_array":
        return np.asarray(value, dtype=object)
    if kind == "tuple":
        return tuple(value)
    if kind == "int":
        return int(value)
    return value


def _dump(estimator):
    tensors, children, fitted = {}, {}, {}
    params = _encode_params(estimator.get_params(deep=False), tensors, "param")
    for key, kind in type(estimator)._fitted_attributes.items():
        if not hasattr(estimator, key):
            fitted[key] = {"__absent__": True}
        elif kind == "module":
            module = getattr(estimator, key)
            fitted[key] = {"config": estimator._module_config()}
            tensors.update({f"fitted/{key}/{k}": v.detach().cpu()
                            for k, v in module.state_dict().items()})
        else:
            fitted[key] = _dump_attribute(kind, getattr(estimator, key), key, tensors,
                                          children)
    return {
        "class": type(estimator).__name__,
        "params": json.dumps(params),
        "fitted": json.dumps(fitted),
        "tensors": tensors,
        "children": children,
    }


def _restore(node):
    cls = _estimator_class(node.get("class"))
    tensors = node["tensors"]
    params = _decode_params(json.loads(node["params"]), tensors)
    frozen = {k: v for k, v in params.items() if isinstance(v, _FrozenPlaceholder)}
    estimator = cls(**{k: (v.unfitted if k in frozen else v) for k, v in params.items()})
    fitted = json.loads(node["fitted"])
    for key, kind in cls._fitted_attributes.items():
        value = fitted[key]
        if isinstance(value, dict) and value.get("__absent__"):
            continue
        if kind == "module":
            prefix = f"fitted/{key}/"
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            with torch.random.fork_rng(devices=[]):  # building nets draws random numbers
                module = cls._build_module(value["config"])
            module.load_state_dict(state)
            value = module.eval()
        else:
            value = _load_attribute(kind, value, key, tensors, node["children"])
        setattr(estimator, key, value)
    for name in frozen:  # a pre-fitted hyper-parameter comes back fitted, as given
        copy_attr = cls._fitted_copies[name]
        estimator.set_params(**{name: _frozen_estimator_class()(
            copy.deepcopy(getattr(estimator, copy_attr)))})
    return estimator


def save(estimator, path):
    """Save a fitted neurodecode estimator to ``path`` (see :meth:`ImageEncoder.save`)."""
    from sklearn.utils.validation import check_is_fitted

    if type(estimator) not in ESTIMATORS.values():
        raise TypeError(f"save takes a neurodecode estimator; got {type(estimator).__name__}.")
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

    The file is read with ``torch.load(weights_only=True)``: it holds tensors and JSON text
    only, and only neurodecode's own estimator classes can be named in it.

    Parameters
    ----------
    path : path-like
        A file written by ``save``.

    Returns
    -------
    estimator : ImageEncoder or SelfSupervisedDecoder
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
    version = payload.get("format_version", 0)
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by neurodecode {payload.get('neurodecode_version')} in format "
            f"{version}; this neurodecode ({__version__}) reads up to "
            f"{FORMAT_VERSION}. Upgrade neurodecode."
        )
    if version < FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by neurodecode {payload.get('neurodecode_version')} in format "
            f"{version}, which this neurodecode ({__version__}) no longer reads; refit the "
            "model and save it again."
        )
    return _restore(payload["estimator"])
