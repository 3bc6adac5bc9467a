"""Analyses of trained models and data (paper Figs 8-9): noise ceilings, per-voxel encoding
accuracy, population receptive fields."""
from ._accuracy import noise_corrected_accuracy, prediction_accuracy
from ._noise_ceiling import noise_ceiling, snr
from ._roi import roi_retraining
from ._prf import (
    circular_correlation,
    decoder_receptive_fields,
    estimate_prf,
    gradient_maps,
    prf_from_maps,
    receptive_field_agreement,
)
from ._prf_mapping import bar_apertures, fit_gaussian_prf, map_prf

__all__ = ["bar_apertures", "circular_correlation", "decoder_receptive_fields", "estimate_prf",
           "fit_gaussian_prf", "gradient_maps", "map_prf",
           "noise_ceiling", "noise_corrected_accuracy", "prediction_accuracy", "prf_from_maps",
           "receptive_field_agreement", "roi_retraining", "snr"]
