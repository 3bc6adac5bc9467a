"""Device selection and automatic mixed precision."""
import contextlib

import torch

from .._docs import fill_doc


@fill_doc
def resolve_device(device="auto"):
    """Turn a ``device`` hyper-parameter into a :class:`torch.device`.

    Called when an estimator is fitted or an evaluation network built, never at import
    time.

    Parameters
    ----------
    %(device_resolve)s

    Returns
    -------
    device : torch.device
        The device to compute on.

    Raises
    ------
    ValueError
        For a string torch does not accept, or a CUDA device when none is available.
    TypeError
        For anything else than a string, a :class:`torch.device` or None.

    Examples
    --------
    >>> from neurodecode.backend import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        return device
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str):
        raise TypeError(
            f"device must be 'auto', 'cpu', 'cuda' or a torch.device; got {device!r} "
            f"of type {type(device).__name__}."
        )
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'auto', 'cpu' or 'cuda'."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but no CUDA device is available; "
            "use device='auto' or device='cpu'."
        )
    return dev


@fill_doc
def autocast(device):
    """Return the mixed-precision context of ``device``: bfloat16 autocast on CUDA, else none.

    bfloat16 keeps float32's exponent range, so no gradient scaler is needed. Every forward
    pass of neurodecode's networks (training, prediction, evaluation) runs in this context.

    Parameters
    ----------
    %(device_torch)s

    Returns
    -------
    context : context manager
        :func:`torch.autocast` to bfloat16 on a CUDA device; a
        :func:`contextlib.nullcontext` (nothing changes) on any other device.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import autocast
    >>> with autocast(torch.device("cpu")):
    ...     y = torch.ones(2, 2) @ torch.ones(2, 2)
    >>> y.dtype
    torch.float32
    """
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
