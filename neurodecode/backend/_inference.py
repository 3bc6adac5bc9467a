"""Batched inference without gradients, under the device's mixed precision."""
import torch

from .._docs import fill_doc
from ._device import autocast


def _float(out):
    if isinstance(out, (list, tuple)):
        return [o.float() for o in out]
    return out.float()


@fill_doc
def iter_batches(fn, inputs, batch_size, device):
    """Apply ``fn`` to consecutive batches of ``inputs``, without gradients.

    Each batch is moved to ``device`` and ``fn`` runs under :func:`autocast` (bfloat16 on
    CUDA). Outputs are cast to float32 and left on ``device``. Gradient mode and autocast
    are active only around ``fn``, never while the caller holds a yielded batch.

    Parameters
    ----------
    fn : callable
        Tensor -> Tensor, or -> list of Tensors (e.g. the taps of a backbone).
    inputs : Tensor of shape (n, ...)
        Any device; sliced along the first axis (views keep their memory layout).
    batch_size : int
        Samples per batch; the last batch holds the remainder.
    %(device_torch)s

    Yields
    ------
    Tensor or list of Tensor
        ``fn`` of one batch, float32, on ``device``.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import iter_batches
    >>> [tuple(b.shape) for b in iter_batches(torch.nn.Identity(), torch.zeros(5, 2), 2,
    ...                                        torch.device("cpu"))]
    [(2, 2), (2, 2), (1, 2)]
    """
    batch_size = int(batch_size)
    for start in range(0, len(inputs), batch_size):
        with torch.no_grad(), autocast(device):
            out = _float(fn(inputs[start:start + batch_size].to(device)))
        yield out


@fill_doc
def batched_inference(fn, inputs, batch_size, device, out_device="cpu"):
    """Compute ``fn(inputs)`` in batches, without gradients: :func:`iter_batches`, concatenated.

    Each batch is moved to ``device`` and ``fn`` runs under :func:`autocast` (bfloat16 on
    CUDA); its float32 output is moved to ``out_device`` before the next batch.

    Parameters
    ----------
    fn : callable
        Tensor -> Tensor, or -> list of Tensors (e.g. the taps of a backbone).
    inputs : Tensor of shape (n, ...)
        Any device; sliced along the first axis. Must not be empty.
    batch_size : int
        Samples per batch; the last batch holds the remainder.
    %(device_torch)s
    out_device : str or torch.device, default="cpu"
        Where each batch's output is moved before concatenation.

    Returns
    -------
    out : Tensor, or list of Tensor when ``fn`` returns a list
        Float32, on ``out_device``; the batches' outputs concatenated along the first axis.

    Raises
    ------
    ValueError
        When ``inputs`` is empty.

    See Also
    --------
    iter_batches : The same, one batch at a time.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import batched_inference
    >>> batched_inference(lambda x: 2 * x, torch.arange(5.0), 2, torch.device("cpu"))
    tensor([0., 2., 4., 6., 8.])
    """
    parts = None
    for out in iter_batches(fn, inputs, batch_size, device):
        many = isinstance(out, list)
        outs = out if many else [out]
        if parts is None:
            parts = [[] for _ in outs]
        for lst, o in zip(parts, outs):
            lst.append(o.to(out_device))
    if parts is None:
        raise ValueError("inputs is empty; nothing to compute.")
    cat = [torch.cat(lst) for lst in parts]
    return cat if many else cat[0]
