"""ROI-restricted retraining (paper Fig 8, "Predominance of early visual areas")."""
import numpy as np
import pandas as pd

from .._docs import fill_doc


def _roi_sets(roi_sets, masks, leave_one_out):
    """name -> boolean voxel mask, from names, unions ('V1+V2') or explicit masks."""
    known = sorted(masks)
    n_vox = len(next(iter(masks.values())))

    def resolve(spec):
        if isinstance(spec, str):
            out = np.zeros(n_vox, bool)
            for part in spec.split("+"):
                if part not in masks:
                    raise ValueError(f"roi_sets: unknown ROI {part!r}; known: {known} (join "
                                     "with '+' for a union).")
                out |= np.asarray(masks[part], bool)
            return out
        arr = np.asarray(spec)
        if arr.dtype == bool and arr.shape == (n_vox,):
            return arr
        raise ValueError(f"roi_sets: a set is a ROI name, a '+' union or a boolean mask of "
                         f"{n_vox} voxels; got {spec!r}.")

    if isinstance(roi_sets, str):
        roi_sets = [roi_sets]
    items = roi_sets.items() if isinstance(roi_sets, dict) else [(s, s) for s in roi_sets]
    out = {}
    for name, spec in items:
        out[str(name)] = resolve(spec)
    if leave_one_out:
        everything = np.ones(n_vox, bool)
        for name in list(out):
            out[f"all but {name}"] = everything & ~out[name]
    for name, m in out.items():
        if not m.any():
            raise ValueError(f"roi_sets: the set {name!r} selects no voxel.")
    if not out:
        raise ValueError("roi_sets is empty; name at least one ROI set, e.g. ['V1', 'HVC'].")
    return out


def _default_evaluate(recon, images):
    from ..metrics import n_way_identification, pixel_correlation

    ident = n_way_identification(recon, images, n=(2, 5), pool="others",
                                 distance="pixel_correlation", random_state=0)
    pix = np.asarray(pixel_correlation(recon, images), dtype=np.float64)
    out = {f"{n}-way identification (pixels)": ident[n].per_image for n in ident}
    out["pixcorr"] = pix
    return out


def _own_checkpoints(estimator, name):
    """Give a set's fit its own sub-folder of every ``checkpoint_dir`` (nested too): fits
    of several sets must not share one folder."""
    import re
    from pathlib import Path

    folder = re.sub(r"[^A-Za-z0-9_.+-]", "_", name)
    changes = {k: Path(v) / folder for k, v in estimator.get_params(deep=True).items()
               if k.endswith("checkpoint_dir") and v is not None}
    return estimator.set_params(**changes) if changes else estimator


def _fit_one(estimator, name, mask, data, unpaired_fmri):
    from .._unpaired import Unpaired

    estimator = _own_checkpoints(estimator, name)
    X = np.asarray(data.X_train)[:, mask]
    kwargs = {}
    if "images_unpaired" in data and len(data.images_unpaired):
        kwargs["unpaired_images"] = Unpaired(data.images_unpaired)
    if unpaired_fmri == "test":
        kwargs["X_unpaired_fmri"] = Unpaired(np.asarray(data.X_test)[:, mask])
    estimator.fit(X, data.images_train, **kwargs)
    return name, int(mask.sum()), estimator.predict(np.asarray(data.X_test)[:, mask])


@fill_doc
def roi_retraining(estimator, data, roi_sets, *, evaluate=None, leave_one_out=False,
                   unpaired_fmri="test", n_jobs=1, verbose=0):
    """Refit a decoder on the voxels of each ROI set and score each on the test images.

    The paper's Fig 8 analysis: for each ROI set (``"V1"``, ``"LVC"``, ``"HVC"``, ``"VC"``,
    unions ``"V1+V2"``, explicit masks, and with ``leave_one_out`` every set's complement),
    a clone of ``estimator`` is fitted on those voxels only (an unfitted encoder inside the
    decoder is refitted on them too), reconstructs the test images, and ``evaluate`` scores
    the reconstructions. Fits are independent and run in parallel with joblib: under
    ``joblib.parallel_config(backend="dask")`` (a ``dask.distributed`` client) or ``"ray"``
    they go to a cluster unchanged.

    Parameters
    ----------
    estimator : estimator
        Unfitted, e.g. ``SelfSupervisedDecoder(encoder=ImageEncoder(...))``; cloned per set.
        Each set's fit checkpoints into its own sub-folder of ``checkpoint_dir`` (named
        after the set), so that parallel fits never share a folder.
    data : Subject
        A subject of the contract (:func:`~neurodecode.datasets.check_subject`, checked
        here) with ``images_train`` and ``images_test``; its ``roi_masks`` name the sets,
        and ``images_unpaired``, when present, are passed as unpaired images.
    roi_sets : sequence or dict
        ROI names or ``"+"`` unions of ``data.roi_masks``; a dict maps labels to names or
        boolean masks.
    evaluate : callable or None, default=None
        ``evaluate(reconstructions, images) -> {metric: per-image values}``. None: 2- and
        5-way identification (pixel correlation, the other test images as distractors) and
        PixCorr.
    leave_one_out : bool, default=False
        Also fit every set's complement (``"all but V1"``).
    unpaired_fmri : {"test", None}, default="test"
        Pass the test fMRI of the set's voxels as unpaired fMRI (the paper's protocol);
        None passes none.
    n_jobs : int, default=1
        Fits run in parallel (joblib).
    %(verbose_joblib)s

    Returns
    -------
    table : pandas.DataFrame
        One row per (ROI set, metric): ``roi_set``, ``n_voxels``, ``metric``, ``value``
        (mean over images), ``ci_low``, ``ci_high`` (95 % bootstrap over images), ``n``
        and ``per_image`` (the values, for paired tests between sets).

    Examples
    --------
    >>> from neurodecode import ImageEncoder, SelfSupervisedDecoder
    >>> from neurodecode.analysis import roi_retraining
    >>> table = roi_retraining(SelfSupervisedDecoder(encoder=ImageEncoder()), subject,
    ...                        ["V1", "LVC", "HVC", "VC"], n_jobs=4)  # doctest: +SKIP
    """
    from joblib import Parallel, delayed
    from sklearn.base import clone

    from ..metrics import bootstrap_ci

    from ..datasets import check_subject

    data = check_subject(data, needs=("X_train", "images_train", "X_test", "images_test",
                                      "roi_masks"), name="data")
    if unpaired_fmri not in ("test", None):
        raise ValueError(f"unpaired_fmri must be 'test' or None; got {unpaired_fmri!r}.")
    sets = _roi_sets(roi_sets, data.roi_masks, leave_one_out)
    evaluate = evaluate or _default_evaluate
    fits = Parallel(n_jobs=n_jobs, verbose=verbose)(
        delayed(_fit_one)(clone(estimator), name, mask, data, unpaired_fmri)
        for name, mask in sets.items())
    rows = []
    for name, n, recon in fits:
        for metric, values in evaluate(recon, data.images_test).items():
            values = np.asarray(values, dtype=np.float64)
            lo, hi = bootstrap_ci(values)
            rows.append({"roi_set": name, "n_voxels": n, "metric": metric,
                         "value": float(values.mean()), "ci_low": lo, "ci_high": hi,
                         "n": len(values), "per_image": values})
    return pd.DataFrame(rows)
