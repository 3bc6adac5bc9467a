"""Device selection, mixed precision, seeding and tensor <-> numpy conversion.

Nothing here runs at import time: the device is chosen when an estimator is fitted.
"""
from ._convert import images_to_tensor, tensor_view, to_numpy, to_tensor
from ._device import autocast, check_precision, precision_scope, resolve_device
from ._inference import batched_inference, inference_batch_size, iter_batches
from ._memory import reuse_freed_memory  # noqa: F401  (internal: the training loops)
from ._resize import resize
from ._seed import seed_from_random_state, seeded

__all__ = [
    "autocast",
    "batched_inference",
    "check_precision",
    "images_to_tensor",
    "inference_batch_size",
    "iter_batches",
    "precision_scope",
    "resize",
    "resolve_device",
    "seed_from_random_state",
    "seeded",
    "tensor_view",
    "to_numpy",
    "to_tensor",
]
