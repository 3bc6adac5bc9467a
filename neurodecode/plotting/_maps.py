"""Per-voxel values on the brain: NIfTI through a masker, nilearn views, pycortex flatmaps."""
import numbers
import shutil

import numpy as np

from .._docs import fill_doc
from .._validation import check_number
from ._figures import _figure, _figure_axes


def _n_mask_voxels(masker):
    mask = getattr(masker, "mask_img_", None)
    if mask is None:
        return None
    return int(np.count_nonzero(np.asarray(mask.dataobj)))


def _resolve_masker(masker):
    """A fitted masker from a masker, an estimator or dataset holding one, or a mask image."""
    from sklearn.utils.validation import check_is_fitted

    if isinstance(masker, dict) and "masker" in masker:  # a dataset Bunch
        masker = masker["masker"]
    elif hasattr(masker, "masker_") and not hasattr(masker, "inverse_transform"):
        if masker.masker_ is None:
            raise ValueError(
                f"masker: this {type(masker).__name__} was fitted on arrays, so it has no "
                "masker_; pass the NiftiMasker (or mask image) the arrays came from.")
        masker = masker.masker_
    if masker is None:
        raise ValueError("masker must be a fitted NiftiMasker, an estimator or dataset holding "
                         "one, or a mask image; got None.")
    if hasattr(masker, "inverse_transform"):
        try:
            check_is_fitted(masker)
        except Exception as exc:  # NotFittedError, or a masker without fitted attributes
            raise ValueError(f"masker: {type(masker).__name__} is not fitted; call "
                             "masker.fit() first.") from exc
        return masker
    from .._validation import mask_masker

    try:
        return mask_masker(masker).fit()
    except Exception as exc:
        raise ValueError(f"masker must be a fitted NiftiMasker, an estimator or dataset "
                         f"holding one, or a mask image (path or Nifti1Image); could not use "
                         f"{masker!r} as a mask: {exc}") from exc


def _check_values(values, n_voxels, name="values"):
    values = np.asarray(values)
    if values.dtype == bool:
        values = values.astype(np.float32)
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.number) \
            or np.iscomplexobj(values):
        raise ValueError(f"{name} must be a 1D real array with one value per voxel; got shape "
                         f"{values.shape} and dtype {values.dtype}.")
    if n_voxels is not None and len(values) != n_voxels:
        raise ValueError(f"{name} has {len(values)} values but the masker's mask has "
                         f"{n_voxels} voxels; pass one value per voxel of that mask, in the "
                         "masker's order (e.g. the columns of masker.transform(imgs)).")
    return values.astype(np.float32)


def values_to_img(values, masker):
    """A NIfTI image of per-voxel values, through a masker.

    Parameters
    ----------
    values : array-like of shape (n_voxels,)
        One value per voxel of the mask, in the masker's order. NaN stays NaN.
    masker : NiftiMasker, estimator, dataset Bunch or mask image
        A fitted :class:`~nilearn.maskers.NiftiMasker`; an estimator fitted on Niimg input
        (its ``masker_``); a dataset such as :func:`~neurodecode.datasets.load_god`'s result
        (its ``masker``); or a mask image (path or ``Nifti1Image``).

    Returns
    -------
    img : nibabel.Nifti1Image
        The values in the mask's space; zero outside the mask.

    Examples
    --------
    >>> import numpy as np, nibabel as nib
    >>> from neurodecode.plotting import values_to_img
    >>> mask = nib.Nifti1Image(np.ones((2, 2, 1), np.int8), np.eye(4))
    >>> values_to_img([1.0, 2.0, 3.0, 4.0], mask).get_fdata()[..., 0]
    array([[1., 2.],
           [3., 4.]])
    """
    masker = _resolve_masker(masker)
    values = _check_values(values, _n_mask_voxels(masker))
    return _squeeze_img(masker.inverse_transform(values[None]))


def _squeeze_img(img):
    import nibabel as nib

    data = np.asarray(img.dataobj)
    if data.ndim == 4 and data.shape[-1] == 1:
        img = nib.Nifti1Image(data[..., 0], img.affine, img.header)
    return img


@fill_doc
def plot_voxel_map(values, masker, *, kind="stat_map", threshold=None, cmap=None, vmax=None,
                   title=None, bg_img=None, colorbar=True, figure=None, axes=None, **kwargs):
    """Plot per-voxel values (accuracy, noise ceiling, pRF parameters) as a brain map.

    The values go to NIfTI through the masker (:func:`values_to_img`) and are drawn with
    nilearn (:func:`~nilearn.plotting.plot_stat_map` or
    :func:`~nilearn.plotting.plot_glass_brain`). NaN voxels (e.g. below a noise-ceiling
    threshold) are left blank.

    Parameters
    ----------
    values : array-like of shape (n_voxels,)
        One value per voxel of the masker's mask, in its order.
    masker : NiftiMasker, estimator, dataset Bunch or mask image
        Where the voxels are: see :func:`values_to_img`.
    kind : {"stat_map", "glass_brain"}, default="stat_map"
        Orthogonal slices, or a glass-brain projection (meaningful in MNI space only).
    threshold : float or None, default=None
        Values with ``abs(value) <= threshold`` are not drawn. None draws every voxel with a
        finite, non-zero value.
    cmap : str or matplotlib colormap or None, default=None
        None: nilearn's default for the ``kind``. Use a cyclic map (``"twilight"``,
        ``"hsv"``) for polar angles.
    vmax : float or None, default=None
        Colour range; None uses the largest absolute value.
    title : str or None, default=None
        Title drawn on the display.
    bg_img : Niimg-like or None, default=None
        Anatomical background in the same space (e.g. the subject's T1w or mean EPI).
        None draws no background: nilearn's default, the MNI template, is wrong for
        native-space data such as GOD's.
    colorbar : bool, default=True
        Draw a colour bar.
    %(figure)s
    %(axes)s
    **kwargs
        Passed on to the nilearn function (e.g. ``cut_coords``, ``display_mode``).

    Returns
    -------
    display : nilearn.plotting.displays.BaseSlicer
        The nilearn display; ``display.frame_axes.figure`` is the figure.

    Examples
    --------
    >>> import numpy as np, nibabel as nib
    >>> from neurodecode.plotting import plot_voxel_map
    >>> mask = nib.Nifti1Image(np.ones((4, 4, 4), np.int8), np.eye(4))
    >>> display = plot_voxel_map(np.arange(64.0), mask, threshold=10)
    >>> display.frame_axes.figure is not None
    True
    """
    from nilearn import plotting

    if kind not in ("stat_map", "glass_brain"):
        raise ValueError(f"kind must be 'stat_map' or 'glass_brain'; got {kind!r}.")
    masker = _resolve_masker(masker)
    values = _check_values(values, _n_mask_voxels(masker))
    finite = np.isfinite(values)
    if not finite.any():
        raise ValueError("values has no finite entry; nothing to plot.")
    if vmax is None:
        vmax = float(np.abs(values[finite]).max()) or 1.0
    img = _squeeze_img(masker.inverse_transform(np.where(finite, values, 0.0)[None]))
    if axes is None:
        fig = _figure((7.5, 2.8) if kind == "stat_map" else (7.5, 2.6), figure)
        fig.set_layout_engine(None)
        where = {"figure": fig}
    else:
        if figure is not None and axes.figure is not figure:
            raise ValueError("axes belongs to another figure than figure; pass one of them.")
        where = {"figure": axes.figure, "axes": axes}
    if threshold is None:
        threshold = 1e-12 * vmax  # blank: outside the mask, and NaN voxels (set to 0)
    common = dict(threshold=threshold, vmax=vmax, title=title, colorbar=colorbar,
                  **where, **kwargs)
    if cmap is not None:
        common["cmap"] = cmap
    if kind == "stat_map":
        return plotting.plot_stat_map(img, bg_img=bg_img,
                                      **common)
    if bg_img is not None:
        raise ValueError("bg_img is not used by kind='glass_brain'; leave it None.")
    return plotting.plot_glass_brain(img, plot_abs=False, **common)


def _volume(values, masker, shape, name="values"):
    """Values as a 3D array in pycortex's (z, y, x) order, NaN outside the mask."""
    import nibabel as nib

    if masker is None:
        if isinstance(values, str):
            values = nib.load(values)
        if isinstance(values, nib.spatialimages.SpatialImage):
            vol = np.asarray(values.dataobj, dtype=np.float32)
            vol = np.squeeze(vol).T  # nibabel (x, y, z) -> pycortex (z, y, x)
        else:
            vol = np.asarray(values, dtype=np.float32)
            if vol.ndim == 1:
                raise ValueError(f"{name} is 1D (one value per voxel): pass masker (the "
                                 "NiftiMasker or mask image in the transform's reference "
                                 "space) so the voxels can be put back in the volume.")
    else:
        masker = _resolve_masker(masker)
        vals = _check_values(values, _n_mask_voxels(masker), name)
        mask = np.asarray(masker.mask_img_.dataobj) != 0
        vol = np.full(mask.shape, np.nan, np.float32)
        vol[mask] = vals  # nilearn's voxel order is the C order of the boolean mask
        vol = vol.T
    if vol.shape != tuple(shape):
        raise ValueError(f"{name} give a volume of shape {vol.shape} (z, y, x) but the "
                         f"transform's reference volume has shape {tuple(shape)}; the "
                         f"{name} (or masker) must be in the functional space the pycortex "
                         "transform was made for.")
    return vol


def _inkscape_available():
    return shutil.which("inkscape") is not None


@fill_doc
def plot_flatmap(values, subject, xfm, *, masker=None, opacity=None, cmap="viridis", vmin=None,
                 vmax=None, with_rois=None, with_curvature=True, colorbar=True, height=512,
                 figure=None, axes=None, ax=None):
    """Draw per-voxel values on a pycortex flatmap, transparency coded by e.g. noise ceiling.

    Needs pycortex (``pip install neurodecode[viz]``), imported only when this is called.
    As in the paper's Fig 9, ``opacity`` (e.g. each voxel's noise ceiling) sets each voxel's
    opacity. pycortex writes a user configuration on its first import
    (``$XDG_CONFIG_HOME/pycortex/options.cfg``) that fixes its subject database; point that
    file's ``[basic] filestore`` at your database before the first call.

    Parameters
    ----------
    values : array-like or Niimg-like
        A 1D array with one value per voxel of ``masker``; a 3D array in pycortex's
        ``(z, y, x)`` order of the transform's reference volume; or a 3D NIfTI image in
        that space.
    subject : str
        Name of the pycortex subject (e.g. the demo subject ``"S1"``).
    xfm : str
        Name of the subject's functional-to-anatomical transform (e.g. ``"fullhead"``).
    masker : NiftiMasker, estimator, dataset Bunch, mask image or None, default=None
        Where the 1D ``values`` are (see :func:`values_to_img`); its mask must be in the
        transform's reference space.
    opacity : array-like or None, default=None
        Alpha per voxel in [0, 1], shaped like ``values`` (e.g. the noise ceiling,
        clipped); None draws every voxel opaque. Opacities outside [0, 1] are clipped to it,
        NaN opacities are 0; NaN values are always transparent.
    cmap : str or matplotlib colormap, default="viridis"
        Colormap; use a cyclic one (``"twilight"``, ``"hsv"``) for polar angles.
    vmin, vmax : float or None, default=None
        Colour range (``vmax > vmin``); None uses the 1st and 99th percentiles of the
        finite values.
    with_rois : bool or None, default=None
        Draw ROI outlines and labels (needs Inkscape: True without it is an error); None
        draws them when Inkscape is installed.
    with_curvature : bool, default=True
        Draw the cortical curvature under the data.
    colorbar : bool, default=True
        Add a colour bar for ``values``.
    height : int, default=512
        Height of the rendered flatmap in pixels (at least 16).
    %(figure)s
    %(axes)s
    ax : matplotlib.axes.Axes or None, default=None
        Deprecated alias of ``axes`` (the name nilearn and matplotlib use).

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn into (``ax``'s figure when ``ax`` is given).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.plotting import plot_flatmap
    >>> vol = np.random.default_rng(0).random((31, 100, 100))  # S1's "fullhead" space
    >>> fig = plot_flatmap(vol, "S1", "fullhead", opacity=vol)  # doctest: +SKIP
    """
    if ax is not None:
        import warnings

        warnings.warn("plot_flatmap(ax=...) is deprecated; pass axes=... (as nilearn).",
                      FutureWarning, stacklevel=2)
        if axes is not None:
            raise ValueError("pass axes only (ax is its deprecated alias).")
        axes = ax
    try:
        import cortex
    except ImportError as exc:
        raise ImportError("plot_flatmap needs pycortex: pip install 'neurodecode[viz]' "
                          "(or pip install pycortex).") from exc
    import matplotlib

    check_number(vmin, "vmin", allow_none=True)
    check_number(vmax, "vmax", allow_none=True)
    check_number(height, "height", numbers.Integral, low=16)
    if isinstance(cmap, str):
        if cmap not in matplotlib.colormaps:
            raise ValueError(f"cmap={cmap!r} is not a matplotlib colormap (see "
                             "matplotlib.colormaps); e.g. 'viridis', or 'twilight' for "
                             "polar angles.")
        colormap = matplotlib.colormaps[cmap]
    elif isinstance(cmap, matplotlib.colors.Colormap):
        colormap = cmap
    else:
        raise TypeError(f"cmap must be a colormap name or a matplotlib Colormap; got "
                        f"{cmap!r}.")
    rois = _inkscape_available() if with_rois is None else bool(with_rois)
    if rois and not _inkscape_available():
        raise ValueError("with_rois=True draws the ROI outlines with Inkscape, which is not "
                         "installed (apt install inkscape); pass with_rois=False.")
    try:
        ref = cortex.db.get_xfm(subject, xfm)
    except Exception as exc:
        raise ValueError(f"pycortex has no transform {xfm!r} for subject {subject!r} in its "
                         f"database {cortex.database.default_filestore!r}: {exc}") from exc
    vol = _volume(values, masker, ref.shape)
    finite = np.isfinite(vol)
    if not finite.any():
        raise ValueError("values has no finite entry; nothing to plot.")
    if vmin is not None and vmax is not None and vmax <= vmin:
        raise ValueError(f"vmax={vmax!r} must be larger than vmin={vmin!r}.")
    lo, hi = np.percentile(vol[finite], [1, 99])
    given = (vmin, vmax)
    vmin = float(lo) if vmin is None else float(vmin)
    vmax = float(hi) if vmax is None else float(vmax)
    if vmax <= vmin:
        if given != (None, None):
            raise ValueError(f"the colour range is empty: vmin={vmin:g}, vmax={vmax:g} (one "
                             "given, the other the 1st/99th percentile of the values); pass "
                             "both.")
        vmax = vmin + 1.0  # constant values: any range shows them
    if opacity is None:
        a = np.ones_like(vol)
    else:
        if masker is None and np.ndim(opacity) == 1:
            raise ValueError("opacity must be shaped like values.")
        a = _volume(opacity, masker, ref.shape, "opacity")
        a = np.clip(np.nan_to_num(a, nan=0.0), 0.0, 1.0)
    a = np.where(finite, a, 0.0).astype(np.float32)
    rgba = colormap(np.clip((np.nan_to_num(vol, nan=vmin) - vmin) / (vmax - vmin), 0, 1))
    rgb = (rgba[..., :3] * 255).round().astype(np.uint8)
    view = cortex.VolumeRGB(rgb[..., 0], rgb[..., 1], rgb[..., 2], subject, xfm, alpha=a)
    fig, ax = _figure_axes((8.0, 4.2), figure, axes)
    cortex.quickflat.make_figure(view, with_rois=rois, with_labels=rois, with_colorbar=False,
                                 with_curvature=with_curvature, height=height, fig=ax)
    ax.set_axis_off()
    if colorbar:
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        fig.colorbar(ScalarMappable(Normalize(vmin, vmax), colormap), ax=ax, shrink=0.6,
                     orientation="horizontal", fraction=0.05, pad=0.02)
    return fig
