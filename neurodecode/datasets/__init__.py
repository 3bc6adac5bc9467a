"""Datasets: procedural class-structured images and the simulated subject."""
from ._images import class_recipe, load_photographs, make_class_images, pink_noise
from ._synthetic import (
    COMPOSITES,
    ROIS,
    class_descriptor,
    gabor_energy,
    make_synthetic_subject,
)

__all__ = [
    "COMPOSITES",
    "ROIS",
    "class_descriptor",
    "class_recipe",
    "gabor_energy",
    "load_photographs",
    "make_class_images",
    "make_synthetic_subject",
    "pink_noise",
]
