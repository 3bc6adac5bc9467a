"""Save a fitted estimator to one file and load it back without unpickling code.

The file is written by :func:`torch.save` but holds only tensors, strings, numbers and
containers of them: hyper-parameters and fitted metadata are JSON text, weights are tensors.
It loads with ``torch.load(weights_only=True)``, so opening a model file from someone else
cannot execute code, and nothing read from the file (a path, a cache folder, a class name)
leads to unpickling or importing anything: estimator and backbone names are looked up in
neurodecode's own registries, and a masker comes back from its stored mask image with no
cache folder (``memory=None, memory_level=1``).

A file also cannot load silently wrong: it stores the SHA-256 of its content (JSON text and
the bytes, dtype and shape of every tensor), checked before anything is built; the network a
file describes is first built on PyTorch's ``meta`` device (no memory) and every stored
tensor is checked against it, so a small file cannot make ``load`` allocate a huge network;
every other defect gives a :class:`~neurodecode.ModelFileError` naming the file.

What is stored is declared by the estimators, never hard-coded here: each estimator class
registers itself (:func:`register_estimator`, called by its base class) and lists its fitted
attributes with their kind in ``_fitted_attributes``; a "module" attribute is rebuilt with
the class's ``_build_module(config)`` from ``_module_config()``. This module imports no
estimator.
"""
import copy
import json
import os
import sys

import numpy as np
import torch

from ._errors import ModelFileError
from ._files import atomic_write, digest, read_torch_file
from ._version import __version__

FORMAT = "neurodecode.estimator"
FORMAT_VERSION = 3

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
    nibabel = sys.modules.get("nibabel.spatialimages")  # an image means nibabel is imported
    return nibabel is not None and isinstance(value, nibabel.SpatialImage)


def _frozen_estimator_class():
    from sklearn.frozen import FrozenEstimator

    return FrozenEstimator


# -- hyper-parameters -------------------------------------------------------------------------
def _encode(value, tensors, key):
    """JSON-able form of a hyper-parameter; arrays go to ``tensors``."""
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
    maskers = sys.modules.get("nilearn.maskers")  # a masker means nilearn is imported
    # exactly a NiftiMasker: a subclass (MultiNiftiMasker) would come back as another class
    if maskers is not None and type(value) is maskers.NiftiMasker:
        # every parameter, or a clear refusal: a masker must not come back different. Its
        # cache folder is not stored: a path read from a file must never lead joblib to
        # unpickle what it finds there.
        params = {k: v for k, v in value.get_params(deep=False).items()
                  if k not in ("memory", "memory_level")}
        return {"__niftimasker__": _encode_params(params, tensors, key)}
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
        raise ModelFileError("a pre-fitted (frozen) estimator is stored inside another value; "
                             "only a hyper-parameter itself can be one")
    if "__niimg__" in value:
        import nibabel

        key = value["__niimg__"]
        return nibabel.Nifti1Image(tensors[f"{key}.data"].numpy(),
                                   tensors[f"{key}.affine"].numpy())
    if "__niftimasker__" in value:
        from nilearn.maskers import NiftiMasker

        params = _decode_params(value["__niftimasker__"], tensors)
        # whatever the file says: no cache folder is ever read (and nilearn's default
        # level, as caching is off)
        params.update(memory=None, memory_level=1)
        return NiftiMasker(**params)
    if "__randomstate__" in value:
        return None
    return {k: _decode(v, tensors) for k, v in value.items()}


def _decode_params(params, tensors):
    out = {}
    for k, v in params.items():
        if isinstance(v, dict) and "__frozen__" in v:  # only a parameter itself is frozen
            out[k] = _FrozenPlaceholder(_decode(v["__frozen__"], tensors))
        else:
            out[k] = _decode(v, tensors)
    return out


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
        if value is None:
            return None
        masker = _decode(value, tensors)
        if not _is_nifti_image(masker.mask_img):
            raise ModelFileError(f"the fitted masker {key} has no stored mask image")
        mask = masker.mask_img
        if len(mask.shape) != 3:
            raise ModelFileError(f"the mask of {key} is not a 3-D image")
        # the stored mask is the fitted one, already on the target grid: a target grid that
        # differs could only make fit() resample it (to any size the file asks for)
        shape, affine = masker.target_shape, masker.target_affine
        if shape is not None and tuple(shape) != tuple(mask.shape):
            raise ModelFileError(f"the masker {key} targets a grid of shape {tuple(shape)}, "
                                 f"but its fitted mask has shape {tuple(mask.shape)}")
        if affine is not None and not np.allclose(
                np.asarray(affine, dtype=np.float64)[:3, :3], mask.affine[:3, :3]):
            raise ModelFileError(f"the masker {key} targets another affine than its mask's")
        # nilearn's fit on the in-memory mask image, with memory=None: no file is read
        return masker.fit()
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


def _json(node, field):
    try:
        value = json.loads(node[field])
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"its {field!r} entry is not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise ModelFileError(f"its {field!r} entry is not a JSON object")
    return value


def _build_checked(cls, config, state, key):
    """Build ``cls``'s network from ``config`` after checking ``state`` against it.

    The network is built on the meta device first (shapes only, no memory), so that a
    config declaring a huge network is refused before anything is allocated.
    """
    if not isinstance(config, dict):
        raise ModelFileError(f"the network description of {key} is not a JSON object")
    try:
        with torch.device("meta"), torch.random.fork_rng(devices=[]):
            expected = {k: (tuple(v.shape), v.dtype)
                        for k, v in cls._build_module(config).state_dict().items()}
    except ModelFileError:
        raise
    except Exception as exc:
        raise ModelFileError(f"the network description of {key} ({config}) cannot be built "
                             f"by this neurodecode ({type(exc).__name__}: {exc})") from exc
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    wrong = [f"{k} {tuple(state[k].shape)} {state[k].dtype} (expected {expected[k][0]} "
             f"{expected[k][1]})"
             for k in sorted(set(expected) & set(state))
             if tuple(state[k].shape) != expected[k][0] or state[k].dtype != expected[k][1]]
    if missing or extra or wrong:
        what = "; ".join(filter(None, [
            missing and f"missing weights {missing[:5]}{' ...' if len(missing) > 5 else ''}",
            extra and f"unexpected weights {extra[:5]}{' ...' if len(extra) > 5 else ''}",
            wrong and f"weights of the wrong shape or type: {', '.join(wrong[:5])}"]))
        raise ModelFileError(f"its weights do not fit the network it describes ({config}): "
                             f"{what}. It was written for another architecture")
    with torch.random.fork_rng(devices=[]):  # building nets draws random numbers
        module = cls._build_module(config)
    module.load_state_dict(state)
    return module.eval()


def _restore(node):
    cls = _estimator_class(node["class"])
    tensors = node["tensors"]
    params = _decode_params(_json(node, "params"), tensors)
    frozen = {k: v for k, v in params.items() if isinstance(v, _FrozenPlaceholder)}
    known = cls._get_param_names()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ModelFileError(f"it sets hyper-parameters {unknown} that {cls.__name__} does not "
                             "have (written by another version of neurodecode?)")
    estimator = cls(**{k: (v.unfitted if k in frozen else v) for k, v in params.items()})
    fitted = _json(node, "fitted")
    missing = [k for k in cls._fitted_attributes if k not in fitted]
    if missing:
        raise ModelFileError(f"its fitted state lacks {missing} (written by another version "
                             "of neurodecode, or edited)")
    for key, kind in cls._fitted_attributes.items():
        value = fitted[key]
        if isinstance(value, dict) and value.get("__absent__"):
            if kind == "module":
                raise ModelFileError(f"its fitted network {key} is marked absent: the file "
                                     "holds no fitted estimator")
            continue
        if kind == "module":
            if not isinstance(value, dict) or "config" not in value:
                raise ModelFileError(f"its fitted {key} has no network description")
            prefix = f"fitted/{key}/"
            state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            value = _build_checked(cls, value["config"], state, key)
        else:
            value = _load_attribute(kind, value, key, tensors, node["children"])
        setattr(estimator, key, value)
    _check_consistent(estimator, cls, fitted)
    for name in frozen:  # a pre-fitted hyper-parameter comes back fitted, as given
        copy_attr = cls._fitted_copies[name]
        estimator.set_params(**{name: _frozen_estimator_class()(
            copy.deepcopy(getattr(estimator, copy_attr)))})
    return estimator


def _check_consistent(estimator, cls, fitted):
    """Cross-check what a file says about one fitted estimator: its voxel count and image
    side against its network, its masker's voxels against that count, and any check the
    class adds (``_check_restored``)."""
    module_key = cls._module_attribute()
    config = fitted[module_key]["config"]
    n = getattr(estimator, "n_features_in_", None)
    if n is not None and config.get("n_voxels") != n:
        raise ModelFileError(f"n_features_in_={n}, but its network reads "
                             f"{config.get('n_voxels')} voxels")
    shape = getattr(estimator, "image_shape_", None)
    if shape is not None and (len(shape) != 3 or shape[0] != shape[1]
                              or shape[0] != config.get("image_size")):
        raise ModelFileError(f"image_shape_={tuple(shape)}, but its network works on "
                             f"{config.get('image_size')} px images")
    masker = getattr(estimator, "masker_", None)
    if masker is not None and n is not None:
        n_mask = int(np.count_nonzero(np.asarray(masker.mask_img_.dataobj)))
        if n_mask != n:
            raise ModelFileError(f"its mask holds {n_mask} voxels, but the estimator was "
                                 f"fitted on {n}")
    check = getattr(cls, "_check_restored", None)
    if check is not None:
        problem = check(estimator)
        if problem:
            raise ModelFileError(problem)


# -- integrity ----------------------------------------------------------------------------------
_NODE_FIELDS = {"class": str, "params": str, "fitted": str, "tensors": dict, "children": dict}


def _check_node(node, where="estimator"):
    """The structure of a stored estimator node, or a ModelFileError saying what is off."""
    if not isinstance(node, dict):
        raise ModelFileError(f"its {where!r} entry is not a stored estimator")
    for field, kind in _NODE_FIELDS.items():
        if field not in node:
            raise ModelFileError(f"its {where!r} entry lacks the {field!r} field")
        if not isinstance(node[field], kind):
            raise ModelFileError(f"the {field!r} field of its {where!r} entry is not a "
                                 f"{kind.__name__}")
    for name, tensor in node["tensors"].items():
        if not isinstance(name, str) or not isinstance(tensor, torch.Tensor):
            raise ModelFileError(f"its {where!r} entry holds a non-tensor weight {name!r}")
    for name, child in node["children"].items():
        _check_node(child, f"{where}/{name}")


def _digest(node):
    """SHA-256 over a node's text, tensors (name, dtype, shape, bytes) and children."""
    return digest({field: node[field] for field in _NODE_FIELDS})


def save(estimator, path):
    """Save a fitted neurodecode estimator to ``path`` (see :meth:`ImageEncoder.save`)."""
    from sklearn.utils.validation import check_is_fitted

    if type(estimator) not in ESTIMATORS.values():
        raise TypeError(f"save takes a neurodecode estimator; got {type(estimator).__name__}.")
    check_is_fitted(estimator)
    node = _dump(estimator)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "neurodecode_version": __version__,
        "estimator": node,
        "sha256": _digest(node).hexdigest(),
    }
    atomic_write(path, lambda f: torch.save(payload, f), argument="path")


def _read_payload(path):
    return read_torch_file(path, "neurodecode model file", ModelFileError)


def load(path):
    """Load an estimator saved with ``estimator.save(path)``.

    The file is read with ``torch.load(weights_only=True)``: it holds tensors and JSON text
    only, and only neurodecode's own estimator classes can be named in it. Before anything
    is built, its content is checked against the SHA-256 stored in it and its weights
    against the shapes of the network it describes. A masker is restored from its stored
    mask image without its cache folder (``memory=None, memory_level=1``; set them again
    if wanted).

    Parameters
    ----------
    path : path-like
        A file written by ``save``.

    Returns
    -------
    estimator : ImageEncoder or SelfSupervisedDecoder
        Fitted, on the CPU until used (``device`` is resolved at predict time).

    Raises
    ------
    ModelFileError
        The file is empty, truncated, not a neurodecode model file, damaged or edited
        (checksum mismatch), written by another format version, or written for another
        architecture. A subclass of ``ValueError``.

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
    name = os.fspath(path)
    payload = _read_payload(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"{name} is not a neurodecode model file (no neurodecode header).")
    version = payload.get("format_version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"{name} has no valid format version: not a neurodecode model "
                             "file as neurodecode writes it.")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{name} was written by neurodecode {payload.get('neurodecode_version')} in format "
            f"{version}; this neurodecode ({__version__}) reads up to "
            f"{FORMAT_VERSION}. Upgrade neurodecode."
        )
    if version < FORMAT_VERSION:
        raise ModelFileError(
            f"{name} was written by neurodecode {payload.get('neurodecode_version')} in format "
            f"{version}, which this neurodecode ({__version__}) no longer reads; refit the "
            "model and save it again."
        )
    try:
        if "estimator" not in payload:
            raise ModelFileError("it lacks its 'estimator' entry")
        node = payload["estimator"]
        _check_node(node)
        if _digest(node).hexdigest() != payload.get("sha256"):
            raise ModelFileError(
                "its content does not match the checksum stored in it: it was damaged "
                "(e.g. a flipped bit or a partial copy) or edited after it was written")
        return _restore(node)
    except ModelFileError as exc:
        raise ModelFileError(f"{name}: {exc}. Refit and save the model again, or use an "
                             "intact copy of the file.") from exc.__cause__
    except Exception as exc:  # whatever nibabel, nilearn or torch raise on odd content
        raise ModelFileError(
            f"{name}: the estimator cannot be rebuilt from the file ({type(exc).__name__}: "
            f"{exc}); it was written by another version of neurodecode or edited.") from exc
