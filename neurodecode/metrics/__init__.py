"""Evaluation metrics of the paper (EVALUATION.md): identification, image similarity,
large-scale semantic classification, and statistics.

All functions take numpy arrays (images (n, H, W, 3) in [0, 1]), return numpy/floats or
Bunch objects that name their protocol, and accept ``random_state``.
"""
from ._classification import (
    GALLERY_PROTOCOL,
    MINDVIS_PROTOCOL,
    ClassGallery,
    class_ranks,
    mindvis_classification,
    n_way_classification,
    semantic_classification,
)
from ._features import FeatureModel, PerceptualDistance
from ._identification import (
    n_way_identification,
    pairwise_identification,
    pixel_correlation_distance,
)
from ._image import pixel_correlation, ssim
from ._stats import bootstrap_ci, bootstrap_se, mann_whitney, sem, summarize, wilcoxon

__all__ = [
    "ClassGallery",
    "FeatureModel",
    "GALLERY_PROTOCOL",
    "MINDVIS_PROTOCOL",
    "PerceptualDistance",
    "bootstrap_ci",
    "bootstrap_se",
    "class_ranks",
    "mann_whitney",
    "mindvis_classification",
    "n_way_classification",
    "n_way_identification",
    "pairwise_identification",
    "pixel_correlation",
    "pixel_correlation_distance",
    "semantic_classification",
    "sem",
    "ssim",
    "summarize",
    "wilcoxon",
]
