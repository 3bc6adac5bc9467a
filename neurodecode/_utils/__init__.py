"""Shared maths used across neurodecode (one implementation each): correlations,
z-scoring within runs."""
from ._correlation import correlation_matrix, pearson_r, standardize_rows
from ._zscore import variance_percentiles, zscore_runs

__all__ = ["correlation_matrix", "pearson_r", "standardize_rows", "variance_percentiles",
           "zscore_runs"]
