"""Wall time and peak memory of ``neurodecode demo`` (targets: --quick <= 5 min, full <= 30 min,
peak RSS <= 4 GB on 2 CPU cores), and the demo's claim numbers.

Each repeat runs the command in a fresh process; medians over repeats are printed.

Run::

    python benchmarks/bench_demo.py --quick --repeats 3
    python benchmarks/bench_demo.py --repeats 1          # the full demo (about 25 min)
    PYTHONPATH=/path/to/other/tree python benchmarks/bench_demo.py --quick   # another version
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(quick, seed, device, precision=None):
    out = tempfile.mkdtemp(prefix="nd_demo_")
    cmd = [sys.executable, "-m", "neurodecode.cli", "demo", "--out", out, "--seed", str(seed),
           "--device", device, "--quiet"]
    if precision is not None:  # older trees have no --precision
        cmd += ["--precision", precision]
    if quick:
        cmd.append("--quick")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.path.join(out, "results.json")) as f:
        results = json.load(f)
    return {"wall_s": wall, "peak_rss_gb": results["peak_rss_gb"],
            "peak_rss_children_gb": max(before, peak_children) / 1024**2,
            "results": results, "out": out}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default=None, choices=["auto", "fp32", "bf16"])
    args = parser.parse_args(argv)
    runs = [run_once(args.quick, args.seed, args.device, args.precision)
            for _ in range(args.repeats)]
    walls = [r["wall_s"] for r in runs]
    rss = [r["peak_rss_gb"] for r in runs]
    label = "demo --quick" if args.quick else "demo (full)"
    print(f"{label}: wall time median {statistics.median(walls):.0f} s "
          f"(runs: {', '.join(f'{w:.0f}' for w in walls)}); peak RSS median "
          f"{statistics.median(rss):.2f} GB ({os.cpu_count()} CPUs, device {args.device})")
    res = runs[-1]["results"]
    for name, m in res["methods"].items():
        ident = m["identification_perceptual"]
        print(f"  {name:16s} 2-way {100 * ident['2']['mean']:.1f}%  5-way "
              f"{100 * ident['5']['mean']:.1f}%  median class rank "
              f"{m['class_rank']['median']:.1f}/{m['class_rank']['n_classes']} "
              f"(N={m['class_rank']['n']})")
    for name, t in res["wilcoxon"].items():
        print(f"  {name}: p(rank)={t['class_rank']['pvalue']:.2g} "
              f"p(2-way)={t['2-way']['pvalue']:.2g} p(5-way)={t['5-way']['pvalue']:.2g}")
    print(f"  report: {runs[-1]['out']}/report.html")
    print(f"  results: {runs[-1]['out']}/results.json (compare two runs number by number with "
          "benchmarks/compare_demo_results.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
