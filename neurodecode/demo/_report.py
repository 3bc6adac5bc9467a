"""The demo's outputs: PNG figures, results.json and a self-contained report.html."""
import html
import json

import numpy as np

from .._rois import ROI_GROUPS
from .._utils import json_default
from ..reporting import figure_to_png, html_table


def _png(fig, path):
    """Write ``fig`` as a PNG (closed after) and return it base64-encoded."""
    return figure_to_png(fig, path)


_table = html_table


def _pct(b):
    return f"{100 * b['mean']:.1f}% (SEM {100 * b['sem']:.1f}, CI {100 * b['ci95'][0]:.1f}-" \
           f"{100 * b['ci95'][1]:.1f}; N={b['n_images']})"


def _p(p):
    return "n/a" if p is None or not np.isfinite(p) else f"{p:.2g}"


def _simulated(meta):
    return (f"Simulated subject: {meta['n_train']} training pairs (seen once), {meta['n_test']} "
            f"test images of novel classes x {meta['n_test_repeats']} repeats, "
            f"{meta['n_unpaired']} unpaired images of other classes, {meta['n_voxels']} voxels "
            f"(V1-V3, hV4, LOC, FFA, PPA), single-trial SNR {meta['snr']} (geometric mean; "
            f"log-SD {meta.get('snr_spread', 0)}).")


def _networks(nets):
    """The networks of a run in words (not a JSON dict)."""
    names = {"efficientnet_lite0": "EfficientNet-Lite0", "efficientnet_lite1":
             "EfficientNet-Lite1", "efficientnet_lite2": "EfficientNet-Lite2",
             "vgg16": "VGG16", "vgg19": "VGG19", "alexnet": "AlexNet"}

    def n(key):
        return names.get(nets.get(key), str(nets.get(key)))
    return (f"trained with {n('encoder')} (encoder backbone) and {n('perceptual')} "
            f"(perceptual loss); scored with {n('classifier')} (semantic classification), "
            f"{n('distance')} (identification distance) and {n('mindvis')} (MinD-Vis "
            f"50-way), networks the decoders never trained against; images at "
            f"{nets.get('feature_size')} px for the networks.")


def _underpowered(proto):
    """Why a quick run's numbers may sit near chance, so that 'underpowered' and 'broken'
    do not look alike."""
    if not proto.get("quick"):
        return ""
    meta = proto.get("subject", {})
    return ('<p class="caveat">This is the <b>quick</b> run: a subset of the simulated '
            f"subject ({meta.get('n_voxels', '?')} voxels, {meta.get('n_train', '?')} "
            "training pairs) and a few epochs, so that it ends in "
            "minutes on a CPU. Its accuracies are below the full run's, and the harder "
            "protocols (many-way classification) may sit near chance; that is the design, "
            "not a broken install. The full "
            "demo (<code>neurodecode demo</code>, a GPU job) and the multi-seed study "
            "(<code>benchmarks/honest_evidence.py</code>) are the evidence.</p>")


def _fmt(v, digits=2):
    return "n/a" if v is None or (isinstance(v, float) and v != v) else f"{v:.{digits}f}"


def _analyses_html(a, figures):
    """The encoder section: accuracy against the noise ceiling per ROI, pRFs vs truth."""
    true = "true_ceiling_median" in a["per_roi"][0]
    head = ["ROI", "voxels", "median r", "median split-half ceiling",
            f"median r / ceiling (ceiling >= {a['min_ceiling']})", "voxels used"]
    if true:
        head += ["median true ceiling", "r vs true ceiling (corr.)"]
    rows = [[r["roi"], r["n_voxels"], _fmt(r["r_median"]), _fmt(r["ceiling_median"]),
             _fmt(r["corrected_median"]), r["n_above_min_ceiling"]]
            + ([_fmt(r["true_ceiling_median"]), _fmt(r["r_vs_true_ceiling"])] if true else [])
            for r in a["per_roi"]]
    parts = ["<h2>Encoder: accuracy against the noise ceiling, and retinotopy (paper Fig 9)"
             "</h2>", _table(head, rows)]
    if "r_vs_true_ceiling" in a:
        parts.append(f'<p class="note">Across all voxels, the encoder\'s held-out r '
                     f'correlates {a["r_vs_true_ceiling"]:.2f} with the true noise ceiling.</p>')
    parts.append(f'<img alt="noise ceiling and accuracy" src="data:image/png;base64,'
                 f'{figures["ceiling"]}">')
    p = a.get("prf")
    if p:
        parts.append(f"<p>Population receptive fields of {len(p['voxels'])} V1-V3 voxels "
                     "from the encoder's input gradients (sigma 3 px, power 10, centre of mass;"
                     f" {100 * p['confined_fraction']:.0f} % confined).</p>")
        if "agreement" in p:
            parts.append(_table(
                ["confined voxels", "N", "x r", "y r", "eccentricity r",
                 "polar angle (circular r)"],
                [[k, v["n"], _fmt(v.get("x")), _fmt(v.get("y")), _fmt(v.get("eccentricity")),
                  _fmt(v.get("polar_angle"))] for k, v in p["agreement"].items()]))
            parts.append('<p class="note">Against the simulated subject\'s true pRF centres. '
                         "The encoder starts from flat spatial maps (<code>space_init="
                         "\"uniform\"</code>); at GOD's single-trial SNR even a linear model "
                         "of the true features recovers the retinotopy only partly "
                         "(benchmarks/prf_oracle.py). For receptive-field analyses use a "
                         "Gaussian spatial readout (<code>ImageEncoder(space_model="
                         "\"gaussian\", penalty_weight=10)</code>), which recovers "
                         "eccentricity at 0.9 x that oracle "
                         "(benchmarks/results/prf_criterion.md).</p>")
        if "prf" in figures:
            parts.append(f'<img alt="pRF maps" src="data:image/png;base64,{figures["prf"]}">')
    return "\n".join(parts)


def _brain_maps(maps, masker, out):
    """Per-voxel maps drawn on the subject's volume (real data: the loader's masker), one
    PNG each (base64 strings, in the order of ``maps``)."""
    from ..plotting import plot_voxel_map

    pngs = []
    for i, (title, values) in enumerate(maps.items()):
        display = plot_voxel_map(np.asarray(values, dtype=float), masker, title=title,
                                 vmax=1.0, threshold=1e-6)
        pngs.append(_png(display.frame_axes.figure, out / f"brain_map_{i}.png"))
    return pngs


def write_outputs(out, results, subject, fits, brain_maps=None):
    """Write the PNG figures, results.json and report.html into folder ``out``.

    ``brain_maps``: title -> per-voxel values, drawn through ``subject.masker``."""
    from ..plotting import (
        plot_classification,
        plot_identification,
        plot_reconstructions,
        plot_training_curves,
    )

    methods = results["methods"]
    recon = {name: fit["reconstructions"] for name, fit in fits.items()}
    figures = {}
    figures["reconstructions"] = _png(
        plot_reconstructions(subject.images_test, recon, n_columns=12,
                             titles=[f"class {c}" for c in subject.labels_test[:12]]),
        out / "reconstructions.png")

    def as_bunches(d):
        from sklearn.utils import Bunch

        return {int(k): Bunch(**v) for k, v in d.items()}

    figures["identification"] = _png(plot_identification(
        {m: as_bunches(r["identification_perceptual"]) for m, r in methods.items()},
        title="n-way identification (perceptual distance, pool: other test images)"),
        out / "identification.png")
    from sklearn.utils import Bunch

    cls = {}
    for m, r in methods.items():
        cls[m] = {}
        for key, v in r["n_way_classification"].items():
            n, t = key.split("-way top-")
            cls[m][(int(n), int(t))] = Bunch(**v)
    figures["classification"] = _png(plot_classification(
        cls, title="n-way semantic classification (class-centroid gallery)"),
        out / "classification.png")
    figures["training"] = _png(plot_training_curves(
        {m: r["history"] for m, r in methods.items()}), out / "training_curves.png")
    analyses = results.get("encoder_analyses")
    analyses_html = ""
    if analyses:
        ceiling_fig, prf_fig = analysis_figures(analyses, subject)
        figures["ceiling"] = _png(ceiling_fig, out / "noise_ceiling_accuracy.png")
        if prf_fig is not None:
            figures["prf"] = _png(prf_fig, out / "prf_maps.png")
        analyses_html = _analyses_html(analyses, figures)
    if brain_maps:
        analyses_html += ("\n<h3>Brain maps</h3><p>On the subject's functional volume "
                          "(through the loader's masker): " + ", ".join(brain_maps)
                          + ".</p>" + "".join(
                              f'<img alt="{html.escape(title)}" src="data:image/png;base64,'
                              f'{png}">' for title, png in zip(
                                  brain_maps, _brain_maps(brain_maps, subject.masker, out))))

    with open(out / "results.json", "w") as f:
        json.dump(results, f, indent=1, default=json_default)

    proto = results["protocol"]
    meta = proto["subject"]
    n_classes = next(iter(methods.values()))["class_rank"]["n_classes"]
    table1 = _table(
        ["method", f"median class rank of {n_classes} (SE)", "mean rank", "N"],
        [[m, f"{r['class_rank']['median']:.1f} ({r['class_rank']['se_median']:.1f})",
          f"{r['class_rank']['mean']:.1f}", r["class_rank"]["n"]] for m, r in methods.items()]
        + [[f"bound: {label}", f"{results['bounds'][key]['median']:.1f}",
            f"{results['bounds'][key]['mean']:.1f}", results["bounds"][key]["n"]]
           for key, label in (("ground_truth_images", "ground-truth images"),
                              ("linear_fmri_oracle", "linear fMRI oracle (no images)"),
                              ("color_histogram_ground_truth",
                               "colour histogram of the ground truth"))]
        + [["chance (a random ranking)", f"{(n_classes + 1) / 2:.1f}",
            f"{(n_classes + 1) / 2:.1f}", ""]])
    st = results["subject_statistics"]
    true = st.get("noise_ceiling_true")
    hvc = st.get("hvc_clean_correlation")
    var = st.get("fmri_variance")

    def _var(key):
        v = var[key] if var else None
        return f"{v['p5']:.3g} / {v['p50']:.3g} / {v['p95']:.3g}" if v else "n/a"

    subject_table = _table(
        ["voxels per ROI", "split-half noise ceiling median (SD)", "true ceiling median",
         "clean HVC r within / between class",
         "voxel variance p5 / p50 / p95: training", "test means"],
        [[", ".join(f"{k} {v}" for k, v in st["voxels_per_roi"].items()),
          f"{st['noise_ceiling_split_half']['median']:.2f} "
          f"({st['noise_ceiling_split_half']['sd']:.2f})",
          f"{true['median']:.2f}" if true else "n/a (real data)",
          f"{hvc['within_class']:.2f} / {hvc['between_class']:.2f}" if hvc
          else "n/a (real data)", _var("train"), _var("test")]])
    mem_rows = [[m, f"{r['memorisation']['L_DE_decoded']:.4f}",
                 f"{r['memorisation']['L_DE_true_images']:.4f}",
                 "yes: L_DE below the true images'" if r["memorisation"]["memorises"]
                 else "no"]
                for m, r in methods.items() if r.get("memorisation")]
    mem_table = (_table(["method", "L_DE of its reconstructions", "L_DE of the true images",
                         "memorises the unpaired fMRI"], mem_rows) if mem_rows else "")
    ns = list(next(iter(methods.values()))["identification_perceptual"])

    def ident_table(key):
        return _table(["method"] + [f"{n}-way" for n in ns],
                      [[m] + [_pct(r[key][n]) for n in ns] for m, r in methods.items()]
                      + [["chance"] + [f"{100 / int(n):.1f}%" for n in ns]])

    ident, ident_px, ident_edge, ident_coupled = (ident_table(f"identification_{k}") for k in (
        "perceptual", "pixel", "edge", "perceptual_coupled"))
    keys = list(next(iter(methods.values()))["n_way_classification"])
    first_method = next(iter(methods.values()))

    def chance(entry, default):
        c = entry.get("chance")
        return f"{100 * c:.1f}%" if c is not None else default

    cls_table = _table(["method"] + keys + ["MinD-Vis 50-way"],
                       [[m] + [_pct(r["n_way_classification"][k]) for k in keys]
                        + [_pct(r["mindvis_50_way"])] for m, r in methods.items()]
                       + [["chance"] + [chance(first_method["n_way_classification"][k],
                                               "n/a") for k in keys]
                          + [chance(first_method["mindvis_50_way"], "2.0%")]])
    scores = results.get("image_scores") or {  # a results.json written before image_scores
        k: {"label": label} for k, label in (("pixcorr", "PixCorr"), ("ssim", "SSIM"),
                                             ("edge_correlation", "edge r"))}
    first = next(iter(scores))
    sim_table = _table(["method"] + [f"{v['label']} (SEM)" for v in scores.values()]
                       + ["pairwise ident. (pixels)", "N", "fit time"],
                       [[m] + [f"{r[k]['mean']:.3f} ({r[k]['sem']:.3f})" for k in scores]
                        + [f"{100 * r['pairwise_identification_pixels']['mean']:.1f}%",
                           r[first]["n"], f"{r['fit_seconds']:.0f} s"]
                        for m, r in methods.items()]
                       + [["chance"] + ["—"] * len(scores) + ["50.0%", "", ""]])
    labels = {"class_rank": "class rank", **{k: v["label"] for k, v in scores.items()}}
    compared = list(next(iter(results["wilcoxon"].values()), {}))
    tests = _table(["comparison"] + [f"{labels.get(k, k)} p" for k in compared] + ["N"],
                   [[c] + [_p(t[k]["pvalue"]) for k in compared] + [t[compared[0]]["n"]]
                    for c, t in results["wilcoxon"].items()])
    enc = results["encoder"]
    verdict_html = '<ul class="verdict">' + "".join(
        f"<li>{html.escape(v)}</li>" for v in results.get("verdicts", [])) + "</ul>"

    def img(key, alt):
        return f'<img alt="{alt}" src="data:image/png;base64,{figures[key]}">'

    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>neurodecode demo</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0;font-size:90%}}
td,th{{border:1px solid #bbb;padding:4px 8px;text-align:left}} img{{max-width:100%}}
.note{{color:#555;font-size:90%}} .meta th{{background:#f4f4f4;width:7em}}
.verdict li{{margin:0.4em 0}} .caveat{{background:#fff7e0;border-left:4px solid #e0a800;
padding:0.5em 1em}}</style></head><body>
<h1>{html.escape(proto.get('title', 'neurodecode demo: self-supervised reconstruction on the simulated subject'))}</h1>
<h2>Verdict</h2>{verdict_html}
{_underpowered(proto)}
<table class="meta"><tbody>
<tr><th>run</th><td>{'quick run (small by design: minutes on a CPU)' if proto['quick'] else 'full run'}, seed {proto['seed']}, {results['total_seconds']:.0f} s, peak memory {results['peak_rss_gb']:.2f} GB, on {html.escape(results['machine']['device'])}; neurodecode {html.escape(results['neurodecode_version'])}</td></tr>
<tr><th>networks</th><td>{html.escape(_networks(proto['networks']))}</td></tr>
<tr><th>data</th><td>{html.escape(proto['description']) if 'description' in proto else _simulated(meta)} Unpaired fMRI: {html.escape(proto['unpaired_fmri'])}.</td></tr>
<tr><th>encoder</th><td>held-out voxel r: median {enc['voxel_r_median']:.3f} ({html.escape(enc.get('noise_ceiling_kind', 'true noise ceiling'))} median {enc['noise_ceiling_median']:.3f})</td></tr>
</tbody></table>
<h2>How hard the subject is</h2>{subject_table}
<p class="note">Decoders are trained with {html.escape(proto['networks']['perceptual'])}; every
network score below uses {html.escape(proto['networks']['distance'])} (identification, gallery,
MinD-Vis), a separately trained network, except the identification table labelled
"coupled". All decoders share one default regularisation here; the comparison with each arm
tuned by cross-validation on the training pairs over several seeds is
benchmarks/honest_evidence.py.</p>
{analyses_html}
<h2>Reconstructions of the test images</h2>{img('reconstructions', 'reconstructions')}
<h2>Semantic classification (paper Table 1)</h2>{table1}
<p class="note">Rank of the true class among all gallery classes (1 = best; ties at their
expected value), by Pearson correlation of classifier embeddings with class centroids; SE of
the median by bootstrap. Bounds: the ground-truth images themselves; a ridge read-out of the
class embedding from the fMRI with no images (how much class information the data hold); a
colour-histogram classifier of the ground-truth images (how much colour alone tells).</p>
{cls_table}{img('classification', 'classification')}
<h2>Image identification (paper Fig 6)</h2>
<p>Perceptual distance ({html.escape(proto['networks']['distance'])} features), pool: other test
images, {proto['size']['n_trials']} trials per image:</p>{ident}{img('identification', 'identification')}
<p>Edge correlation distance (Sobel edges of luminance: colour-free, no network):</p>{ident_edge}
<p>Pixel correlation distance:</p>{ident_px}
<p>Coupled, secondary: perceptual distance with the training network
({html.escape(proto['networks']['coupled_distance'])}), which the decoder was optimised
against:</p>{ident_coupled}
<h2>Image similarity</h2>{sim_table}
{'<h2>Memorisation of the unpaired fMRI (L_DE)</h2>' + mem_table + '<p class="note">A decoder whose reconstructions score a lower L_DE than the images actually seen fits the unpaired vectors with images that fool the encoder: its L_DE gain is not evidence of better reconstructions.</p>' if mem_table else ''}
<h2>Statistics (Wilcoxon signed-rank, per-image scores, two-sided)</h2>{tests}
<h2>Training curves (phase II, raw terms)</h2>{img('training', 'training curves')}
<p class="note">Every number and its N: results.json.</p>
</body></html>"""
    (out / "report.html").write_text(page)


def analysis_figures(analyses, subject):
    """The ceiling/accuracy figure and the pRF figure (or None), as matplotlib Figures."""
    import pandas as pd
    from matplotlib.figure import Figure

    from ..plotting import plot_prf_maps

    ceiling = np.asarray(analyses["ceiling"], dtype=float)
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for label, names in ROI_GROUPS.items():
        m = np.zeros(len(ceiling), bool)
        for n in names:
            if n in subject.roi_masks:
                m |= np.asarray(subject.roi_masks[n], bool)
        if m.any():
            ax1.hist(ceiling[m], bins=np.linspace(-0.2, 1, 25), histtype="step", label=label)
    ax1.set(xlabel="split-half noise ceiling", ylabel="voxels",
            title="noise ceiling of the averaged test data")
    ax1.legend(fontsize=7)
    rows = analyses["per_roi"]
    names = [r["roi"] for r in rows]
    ax2.bar(np.arange(len(rows)) - 0.2, [r["r_median"] for r in rows], 0.4, label="r")
    ax2.bar(np.arange(len(rows)) + 0.2, [r["corrected_median"] for r in rows], 0.4,
            label="r / ceiling")
    ax2.set_xticks(np.arange(len(rows)), names, rotation=45, fontsize=7)
    ax2.set(title="encoder accuracy per ROI (median)", xlabel="ROI",
            ylabel="median over the voxels")
    ax2.legend(fontsize=7)
    prf_fig = None
    if "prf" in analyses:
        p = analyses["prf"]
        prf = pd.DataFrame({k: p[k] for k in ("x", "y", "eccentricity", "polar_angle",
                                                "confined")})
        truth = (pd.DataFrame({"x": p["true_x"], "y": p["true_y"]}) if "true_x" in p
                 else None)
        if prf.confined.any():
            prf_fig = plot_prf_maps(prf, roi=p["roi"], truth=truth,
                                    stimulus_degrees=p["stimulus_degrees"])
    return fig, prf_fig
