"""Figures: reconstruction grids, identification and classification plots, training curves."""
from ._figures import (
    plot_classification,
    plot_identification,
    plot_reconstructions,
    plot_training_curves,
)

__all__ = [
    "plot_classification",
    "plot_identification",
    "plot_reconstructions",
    "plot_training_curves",
]
