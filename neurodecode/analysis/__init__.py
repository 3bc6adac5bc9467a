"""Analyses of trained models and data (paper Figs 8-9): noise ceilings, per-voxel encoding
accuracy, population receptive fields, and what a report states about a subject (its
statistics, the bounds of its class ranks, the encoder's summary per ROI)."""
from ._accuracy import noise_corrected_accuracy, prediction_accuracy
from ._memorisation import memorisation
from ._noise_ceiling import noise_ceiling, snr
from ._roi import roi_retraining
from ._subject_report import class_bounds, encoder_summary, subject_statistics
from ._prf import (
    circular_correlation,
    decoder_receptive_fields,
    estimate_prf,
    gradient_maps,
    prf_centres,
    prf_from_maps,
    receptive_field_agreement,
)
from ._prf_mapping import bar_apertures, fit_gaussian_prf, map_prf

__all__ = ["bar_apertures", "circular_correlation", "class_bounds", "decoder_receptive_fields",
           "encoder_summary", "estimate_prf", "fit_gaussian_prf", "gradient_maps", "map_prf", "memorisation",
           "noise_ceiling", "noise_corrected_accuracy", "prediction_accuracy", "prf_centres",
           "prf_from_maps", "receptive_field_agreement", "roi_retraining", "snr",
           "subject_statistics"]
