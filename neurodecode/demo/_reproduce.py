"""``neurodecode reproduce god``: the paper's pipeline on a real GOD subject, from BIDS."""
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .._docs import fill_doc
from .._rois import DEFAULT_ROIS


def _check_inputs(bids_root, stimulus_dir, unpaired_dir, gallery_dir, weights_dir,
                  paper_backbones):
    """Every missing input, as one list (nothing is loaded)."""
    from .._weights import expected_weights_path
    from ._run import PAPER

    missing = []
    if not (Path(bids_root) / "dataset_description.json").is_file():
        missing.append(f"--bids-root {bids_root}: not a BIDS dataset root (no "
                       "dataset_description.json)")
    for flag, folder, what in (("--stimulus-dir", stimulus_dir, "the GOD stimulus images"),
                               ("--unpaired-dir", unpaired_dir,
                                "ImageNet-style class folders of unpaired images"),
                               ("--gallery-dir", gallery_dir,
                                "ImageNet-style class folders of the class gallery, the test "
                                "classes included")):
        if folder is None:
            missing.append(f"{flag}: not given ({what})")
        elif not Path(folder).is_dir():
            missing.append(f"{flag} {folder}: not a folder ({what})")
    if paper_backbones:
        for key in ("encoder", "perceptual", "classifier"):
            name = PAPER[key]
            target = expected_weights_path(name)
            where = (Path(weights_dir) / "checkpoints" / target.name if weights_dir
                     else target)
            if not where.is_file():
                missing.append(f"ImageNet weights of {name}: {where} (run `neurodecode "
                               f"download-weights {name}` where there is internet, or pass "
                               "--weights DIR)")
    return missing


@fill_doc
def check_reproduce_arguments(bids_root, out, *, stimulus_dir=None, unpaired_dir=None,
                              gallery_dir=None, weights_dir=None, paper_backbones=False,
                              image_size=112, n_unpaired_per_class=None, n_gallery_per_class=100,
                              encoder_epochs=50, decoder_epochs=150, cache=None,
                              subject=None, rois=DEFAULT_ROIS, decoder_penalty_weight=0.1,
                              seed=0, device="auto", precision="auto"):
    """Check every input of :func:`reproduce_god` that can be checked without loading.

    The dataset root, the three image folders, the weight files (with
    ``paper_backbones``), the device, the precision and the output folder
    (:func:`check_demo_arguments`); every missing input is named at once.

    Parameters
    ----------
    bids_root : path-like
        The ds001246 root.
    out : path-like
        Output folder (created).
    stimulus_dir, unpaired_dir, gallery_dir : path-like or None, default=None
        The image folders, as in :func:`reproduce_god` (each must be given).
    weights_dir : path-like or None, default=None
        As in :func:`reproduce_god`.
    paper_backbones : bool, default=False
        As in :func:`reproduce_god` (its weight files must then exist).
    image_size : int, default=112
        A multiple of 8, at least 16 and at least what the perceptual network reads.
    n_unpaired_per_class : int or None, default=None
        None or a positive int.
    n_gallery_per_class : int, default=100
        A positive int.
    encoder_epochs, decoder_epochs : int, default=50, 150
        Non-negative ints.
    cache : path-like or None, default=None
        A folder that can be created and written.
    subject : str, int or None, default=None
        When given, ``sub-<subject>`` must be a folder of ``bids_root``.
    rois : sequence of str, default=("VC",)
        Names :func:`~neurodecode.datasets.resolve_roi` knows.
    decoder_penalty_weight : float, default=0.1
        A finite number >= 0.
    seed : int, default=0
        A non-negative int.
    %(device)s
    precision : {"auto", "fp32", "bf16"}, default="auto"
        As in :func:`reproduce_god`.

    Returns
    -------
    out : pathlib.Path
        The output folder (created, and a file test-written in it).

    Raises
    ------
    FileNotFoundError
        Naming every missing input.
    ValueError
        For a bad size, count, device, precision, output or cache folder.

    Examples
    --------
    >>> from neurodecode.demo import check_reproduce_arguments
    >>> check_reproduce_arguments("no/such/ds001246", "out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: cannot reproduce: missing inputs:
      - --bids-root no/such/ds001246: not a BIDS dataset root (no dataset_description.json)
      ...
    """
    import numbers

    from .._files import prepare_output_dir
    from .._validation import check_number
    from ..models import smallest_feature_size
    from ._run import EFFICIENTNET, PAPER, check_demo_arguments

    check_number(image_size, "image_size", kind=numbers.Integral, low=16)
    if image_size % 8:
        raise ValueError(f"image_size must be a multiple of 8 (the decoder's); got {image_size}.")
    net = (PAPER if paper_backbones else EFFICIENTNET)["perceptual"]
    smallest = smallest_feature_size(net, start=image_size)
    if smallest != image_size:
        raise ValueError(f"image_size={image_size} is too small for the perceptual network "
                         f"{net!r}: it reads images of at least {smallest} px.")
    check_number(n_unpaired_per_class, "n_unpaired_per_class", kind=numbers.Integral, low=1,
                 allow_none=True)
    check_number(n_gallery_per_class, "n_gallery_per_class", kind=numbers.Integral, low=1)
    check_number(encoder_epochs, "encoder_epochs", kind=numbers.Integral, low=0)
    check_number(decoder_epochs, "decoder_epochs", kind=numbers.Integral, low=0)
    check_number(decoder_penalty_weight, "decoder_penalty_weight", low=0.0)
    check_number(seed, "seed", kind=numbers.Integral, low=0)
    from ..datasets import resolve_roi

    for roi in ((rois,) if isinstance(rois, str) else tuple(rois)) or (None,):
        resolve_roi(roi)
    missing = _check_inputs(bids_root, stimulus_dir, unpaired_dir, gallery_dir, weights_dir,
                            paper_backbones)
    if not missing and subject is not None:
        label = str(subject).removeprefix("sub-")
        label = f"{int(label):02d}" if label.isdigit() and not (
            Path(bids_root) / f"sub-{label}").is_dir() else label
        if not (Path(bids_root) / f"sub-{label}").is_dir():
            found = sorted(p.name for p in Path(bids_root).glob("sub-*") if p.is_dir())
            missing.append(f"--subject {subject}: no sub-{label} in {bids_root} (found: "
                           f"{', '.join(found) or 'none'})")
    if missing:
        raise FileNotFoundError("cannot reproduce: missing inputs:\n  - " + "\n  - ".join(missing))
    if cache is not None:
        prepare_output_dir(cache, "cache")
    return check_demo_arguments(out, device, False, precision)


@fill_doc
def reproduce_god(bids_root, subject, out, *, stimulus_dir=None, unpaired_dir=None,
                  gallery_dir=None, weights_dir=None, paper_backbones=False, source="preproc-spm",
                  rois=DEFAULT_ROIS, image_size=112, encoder_epochs=50, decoder_epochs=150,
                  n_unpaired_per_class=None, n_gallery_per_class=100, ablations=False,
                  decoder_penalty_weight=0.1, cache=None,
                  device="auto", seed=0, verbose=1, precision="auto"):
    """Run the paper's whole pipeline on one GOD subject and write the demo's report.

    Loads the subject from BIDS (:func:`~neurodecode.datasets.load_god`), the unpaired
    images (class folders, the test classes left out) and the class gallery; fits the
    encoder, the supervised and the self-supervised decoders (unpaired fMRI: the test fMRI,
    the paper's protocol), evaluates them as the demo does, and writes ``report.html``,
    figures and ``results.json`` into ``out``. Every input is checked first: when images
    or weights are missing, nothing runs and the error lists all of them.

    Parameters
    ----------
    bids_root : path-like
        The ds001246 root.
    subject : str or int
        The subject (``"01"``).
    out : path-like
        Output folder.
    stimulus_dir : path-like
        The GOD stimulus images, named by ``stimulus_name``.
    unpaired_dir : path-like
        ImageNet-style class folders of natural images without fMRI (L_ED).
    gallery_dir : path-like
        ImageNet-style class folders of the semantic-classification gallery; must contain
        the 50 test classes (named by WordNet id, ``n01443537``).
    weights_dir : path-like or None, default=None
        A torch hub folder whose ``checkpoints/`` holds the torchvision weight files
        (``--paper-backbones``); None: the torch hub cache.
    paper_backbones : bool, default=False
        VGG19 encoder, VGG16 perceptual loss and AlexNet gallery, as in the paper;
        otherwise EfficientNet-Lite0 for training and Lite2 for scoring (the demo's).
    source : {"preproc-spm", "raw"}, default="preproc-spm"
        As in :func:`~neurodecode.datasets.load_god`.
    rois : sequence of str, default=("VC",)
        The voxels used.
    image_size : int, default=112
        Side of the images (the paper's 112).
    encoder_epochs, decoder_epochs : int, default=50, 150
        The schedule (the paper's: 50 and 150).
    n_unpaired_per_class : int or None, default=None
        Unpaired images drawn per class; None uses all.
    n_gallery_per_class : int, default=100
        Images averaged into each gallery class.
    ablations : bool, default=False
        Also fit the L_ED-only and L_DE-only decoders.
    decoder_penalty_weight : float, default=0.1
        The decoders' ``penalty_weight``: 0.1, the value chosen for the self-supervised
        decoder by cross-validation in ``benchmarks/honest_evidence.py`` and the demo's
        (1.0: the authors' constants, set for 112 px and ~4500 voxels).
    cache : path-like or None, default=None
        Folder of :func:`~neurodecode.datasets.load_god`'s cache of the per-run samples.
    %(device)s
    seed : int, default=0
        Seeds every fit and the evaluation.
    %(verbose)s
    precision : {"auto", "fp32", "bf16"}, default="auto"
        The encoder's and the decoders' ``precision`` (training and prediction).

    Returns
    -------
    results : dict
        What ``results.json`` holds.

    Examples
    --------
    >>> from neurodecode.demo import reproduce_god
    >>> reproduce_god("ds001246", "01", "out", stimulus_dir="stimuli",
    ...               unpaired_dir="imagenet/train", gallery_dir="imagenet/val")  # doctest: +SKIP
    """
    from ..datasets import load_god, load_image_folder
    from ._run import EFFICIENTNET, PAPER, PipelineSettings, _Log, run_pipeline

    out = check_reproduce_arguments(
        bids_root, out, stimulus_dir=stimulus_dir, unpaired_dir=unpaired_dir,
        gallery_dir=gallery_dir, weights_dir=weights_dir, paper_backbones=paper_backbones,
        image_size=image_size, n_unpaired_per_class=n_unpaired_per_class,
        n_gallery_per_class=n_gallery_per_class, encoder_epochs=encoder_epochs,
        decoder_epochs=decoder_epochs, cache=cache, subject=subject, rois=rois,
        decoder_penalty_weight=decoder_penalty_weight, seed=seed, device=device,
        precision=precision)
    nets = dict(PAPER if paper_backbones else EFFICIENTNET)
    if paper_backbones and weights_dir is not None:
        import torch

        torch.hub.set_dir(str(weights_dir))  # weights='imagenet' reads DIR/checkpoints
    log = _Log(verbose)
    t_start = time.perf_counter()
    god = load_god(bids_root, subject, source=source, rois=rois, stimulus_dir=stimulus_dir,
                   image_size=image_size, cache=cache, verbose=verbose)
    gallery_names = sorted(p.name for p in Path(gallery_dir).iterdir()
                           if p.is_dir() and not p.name.startswith("."))
    test_wnids = [n.split("_")[0] for n in god.stimulus_test]
    absent = [w for w in test_wnids if w not in gallery_names]
    if absent:
        raise FileNotFoundError(f"gallery_dir={str(gallery_dir)!r}: {len(absent)} of the "
                                f"{len(test_wnids)} test classes have no folder (first: "
                                f"{absent[:5]}); the gallery must contain them.")
    pool = load_image_folder(unpaired_dir, exclude_classes=test_wnids,
                             per_class=n_unpaired_per_class, image_size=image_size,
                             random_state=seed)
    log(f"sub-{god.meta['subject']}: {len(god.X_train)} training pairs, {len(god.X_test)} test "
        f"images x {god.X_test_trials.shape[1]} repeats, {god.X_train.shape[1]} voxels; "
        f"{len(pool.images)} unpaired images; gallery of {len(gallery_names)} classes")

    def gallery_images(classes, n_per_class=n_gallery_per_class):
        data = load_image_folder(gallery_dir, classes=[gallery_names[int(c)] for c in classes],
                                 per_class=n_per_class, image_size=image_size,
                                 random_state=seed)
        return data.images, np.asarray(classes)[data.labels]

    # the loaded subject, kept whole (masker, ROI images, samples table); the pipeline's
    # fields added: the unpaired pool, the gallery, and each test image's gallery class
    god.update(labels_test=np.array([gallery_names.index(w) for w in test_wnids]),
               images_unpaired=pool.images, gallery_classes=np.arange(len(gallery_names)),
               gallery_images=gallery_images)
    n_test, n_classes = len(god.X_test), len(gallery_names)
    settings = PipelineSettings(
        encoder_epochs=int(encoder_epochs), decoder_epochs=int(decoder_epochs),
        decoder_penalty_weight=float(decoder_penalty_weight), ablations=bool(ablations),
        n_gallery_per_class=int(n_gallery_per_class),
        identification_n=tuple(n for n in (2, 5, 10, 50) if n <= n_test),
        classification_n=tuple(n for n in (50, 100, 500, 1000) if n <= n_classes)
        or (n_classes,))
    sizes = {"n_train": len(god.X_train), "n_train_classes": len(np.unique(god.labels_train)),
             "n_test": n_test, "n_test_repeats": int(god.X_test_trials.shape[1]),
             "n_unpaired": len(pool.images), "n_unpaired_classes": len(pool.class_names),
             "n_gallery_classes": n_classes}
    protocol = {
        "title": f"neurodecode reproduce: GOD sub-{god.meta['subject']} "
                 "(Gaziv et al. 2022 pipeline)",
        "description": (f"GOD (ds001246) sub-{god.meta['subject']}, {source}, ROIs "
                        f"{', '.join(rois)}: {len(god.X_train)} training pairs (seen once), "
                        f"{n_test} test images x {god.X_test_trials.shape[1]} repeats, "
                        f"{god.X_train.shape[1]} voxels; {len(pool.images)} unpaired images of "
                        f"{len(pool.class_names)} classes (test classes excluded); gallery of "
                        f"{n_classes} classes x up to {n_gallery_per_class} images."),
        "subject": god.meta, "size": {**sizes, **asdict(settings)},
        "networks": dict(nets), "quick": False, "seed": int(seed),
        "unpaired_fmri": "the test fMRI (the paper's transductive protocol; test images "
                         "are never used for training)",
        "identification_pool": "others (the other test ground truths)",
    }
    return run_pipeline(god, out, settings, nets, protocol, device=device, seed=seed, log=log,
                        t_start=t_start, precision=precision)
