"""Compare a bf16 demo run with float32 runs: is the change within the seed-to-seed spread?

Takes the ``results.json`` of float32 demo runs with different seeds and of a bf16 run with
the same seed as the first float32 run. ``neurodecode demo --seed`` changes the subject, the
training and the evaluation draws, so the spread is the seed-to-seed one; with two seeds it
is a single difference, a rough yardstick::

    neurodecode demo --quick --quiet --precision fp32 --seed 0 --out fp32_seed0
    neurodecode demo --quick --quiet --precision fp32 --seed 1 --out fp32_seed1
    neurodecode demo --quick --quiet --precision bf16 --seed 0 --out bf16_seed0
    python benchmarks/compare_precision.py fp32_seed0/results.json fp32_seed1/results.json \\
        --bf16 bf16_seed0/results.json

(add ``--device cuda`` on a GPU). For each method the runs share and each metric it prints
the float32 values, their spread (max - min), the bf16 value and its difference from the
same-seed float32 value, and whether that difference is within the spread. For the
per-image metrics it adds a paired two-sided Wilcoxon test of bf16 against float32 on the
same test images. A non-finite value is reported as such and counts as outside. Exits 1 if
a difference exceeds the spread.
"""
import argparse
import json
import sys

import numpy as np
from scipy.stats import wilcoxon

# (label, path inside a method's results, path of its per-image values or None)
METRICS = [
    ("2-way identification (Lite2)", ("identification_perceptual", "2", "mean"),
     ("identification_perceptual", "2", "per_image")),
    ("5-way identification (Lite2)", ("identification_perceptual", "5", "mean"),
     ("identification_perceptual", "5", "per_image")),
    ("2-way identification (pixels)", ("identification_pixel", "2", "mean"),
     ("identification_pixel", "2", "per_image")),
    ("class rank, median", ("class_rank", "median"), ("class_rank", "per_image")),
    ("class rank, mean", ("class_rank", "mean"), None),
    ("50-way top-5", ("n_way_classification", "50-way top-5", "mean"),
     ("n_way_classification", "50-way top-5", "per_image")),
    ("MinD-Vis 50-way", ("mindvis_50_way", "mean"), ("mindvis_50_way", "per_image")),
    ("pixel correlation", ("pixcorr", "mean"), None),
    ("SSIM", ("ssim", "mean"), None),
]


def _get(node, path):
    for key in path:
        node = node[key]
    return node


def _row(method, label, values, value, p=None):
    finite = bool(np.all(np.isfinite(values)) and np.isfinite(value))
    spread = float(np.max(values) - np.min(values)) if finite else float("nan")
    diff = value - values[0]
    return (method, label, values, spread, value, diff, finite and abs(diff) <= spread, p)


def _paired_p(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError(f"per-image values of different lengths: {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()) or np.array_equal(a, b):
        return None
    return float(wilcoxon(b, a).pvalue)


def compare(fp32_runs, bf16_run):
    """Rows (method, metric, fp32 values, spread, bf16, difference, within, wilcoxon p) and
    the methods left out (not in every run)."""
    rows = [_row("encoder", "median voxel r (test)",
                 [r["encoder"]["voxel_r_median"] for r in fp32_runs],
                 bf16_run["encoder"]["voxel_r_median"])]
    methods = [m for m in bf16_run["methods"] if all(m in r["methods"] for r in fp32_runs)]
    skipped = sorted(set().union(*(r["methods"] for r in fp32_runs + [bf16_run]))
                     - set(methods))
    for method in methods:
        for label, path, per_image in METRICS:
            if label.startswith("class rank"):
                label += f" (of {bf16_run['methods'][method]['class_rank']['n_classes']})"
            values = [_get(r["methods"][method], path) for r in fp32_runs]
            value = _get(bf16_run["methods"][method], path)
            p = None if per_image is None else _paired_p(
                _get(fp32_runs[0]["methods"][method], per_image),
                _get(bf16_run["methods"][method], per_image))
            rows.append(_row(method, label, values, value, p))
    return rows, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fp32", nargs="+", help="results.json of float32 runs (first: same "
                                                "seed as the bf16 run)")
    parser.add_argument("--bf16", required=True, help="results.json of the bf16 run")
    args = parser.parse_args(argv)
    if len(args.fp32) < 2:
        parser.error("give at least two float32 runs (the spread needs two seeds)")
    fp32 = [json.load(open(p)) for p in args.fp32]
    bf16 = json.load(open(args.bf16))
    rows, skipped = compare(fp32, bf16)
    if skipped:
        print(f"methods not in every run, left out: {', '.join(skipped)}\n")
    print("| method | metric | fp32 (seeds) | fp32 spread | bf16 | bf16 - fp32 (same seed) "
          "| within spread | paired Wilcoxon p |")
    print("|---|---|---|---|---|---|---|---|")
    for method, label, values, spread, value, diff, within, p in rows:
        print(f"| {method} | {label} | {' / '.join(f'{v:.4g}' for v in values)} | "
              f"{spread:.4g} | {value:.4g} | {diff:+.4g} | {'yes' if within else 'NO'} | "
              f"{'-' if p is None else f'{p:.3g}'} |")
    outside = [r for r in rows if not r[6]]
    print(f"\n{len(rows) - len(outside)} of {len(rows)} differences within the float32 "
          "seed-to-seed spread")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
