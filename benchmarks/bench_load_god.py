"""Time and peak memory of ``load_god`` on a full-size simulated GOD subject.

Writes a simulated subject with the real sub-01 events (24 training, 35 test, 20 imagery
runs of ~178 volumes, 64 x 64 x 50 grid, 4500 ROI voxels; preproc-spm derivatives only),
then loads it in fresh child processes: cold (no cache), cached (joblib cache filled by a
first load), and cold with ``n_jobs=2``. Peak RSS is each child's ``VmHWM`` (its own peak;
``ru_maxrss`` would carry the parent's over ``exec``), and for ``n_jobs=2`` also the largest
worker's. The import of neurodecode (torch) alone is ~0.6 GB of it.

    python benchmarks/bench_load_god.py --root /tmp/god_full --out benchmarks/results
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

EVENTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "ds001246"

CHILD = r"""
import json, resource, sys, time
from neurodecode.datasets import load_god
root, cache, n_jobs = sys.argv[1], sys.argv[2] or None, int(sys.argv[3])
t = time.perf_counter()
god = load_god(root, "01", cache=cache, n_jobs=n_jobs, verbose=0)
seconds = time.perf_counter() - t
# VmHWM: this process's own peak (ru_maxrss survives exec and would include the parent's)
peak = next(int(l.split()[1]) for l in open("/proc/self/status")
            if l.startswith("VmHWM")) / 1024**2
def hwm():
    return next(int(l.split()[1]) for l in open("/proc/self/status")
                if l.startswith("VmHWM")) / 1024**2
workers = 0.0
if n_jobs > 1:  # the (reused) joblib workers' own peaks
    from joblib import Parallel, delayed
    workers = max(Parallel(n_jobs=n_jobs)(delayed(hwm)() for _ in range(4 * n_jobs)))
print(json.dumps({"seconds": seconds, "peak_rss_gb": peak, "worker_peak_rss_gb": workers,
                  "X_train": list(god.X_train.shape), "X_test_trials": list(god.X_test_trials.shape),
                  "X_imagery": list(god.X_imagery.shape)}))
"""


def child(root, cache="", n_jobs=1):
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(cache), str(n_jobs)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/tmp/neurodecode_god_full")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    parser.add_argument("--keep", action="store_true", help="keep the simulated dataset")
    args = parser.parse_args()
    from neurodecode.datasets import simulate_bids

    root = Path(args.root)
    t = time.perf_counter()
    if not (root / "dataset_description.json").exists():
        simulate_bids(root, "01", events_from=EVENTS, grid=(64, 64, 50), raw=False,
                      stimuli=False, random_state=0, verbose=1)
    write_s = time.perf_counter() - t
    size_gb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1024**3
    cache = root.parent / (root.name + "_cache")
    import shutil

    shutil.rmtree(cache, ignore_errors=True)
    results = {"write_seconds": write_s, "dataset_gb_on_disk": size_gb,
               "cold": child(root), "cache_fill": child(root, cache),
               "cached": child(root, cache), "cold_n_jobs_2": child(root, "", 2),
               "cpus": os.cpu_count()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "load_god.json").write_text(json.dumps(results, indent=1))
    lines = ["# load_god on a full-size simulated GOD subject",
             "", "64 x 64 x 50 grid, sub-01's real events (24 + 35 + 20 runs, ~178 volumes), "
             f"4500 ROI voxels; {size_gb:.2f} GB of .nii.gz; {os.cpu_count()} CPUs.", "",
             "| load | seconds | peak RSS (GB) | worker peak RSS (GB) | X_train | X_test_trials |",
             "|---|---|---|---|---|---|"]
    for key in ("cold", "cache_fill", "cached", "cold_n_jobs_2"):
        r = results[key]
        lines.append(f"| {key} | {r['seconds']:.1f} | {r['peak_rss_gb']:.2f} | "
                     f"{r['worker_peak_rss_gb']:.2f} | {r['X_train']} | {r['X_test_trials']} |")
    (out / "load_god.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if not args.keep:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
