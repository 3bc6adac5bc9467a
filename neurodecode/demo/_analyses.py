"""The report's encoder analyses (paper Fig 9): accuracy against the noise ceiling per ROI,
and population receptive fields of early visual voxels (against the truth when known)."""
import numpy as np

from .._rois import EARLY_AREAS as EARLY, ROI_GROUPS


def encoder_analyses(subject, encoder, voxel_r, *, ceiling=None, max_prf_voxels=600,
                     random_state=0):
    """Noise-corrected accuracy per ROI and pRFs of (up to ``max_prf_voxels``) V1-V3 voxels.

    Returns a JSON-serialisable dict: ``per_roi`` rows (voxels, median r, median
    split-half ceiling, median noise-corrected r, and with a simulated subject the median
    true ceiling and the correlation of r with it), the split-half ceilings per voxel, and
    ``prf``: the estimated table of the selected voxels, their ROI, the true centres when
    known and the agreement per ROI (:func:`~neurodecode.analysis.receptive_field_agreement`).
    ``ceiling``: the split-half ceilings when already computed (else computed here).
    """
    from ..analysis import (estimate_prf, noise_ceiling, noise_corrected_accuracy,
                            receptive_field_agreement)

    if ceiling is None:
        ceiling = noise_ceiling(subject.X_test_trials, random_state=random_state)
    corrected = noise_corrected_accuracy(voxel_r, ceiling, min_ceiling=0.3)
    true = subject.get("noise_ceiling") if "noise_ceiling_single_trial" in subject else None
    rows = []
    for roi, mask in subject.roi_masks.items():
        mask = np.asarray(mask, bool)
        if not mask.any():
            continue
        row = {"roi": roi, "n_voxels": int(mask.sum()),
               "r_median": float(np.median(voxel_r[mask])),
               "ceiling_median": float(np.nanmedian(ceiling[mask])),
               "corrected_median": float(np.nanmedian(corrected[mask]))
               if np.isfinite(corrected[mask]).any() else float("nan"),
               "n_above_min_ceiling": int(np.isfinite(corrected[mask]).sum())}
        if true is not None:
            row["true_ceiling_median"] = float(np.median(true[mask]))
            row["r_vs_true_ceiling"] = float(np.corrcoef(voxel_r[mask], true[mask])[0, 1]) \
                if mask.sum() > 2 else float("nan")
        rows.append(row)
    out = {"per_roi": rows, "ceiling": ceiling.tolist(),
           "min_ceiling": 0.3}
    if true is not None:
        out["r_vs_true_ceiling"] = float(np.corrcoef(voxel_r, true)[0, 1])

    roi = np.full(len(voxel_r), "", object)
    for name in EARLY:
        if name in subject.roi_masks:
            roi[np.asarray(subject.roi_masks[name], bool)] = name
    early = np.flatnonzero(roi != "")
    if len(early) >= 3:
        pick = early[np.unique(np.linspace(0, len(early) - 1, min(len(early), max_prf_voxels))
                               .round().astype(int))]
        degrees = float(subject.get("meta", {}).get("stimulus_degrees", 12.0))
        prf = estimate_prf(encoder, voxels=pick, stimulus_degrees=degrees)
        res = {"voxels": pick.tolist(), "roi": roi[pick].tolist(),
               **{k: prf[k].tolist() for k in prf.columns}, "stimulus_degrees": degrees,
               "confined_fraction": float(prf.confined.mean())}
        if "prf_center" in subject:
            import pandas as pd

            xy = np.asarray(subject.prf_center)[pick]
            truth = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})
            truth["eccentricity"] = np.hypot(truth.x, truth.y)
            truth["polar_angle"] = np.rad2deg(np.arctan2(truth.y, truth.x)) % 360
            res["true_x"], res["true_y"] = truth.x.tolist(), truth.y.tolist()
            agree = {}
            conf = prf.confined.to_numpy()
            for name, m in [("V1-V3", conf)] + [(r, conf & (roi[pick] == r)) for r in EARLY]:
                agree[name] = (receptive_field_agreement(prf, truth, m) if m.sum() >= 3
                               else {"n": int(m.sum())})
            far = conf & (truth.eccentricity.to_numpy() > 1.5)
            agree["V1-V3, eccentricity > 1.5 deg"] = (
                receptive_field_agreement(prf, truth, far) if far.sum() >= 3
                else {"n": int(far.sum())})
            res["agreement"] = agree
        out["prf"] = res
    return out


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
    ax2.set(title="encoder accuracy per ROI (median)")
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
