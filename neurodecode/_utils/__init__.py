"""Shared maths used across neurodecode (one implementation each): correlations."""
from ._correlation import correlation_matrix, pearson_r, standardize_rows

__all__ = ["correlation_matrix", "pearson_r", "standardize_rows"]
