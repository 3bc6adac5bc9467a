"""``neurodecode demo``: the paper's central claim, tested on the simulated subject.

Builds the simulated subject, fits the encoder (phase I) once, then the supervised-only
decoder and the full self-supervised decoder (and, without ``quick``, the L_ED-only and
L_DE-only ablations), evaluates them with the paper's protocols, and writes
``report.html``, PNG figures and ``results.json`` (every number with its N).
"""
import json
import platform
import resource
import tempfile
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from .._docs import fill_doc
from .._rois import ROIS
from .._utils import jsonable
from .._version import __version__

METHODS = {
    "supervised": (1.0, 0.0, 0.0),
    "self-supervised": (1.0, 1.0, 1.0),
    "L_ED only": (1.0, 1.0, 0.0),
    "L_DE only": (1.0, 0.0, 1.0),
}


@fill_doc
@dataclass(frozen=True)
class DemoSize:
    """Sizes of one demo run (see :data:`QUICK` and :data:`FULL`).

    Parameters
    ----------
    n_train_classes : int
        Classes of the training images.
    n_train_per_class : int
        Training images per class, each seen once (single-trial responses).
    n_test_classes : int
        Novel classes of the test images, one image each.
    n_test_repeats : int
        Repeats of each test image (averaged; the paper's test protocol).
    n_unpaired_classes : int
        Classes of the unpaired image pool (never the test classes).
    n_unpaired_per_class : int
        Unpaired images per class.
    n_gallery_classes : int
        Classes of the semantic-classification gallery (the test classes included).
    n_gallery_per_class : int
        Images averaged into each class representative.
    n_voxels : dict, default={}
        Voxels per ROI; empty uses the simulated subject's defaults.
    encoder_epochs : int, default=20
        Epochs of phase I.
    decoder_epochs : int, default=10
        Epochs of phase II, for every decoder.
    encoder_penalty_weight : float, default=0.1
        The encoder's ``penalty_weight`` (its penalties in proportion to the per-voxel
        loss at every voxel count; 1 is the authors' proportion): chosen on held-out
        training classes with 35-repeat simulated test means (never the test images) at
        the quick demo's size, over 0.01 / 0.1 / 1 (two seeds; 0.1 best on both, the
        three within 0.015 of each other).
    decoder_penalty_weight : float, default=0.1
        The decoders' ``penalty_weight``, the same for every decoder: the value chosen for
        every arm by cross-validation on the training pairs (never the test images) in
        ``benchmarks/honest_evidence.py`` (grid 0.1, 0.3, 1 x 10, 20 epochs; the authors'
        constants, 1.0, over-regularise at this size).
    ablations : bool, default=True
        Also train the L_ED-only and L_DE-only decoders.
    identification_n : tuple of int, default=(2, 5, 10, 50)
        The n of n-way identification.
    classification_n : tuple of int, default=(50, 100, 500, 1000)
        The n of n-way semantic classification.
    %(n_trials)s

    Examples
    --------
    >>> from neurodecode.demo import QUICK, DemoSize
    >>> from dataclasses import replace
    >>> replace(QUICK, decoder_epochs=2).decoder_epochs
    2
    """

    n_train_classes: int
    n_train_per_class: int
    n_test_classes: int
    n_test_repeats: int
    n_unpaired_classes: int
    n_unpaired_per_class: int
    n_gallery_classes: int
    n_gallery_per_class: int
    n_voxels: dict = field(default_factory=dict)
    encoder_epochs: int = 20
    decoder_epochs: int = 10
    encoder_penalty_weight: float = 0.1
    decoder_penalty_weight: float = 0.1
    ablations: bool = True
    identification_n: tuple = (2, 5, 10, 50)
    classification_n: tuple = (50, 100, 500, 1000)
    n_trials: int = 1000

    @property
    def settings(self):
        """The :class:`PipelineSettings` of this run (what is not the subject's size)."""
        return PipelineSettings(**{f.name: getattr(self, f.name)
                                   for f in fields(PipelineSettings)})


@fill_doc
@dataclass(frozen=True)
class PipelineSettings:
    """What :func:`run_pipeline` does with any subject: epochs, penalties and sizes.

    The simulated subject's sizes are :class:`DemoSize`'s; these settings are the rest.

    Parameters
    ----------
    encoder_epochs : int, default=20
        Epochs of phase I.
    decoder_epochs : int, default=10
        Epochs of phase II, for every decoder.
    encoder_penalty_weight : float, default=0.1
        The encoder's ``penalty_weight`` (see :class:`DemoSize`).
    decoder_penalty_weight : float, default=0.1
        The decoders' ``penalty_weight``, the same for every decoder.
    ablations : bool, default=True
        Also train the L_ED-only and L_DE-only decoders.
    n_gallery_per_class : int, default=100
        Images averaged into each class representative of the gallery.
    identification_n : tuple of int, default=(2, 5, 10, 50)
        The n of n-way identification.
    classification_n : tuple of int, default=(50, 100, 500, 1000)
        The n of n-way semantic classification.
    %(n_trials)s

    See Also
    --------
    DemoSize : The same settings with the simulated subject's sizes (their meaning).

    Examples
    --------
    >>> from neurodecode.demo import QUICK, PipelineSettings
    >>> QUICK.settings.decoder_epochs == QUICK.decoder_epochs
    True
    >>> PipelineSettings(encoder_epochs=50, decoder_epochs=150).ablations
    True
    """

    encoder_epochs: int = 20
    decoder_epochs: int = 10
    encoder_penalty_weight: float = 0.1
    decoder_penalty_weight: float = 0.1
    ablations: bool = True
    n_gallery_per_class: int = 100
    identification_n: tuple = (2, 5, 10, 50)
    classification_n: tuple = (50, 100, 500, 1000)
    n_trials: int = 1000


#: The fields of a subject that :func:`run_pipeline` reads beyond the contract's required ones.
PIPELINE_NEEDS = ("X_train", "X_test", "X_test_trials", "roi_masks", "images_train", "labels_train", "images_test", "labels_test",
                  "images_unpaired", "gallery_classes", "gallery_images")


FULL = DemoSize(150, 8, 50, 35, 800, 5, 1000, 100, encoder_epochs=20, decoder_epochs=10)
# The quick demo's subject is a documented subset: 400 voxels in the default proportions of
# early and higher areas (the full demo: the default 4500), the same SNR distribution.
QUICK = DemoSize(150, 4, 50, 35, 200, 5, 200, 20,
                 n_voxels=dict(zip(ROIS, (100, 80, 70, 50, 50, 25, 25))),
                 encoder_epochs=6, decoder_epochs=3, ablations=False,
                 classification_n=(50, 100, 200))

# Trained with EfficientNet-Lite0, scored with the separately trained Lite2 (identification,
# gallery, MinD-Vis): no score comes from the network the decoder was optimised against. The
# coupled Lite0 identification is kept, labelled as such, as a secondary number.
EFFICIENTNET = {"encoder": "efficientnet_lite0", "perceptual": "efficientnet_lite0",
                "classifier": "efficientnet_lite2", "classifier_tap": "block14",
                "distance": "efficientnet_lite2", "coupled_distance": "efficientnet_lite0",
                "mindvis": "efficientnet_lite2", "feature_size": 64}
PAPER = {"encoder": "vgg19", "perceptual": "vgg16", "classifier": "alexnet",
         "classifier_tap": None, "distance": "efficientnet_lite2",
         "coupled_distance": "vgg16", "mindvis": "efficientnet_lite2", "feature_size": None}


#: Measured wall times of the two demos (2 CPU cores, EfficientNet-Lite0), for the plan.
MEASURED = {"quick": "about 1 min on 2 CPU cores", "full": "about 67 min on 2 CPU cores"}


def _plan(size, device):
    """The stages of the run and its expected duration, announced before any work."""
    from ..backend import resolve_device

    s = size.settings
    decoders = ["supervised", "self-supervised"] + (
        ["L_ED-only", "L_DE-only"] if s.ablations else [])
    kind = "quick" if size == QUICK else "full" if size == FULL else None
    expected = MEASURED.get(kind, "not measured for these sizes")
    if kind and resolve_device(device).type != "cpu":
        expected += " (on a GPU: not measured yet, expected much less)"
    return (f"plan: simulate the subject; phase I, the encoder ({s.encoder_epochs} epochs); "
            f"phase II, {len(decoders)} decoders ({', '.join(decoders)}; {s.decoder_epochs} "
            f"epochs each); the class gallery and the evaluation; the report. Expected: "
            f"{expected}.")


class _Log:
    def __init__(self, verbose):
        self.verbose, self.t0 = verbose, time.perf_counter()

    def __call__(self, message):
        if self.verbose:
            print(f"[{time.perf_counter() - self.t0:7.1f} s] {message}", flush=True)


def _fit_decoders(subject, encoder, size, nets, device, seed, verbose, log, precision="auto"):
    from .._unpaired import Unpaired
    from ..analysis import memorisation
    from ..estimators import SelfSupervisedDecoder

    methods = {k: v for k, v in METHODS.items()
               if size.ablations or k in ("supervised", "self-supervised")}
    out = {}
    for name, weights in methods.items():
        t = time.perf_counter()
        dec = SelfSupervisedDecoder(
            encoder=encoder, perceptual_net=nets["perceptual"], loss_weights=weights,
            n_epochs=size.decoder_epochs, lr_step=max(1, 2 * size.decoder_epochs // 3),
            penalty_weight=size.decoder_penalty_weight,
            device=device, precision=precision, random_state=seed, verbose=verbose)
        kwargs = {}
        if weights[1]:
            kwargs["unpaired_images"] = Unpaired(subject.images_unpaired)
        if weights[2]:
            # the paper's protocol: the test fMRI, never its images (they enter only the
            # memorisation diagnostic, no loss)
            kwargs["X_unpaired_fmri"] = Unpaired(subject.X_test)
            kwargs["unpaired_fmri_images"] = Unpaired(subject.images_test)
        dec.fit(subject.X_train, subject.images_train, **kwargs)
        out[name] = {"decoder": dec, "reconstructions": dec.predict(subject.X_test),
                     "seconds": time.perf_counter() - t, "loss_weights": list(weights),
                     "memorisation": memorisation(dec)}
        log(f"decoder '{name}' (loss_weights={weights}) fitted in {out[name]['seconds']:.0f} s")
    return out


def _gallery(subject, size, nets, device, log):
    from functools import partial

    from ..metrics import ClassGallery, ColorHistogramGallery

    gallery = ClassGallery(net=nets["classifier"], tap=nets["classifier_tap"],
                           image_size=nets["feature_size"], max_per_class=size.n_gallery_per_class,
                           device=device)
    colors = ColorHistogramGallery(max_per_class=size.n_gallery_per_class)
    gallery.fit_from(partial(subject.gallery_images, n_per_class=size.n_gallery_per_class),
                     subject.gallery_classes, also=[colors], verbose=log.verbose)
    log(f"class gallery: {len(gallery.classes_)} classes x {size.n_gallery_per_class} images")
    return gallery, colors


def _method_results(ev, fit):
    """One method's entry of results.json, from its :func:`evaluate_reconstructions` result:
    every per-image score (``ev.scores``) by its name, with the summary row's mean, SEM,
    bootstrap CI and N."""
    summary = ev.summary.set_index("metric")

    def score(name):
        row = summary.loc[name]
        return {"mean": float(row["mean"]), "sem": float(row["sem"]),
                "ci95": [float(row["ci95_low"]), float(row["ci95_high"])], "n": int(row["n"])}

    return {
        "loss_weights": fit["loss_weights"],
        "fit_seconds": fit["seconds"],
        "memorisation": fit.get("memorisation"),
        **{f"identification_{name}": {str(k): jsonable(v) for k, v in ident.items()}
           for name, ident in ev.identification.items()},
        "pairwise_identification_pixels": jsonable(ev.pairwise_identification),
        **{name: score(name) for name in ev.scores},
        "class_rank": {**{k: v for k, v in ev.class_rank.items() if k != "protocol"},
                       "per_image": ev.class_ranks.tolist(),
                       "protocol": ev.class_rank["protocol"]},
        "n_way_classification": {f"{n}-way top-{t}": jsonable(v)
                                 for (n, t), v in ev.classification.items()},
        "mindvis_50_way": jsonable(ev.mindvis),
        "history": fit["decoder"].history_,
    }


def _compared(ev):
    """The per-image scores each method is tested on against the supervised decoder:
    {results key: column of ``ev.per_image``}."""
    return {"class_rank": "class rank", "2-way": "identification perceptual 2-way",
            "5-way": "identification perceptual 5-way", **{name: name for name in ev.scores}}


def _evaluate(subject, fits, size, nets, device, seed, log):
    from ..analysis import class_bounds
    from ..metrics import PerceptualDistance, evaluate_reconstructions, paired_tests

    distance = PerceptualDistance(net=nets["distance"], image_size=nets["feature_size"],
                                  device=device)
    coupled = PerceptualDistance(net=nets["coupled_distance"], image_size=nets["feature_size"],
                                 device=device)
    gallery, colors = _gallery(subject, size, nets, device, log)
    results = {"methods": {}}
    evaluations = {}
    for name, fit in fits.items():
        ev = evaluations[name] = evaluate_reconstructions(
            fit["reconstructions"], subject.images_test, gallery=gallery,
            labels=subject.labels_test, identification_n=size.identification_n,
            distance={"perceptual": distance, "edge": "edge_correlation",
                      "pixel": "pixel_correlation", "perceptual_coupled": coupled},
            classification_n=size.classification_n, top=(1, 5),
            mindvis={"classifier": nets["mindvis"], "n": 50, "device": device,
                     "image_size": 96},
            n_trials=size.n_trials, random_state=seed)
        ident = ev.identification["perceptual"]
        results["methods"][name] = _method_results(ev, fit)
        log(f"evaluated '{name}': 2-way {ident[2].mean:.3f}, 5-way {ident[5].mean:.3f}, "
            f"median class rank {ev.class_rank['median']:.1f}/{len(gallery.classes_)}")
    results["image_scores"] = {name: {"label": sc.label, "protocol": sc.protocol}
                               for name, sc in ev.image_scores.items()}
    results["bounds"] = class_bounds(subject, gallery, colors)
    results["ground_truth_class_rank"] = {
        k: results["bounds"]["ground_truth_images"][k] for k in ("median", "n")}
    b = results["bounds"]
    log(f"bounds: linear fMRI oracle median rank {b['linear_fmri_oracle']['median']:.1f}, "
        f"colour histogram {b['color_histogram_ground_truth']['median']:.1f}, ground-truth "
        f"images {b['ground_truth_images']['median']:.1f} of {b['n_classes']}")
    reference = evaluations["supervised"].per_image
    results["wilcoxon"] = {
        f"{name} vs supervised": paired_tests(ev.per_image, reference, _compared(ev))
        for name, ev in evaluations.items() if name != "supervised"}
    return results, gallery


@fill_doc
def check_demo_arguments(out, device="auto", paper_backbones=False, precision="auto"):
    """Check everything about a demo run that a user can get wrong, before any work.

    Resolves ``device``, creates the output folder and writes a test file in it, and (with
    ``paper_backbones``) finds the cached ImageNet weights; so that a bad ``--device``,
    ``--out`` or missing weight file fails at once, not after the training.

    Parameters
    ----------
    out : path-like
        Folder to write into (created with its parents; an existing folder is reused).
    %(device)s
    paper_backbones : bool, default=False
        As in :func:`run_demo`.
    precision : {"auto", "fp32", "bf16"}, default="auto"
        As in :func:`run_demo`.

    Returns
    -------
    out : pathlib.Path
        The output folder, created.

    Raises
    ------
    ValueError
        For a device torch does not know or that is absent, an unknown precision, or an
        output folder that is a file, lies below a file, or cannot be created or written
        to.
    neurodecode.WeightsNotFoundError
        When ``paper_backbones`` is set and a weight file is not cached.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from neurodecode.demo import check_demo_arguments
    >>> check_demo_arguments(Path(tempfile.mkdtemp()) / "demo", device="cpu").is_dir()
    True
    """
    from .._weights import resolve_weights
    from ..backend import check_precision, resolve_device

    resolve_device(device)
    check_precision(precision)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out={str(out)!r} is an existing file; pass a folder (it is "
                         "created if missing).")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ValueError(f"out={str(out)!r} cannot be used as the output folder: "
                         f"{exc.strerror or exc}. Pass a folder you can write to.") from exc
    if paper_backbones:
        for key in ("encoder", "perceptual", "classifier"):
            resolve_weights(PAPER[key], "imagenet", "--paper-backbones")
    return out


@fill_doc
def run_demo(out="neurodecode_demo", quick=False, device="auto", seed=0,
             paper_backbones=False, verbose=1, size=None, precision="auto"):
    """Run the demo and write its report.

    The device, the output folder and (with ``paper_backbones``) the weights are checked
    before any work (:func:`check_demo_arguments`).

    Parameters
    ----------
    out : path-like, default="neurodecode_demo"
        Output folder (created).
    quick : bool, default=False
        Smaller subject, fewer epochs, no ablations (a few minutes on 2 CPU cores).
    %(device)s
    seed : int, default=0
        Seeds the simulated subject, every fit and every evaluation.
    paper_backbones : bool, default=False
        VGG19 encoder, VGG16 perceptual net and AlexNet gallery, as in the paper; their
        ImageNet weights must be in the torch hub cache (``neurodecode download-weights``).
        The default uses EfficientNet-Lite0, whose weights install offline.
    %(verbose_demo)s
    size : DemoSize or None, default=None
        Explicit sizes (overrides ``quick``); for custom or very small runs.
    precision : {"auto", "fp32", "bf16"}, default="auto"
        The encoder's and the decoders' ``precision`` (training and prediction); the
        evaluation networks keep the default.

    Returns
    -------
    results : dict
        What ``results.json`` holds.

    See Also
    --------
    neurodecode.metrics.evaluate_reconstructions : The evaluation each decoder gets.

    Examples
    --------
    >>> from neurodecode.demo import QUICK, run_demo
    >>> results = run_demo(out="demo", size=QUICK)  # doctest: +SKIP
    >>> results["methods"]["self-supervised"]["class_rank"]["median"]  # doctest: +SKIP
    """
    from ..datasets import make_synthetic_subject

    if size is None:
        size = QUICK if quick else FULL
    elif not isinstance(size, DemoSize):
        raise TypeError(f"size must be a neurodecode.demo.DemoSize; got {type(size).__name__}.")
    out = check_demo_arguments(out, device, paper_backbones, precision)  # before any work
    nets = PAPER if paper_backbones else EFFICIENTNET
    log = _Log(verbose)
    t_start = time.perf_counter()
    log(_plan(size, device))
    subject = make_synthetic_subject(
        n_train_classes=size.n_train_classes, n_train_per_class=size.n_train_per_class,
        n_test_classes=size.n_test_classes, n_test_repeats=size.n_test_repeats,
        n_unpaired_classes=size.n_unpaired_classes,
        n_unpaired_per_class=size.n_unpaired_per_class,
        n_gallery_classes=size.n_gallery_classes, n_voxels=size.n_voxels or None,
        random_state=seed)
    log(f"simulated subject: {subject.meta['n_train']} training pairs, "
        f"{subject.meta['n_test']} test images x {subject.meta['n_test_repeats']} repeats, "
        f"{subject.meta['n_unpaired']} unpaired images, {subject.meta['n_voxels']} voxels")
    protocol = {
        "subject": subject.meta, "size": asdict(size), "networks": dict(nets),
        "quick": bool(quick), "seed": int(seed),
        "unpaired_fmri": "the test fMRI (the paper's transductive protocol; test images "
                         "are never used for training)",
        "identification_pool": "others (the other test ground truths)",
    }
    results = run_pipeline(subject, out, size, nets, protocol, device=device, seed=seed,
                           log=log, t_start=t_start, precision=precision)
    return results


@fill_doc
def run_pipeline(subject, out, settings, nets, protocol, device="auto", seed=0, log=None,
                 t_start=None, precision="auto"):
    """Encoder, decoders, evaluation and report on one subject (demo and reproduce).

    Parameters
    ----------
    subject : Subject
        A subject of the contract (:func:`~neurodecode.datasets.check_subject`, checked
        here) with the fields it reads: ``X_train``, ``X_test``, ``X_test_trials``, ``roi_masks``, ``images_train``,
        ``labels_train``, ``images_test``, ``labels_test`` (gallery classes),
        ``images_unpaired``, ``gallery_classes`` and ``gallery_images(classes,
        n_per_class)``. A ``noise_ceiling`` field (the simulated subject's truth) is the
        reference ceiling of the report; without it the split-half estimate is. With a
        ``masker`` (real data) the report draws brain maps of the encoder's accuracy and
        the noise ceiling.
    out : pathlib.Path
        The output folder (checked with :func:`check_demo_arguments`).
    settings : PipelineSettings or DemoSize
        Epochs, decoders, gallery and evaluation sizes.
    nets : dict
        The networks (``EFFICIENTNET`` or ``PAPER`` of this module).
    protocol : dict
        Written as ``results["protocol"]``; ``title`` and ``description`` head the report.
    %(device)s
    seed : int, default=0
        Seeds every fit and the evaluation.
    log : callable or None, default=None
        Progress messages (``log(str)`` with a ``verbose`` attribute); None: silent.
    t_start : float or None, default=None
        ``time.perf_counter()`` at the start of the run (for the total time).
    precision : {"auto", "fp32", "bf16"}, default="auto"
        The encoder's and the decoders' ``precision``.

    Returns
    -------
    results : dict
        What ``results.json`` holds.

    See Also
    --------
    run_demo : The simulated subject through this pipeline.
    reproduce_god : A real GOD subject through this pipeline.

    Examples
    --------
    >>> from neurodecode.demo import run_pipeline
    >>> results = run_pipeline(subject, out, size, nets, protocol)  # doctest: +SKIP
    """
    from ..estimators import ImageEncoder
    from ..backend import resolve_device
    from ..analysis import encoder_summary, noise_ceiling, subject_statistics
    from ._evidence import verdicts
    from ..datasets import check_subject
    from ._report import write_outputs

    subject = check_subject(subject, needs=PIPELINE_NEEDS, name="run_pipeline(subject)")
    size = settings.settings if isinstance(settings, DemoSize) else settings
    if not isinstance(size, PipelineSettings):
        raise TypeError("settings must be a neurodecode.demo.PipelineSettings or DemoSize; "
                        f"got {type(settings).__name__}.")
    truth = subject.get("noise_ceiling")  # the simulated subject's; else the estimate
    noise_ceiling_kind = ("true noise ceiling" if truth is not None
                          else "split-half noise ceiling estimate")
    log = log or _Log(0)
    t_start = time.perf_counter() if t_start is None else t_start
    verbose = log.verbose
    t = time.perf_counter()
    encoder = ImageEncoder(
        backbone=nets["encoder"], image_size=nets["feature_size"],
        n_epochs=size.encoder_epochs, batch_size=64,
        penalty_weight=size.encoder_penalty_weight,
        lr_milestones=tuple(sorted({max(1, int(0.6 * size.encoder_epochs)),
                                    max(1, int(0.8 * size.encoder_epochs))})),
        device=device, precision=precision, random_state=seed, verbose=verbose,
    ).fit(subject.images_train, subject.X_train)
    encoder_seconds = time.perf_counter() - t
    voxel_r = encoder.voxel_scores(subject.images_test, subject.X_test)
    ceiling = noise_ceiling(subject.X_test_trials, n_images=len(subject.X_test),  # the
                            random_state=seed)  # contract's layout; split-half, once
    reference = ceiling if truth is None else truth
    log(f"encoder fitted in {encoder_seconds:.0f} s; held-out voxel r: median "
        f"{np.median(voxel_r):.3f} ({noise_ceiling_kind} median "
        f"{np.nanmedian(reference):.3f})")
    stats = subject_statistics(subject, random_state=seed, ceiling=ceiling)
    log(f"subject: split-half noise ceiling median "
        f"{stats['noise_ceiling_split_half']['median']:.2f} "
        f"(SD {stats['noise_ceiling_split_half']['sd']:.2f})")
    t = time.perf_counter()
    analyses = encoder_summary(subject, encoder, voxel_r, ceiling=ceiling,
                               random_state=seed)
    log(f"encoder analyses (accuracy per ROI against the noise ceiling; pRFs of "
        f"{len(analyses.get('prf', {}).get('voxels', []))} V1-V3 voxels) in "
        f"{time.perf_counter() - t:.0f} s")
    fits = _fit_decoders(subject, encoder, size, nets, device, seed, verbose, log,
                         precision=precision)
    results, _ = _evaluate(subject, fits, size, nets, device, seed, log)
    results.update({
        "encoder_analyses": analyses,
        "subject_statistics": stats,
        "neurodecode_version": __version__,
        "protocol": protocol,
        "encoder": {"fit_seconds": encoder_seconds,
                    "voxel_r_median": float(np.median(voxel_r)),
                    "voxel_r_mean": float(voxel_r.mean()), "n_voxels": len(voxel_r),
                    "noise_ceiling_median": float(np.nanmedian(reference)),
                    "noise_ceiling_kind": noise_ceiling_kind,
                    "history": encoder.history_},
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "device": str(resolve_device(device)), "precision": precision},
    })
    results["verdicts"] = verdicts(results, quick=bool(protocol.get("quick")))
    results["total_seconds"] = time.perf_counter() - t_start
    results["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    brain_maps = ({"encoder held-out r": voxel_r, "split-half noise ceiling": ceiling}
                  if subject.get("masker") is not None else None)
    write_outputs(out, results, subject, fits, brain_maps=brain_maps)
    for sentence in results["verdicts"]:  # the verdict before "done"
        log(f"verdict: {sentence}")
    log(f"done in {results['total_seconds']:.0f} s; report: {Path(out) / 'report.html'}")
    return results


def load_results(path):
    """Read a ``results.json`` written by the demo.

    Parameters
    ----------
    path : path-like
        The file, ``<out>/results.json``.

    Returns
    -------
    results : dict
        Every number of the run with its N, the protocol, the machine and the timings.

    Examples
    --------
    >>> from neurodecode.demo import load_results
    >>> results = load_results("neurodecode_demo/results.json")  # doctest: +SKIP
    >>> results["wilcoxon"]["self-supervised vs supervised"]["class_rank"]["pvalue"]  # doctest: +SKIP
    """
    with open(path) as f:
        return json.load(f)
