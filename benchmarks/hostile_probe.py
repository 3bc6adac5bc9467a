"""Run the hostile-input probe (issue 23) and count its cases by category and outcome.

Every test marked ``@pytest.mark.hostile(category, ...)`` is a case (or, with
``cases={"error": n, "correct": m}``, several checked in one test). A case is meant to end
in a *clear error* (the expected exception type, naming the file or argument and what to
do) or in a *correct result* (the right value, or a documented handling such as a warned
recomputation). This script runs them all and sorts each outcome into:

- ``clear error`` / ``correct``: the case passed;
- ``silent wrong``: no error where one was due, or a wrong value;
- ``crash``: an exception of another type;
- ``raw or unclear``: the expected type, but a message that does not say what is wrong;
- ``skipped``: the case could not run here (e.g. pycortex not installed).

Usage::

    python benchmarks/hostile_probe.py            # writes benchmarks/results/issue23_probe.md
    python benchmarks/hostile_probe.py --out FILE
"""
import argparse
import collections
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTCOMES = ("clear error", "correct", "silent wrong", "crash", "raw or unclear", "skipped")


def case_counts(item):
    """``{"error": n, "correct": m}``: the cases one test item checks."""
    marker = item.get_closest_marker("hostile")
    if marker.kwargs.get("cases"):
        return dict(marker.kwargs["cases"])
    if marker.kwargs.get("kind"):
        return {marker.kwargs["kind"]: 1}
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "check" in params or ("error" in params and params["error"] is None) \
            or ("words" in params and not isinstance(params["words"], str)):
        return {"correct": 1}
    return {"error": 1}


def failure_kind(report):
    """Sort a failed case: the probe's own messages name what went wrong."""
    crash = getattr(report.longrepr, "reprcrash", None)  # the error line, not the source
    text = crash.message if crash is not None else str(report.longrepr)
    if "a silent result" in text or "DID NOT RAISE" in text or "DID NOT WARN" in text:
        return "silent wrong"
    if "unclear message" in text or "Regex pattern did not match" in text:
        return "raw or unclear"
    if " instead of " in text or not text.startswith(("AssertionError", "assert")):
        return "crash"
    return "silent wrong"  # an assertion on the value: a wrong result


class Collector:
    def __init__(self):
        self.rows = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        marker = item.get_closest_marker("hostile")
        if marker is None:
            return
        if report.when == "call" or (report.when == "setup" and not report.passed):
            counts = case_counts(item)
            if report.passed:
                kinds = {"clear error" if k == "error" else "correct": n
                         for k, n in counts.items()}
            elif report.skipped:
                kinds = {"skipped": sum(counts.values())}
            else:
                kinds = {failure_kind(report): sum(counts.values())}
            crash = getattr(report.longrepr, "reprcrash", None)
            why = "" if report.passed else (crash.message if crash is not None
                                            else str(report.longrepr))
            self.rows.append((marker.args[0], item.nodeid, kinds, why[:300]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" /
                                             "issue23_probe.md"))
    parser.add_argument("--tests", default=str(ROOT / "tests"),
                        help="folder (or file) of tests to collect the hostile cases from")
    args = parser.parse_args(argv)
    collector = Collector()
    start = time.perf_counter()
    code = pytest.main([args.tests, "-q", "-m", "hostile", "-p", "no:cacheprovider",
                        "-W", "ignore::DeprecationWarning"], plugins=[collector])
    seconds = time.perf_counter() - start
    table = collections.defaultdict(collections.Counter)
    for category, _, kinds, _ in collector.rows:
        table[category].update(kinds)
    total = collections.Counter()
    for c in table.values():
        total.update(c)
    lines = ["# Hostile-input probe (issue 23): counts", "",
             f"`python benchmarks/hostile_probe.py`: {len(collector.rows)} test items, "
             f"{sum(total.values())} cases, {seconds:.0f} s on this machine (pytest exit "
             f"code {int(code)}).", "",
             "| category | cases | " + " | ".join(OUTCOMES) + " |",
             "|---|---:|" + "---:|" * len(OUTCOMES)]
    for category in sorted(table):
        c = table[category]
        lines.append(f"| {category} | {sum(c.values())} | "
                     + " | ".join(str(c[o]) for o in OUTCOMES) + " |")
    lines.append(f"| **all** | **{sum(total.values())}** | "
                 + " | ".join(f"**{total[o]}**" for o in OUTCOMES) + " |")
    failed = [r for r in collector.rows if r[3] and "skipped" not in r[2]]
    skipped = [r for r in collector.rows if "skipped" in r[2]]
    lines += ["", "Each case is a test marked `hostile` (grep the tree for "
              "`mark.hostile`); a test that checks several cases says how many "
              "(`cases={...}`)."]
    if failed:
        lines += ["", "## Cases that did not end in a clear error or a correct result", ""]
        lines += [f"- `{nodeid}` ({', '.join(k)}): {' '.join(text.split())}"
                  for _, nodeid, k, text in failed]
    if skipped:
        lines += ["", "## Skipped here", ""]
        lines += [f"- `{nodeid}`: {' '.join(text.split())}" for _, nodeid, _, text in skipped]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
