"""Analyses of trained models and data: noise ceilings (paper, "Noise-Ceiling")."""
from ._noise_ceiling import noise_ceiling, snr

__all__ = ["noise_ceiling", "snr"]
