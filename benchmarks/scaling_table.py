"""The scaling table (voxels x image size, before and after) from ``bench_training`` JSON files.

Each file is the ``--out`` of one ``bench_training.py --config <V>vox_<S>px --compare REF
--steps-only`` run (REF and the current tree timed in the same run)::

    for s in 64 112 128; do for v in 1000 4500 10000 20000; do
        python benchmarks/bench_training.py --config ${v}vox_${s}px --compare a05049a \\
            --steps-only --out benchmarks/results/scaling/${v}vox_${s}px_vs_a05049a.json
    done; done
    python benchmarks/scaling_table.py benchmarks/results/scaling/*.json

Prints one Markdown row per configuration: phase I and phase II step times and the peak RSS
of the training steps, before (REF) and after (current), and the after / before ratios.
"""
import argparse
import json
import statistics
import sys


def rows(paths):
    out = []
    for path in paths:
        with open(path) as f:
            results = json.load(f)
        for name, runs in results.items():
            ref, cur = runs["ref"], runs["current"]

            def med(runs_, key):
                return statistics.median(r[key] for r in runs_)

            out.append({
                "config": name, "size": ref[0]["image_size"], "voxels": ref[0]["n_voxels"],
                **{f"{tag}_{key}": med(r, key) for tag, r in (("ref", ref), ("cur", cur))
                   for key in ("phase1_step_s", "phase2_step_s", "peak_rss_steps_gb")},
            })
    return sorted(out, key=lambda r: (r["size"], r["voxels"]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--ref", default="before", help="label of the reference tree")
    args = parser.parse_args(argv)
    print(f"| image | voxels | phase I step, {args.ref} -> now (s) | ratio | phase II step, "
          f"{args.ref} -> now (s) | ratio | training peak RSS, {args.ref} -> now (GiB) "
          "| ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows(args.files):
        cells = []
        for key in ("phase1_step_s", "phase2_step_s", "peak_rss_steps_gb"):
            a, b = r[f"ref_{key}"], r[f"cur_{key}"]
            cells += [f"{a:.2f} -> {b:.2f}", f"{b / a:.2f}"]
        print(f"| {r['size']} px | {r['voxels']:,} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
