"""The subject contract: what every loader and the simulator return, one name per array.

A subject is a :class:`Subject` (a :class:`sklearn.utils.Bunch`) whose fields are those of
:data:`FIELDS`, with the shapes, types and units written there. :func:`check_subject`
checks a subject against the contract, once, for every consumer (``run_pipeline``,
``roi_retraining``, ``reproduce_god``), naming the field and what is wrong.

Several subjects who saw the same images (GOD's five) are a dict ``{name: Subject}``: the
*stimulus* fields of each (``images_*``, ``labels_*``, ``stimulus_*``) describe the same
images, identified across subjects by ``stimulus_train`` / ``stimulus_test`` (each subject
keeps its own order, as each saw them in its own run order); every other field is the
subject's own. :func:`check_subjects` checks such a dict.
"""
import numbers
import warnings
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from sklearn.utils import Bunch

#: GOD's units, those of :func:`~neurodecode.datasets.load_god` and of the simulated subject.
FMRI_UNITS = ("z-scored per voxel within each run; test repeats z-scored in their runs "
              "before they are averaged")


class Field(NamedTuple):
    """One field of the subject contract."""

    shape: tuple
    kind: str
    dtype: str
    required: bool
    description: str


# shape: dimension names (bound on first use, then checked), "*" any, None: not an array.
# kind: "fmri" (the subject's responses), "stimulus" (the images seen: the same for every
# subject who saw them), "voxel" (per-voxel description), "truth" (simulated subjects only),
# "info". dtype: "float", "int", "str", "bool", "callable", "mapping", "any".
FIELDS = {
    "X_train": Field(("n_train", "n_voxels"), "fmri", "float", True,
                     "single-trial training responses, in ``meta['fmri_units']``"),
    "X_test": Field(("n_test", "n_voxels"), "fmri", "float", True,
                    "test responses, the mean of each image's repeats"),
    "X_test_trials": Field(("n_test", "n_repeats", "n_voxels"), "fmri", "float", True,
                           "every repeat of each test image (NaN: a missing repeat); "
                           "vim-1 publishes only the means (n_repeats = 1)"),
    "runs_train": Field(("n_train",), "fmri", "int", False, "run of each training sample"),
    "X_imagery": Field(("n_imagery", "n_voxels"), "fmri", "float", False,
                       "imagery responses (GOD)"),
    "labels_imagery": Field(("n_imagery",), "stimulus", "int", False,
                            "class of each imagery sample"),
    "category_imagery": Field(("n_imagery",), "stimulus", "str", False,
                              "category name of each imagery sample"),
    "images_train": Field(("n_train", "height", "width", 3), "stimulus", "float", False,
                          "the training images, RGB in [0, 1] (GOD: with ``stimulus_dir``)"),
    "images_test": Field(("n_test", "height", "width", 3), "stimulus", "float", False,
                         "the test images, RGB in [0, 1]"),
    "labels_train": Field(("n_train",), "stimulus", "int", False,
                          "class of each training image"),
    "labels_test": Field(("n_test",), "stimulus", "int", False, "class of each test image"),
    "stimulus_train": Field(("n_train",), "stimulus", "str", False,
                            "name of each training image: its identity across subjects"),
    "stimulus_test": Field(("n_test",), "stimulus", "str", False,
                           "name of each test image: its identity across subjects"),
    "image_index_train": Field(("n_train",), "stimulus", "int", False,
                               "index of each training image in the image file "
                               "(sbj_<N>.npz's arr_3)"),
    "stimulus_id_train": Field(("n_train",), "stimulus", "float", False,
                               "GOD's numeric stimulus id (``<wnid>.<image>``)"),
    "stimulus_id_test": Field(("n_test",), "stimulus", "float", False,
                              "GOD's numeric stimulus id of each test image"),
    "roi": Field(("n_voxels",), "voxel", "str", True,
                 "area of each voxel (:data:`~neurodecode.datasets.ROIS`, or ``'other'``)"),
    "roi_masks": Field(None, "voxel", "mapping", True,
                       "ROI name -> boolean mask over the voxels (areas and composites)"),
    "roi_hemisphere": Field(("n_voxels",), "voxel", "str", False,
                            "``'LH'`` / ``'RH'`` of each voxel (GOD)"),
    "roi_imgs": Field(None, "voxel", "mapping", False,
                      "ROI name -> NIfTI mask image (GOD, BIDS)"),
    "masker": Field(None, "voxel", "any", False,
                    "fitted :class:`~nilearn.maskers.NiftiMasker` of the voxels (brain maps)"),
    "mask_img": Field(None, "voxel", "any", False, "NIfTI image of the voxels (vim-1)"),
    "voxel_xyz": Field(("n_voxels", 3), "voxel", "float", False, "voxel coordinates (BData)"),
    "voxel_index": Field(("n_voxels",), "voxel", "int", False,
                         "flat index of each voxel in the functional grid (vim-1)"),
    "n_nan_voxels": Field(None, "info", "int", False, "voxels dropped for NaN (vim-1)"),
    "samples": Field(None, "info", "any", False,
                     "pandas table of every sample: split, run, block, stimulus (GOD)"),
    "snr": Field(("n_voxels",), "truth", "float", False, "true single-trial SNR of each voxel"),
    "prf_center": Field(("n_voxels", 2), "truth", "float", False,
                        "true pRF centre (degrees, +x right, +y up)"),
    "prf_size": Field(("n_voxels",), "truth", "float", False, "true pRF size (degrees)"),
    "Y_train_clean": Field(("n_train", "n_voxels"), "truth", "float", False,
                           "noiseless training responses"),
    "Y_test_clean": Field(("n_test", "n_voxels"), "truth", "float", False,
                          "noiseless test responses"),
    "noise_ceiling": Field(("n_voxels",), "truth", "float", False,
                           "true noise ceiling of the test means"),
    "noise_ceiling_single_trial": Field(("n_voxels",), "truth", "float", False,
                                        "true noise ceiling of single trials"),
    "simulate_fmri": Field(None, "truth", "callable", False,
                           "``simulate_fmri(images, ...)``: responses to any images"),
    "images_unpaired": Field(("n_unpaired", "height", "width", 3), "stimulus", "float", False,
                             "natural images without fMRI (never of a test class)"),
    "labels_unpaired": Field(("n_unpaired",), "stimulus", "int", False,
                             "class of each unpaired image"),
    "gallery_classes": Field(("n_gallery",), "stimulus", "int", False,
                             "classes of the semantic-classification gallery"),
    "gallery_images": Field(None, "stimulus", "callable", False,
                            "``gallery_images(classes, n_per_class) -> (images, labels)``"),
    "description": Field(None, "info", "str", False,
                         "what the data are, their licence and how to cite them (text)"),
    "meta": Field(None, "info", "mapping", True,
                  "``dataset``, ``n_voxels``, ``fmri_units`` and the loader's settings"),
}

#: Names that were once fields -> (how to get the value, what to use instead).
_DEPRECATED = {
    "roi_labels": (lambda s: s["roi"], "subject.roi"),
    "X_test_repeats": (lambda s: np.moveaxis(s["X_test_trials"], 1, 0),
                       "subject.X_test_trials (n_test, n_repeats, n_voxels)"),
}

_REQUIRED_META = ("dataset", "n_voxels", "fmri_units")


class Subject(Bunch):
    """One subject's data: a :class:`~sklearn.utils.Bunch` with the fields of the contract.

    Attribute and key access, as for any Bunch; the field names, shapes and units are those
    of :data:`~neurodecode.datasets.FIELDS`. Two old names still answer, with a
    ``FutureWarning``: ``roi_labels`` (now ``roi``) and ``X_test_repeats`` (repeats first;
    now ``X_test_trials``, images first).

    Parameters
    ----------
    **kwargs
        The fields, by name.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.datasets import Subject
    >>> s = Subject(roi=np.array(["V1", "V2"]))
    >>> s.roi.tolist()
    ['V1', 'V2']
    """

    def __getitem__(self, key):
        if key in _DEPRECATED and not dict.__contains__(self, key):
            get, instead = _DEPRECATED[key]
            warnings.warn(f"subject.{key} is deprecated and will be removed; use {instead}.",
                          FutureWarning, stacklevel=3)
            return get(self)
        return super().__getitem__(key)  # Bunch's attribute access goes through here


def _kind_ok(value, dtype):
    if dtype == "callable":
        return callable(value)
    if dtype == "mapping":
        return isinstance(value, Mapping)
    if dtype == "any":
        return True
    if dtype == "int" and value is not None and np.ndim(value) == 0:
        return isinstance(value, numbers.Integral)
    kind = np.asarray(value).dtype.kind
    return {"float": kind == "f", "int": kind in "iu", "str": kind in "USO",
            "bool": kind == "b"}[dtype]


def _dtype_words(dtype):
    return {"float": "floating-point", "int": "integer", "str": "string", "bool": "boolean",
            "callable": "callable", "mapping": "dict"}.get(dtype, dtype)


def check_subject(data, needs=None, *, name="subject"):
    """Check a subject against the contract, once, and return it as a :class:`Subject`.

    Every field present is checked against :data:`~neurodecode.datasets.FIELDS`: its
    shape (the dimensions ``n_train``, ``n_test``, ``n_voxels``, ... agree across
    fields), its type, finite fMRI (``X_test_trials`` may hold NaN for missing repeats),
    ``X_test`` equal to the mean of ``X_test_trials``, images in [0, 1], boolean ROI masks
    over the voxels, and ``meta`` with ``dataset``, ``n_voxels`` and ``fmri_units``. No
    array is copied.

    Parameters
    ----------
    data : mapping
        What a loader returned, or a dict built by hand with the contract's names.
    needs : sequence of str or None, default=None
        The fields the consumer reads, which must be present (e.g. ``("X_train",
        "images_train", "X_test", "images_test", "roi_masks")``); None: the contract's
        required fields (``X_train``, ``X_test``, ``X_test_trials``, ``roi``,
        ``roi_masks``, ``meta``: what every loader returns). Fields that are present are
        checked either way.
    name : str, default="subject"
        How errors name the data (the consumer's argument, e.g. ``"run_pipeline(subject)"``).

    Returns
    -------
    subject : Subject
        ``data`` itself when it is a :class:`Subject`, else a :class:`Subject` holding the
        same arrays.

    Raises
    ------
    ValueError
        Naming the field, what the contract says and what was found.
    TypeError
        When ``data`` is not a mapping.

    Examples
    --------
    >>> from neurodecode.datasets import check_subject, make_synthetic_subject
    >>> s = make_synthetic_subject(n_train_classes=4, n_train_per_class=2, n_test_classes=3,
    ...                            n_test_repeats=3, n_unpaired_classes=2,
    ...                            n_unpaired_per_class=2, n_gallery_classes=5,
    ...                            n_voxels={"V1": 8, "V2": 0, "V3": 0, "hV4": 0, "LOC": 4,
    ...                                      "FFA": 0, "PPA": 0}, image_size=16)
    >>> check_subject(s) is s
    True
    >>> check_subject(s, needs=("X_train", "images_train")) is s
    True
    >>> check_subject({k: v for k, v in s.items() if k != "roi"})
    Traceback (most recent call last):
    ...
    ValueError: subject: no field 'roi' (area of each voxel ...); every neurodecode loader returns it.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"{name}: a subject is a mapping (what neurodecode's loaders return); "
                        f"got {type(data).__name__}.")
    required = [k for k, f in FIELDS.items() if f.required]
    needs = required if needs is None else list(needs)
    for key in needs:
        if key not in FIELDS:
            raise ValueError(f"needs: {key!r} is not a field of the subject contract; known: "
                             f"{sorted(FIELDS)}.")
    for key in needs:
        if key not in data:
            what = FIELDS[key].description.split(",")[0].split("(")[0].strip()
            hint = ("every neurodecode loader returns it" if needs is required
                    else "this consumer needs it")
            raise ValueError(f"{name}: no field {key!r} ({what} ...); {hint}.")
    dims = {}
    for key, field in FIELDS.items():
        if key not in data:
            continue
        value = data[key]
        if value is None and not field.required:
            continue
        if not _kind_ok(value, field.dtype):
            raise ValueError(f"{name}.{key}: expected {_dtype_words(field.dtype)} values "
                             f"({field.description}); got "
                             f"{getattr(np.asarray(value), 'dtype', type(value).__name__)}"
                             if field.dtype not in ("callable", "mapping") else
                             f"{name}.{key}: expected a {_dtype_words(field.dtype)} "
                             f"({field.description}); got {type(value).__name__}.")
        if field.shape is None:
            continue
        shape = np.shape(value)
        if len(shape) != len(field.shape):
            raise ValueError(f"{name}.{key}: expected {len(field.shape)} dimensions "
                             f"{_spec(field.shape)}; got shape {shape}.")
        for dim, size in zip(field.shape, shape):
            if isinstance(dim, int):
                if size != dim:
                    raise ValueError(f"{name}.{key}: expected shape {_spec(field.shape)}; "
                                     f"got {shape}.")
            elif dim in dims and dims[dim][0] != size:
                raise ValueError(f"{name}.{key}: shape {shape} gives {dim} = {size}, but "
                                 f"{name}.{dims[dim][1]} gives {dims[dim][0]}; the fields "
                                 "of one subject must agree.")
            else:
                dims.setdefault(dim, (size, key))
    _check_values(data, name)
    _check_masks(data, dims.get("n_voxels", (None,))[0], name)
    _check_meta(data, dims.get("n_voxels", (None,))[0], name)
    return data if isinstance(data, Subject) else Subject(**data)


def _spec(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _check_values(data, name):
    for key in ("X_train", "X_test", "X_imagery"):
        if key in data and not np.isfinite(data[key]).all():
            raise ValueError(f"{name}.{key}: {int((~np.isfinite(data[key])).sum())} values "
                             "are NaN or infinite; the fMRI must be finite.")
    trials = np.asarray(data.get("X_test_trials", np.zeros((0, 0, 0))))
    if np.isinf(trials).any():
        raise ValueError(f"{name}.X_test_trials: infinite values; only missing repeats may be "
                         "NaN.")
    if len(trials) and trials.shape[1] and "X_test" in data:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an image with no repeat
            mean = np.nanmean(trials, axis=1)
        X_test = np.asarray(data["X_test"])
        scale = max(float(np.nanmax(np.abs(mean), initial=0.0)), 1.0)
        if not np.allclose(X_test, mean, atol=1e-4 * scale, rtol=1e-4, equal_nan=True):
            raise ValueError(f"{name}.X_test is not the mean of {name}.X_test_trials over the "
                             "repeats (axis 1); X_test_trials is (n_test, n_repeats, "
                             "n_voxels), images first.")
    for key in ("images_train", "images_test", "images_unpaired"):
        if key in data and data[key] is not None and np.size(data[key]):
            lo, hi = float(np.min(data[key])), float(np.max(data[key]))
            if lo < 0 or hi > 1 or not np.isfinite([lo, hi]).all():
                raise ValueError(f"{name}.{key}: values span [{lo:.3g}, {hi:.3g}]; images "
                                 "are RGB in [0, 1].")


def _check_masks(data, n_voxels, name):
    for roi, mask in data.get("roi_masks", {}).items():
        mask = np.asarray(mask)
        if not isinstance(roi, str) or mask.dtype != bool or mask.shape != (n_voxels,):
            raise ValueError(f"{name}.roi_masks[{roi!r}]: expected a boolean mask of shape "
                             f"({n_voxels},) (one per voxel) under a string name; got "
                             f"{mask.dtype} of shape {mask.shape}.")


def _check_meta(data, n_voxels, name):
    if "meta" not in data:
        return
    meta = data["meta"]
    missing = [k for k in _REQUIRED_META if k not in meta]
    if missing:
        raise ValueError(f"{name}.meta: no {missing}; a subject's meta says which dataset "
                         "it is, how many voxels it has and the units of its fMRI.")
    if int(meta["n_voxels"]) != n_voxels:
        raise ValueError(f"{name}.meta['n_voxels'] is {meta['n_voxels']}, but the fMRI has "
                         f"{n_voxels} voxels.")


def check_subjects(subjects, needs=None):
    """Check several subjects who saw the same images (a dict ``{name: subject}``).

    Each is checked with :func:`check_subject`; then the stimulus fields must agree: an
    image that two subjects saw (the same ``stimulus_train`` or ``stimulus_test`` name)
    has the same label in both. Voxels may differ in number and kind.

    Parameters
    ----------
    subjects : mapping of str to subject
        At least one.
    needs : sequence of str or None, default=None
        As in :func:`check_subject`, for every subject.

    Returns
    -------
    subjects : dict of str to Subject
        The subjects, each checked, by name.

    Raises
    ------
    ValueError
        Naming the subject and field at fault.

    Examples
    --------
    >>> from neurodecode.datasets import check_subjects, make_synthetic_subject
    >>> kw = dict(n_train_classes=4, n_train_per_class=2, n_test_classes=3, n_test_repeats=3,
    ...           n_unpaired_classes=2, n_unpaired_per_class=2, n_gallery_classes=5,
    ...           n_voxels={"V1": 8, "V2": 0, "V3": 0, "hV4": 0, "LOC": 4, "FFA": 0,
    ...                     "PPA": 0}, image_size=16)
    >>> subjects = check_subjects({"01": make_synthetic_subject(**kw),
    ...                            "02": make_synthetic_subject(**kw)})
    >>> sorted(subjects)
    ['01', '02']
    """
    if not isinstance(subjects, Mapping) or not subjects:
        raise ValueError("subjects: pass a non-empty dict {name: subject}.")
    out = {str(k): check_subject(v, needs, name=f"subjects[{k!r}]")
           for k, v in subjects.items()}
    for split in ("train", "test"):
        seen = {}
        for sub, data in out.items():
            if f"stimulus_{split}" not in data or f"labels_{split}" not in data:
                continue
            for stim, label in zip(data[f"stimulus_{split}"], data[f"labels_{split}"]):
                first = seen.setdefault(stim, (int(label), sub))
                if first[0] != int(label):
                    raise ValueError(
                        f"subjects[{sub!r}].labels_{split}: image {stim!r} has label "
                        f"{int(label)}, but {first[0]} in subjects[{first[1]!r}]; subjects "
                        "who saw the same image must agree on its class.")
    return out
