"""Reports of a fitted encoder or decoder: what it is, how it trained, and, given test data,
how well it does (the demo report's pieces, for one estimator)."""
import html
import warnings

import numpy as np

from .._docs import fill_doc
from .._rois import ROI_GROUPS
from ._html import Report, figure_to_png, html_table, image_tag


def _check_fitted(estimator, kind):
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator, "history_")
    if type(estimator).__name__ != kind:
        raise TypeError(f"expected a fitted {kind}; got {type(estimator).__name__}.")


def _parameters(estimator):
    params = estimator.get_params(deep=False)
    rows = [[k, repr(v) if not hasattr(v, "get_params") else type(v).__name__ + "(...)"]
            for k, v in params.items()]
    return ("<details><summary>Parameters</summary>" + html_table(["parameter", "value"], rows)
            + "</details>")


def _header(estimator, what):
    seconds = float(np.sum(estimator.history_.get("seconds", [])))
    epochs = len(estimator.history_.get("epoch", []))
    return (f"<h1>{html.escape(type(estimator).__name__)}</h1><p>{what} Fitted for {epochs} "
            f"epochs in {seconds:.0f} s; {estimator.n_features_in_} voxels.</p>")


@fill_doc
def encoder_report(encoder, images=None, X=None, X_test_trials=None, roi=None, title=None):
    """The report of a fitted :class:`~neurodecode.ImageEncoder`.

    What the encoder is and how it trained (phase I's loss per epoch); given test images
    and their fMRI, its per-voxel prediction accuracy, against the noise ceiling of
    ``X_test_trials`` when given, per ROI when ``roi`` labels the voxels; its pRF maps
    (eccentricity and polar angle from its input gradients).

    Parameters
    ----------
    encoder : ImageEncoder
        Fitted.
    images : array of shape (n, H, W, 3) or None, default=None
        Test images (not seen in training).
    X : array of shape (n, n_voxels) or None, default=None
        Their fMRI (e.g. a subject's ``X_test``).
    X_test_trials : array of shape (n, n_repeats, n_voxels) or None, default=None
        The single trials behind ``X``, for the split-half noise ceiling.
    roi : array of shape (n_voxels,) or None, default=None
        Each voxel's ROI (a subject's ``roi``).
    %(report_returns)s

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode import ImageEncoder
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((12, 64, 64, 3), dtype=np.float32)
    >>> X = rng.standard_normal((12, 8)).astype(np.float32)
    >>> encoder = ImageEncoder(backbone="efficientnet_lite0", weights=None, n_epochs=1,
    ...                        batch_size=4, random_state=0).fit(images[:8], X[:8])
    >>> report = encoder.generate_report(images[8:], X[8:])
    >>> "Prediction accuracy on 4 test images" in report.get_html()
    True
    """
    from ..analysis import estimate_prf, noise_ceiling
    from ..plotting import plot_prf_maps, plot_training_curves

    _check_fitted(encoder, "ImageEncoder")
    parts = [_header(encoder, f"Image-to-voxel encoder on a {encoder.backbone} backbone, "
                              f"images of {encoder.image_shape_[0]} px."),
             _parameters(encoder), "<h2>Training (phase I)</h2>",
             image_tag(figure_to_png(plot_training_curves(
                 {"encoder": encoder.history_}, keys=("fmri_loss", "regularization"))),
                 "phase I loss"),
             '<p class="note">fmri_loss: the data term (Eq. 1); regularization: the '
             "weight penalty, as recorded in history_.</p>"]
    if (images is None) != (X is None):
        raise ValueError("pass both images and X (test images and their fMRI), or neither.")
    if images is not None:
        r = encoder.voxel_scores(images, X)
        parts.append(f"<h2>Prediction accuracy on {len(X)} test images</h2>")
        ceiling = None
        if X_test_trials is not None:
            ceiling = noise_ceiling(X_test_trials, n_images=len(X), random_state=0)
            if ceiling.shape != r.shape:
                raise ValueError(f"X_test_trials has {ceiling.shape[0]} voxels; X has "
                                 f"{r.shape[0]}: pass the trials behind X.")
        rows = []
        labels = np.asarray(roi) if roi is not None else np.full(len(r), "all voxels")
        if labels.shape != r.shape:
            raise ValueError(f"roi has {labels.shape[0]} labels for {len(r)} voxels.")
        groups = {"all voxels": np.ones(len(r), bool)}
        for name in dict.fromkeys(labels.tolist()):
            groups[name] = labels == name
        for name, members in ROI_GROUPS.items():
            m = np.isin(labels, members)
            if m.any() and m.sum() < len(r):
                groups.setdefault(name, m)
        for name, m in groups.items():
            row = [name, int(m.sum()), f"{np.median(r[m]):.3f}"]
            if ceiling is not None:
                ok = m & (ceiling >= 0.3)
                row += [f"{np.nanmedian(ceiling[m]):.3f}",
                        f"{np.median(r[ok] / ceiling[ok]):.3f}" if ok.any() else "n/a"]
            rows.append(row)
        header = ["voxels", "N", "median r"]
        if ceiling is not None:
            header += ["median split-half ceiling", "median r / ceiling (ceiling >= 0.3)"]
        parts.append(html_table(header, rows))
        parts.append('<p class="note">r: Pearson correlation over the test images of each '
                     "voxel's predicted and measured response; chance 0.</p>")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prf = estimate_prf(encoder)
        if prf["confined"].any():
            parts.append("<h2>Population receptive fields (input gradients)</h2>")
            parts.append(image_tag(figure_to_png(plot_prf_maps(prf, roi=roi)), "pRF maps"))
            parts.append(f'<p class="note">{int(prf["confined"].sum())} of {len(prf)} voxels '
                         "have a confined pRF (spread at most 0.12 of the image side).</p>")
        else:
            parts.append('<p class="warning">No voxel has a confined pRF: no pRF maps.</p>')
    except (ValueError, RuntimeError) as exc:
        parts.append(f'<p class="warning">pRF maps unavailable: {html.escape(str(exc))}</p>')
    return Report(title or "ImageEncoder report", "\n".join(parts))


@fill_doc
def decoder_report(decoder, X=None, images=None, gallery=None, labels=None,
                   distance="pixel_correlation", title=None):
    """The report of a fitted :class:`~neurodecode.SelfSupervisedDecoder`.

    How it trained (the raw phase II terms per epoch); given test fMRI and the images
    seen, its reconstructions, n-way identification (chance 1/n) and, with a class
    ``gallery`` and the images' ``labels``, the rank of the true class
    (:func:`~neurodecode.metrics.evaluate_reconstructions`).

    Parameters
    ----------
    decoder : SelfSupervisedDecoder
        Fitted.
    X : array of shape (n, n_voxels) or None, default=None
        Test fMRI.
    images : array of shape (n, H, W, 3) or None, default=None
        The images seen.
    gallery : ClassGallery or None, default=None
        A fitted class gallery, for the semantic classification.
    labels : array of shape (n,) or None, default=None
        The class of each image (with ``gallery``).
    distance : str or callable, default="pixel_correlation"
        Identification distance (``"perceptual"`` needs VGG16 weights; pass a
        :class:`~neurodecode.metrics.PerceptualDistance` of a network the decoder was not
        trained with).
    %(report_returns)s

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode import SelfSupervisedDecoder
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((12, 32, 32, 3), dtype=np.float32)
    >>> X = rng.standard_normal((12, 8)).astype(np.float32)
    >>> decoder = SelfSupervisedDecoder(weights=None, loss_weights=(1, 0, 0), n_epochs=1,
    ...                                 batch_sizes=(4, 4, 4), random_state=0)
    >>> report = decoder.fit(X[:8], images[:8]).generate_report(X[8:], images[8:])
    >>> "Reconstructions of 4 test images" in report.get_html()
    True
    """
    from ..metrics import evaluate_reconstructions
    from ..plotting import plot_identification, plot_reconstructions, plot_training_curves

    _check_fitted(decoder, "SelfSupervisedDecoder")
    parts = [_header(decoder, f"Voxel-to-image decoder, loss weights (L_D, L_ED, L_DE): "
                              f"{decoder.loss_weights!r}, perceptual net "
                              f"{decoder.perceptual_net}."),
             _parameters(decoder), "<h2>Training (phase II, raw terms)</h2>",
             image_tag(figure_to_png(plot_training_curves({"decoder": decoder.history_})),
                       "training curves")]
    if (images is None) != (X is None):
        raise ValueError("pass both X and images (test fMRI and the images seen), or neither.")
    if X is not None:
        rec = decoder.predict(X)
        n = len(rec)
        parts.append(f"<h2>Reconstructions of {n} test images</h2>")
        parts.append(image_tag(figure_to_png(plot_reconstructions(
            images, {"reconstruction": rec}, n_columns=min(n, 10))), "reconstructions"))
        ns = tuple(k for k in (2, 5, 10, 50) if k <= n)
        if ns:
            res = evaluate_reconstructions(
                rec, images, identification_n=ns, distance=distance, gallery=gallery,
                labels=labels, classification_n=(), n_trials=1000, random_state=0,
                n_boot=2000)
            rows = [[r.metric, r.protocol, f"{r.mean:.3f}", f"{r.sem:.3f}",
                     f"{r.ci95_low:.3f} to {r.ci95_high:.3f}", int(r.n),
                     "" if r.chance is None or r.chance != r.chance else f"{r.chance:.3f}"]
                    for r in res.summary.itertuples()]
            parts.append("<h2>Evaluation</h2>" + html_table(
                ["score", "protocol", "mean", "SEM", "95 % CI", "N", "chance"], rows))
            name, ident = next(iter(res.identification.items()))
            parts.append(image_tag(figure_to_png(plot_identification(
                {"decoder": ident}, title=f"n-way identification ({name} distance)")),
                "identification"))
    return Report(title or "SelfSupervisedDecoder report", "\n".join(parts))
