"""GOD ROI masks: ``sourcedata/sub-XX/anat/sub-XX_mask_{LH,RH}_{ROI}.nii.gz`` and composites."""
import numpy as np

from .._rois import GOD_COMPOSITES, GOD_LABEL_ORDER, GOD_MASK_ROIS, HEMISPHERES, OTHER


def known_roi_names():
    """Every name :func:`resolve_roi` accepts (without the hemisphere prefix).

    Returns
    -------
    names : list of str
        Mask-file ROIs and composites.
    """
    return sorted(set(GOD_MASK_ROIS) | set(GOD_COMPOSITES), key=str.lower)


def resolve_roi(name):
    """Mask files (hemisphere, ROI) making up a ROI name.

    Parameters
    ----------
    name : str
        A mask ROI (``"V1d"``, ``"LOC"``, ...), a composite (``"V1"``, ``"V4"``, ``"LVC"``,
        ``"HVC"``, ``"VC"``), optionally prefixed by one hemisphere (``"LH_V1"``,
        ``"RH_VC"``); ``"+"`` joins several into a union (``"V1+FFA"``).

    Returns
    -------
    parts : list of (str, str)
        The (hemisphere, mask ROI) pairs whose union is the ROI.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> from neurodecode.datasets import resolve_roi
    >>> resolve_roi("LH_V1")
    [('LH', 'V1d'), ('LH', 'V1v')]
    >>> len(resolve_roi("V1+FFA"))
    6
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"rois: ROI names are strings; got {name!r}.")
    parts = []
    for token in name.split("+"):
        hemis = HEMISPHERES
        base = token
        for h in HEMISPHERES:
            if token.startswith(h + "_"):
                hemis, base = (h,), token[len(h) + 1:]
        if base in GOD_COMPOSITES:
            members = GOD_COMPOSITES[base]
        elif base in GOD_MASK_ROIS:
            members = (base,)
        else:
            raise ValueError(
                f"rois: unknown ROI {token!r}. Known: {known_roi_names()}, each optionally "
                "prefixed by 'LH_' or 'RH_' (one hemisphere); join with '+' for a union.")
        parts += [(h, m) for h in hemis for m in members]
    return list(dict.fromkeys(parts))


def voxel_labels(masks, keep):
    """Label each kept voxel with the most specific area that contains it.

    Parameters
    ----------
    masks : dict of (str, str) -> ndarray of bool
        The mask files' volumes, keyed by (hemisphere, ROI).
    keep : ndarray of bool
        The union mask of the voxels kept (their order: C order of the volume).

    Returns
    -------
    labels : ndarray of str, one per kept voxel
        ``"V1"`` ... ``"PPA"``, ``"HVC"`` (in HVC but none of LOC/FFA/PPA) or ``"other"``.
    hemisphere : ndarray of str, one per kept voxel
        ``"LH"``, ``"RH"`` or ``""`` when neither mask contains it.
    """
    n = int(keep.sum())
    labels = np.full(n, OTHER, dtype=object)
    hemisphere = np.full(n, "", dtype=object)
    done = np.zeros(n, bool)
    for label in GOD_LABEL_ORDER:
        members = GOD_COMPOSITES.get(label, (label,))  # HVC: GOD's own HVC mask file
        for (h, roi), vol in masks.items():
            if roi in members:
                hit = vol[keep] & ~done
                labels[hit] = label
                hemisphere[hit] = h
        done |= labels != OTHER
    for (h, _), vol in masks.items():
        miss = (hemisphere == "") & vol[keep]
        hemisphere[miss] = h
    return labels.astype(str), hemisphere.astype(str)
