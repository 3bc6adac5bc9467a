"""The plain sentences heading a demo report (the numbers behind them are computed by
:mod:`neurodecode.metrics` and :mod:`neurodecode.analysis`)."""
import numpy as np


def verdicts(results, quick):
    """Plain sentences heading the report: one per comparison with the supervised decoder
    (2-way identification, Wilcoxon over the test images), the memorisation flags, and
    whether a run of this size can decide anything.

    ``results``: the demo's results dict (``methods`` and ``wilcoxon``); ``quick``: the run
    is the quick demo. Returns a list of str.

    Examples
    --------
    >>> from neurodecode.demo._evidence import verdicts
    >>> r = {"methods": {"supervised": {"identification_perceptual": {2: {"mean": 0.70}}},
    ...                  "self-supervised": {"identification_perceptual": {2: {"mean": 0.75}},
    ...                                      "memorisation": None}},
    ...      "wilcoxon": {"self-supervised vs supervised": {"2-way": {"pvalue": 0.01,
    ...                                                               "n": 50}}}}
    >>> verdicts(r, quick=False)[0]
    'self-supervised vs supervised: 2-way identification 5.0 points better (Wilcoxon p = 0.01, N = 50 test images).'
    """
    from ..metrics import bootstrap_ci

    methods = results["methods"]

    def two_way(name):
        ident = methods[name]["identification_perceptual"]
        return ident[2 if 2 in ident else "2"]

    seed = results.get("protocol", {}).get("seed")
    seeds = "one training seed" + (f" ({seed})" if seed is not None else "")
    out = []
    for comparison, tests in results.get("wilcoxon", {}).items():
        name, ref = comparison.split(" vs ")
        a, b = two_way(name), two_way(ref)
        d = 100 * (a["mean"] - b["mean"])
        p, n = tests["2-way"]["pvalue"], tests["2-way"]["n"]
        if p is not None and np.isfinite(p) and p < 0.05:
            what = f"2-way identification {abs(d):.1f} points {'better' if d > 0 else 'worse'}"
        else:
            what = f"no significant 2-way difference, {d:+.1f} points"
        details = []
        if "per_image" in a and "per_image" in b:  # the paired difference's bootstrap CI
            low, high = bootstrap_ci(100 * (np.asarray(a["per_image"], float)
                                            - np.asarray(b["per_image"], float)),
                                     random_state=0)
            details.append(f"{100 * a['mean']:.1f} % vs {100 * b['mean']:.1f} %, paired "
                           f"difference 95 % CI {low:+.1f} to {high:+.1f}")
        details.append(f"Wilcoxon p = {p:.2g}, N = {n} test images"
                       + (f", {seeds}" if details else ""))
        sentence = f"{comparison}: {what} ({'; '.join(details)})"
        ranks = [methods[m].get("class_rank") for m in (name, ref)]
        if all(ranks) and "class_rank" in tests:
            sentence += (f"; median class rank {ranks[0]['median']:.1f} vs "
                         f"{ranks[1]['median']:.1f} of {ranks[0]['n_classes']} (lower is "
                         f"better; p = {tests['class_rank']['pvalue']:.2g})")
        out.append(sentence + ".")
    for name, r in methods.items():
        mem = r.get("memorisation")
        if mem and mem["memorises"]:
            out.append(f"{name} memorises the unpaired fMRI: the L_DE of its reconstructions "
                       f"({mem['L_DE_decoded']:.3g}) is below that of the images actually seen "
                       f"({mem['L_DE_true_images']:.3g}), so its L_DE gain is not evidence of "
                       "better reconstructions.")
    scope = ("one seed and one simulated subject: the test images are not independent "
             "replications of the training, so these p-values do not cover seed-to-seed "
             "variation; the tuned multi-seed comparison is benchmarks/honest_evidence.py")
    if quick:
        out.append("This quick run is too small to decide whether self-supervision helps ("
                   + scope + ").")
    else:
        out.append("This run alone cannot decide whether self-supervision helps (" + scope
                   + ").")
    return out
