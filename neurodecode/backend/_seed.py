"""Seeding: bit-for-bit repeatable runs on the CPU without touching global state."""
import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state

from .._docs import fill_doc


@fill_doc
def seed_from_random_state(random_state):
    """Derive an integer torch seed from a scikit-learn ``random_state``.

    Parameters
    ----------
    %(random_state_seed)s

    Returns
    -------
    seed : int
        A non-negative seed for :func:`torch.manual_seed` (see :func:`seeded`).

    Raises
    ------
    ValueError
        For a negative int.

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
@fill_doc
def seeded(seed, device):
    """Run a block with torch's global generators seeded, restoring them afterwards.

    Dropout and other layers that draw from the global generator become repeatable,
    and the caller's own random state is left untouched: the generators the block seeds
    are forked with :func:`torch.random.fork_rng` and restored after it. On the CPU that is
    the CPU generator; on CUDA, the CPU generator and the one of ``device`` (other CUDA
    devices are neither seeded nor changed); on another accelerator, the CPU generator and
    those of that device type.

    Parameters
    ----------
    seed : int
        Seed of the generators within the block (the stream :func:`torch.manual_seed`
        gives), e.g. from :func:`seed_from_random_state`; numpy integers are accepted.
    %(device_torch)s

    Yields
    ------
    None
        Nothing; the block runs with the generators seeded.

    See Also
    --------
    seed_from_random_state : An int seed from a scikit-learn ``random_state``.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import seeded
    >>> with seeded(0, torch.device("cpu")):
    ...     a = torch.rand(2)
    >>> with seeded(0, torch.device("cpu")):
    ...     b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """
    seed = int(seed)
    if device.type not in ("cpu", "cuda"):  # e.g. MPS: every generator of that type
        with torch.random.fork_rng(device_type=device.type):
            torch.manual_seed(seed)
            yield
        return
    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices):
        # seed exactly the generators fork_rng restores (torch.manual_seed would reseed
        # every CUDA device and leave the others changed after the block)
        torch.random.default_generator.manual_seed(seed)
        for index in devices:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield
