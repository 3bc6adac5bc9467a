"""The ROI vocabulary of the package: every ROI name is written here, and only here.

Per-voxel labels (``subject.roi``) and the keys of ``subject.roi_masks`` use these names,
whatever the source: GOD's BIDS masks, GOD's BData columns (which spell ``V4`` where the
package says ``hV4``), vim-1's ROI codes or the simulated subject.
"""

#: The areas of a GOD subject, early to late (the per-voxel labels).
ROIS = ("V1", "V2", "V3", "hV4", "LOC", "FFA", "PPA")

#: Early visual areas (whose pRFs are read out) and higher visual areas.
EARLY_AREAS = ROIS[:3]
HIGHER_AREAS = ROIS[4:]

#: Composite ROIs, as unions of areas: lower (LVC), higher (HVC) and whole visual cortex.
COMPOSITES = {"LVC": EARLY_AREAS, "HVC": HIGHER_AREAS, "VC": ROIS}

#: Lower, intermediate and higher areas, as the reports group voxels.
ROI_GROUPS = {"LVC": EARLY_AREAS, ROIS[3]: (ROIS[3],), "HVC": HIGHER_AREAS}

#: The label of a voxel that is in none of the areas.
OTHER = "other"

#: Other spellings of an area, as some files write it -> the package's name.
ALIASES = {"V4": ROIS[3]}

#: GOD's mask files (``sub-XX_mask_{LH,RH}_<name>.nii.gz``): the dorsal and ventral halves
#: of V1-V3, hV4, the three higher areas and GOD's own HVC mask.
GOD_MASK_ROIS = (tuple(f"{a}{half}" for a in EARLY_AREAS for half in "dv")
                 + (ROIS[3],) + HIGHER_AREAS + ("HVC",))

#: GOD's names that are unions of mask files (``V4`` being GOD's name of ``hV4``).
GOD_COMPOSITES = {
    **{a: (f"{a}d", f"{a}v") for a in EARLY_AREAS},
    "V4": (ROIS[3],),
    "LVC": GOD_MASK_ROIS[:6],
    "VC": GOD_MASK_ROIS[:7] + ("HVC",),
}

#: Per-voxel labels of GOD data, most specific first (a voxel takes the first that holds it;
#: ``HVC`` labels the HVC-mask voxels in none of LOC / FFA / PPA).
GOD_LABEL_ORDER = ROIS + ("HVC",)

#: The ROI columns of GOD's BData files (``ROI_<name>``), as the files spell them.
BDATA_ROIS = EARLY_AREAS + ("V4",) + HIGHER_AREAS + tuple(COMPOSITES)

#: vim-1's ROI codes (``roiS<n>``) -> names (Kay et al. 2008's areas).
VIM1_ROIS = {0: OTHER, 1: "V1", 2: "V2", 3: "V3", 4: "V3A", 5: "V3B", 6: "V4", 7: "LatOcc"}

HEMISPHERES = ("LH", "RH")

#: The ROI the loaders keep by default: the whole visual cortex.
DEFAULT_ROIS = ("VC",)


def canonical_roi(name):
    """The package's name of a ROI name as a file may spell it (``"V4"`` -> ``"hV4"``).

    Parameters
    ----------
    name : str

    Returns
    -------
    name : str

    Examples
    --------
    >>> from neurodecode._rois import canonical_roi
    >>> canonical_roi("V4"), canonical_roi("LOC")
    ('hV4', 'LOC')
    """
    return ALIASES.get(name, name)
