"""Fitting the encoder (phase I) and the decoder (phase II) from validated arrays
(:func:`fit_encoder`, :func:`fit_decoder`: networks, losses, seeding, checkpoints), and the
training loops, batching and schedules beneath them."""
from ._augment import random_shift
from ._fit import fit_decoder, fit_encoder
from ._phase1 import Phase1Config, train_encoder
from ._phase2 import DE_LOSSES, Phase2Config, train_decoder

__all__ = [
    "DE_LOSSES",
    "Phase1Config",
    "Phase2Config",
    "fit_decoder",
    "fit_encoder",
    "random_shift",
    "train_decoder",
    "train_encoder",
]
