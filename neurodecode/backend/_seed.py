"""Seeding: bit-for-bit repeatable runs on the CPU without touching global state."""
import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state


def seed_from_random_state(random_state):
    """Derive an integer torch seed from a scikit-learn ``random_state``.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState or None
        An int is used as is; a RandomState draws a seed (advancing it); None draws a
        fresh seed from numpy's global generator.

    Returns
    -------
    int

    Examples
    --------
    >>> from neurodecode.backend import seed_from_random_state
    >>> seed_from_random_state(7)
    7
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int; got {random_state}.")
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.randint(0, 2**31 - 1))


@contextlib.contextmanager
def seeded(seed, device):
    """Run a block with torch's global generators seeded, restoring them afterwards.

    Dropout and other layers that draw from the global generator become repeatable,
    and the caller's own random state is left untouched.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
