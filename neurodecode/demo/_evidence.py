"""What a report needs beside the decoders' scores: how hard the subject is, and bounds.

``subject_statistics`` describes the simulated subject as a reader would describe real data
(voxels per ROI, split-half noise ceiling, within-class similarity of higher-area
responses). ``class_bounds`` gives the two references every class rank should be read
against: a linear read-out of the class from the fMRI (no images involved) and a
colour-histogram classifier of the ground-truth images (how far colour alone identifies the
class).
"""
import numpy as np

from .._rois import HIGHER_AREAS
from .._utils import correlation_matrix


def subject_statistics(subject, random_state=0, ceiling=None):
    """Voxels per ROI, noise ceilings and, for the simulated subject (which knows its
    noiseless responses), the within-class correlation of clean HVC responses.
    ``ceiling``: the split-half ceilings when already computed (else computed here)."""
    from ..analysis import noise_ceiling

    if ceiling is None:
        ceiling = noise_ceiling(subject.X_test_trials, random_state=random_state)
    from ..datasets._synthetic import variance_percentiles

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


def linear_oracle_ranks(subject, gallery, alphas=np.logspace(0, 7, 15)):
    """Class ranks of a linear fMRI -> gallery-embedding read-out (no images involved).

    Ridge regression (:class:`sklearn.linear_model.RidgeCV`, alpha by efficient
    leave-one-out on the training pairs only) from the training fMRI to the gallery
    network's embedding of the training images; the test fMRI's predicted embeddings are
    ranked against the class representatives by Pearson r, both centred on the mean
    training embedding (a shrunken prediction stays close to that mean, which would
    otherwise decide the ranking).
    """
    from sklearn.linear_model import RidgeCV

    from ..metrics import class_ranks

    E = gallery.embed(subject.images_train).astype(np.float64)
    ridge = RidgeCV(alphas=alphas).fit(subject.X_train, E)
    mu = E.mean(axis=0)
    P = ridge.predict(subject.X_test)
    S = correlation_matrix(P - mu, gallery.centroids_.astype(np.float64) - mu)
    return class_ranks(S, gallery.class_index(subject.labels_test)), float(ridge.alpha_)


def class_bounds(subject, gallery, color_gallery):
    """Oracle, colour-histogram and ground-truth-image class ranks of the test set."""
    def summary(r):
        return {"median": float(np.median(r)), "mean": float(np.mean(r)), "n": len(r),
                "per_image": np.asarray(r).tolist()}

    oracle, alpha = linear_oracle_ranks(subject, gallery)
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


def verdicts(results, quick):
    """Plain sentences heading the report: one per comparison with the supervised decoder
    (2-way identification, Wilcoxon over the test images), the memorisation flags, and
    whether a run of this size can decide anything.

    ``results``: the demo's results dict (``methods`` and ``wilcoxon``); ``quick``: the run
    is the quick demo. Returns a list of str.

    Examples
    --------
    >>> from neurodecode.demo._evidence import verdicts
    >>> r = {"methods": {"supervised": {"identification_perceptual": {2: {"mean": 0.70}}},
    ...                  "self-supervised": {"identification_perceptual": {2: {"mean": 0.75}},
    ...                                      "memorisation": None}},
    ...      "wilcoxon": {"self-supervised vs supervised": {"2-way": {"pvalue": 0.01,
    ...                                                               "n": 50}}}}
    >>> verdicts(r, quick=False)[0]
    'self-supervised vs supervised: 2-way identification 5.0 points better (Wilcoxon p = 0.01, N = 50 test images).'
    """
    methods = results["methods"]

    def two_way(name):
        ident = methods[name]["identification_perceptual"]
        return ident[2 if 2 in ident else "2"]["mean"]

    out = []
    for comparison, tests in results.get("wilcoxon", {}).items():
        name, ref = comparison.split(" vs ")
        d = 100 * (two_way(name) - two_way(ref))
        p, n = tests["2-way"]["pvalue"], tests["2-way"]["n"]
        if p is not None and np.isfinite(p) and p < 0.05:
            what = f"2-way identification {abs(d):.1f} points {'better' if d > 0 else 'worse'}"
        else:
            what = f"no significant 2-way difference, {d:+.1f} points"
        out.append(f"{comparison}: {what} (Wilcoxon p = {p:.2g}, N = {n} test images).")
    for name, r in methods.items():
        mem = r.get("memorisation")
        if mem and mem["memorises"]:
            out.append(f"{name} memorises the unpaired fMRI: the L_DE of its reconstructions "
                       f"({mem['L_DE_decoded']:.3g}) is below that of the images actually seen "
                       f"({mem['L_DE_true_images']:.3g}), so its L_DE gain is not evidence of "
                       "better reconstructions.")
    scope = ("one seed and one simulated subject: the test images are not independent "
             "replications of the training, so these p-values do not cover seed-to-seed "
             "variation; the tuned multi-seed comparison is benchmarks/honest_evidence.py")
    if quick:
        out.append("This quick run is too small to decide whether self-supervision helps ("
                   + scope + ").")
    else:
        out.append("This run alone cannot decide whether self-supervision helps (" + scope
                   + ").")
    return out
