"""Retinotopy figures from a pRF table (paper Fig 9)."""
import numpy as np

from .._docs import fill_doc
from .._utils import correlation
from ._figures import _figure


def _agreement_text(est, true, key):
    from ..analysis import circular_correlation

    if len(est) < 3:
        return "n < 3"
    if key == "polar_angle":
        return f"circ. r = {circular_correlation(est, true):.2f} (n = {len(est)})"
    return f"r = {correlation(est, true):.2f} (n = {len(est)})"


@fill_doc
def plot_prf_maps(prf, *, roi=None, truth=None, stimulus_degrees=12.0, confined_only=True,
                  max_rois=6, flatmap=None, figure=None):
    """Visual-field coverage per ROI, coloured by polar angle and by eccentricity.

    Each panel places every voxel's pRF centre in the visual field (fixation at 0, the
    stimulus square outlined); the first row colours them by polar angle (cyclic
    ``hsv`` map), the second by eccentricity. With ``truth`` a third row plots the
    estimates against the true eccentricity and polar angle (r and the Fisher-Lee circular
    correlation in the titles). With ``flatmap`` (pycortex) a last row shows both maps on
    the cortical flatmap, opacity from ``flatmap["opacity"]`` when given.

    Parameters
    ----------
    prf : pandas.DataFrame
        One row per voxel with ``x``, ``y``, ``eccentricity``, ``polar_angle`` and
        ``confined`` (:func:`~neurodecode.analysis.estimate_prf` or
        :func:`~neurodecode.analysis.decoder_receptive_fields`).
    roi : array-like of shape (n_voxels,) or None, default=None
        ROI name per voxel (e.g. a dataset's ``roi``); None puts all voxels in one panel.
    truth : pandas.DataFrame or None, default=None
        True ``x``/``y`` (deg) per voxel, e.g. from the simulated subject's
        ``prf_center``; ``eccentricity`` and ``polar_angle`` are derived when missing.
    stimulus_degrees : float, default=12.0
        Visual angle of the image side (the outlined square).
    confined_only : bool, default=True
        Leave out voxels whose map failed the confinement test (the paper's practice).
    max_rois : int, default=6
        At most this many ROI panels per row (the ROIs with most voxels, in order of
        appearance).
    flatmap : dict or None, default=None
        Keyword arguments of :func:`plot_flatmap` (``subject``, ``xfm``, ``masker`` and
        optionally ``opacity``) to add flatmaps of polar angle and eccentricity. The voxels
        left out by ``confined_only`` are transparent.
    %(figure)s

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn into: ``figure`` when given, else a new one.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from neurodecode.plotting import plot_prf_maps
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.uniform(-5, 5, (2, 40))
    >>> prf = pd.DataFrame({"x": x, "y": y, "eccentricity": np.hypot(x, y),
    ...                     "polar_angle": np.rad2deg(np.arctan2(y, x)) % 360,
    ...                     "confined": True})
    >>> fig = plot_prf_maps(prf, roi=["V1"] * 20 + ["V2"] * 20, truth=prf[["x", "y"]])
    >>> len(fig.axes)  # 2 coverage rows x 2 ROIs, 2 truth panels, 2 colour bars
    8
    """
    import matplotlib
    import pandas as pd

    need = {"x", "y", "eccentricity", "polar_angle"}
    if not isinstance(prf, pd.DataFrame) or not need <= set(prf.columns):
        raise ValueError(f"prf must be a DataFrame with columns {sorted(need)} (and "
                         "'confined'), as returned by estimate_prf.")
    n = len(prf)
    roi = np.full(n, "all voxels", object) if roi is None else np.asarray(roi, dtype=object)
    if roi.shape != (n,):
        raise ValueError(f"roi must have one name per voxel ({n}); got shape {roi.shape}.")
    keep = np.asarray(prf["confined"], bool) if confined_only and "confined" in prf \
        else np.ones(n, bool)
    if truth is not None:
        truth = pd.DataFrame(truth).reset_index(drop=True)
        if len(truth) != n or not {"x", "y"} <= set(truth.columns):
            raise ValueError(f"truth must be a DataFrame with 'x' and 'y' for the same {n} "
                             "voxels.")
        if "eccentricity" not in truth:
            truth["eccentricity"] = np.hypot(truth["x"], truth["y"])
        if "polar_angle" not in truth:
            truth["polar_angle"] = np.rad2deg(np.arctan2(truth["y"], truth["x"])) % 360
    names, counts = np.unique(roi[keep], return_counts=True)
    order = {name: i for i, name in enumerate(dict.fromkeys(roi[keep]))}
    names = sorted(names[np.argsort(-counts, kind="stable")][:max_rois], key=order.get)
    if not names:
        raise ValueError("no voxel to plot: every map failed the confinement test; try "
                         "confined_only=False.")
    n_rows = 2 + (truth is not None) + (flatmap is not None)
    n_cols = max(len(names), 2)
    fig = _figure((2.3 * n_cols + 0.8, 2.3 * n_rows), figure)
    grid = fig.add_gridspec(n_rows, n_cols)
    half = stimulus_degrees / 2
    ecc_max = float(np.nanmax(np.r_[prf["eccentricity"].to_numpy()[keep], half]))
    cyc = matplotlib.colormaps["hsv"]
    rows = (("polar_angle", cyc, 0.0, 360.0, "polar angle (deg)"),
            ("eccentricity", matplotlib.colormaps["viridis"], 0.0, ecc_max,
             "eccentricity (deg)"))
    for r, (key, cmap, lo, hi, label) in enumerate(rows):
        for c, name in enumerate(names):
            ax = fig.add_subplot(grid[r, c])
            sel = keep & (roi == name)
            sc = ax.scatter(prf["x"].to_numpy()[sel], prf["y"].to_numpy()[sel], s=9,
                            c=prf[key].to_numpy()[sel], cmap=cmap, vmin=lo, vmax=hi,
                            linewidths=0)
            ax.add_patch(matplotlib.patches.Rectangle((-half, -half), 2 * half, 2 * half,
                                                      fill=False, lw=0.8, color="0.4"))
            ax.axhline(0, color="0.8", lw=0.5, zorder=0)
            ax.axvline(0, color="0.8", lw=0.5, zorder=0)
            lim = max(half, ecc_max) * 1.05
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
            ax.tick_params(labelsize=7)
            if r == 0:
                ax.set_title(f"{name} (n = {int(sel.sum())})", fontsize=9)
            if c == 0:
                ax.set_ylabel("y (deg)", fontsize=8)
            if r == len(rows) - 1:
                ax.set_xlabel("x (deg)", fontsize=8)
        fig.colorbar(sc, ax=fig.axes[-len(names):], label=label, shrink=0.8)
    row = 2
    if truth is not None:
        for c, key in enumerate(("eccentricity", "polar_angle")):
            ax = fig.add_subplot(grid[row, c])
            est = prf[key].to_numpy()[keep]
            tru = truth[key].to_numpy()[keep]
            ax.scatter(tru, est, s=6, alpha=0.6, linewidths=0)
            top = 360.0 if key == "polar_angle" else float(max(tru.max(initial=0),
                                                              est.max(initial=0)))
            ax.plot([0, top], [0, top], color="0.5", lw=0.8)
            ax.set_xlabel(f"true {key.replace('_', ' ')} (deg)", fontsize=8)
            ax.set_ylabel("estimated (deg)", fontsize=8)
            ax.set_title(_agreement_text(est, tru, key), fontsize=9)
            ax.tick_params(labelsize=7)
        row += 1
    if flatmap is not None:
        from ._maps import plot_flatmap

        flat = dict(flatmap)
        for c, (key, cmap, lo, hi, _) in enumerate(rows):
            vals = np.where(keep, prf[key].to_numpy(dtype=float), np.nan)
            ax = fig.add_subplot(grid[row, c])
            plot_flatmap(vals, cmap=cmap, vmin=lo, vmax=hi, axes=ax, **flat)
            ax.set_title(f"{key.replace('_', ' ')} on the flatmap", fontsize=9)
    return fig
