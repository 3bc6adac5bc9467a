"""What a report states beside the decoders' scores: how hard the subject is
(:func:`subject_statistics`), the bounds of its class ranks (:func:`class_bounds`), and the
encoder's accuracy against the noise ceiling per ROI with its receptive fields
(:func:`encoder_summary`, paper Fig 9)."""
import numpy as np

from .._docs import fill_doc
from .._rois import EARLY_AREAS, HIGHER_AREAS
from .._utils import correlation, variance_percentiles
from ._accuracy import noise_corrected_accuracy
from ._noise_ceiling import noise_ceiling
from ._prf import estimate_prf, prf_centres, receptive_field_agreement


def _check(subject, needs, name):
    from ..datasets import check_subject

    return check_subject(subject, needs=needs, name=name)


@fill_doc
def subject_statistics(subject, *, ceiling=None, random_state=0):
    """How hard a subject is, as a reader would describe real data.

    Voxels per ROI, the per-voxel variance of the fMRI (its units), the split-half noise
    ceiling of the averaged test data, and for the simulated subject (which knows its
    noiseless responses) the true ceiling, the single-trial SNR and the within- vs
    between-class correlation of the noiseless higher-area responses.

    Parameters
    ----------
    subject : Subject
        A subject of the contract (:func:`~neurodecode.datasets.check_subject`).
    ceiling : array-like of shape (n_voxels,) or None, default=None
        The split-half noise ceilings when already computed (else computed here with
        :func:`noise_ceiling`).
    %(random_state_eval: what=the split halves of the noise ceiling, when computed here)s

    Returns
    -------
    statistics : dict
        JSON-serialisable: ``voxels_per_roi``, ``fmri_variance`` (5th / 50th / 95th
        percentile of the per-voxel variance, train and test), ``noise_ceiling_split_half``
        (median, SD, estimator); with the simulated subject also ``noise_ceiling_true``,
        ``single_trial_snr_median`` and ``hvc_clean_correlation``.

    Examples
    --------
    >>> from neurodecode.analysis import subject_statistics
    >>> from neurodecode.datasets import make_synthetic_subject
    >>> s = make_synthetic_subject(n_train_classes=4, n_train_per_class=2, n_test_classes=3,
    ...                            n_test_repeats=4, n_voxels={"V1": 20, "LOC": 10},
    ...                            image_size=16, n_unpaired_classes=0, n_gallery_classes=3)
    >>> st = subject_statistics(s)
    >>> st["voxels_per_roi"]["V1"], round(st["fmri_variance"]["train"]["p50"], 6)
    (20, 1.0)
    """
    subject = _check(subject, ("X_train", "X_test", "X_test_trials", "roi", "roi_masks"),
                     "subject_statistics(subject)")
    if ceiling is None:
        ceiling = noise_ceiling(subject.X_test_trials, n_images=len(subject.X_test_trials),
                                random_state=random_state)
    out = {
        "voxels_per_roi": {r: int(m.sum()) for r, m in subject.roi_masks.items()},
        "fmri_variance": {"train": variance_percentiles(subject.X_train),
                          "test": variance_percentiles(subject.X_test),
                          "statistic": "per-voxel variance, 5th / 50th / 95th percentile "
                                       "(test: the means over repeats)"},
        "noise_ceiling_split_half": {"median": float(np.nanmedian(ceiling)),
                                     "sd": float(np.nanstd(ceiling)),
                                     "estimator": "split-half, Spearman-Brown to all repeats, "
                                                  "100 random splits"},
    }
    if "noise_ceiling_single_trial" in subject:  # the simulated subject: ground truth
        out["noise_ceiling_true"] = {"median": float(np.median(subject.noise_ceiling)),
                                     "sd": float(subject.noise_ceiling.std())}
        out["single_trial_snr_median"] = float(np.median(subject.snr))
    hvc = np.isin(subject.roi, HIGHER_AREAS)
    if "Y_train_clean" in subject and hvc.any():
        Y = subject.Y_train_clean[:, hvc].astype(np.float64)
        Y = (Y - Y.mean(1, keepdims=True)) / (Y.std(1, keepdims=True) + 1e-12)
        C = Y @ Y.T / Y.shape[1]
        labels = subject.labels_train
        same = labels[:, None] == labels[None]
        off = ~np.eye(len(labels), dtype=bool)
        out["hvc_clean_correlation"] = {
            "within_class": float(C[same & off].mean()) if (same & off).any() else float("nan"),
            "between_class": float(C[~same].mean()),
            "images": "training images, noiseless HVC responses"}
    return out


def class_bounds(subject, gallery, color_gallery):
    """The references every class rank of a subject's test set should be read against.

    A linear read-out of the class from the fMRI (no images decoded;
    :func:`~neurodecode.metrics.linear_oracle_ranks`), a colour-histogram classifier of
    the ground-truth images (how far colour alone tells the class), and the ground-truth
    images themselves through the gallery (the best a perfect reconstruction can do).

    Parameters
    ----------
    subject : Subject
        A subject of the contract with ``X_train``, ``images_train``, ``X_test``,
        ``images_test`` and ``labels_test`` (gallery classes).
    gallery : ClassGallery
        The fitted gallery the reconstructions are ranked with.
    color_gallery : ColorHistogramGallery
        Fitted on the same gallery images.

    Returns
    -------
    bounds : dict
        JSON-serialisable: ``n_classes`` and, for ``linear_fmri_oracle``,
        ``color_histogram_ground_truth`` and ``ground_truth_images``, the median, mean,
        N and per-image ranks with the protocol (and the oracle's ridge alpha).

    See Also
    --------
    neurodecode.metrics.ClassGallery.fit_from : Fits both galleries on the same images.

    Examples
    --------
    >>> from functools import partial
    >>> from neurodecode.analysis import class_bounds
    >>> from neurodecode.datasets import make_synthetic_subject
    >>> from neurodecode.metrics import ColorHistogramGallery
    >>> s = make_synthetic_subject(n_train_classes=4, n_train_per_class=2, n_test_classes=3,
    ...                            n_test_repeats=4, n_voxels={"V1": 20, "LOC": 10},
    ...                            image_size=16, n_unpaired_classes=0, n_gallery_classes=5)
    >>> g, colors = ColorHistogramGallery(), ColorHistogramGallery()
    >>> _ = g.fit_from(partial(s.gallery_images, n_per_class=3), s.gallery_classes,
    ...                also=[colors])
    >>> b = class_bounds(s, g, colors)
    >>> b["n_classes"], b["ground_truth_images"]["n"]
    (5, 3)
    """
    from ..metrics import linear_oracle_ranks

    subject = _check(subject, ("X_train", "images_train", "X_test", "images_test",
                               "labels_test"), "class_bounds(subject)")

    def summary(r):
        return {"median": float(np.median(r)), "mean": float(np.mean(r)), "n": len(r),
                "per_image": np.asarray(r).tolist()}

    oracle, alpha = linear_oracle_ranks(subject.X_train, subject.images_train,
                                        subject.X_test, subject.labels_test, gallery)
    return {
        "n_classes": len(gallery.classes_),
        "linear_fmri_oracle": {**summary(oracle), "ridge_alpha": alpha,
                               "protocol": "ridge fMRI -> gallery embedding (centred), "
                                           "Pearson r to the class representatives"},
        "color_histogram_ground_truth": {
            **summary(color_gallery.ranks(subject.images_test, subject.labels_test)),
            "protocol": f"joint RGB histogram ({color_gallery.bins}^3 bins) of the ground-truth "
                        "images, class-mean histograms"},
        "ground_truth_images": {
            **summary(gallery.ranks(subject.images_test, subject.labels_test)),
            "protocol": "the ground-truth test images through the gallery protocol (the best "
                        "a perfect reconstruction can do)"},
    }


@fill_doc
def encoder_summary(subject, encoder, voxel_r, *, ceiling=None, min_ceiling=0.3,
                    max_prf_voxels=600, random_state=0):
    """An encoder's accuracy against the noise ceiling per ROI, and its early-visual pRFs.

    The paper's Fig 9 analyses as numbers: per ROI the median held-out r, the median
    split-half ceiling and the median noise-corrected r (:func:`noise_corrected_accuracy`);
    the pRFs (:func:`estimate_prf`) of up to ``max_prf_voxels`` V1-V3 voxels, evenly
    spaced, and with a simulated subject their agreement with the true centres
    (:func:`receptive_field_agreement`).

    Parameters
    ----------
    subject : Subject
        A subject of the contract with ``X_test_trials`` and ``roi_masks`` (a
        ``noise_ceiling`` and ``prf_center`` of the simulated subject are compared with).
    encoder : ImageEncoder
        The fitted encoder.
    voxel_r : array-like of shape (n_voxels,)
        Its held-out accuracy per voxel (e.g. ``encoder.voxel_scores(images_test, X_test)``).
    ceiling : array-like of shape (n_voxels,) or None, default=None
        The split-half ceilings when already computed (else computed here).
    min_ceiling : float, default=0.3
        Voxels below this ceiling get no noise-corrected r.
    max_prf_voxels : int, default=600
        At most this many V1-V3 voxels get a pRF.
    %(random_state_eval: what=the split halves of the noise ceiling, when computed here)s

    Returns
    -------
    summary : dict
        JSON-serialisable: ``per_roi`` rows (``roi``, ``n_voxels``, ``r_median``,
        ``ceiling_median``, ``corrected_median``, ``n_above_min_ceiling``, and with a
        simulated subject ``true_ceiling_median`` and ``r_vs_true_ceiling``), ``ceiling``
        (per voxel), ``min_ceiling``, and ``prf`` (the estimated table of the selected
        voxels, their ROI, the true centres and the agreement when known).

    Examples
    --------
    >>> from neurodecode import ImageEncoder
    >>> from neurodecode.analysis import encoder_summary
    >>> encoder = ImageEncoder().fit(subject.images_train, subject.X_train)  # doctest: +SKIP
    >>> r = encoder.voxel_scores(subject.images_test, subject.X_test)  # doctest: +SKIP
    >>> summary = encoder_summary(subject, encoder, r)  # doctest: +SKIP
    >>> [(row["roi"], row["corrected_median"]) for row in summary["per_roi"]]  # doctest: +SKIP
    """
    subject = _check(subject, ("X_test_trials", "roi_masks"), "encoder_summary(subject)")
    voxel_r = np.asarray(voxel_r, dtype=np.float64)
    if ceiling is None:
        ceiling = noise_ceiling(subject.X_test_trials, n_images=len(subject.X_test_trials),
                                random_state=random_state)
    corrected = noise_corrected_accuracy(voxel_r, ceiling, min_ceiling=min_ceiling)
    true = subject.get("noise_ceiling") if "noise_ceiling_single_trial" in subject else None
    rows = []
    for roi, mask in subject.roi_masks.items():
        mask = np.asarray(mask, bool)
        if not mask.any():
            continue
        row = {"roi": roi, "n_voxels": int(mask.sum()),
               "r_median": float(np.median(voxel_r[mask])),
               "ceiling_median": float(np.nanmedian(ceiling[mask])),
               "corrected_median": float(np.nanmedian(corrected[mask]))
               if np.isfinite(corrected[mask]).any() else float("nan"),
               "n_above_min_ceiling": int(np.isfinite(corrected[mask]).sum())}
        if true is not None:
            row["true_ceiling_median"] = float(np.median(true[mask]))
            row["r_vs_true_ceiling"] = (correlation(voxel_r[mask], true[mask]) if mask.sum() > 2
                                        else float("nan"))
        rows.append(row)
    out = {"per_roi": rows, "ceiling": np.asarray(ceiling).tolist(), "min_ceiling": min_ceiling}
    if true is not None:
        out["r_vs_true_ceiling"] = correlation(voxel_r, true)

    roi = np.full(len(voxel_r), "", object)
    for name in EARLY_AREAS:
        if name in subject.roi_masks:
            roi[np.asarray(subject.roi_masks[name], bool)] = name
    early = np.flatnonzero(roi != "")
    if len(early) >= 3:
        pick = early[np.unique(np.linspace(0, len(early) - 1, min(len(early), max_prf_voxels))
                               .round().astype(int))]
        degrees = float(subject.get("meta", {}).get("stimulus_degrees", 12.0))
        prf = estimate_prf(encoder, voxels=pick, stimulus_degrees=degrees)
        res = {"voxels": pick.tolist(), "roi": roi[pick].tolist(),
               **{k: prf[k].tolist() for k in prf.columns}, "stimulus_degrees": degrees,
               "confined_fraction": float(prf.confined.mean())}
        if "prf_center" in subject:
            xy = np.asarray(subject.prf_center)[pick]
            truth = prf_centres(xy[:, 0], xy[:, 1])
            res["true_x"], res["true_y"] = truth.x.tolist(), truth.y.tolist()
            agree = {}
            conf = prf.confined.to_numpy()
            for name, m in ([("V1-V3", conf)]
                            + [(r, conf & (roi[pick] == r)) for r in EARLY_AREAS]):
                agree[name] = (receptive_field_agreement(prf, truth, m) if m.sum() >= 3
                               else {"n": int(m.sum())})
            far = conf & (truth.eccentricity.to_numpy() > 1.5)
            agree["V1-V3, eccentricity > 1.5 deg"] = (
                receptive_field_agreement(prf, truth, far) if far.sum() >= 3
                else {"n": int(far.sum())})
            res["agreement"] = agree
        out["prf"] = res
    return out
