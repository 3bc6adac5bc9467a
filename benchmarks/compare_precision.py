"""Compare a bf16 demo run with float32 runs: is the change within the run-to-run spread?

Takes the ``results.json`` of float32 demo runs with different seeds (the run-to-run spread:
``neurodecode demo --seed`` changes the subject, the training and the evaluation draws) and
of a bf16 run with the same seed as the first float32 run::

    python benchmarks/bench_demo.py --quick --seed 0 --precision fp32   # -> out0/results.json
    python benchmarks/bench_demo.py --quick --seed 1 --precision fp32   # -> out1/results.json
    python benchmarks/bench_demo.py --quick --seed 0 --precision bf16   # -> outb/results.json
    python benchmarks/compare_precision.py out0/results.json out1/results.json \\
        --bf16 outb/results.json

For each method and metric it prints the float32 values, their spread (max - min), the bf16
value and its difference from the same-seed float32 value, and whether that difference is
within the spread. For the per-image metrics it adds a paired two-sided Wilcoxon test of
bf16 against float32 on the same test images. Exits 1 if a difference exceeds the spread.
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
    ("class rank, median (of 200)", ("class_rank", "median"), ("class_rank", "per_image")),
    ("class rank, mean (of 200)", ("class_rank", "mean"), None),
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


def compare(fp32_runs, bf16_run):
    """Rows (method, metric, fp32 values, spread, bf16, difference, within, wilcoxon p)."""
    rows = []
    enc = [r["encoder"]["voxel_r_median"] for r in fp32_runs]
    b = bf16_run["encoder"]["voxel_r_median"]
    spread = max(enc) - min(enc)
    rows.append(("encoder", "median voxel r (test)", enc, spread, b, b - enc[0],
                 abs(b - enc[0]) <= spread, None))
    for method in bf16_run["methods"]:
        for label, path, per_image in METRICS:
            values = [_get(r["methods"][method], path) for r in fp32_runs]
            value = _get(bf16_run["methods"][method], path)
            spread = max(values) - min(values)
            p = None
            if per_image is not None:
                a = np.asarray(_get(fp32_runs[0]["methods"][method], per_image), float)
                c = np.asarray(_get(bf16_run["methods"][method], per_image), float)
                if np.any(a != c):
                    p = float(wilcoxon(c, a).pvalue)
            rows.append((method, label, values, spread, value, value - values[0],
                         abs(value - values[0]) <= spread, p))
    return rows


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
    rows = compare(fp32, bf16)
    print("| method | metric | fp32 (seeds) | fp32 spread | bf16 | bf16 - fp32 (same seed) "
          "| within spread | paired Wilcoxon p |")
    print("|---|---|---|---|---|---|---|---|")
    for method, label, values, spread, value, diff, within, p in rows:
        print(f"| {method} | {label} | {' / '.join(f'{v:.4g}' for v in values)} | "
              f"{spread:.4g} | {value:.4g} | {diff:+.4g} | {'yes' if within else 'NO'} | "
              f"{'-' if p is None else f'{p:.3g}'} |")
    outside = [r for r in rows if not r[6]]
    print(f"\n{len(rows) - len(outside)} of {len(rows)} differences within the float32 "
          "run-to-run spread")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main())
