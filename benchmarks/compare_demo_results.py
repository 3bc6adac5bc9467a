"""Compare two demo ``results.json`` files number by number, timings left out.

Used to show that a refactor leaves the demo's results bit-identical (same seed, CPU):

    python benchmarks/compare_demo_results.py before/results.json after/results.json

Prints every differing entry (path, before, after) and exits 1 if any number differs;
wall times, peak memory, the version and the machine are not compared.
"""
import argparse
import json
import math
import sys

TIMING_KEYS = {"fit_seconds", "total_seconds", "peak_rss_gb", "seconds", "machine",
               "neurodecode_version"}


def differences(a, b, path=""):
    """Yield (path, a, b) for every leaf where a and b differ (NaN equals NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key in TIMING_KEYS:
                continue
            if key not in a or key not in b:
                yield f"{path}/{key}", a.get(key, "<absent>"), b.get(key, "<absent>")
            else:
                yield from differences(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield path, f"<{len(a)} items>", f"<{len(b)} items>"
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return
    elif a != b or type(a) is not type(b):
        yield path, a, b


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    args = parser.parse_args(argv)
    with open(args.before) as f:
        before = json.load(f)
    with open(args.after) as f:
        after = json.load(f)
    diffs = list(differences(before, after))
    for path, x, y in diffs[:50]:
        print(f"{path}: {x!r} -> {y!r}")
    print(f"{len(diffs)} differing entries (timings excluded)" if diffs
          else "identical: every number matches (timings excluded)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
