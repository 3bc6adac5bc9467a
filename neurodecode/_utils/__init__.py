"""Shared helpers used across neurodecode (one implementation each): correlations,
z-scoring within runs, per-voxel variance percentiles, numpy values in JSON."""
from ._correlation import correlation, correlation_matrix, pearson_r, standardize_rows
from ._json import json_default, jsonable
from ._zscore import variance_percentiles, zscore_runs

__all__ = ["correlation", "correlation_matrix", "json_default", "jsonable", "pearson_r", "standardize_rows", "variance_percentiles",
           "zscore_runs"]
