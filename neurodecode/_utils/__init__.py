"""Shared helpers used across neurodecode (one implementation each): correlations,
z-scoring within runs, per-voxel variance percentiles, repeated responses and their SNR,
numpy values in JSON."""
from ._correlation import correlation, correlation_matrix, pearson_r, standardize_rows
from ._json import json_default, jsonable
from ._repeats import check_trials, snr
from ._zscore import variance_percentiles, zscore_runs

__all__ = ["check_trials", "correlation", "correlation_matrix", "json_default", "jsonable",
           "pearson_r", "snr", "standardize_rows", "variance_percentiles", "zscore_runs"]
