"""Device selection and automatic mixed precision."""
import contextlib
import contextvars

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


#: The values of the estimators' ``precision`` hyper-parameter.
PRECISIONS = ("auto", "fp32", "bf16")
_PRECISION = contextvars.ContextVar("neurodecode_precision", default="auto")


def check_precision(precision, name="precision"):
    """Check a ``precision`` hyper-parameter; return it.

    Parameters
    ----------
    precision : {"auto", "fp32", "bf16"}
        The value to check.
    name : str, default="precision"
        The argument's name, for the error message.

    Returns
    -------
    precision : str
        ``precision`` itself.

    Raises
    ------
    ValueError
        When it is not one of :data:`PRECISIONS`.

    Examples
    --------
    >>> from neurodecode.backend import check_precision
    >>> check_precision("bf16")
    'bf16'
    """
    if not isinstance(precision, str) or precision not in PRECISIONS:
        raise ValueError(
            f"{name} must be one of {list(PRECISIONS)}; got {precision!r}. 'auto' is "
            "bfloat16 mixed precision on CUDA and float32 on the CPU."
        )
    return precision


@contextlib.contextmanager
def precision_scope(precision):
    """Make :func:`autocast` use ``precision`` inside the ``with`` block (this thread).

    The estimators enter it around ``fit``, ``predict`` and ``score`` with their
    ``precision`` hyper-parameter. The scope is a context variable: it does not reach
    other threads or processes, such as joblib's workers; for parallel runs, set the
    estimators' ``precision`` instead.

    Parameters
    ----------
    precision : {"auto", "fp32", "bf16"}
        ``"auto"``: bfloat16 autocast on CUDA, float32 elsewhere (the default outside any
        scope). ``"fp32"``: float32 everywhere (bit-reproducible on the CPU).
        ``"bf16"``: bfloat16 autocast on every device, the CPU included.

    Yields
    ------
    precision : str
        The precision in force.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import autocast, precision_scope
    >>> with precision_scope("bf16"), autocast(torch.device("cpu")):
    ...     y = torch.ones(2, 2) @ torch.ones(2, 2)
    >>> y.dtype
    torch.bfloat16
    """
    token = _PRECISION.set(check_precision(precision))
    try:
        yield precision
    finally:
        _PRECISION.reset(token)


@fill_doc
def autocast(device):
    """Return the mixed-precision context of ``device`` under the precision in force.

    With ``"auto"`` (the default): bfloat16 autocast on CUDA, nothing elsewhere; with
    ``"bf16"`` (:func:`precision_scope`): bfloat16 autocast on any device; with
    ``"fp32"``: nothing. bfloat16 keeps float32's exponent range, so no gradient scaler is
    needed. Every forward pass of neurodecode's networks (training, prediction,
    evaluation) runs in this context.

    Parameters
    ----------
    %(device_torch)s

    Returns
    -------
    context : context manager
        :func:`torch.autocast` to bfloat16, or a :func:`contextlib.nullcontext` (nothing
        changes).

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import autocast
    >>> with autocast(torch.device("cpu")):
    ...     y = torch.ones(2, 2) @ torch.ones(2, 2)
    >>> y.dtype
    torch.float32
    """
    precision = _PRECISION.get()
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
