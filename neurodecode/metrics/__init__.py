"""Evaluation metrics of the paper: identification, image similarity, large-scale semantic
classification, statistics, the whole battery in one call (:func:`evaluate_reconstructions`)
and scorers for scikit-learn's model selection.

All functions take numpy arrays (images (n, H, W, 3) in [0, 1]) and return numpy/floats or
Bunch objects that name their protocol; those that draw at random (trials, bootstrap) accept
``random_state``, seeded by default.
"""
from ._bounds import linear_oracle_ranks
from ._classification import (
    GALLERY_PROTOCOL,
    MINDVIS_PROTOCOL,
    class_ranks,
    mindvis_classification,
    n_way_classification,
    semantic_classification,
)
from ._evaluate import evaluate_reconstructions
from ._features import FeatureModel, PerceptualDistance
from ._gallery import ClassGallery, ColorHistogramGallery, color_histograms
from ._identification import (
    edge_correlation_distance,
    n_way_identification,
    pairwise_identification,
    pixel_correlation_distance,
)
from ._image import IMAGE_SCORES, ImageScore, edge_correlation, edge_maps, pixel_correlation, ssim
from ._scorers import (
    SCORERS,
    identification_accuracy,
    make_identification_scorer,
    mean_pixel_correlation,
    mean_ssim,
    pixcorr_scorer,
    ssim_scorer,
)
from ._stats import (
    bootstrap_ci,
    bootstrap_se,
    mann_whitney,
    paired_tests,
    seed_test,
    sem,
    summarize,
    wilcoxon,
)

__all__ = [
    "IMAGE_SCORES",
    "ImageScore",
    "SCORERS",
    "ClassGallery",
    "ColorHistogramGallery",
    "FeatureModel",
    "GALLERY_PROTOCOL",
    "MINDVIS_PROTOCOL",
    "PerceptualDistance",
    "bootstrap_ci",
    "bootstrap_se",
    "class_ranks",
    "color_histograms",
    "edge_correlation",
    "edge_correlation_distance",
    "edge_maps",
    "evaluate_reconstructions",
    "identification_accuracy",
    "linear_oracle_ranks",
    "make_identification_scorer",
    "mann_whitney",
    "mean_pixel_correlation",
    "mean_ssim",
    "mindvis_classification",
    "n_way_classification",
    "n_way_identification",
    "paired_tests",
    "pairwise_identification",
    "pixcorr_scorer",
    "pixel_correlation",
    "pixel_correlation_distance",
    "seed_test",
    "semantic_classification",
    "sem",
    "ssim",
    "ssim_scorer",
    "summarize",
    "wilcoxon",
]
