"""Figures: reconstruction grids, identification and classification plots, training curves,
per-voxel brain maps (nilearn, pycortex flatmaps) and retinotopy."""
from ._figures import (
    plot_classification,
    plot_identification,
    plot_reconstructions,
    plot_training_curves,
)
from ._maps import plot_flatmap, plot_voxel_map, values_to_img
from ._prf import plot_prf_maps

__all__ = [
    "plot_classification",
    "plot_flatmap",
    "plot_identification",
    "plot_prf_maps",
    "plot_reconstructions",
    "plot_training_curves",
    "plot_voxel_map",
    "values_to_img",
]
