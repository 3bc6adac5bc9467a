"""Phase I (encoder) and phase II (decoder) training loops, batching, schedules, checkpoints."""
from ._augment import random_shift
from ._checkpoint import CheckpointManager, fingerprint
from ._phase1 import Phase1Config, train_encoder
from ._phase2 import Phase2Config, train_decoder

__all__ = [
    "CheckpointManager",
    "Phase1Config",
    "Phase2Config",
    "fingerprint",
    "random_shift",
    "train_decoder",
    "train_encoder",
]
