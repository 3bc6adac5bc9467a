"""Device selection and automatic mixed precision."""
import contextlib

import torch


def resolve_device(device="auto"):
    """Turn a ``device`` hyper-parameter into a :class:`torch.device`.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"} or str or torch.device, default="auto"
        ``"auto"`` picks the first CUDA device when one is present, else the CPU.
        Any string :class:`torch.device` accepts (``"cuda:1"``) is passed through.

    Returns
    -------
    torch.device

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


def autocast(device):
    """Mixed-precision context: bfloat16 autocast on CUDA, a no-op on the CPU.

    bfloat16 keeps float32's exponent range, so no gradient scaler is needed.
    """
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
