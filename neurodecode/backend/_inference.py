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

    Each batch is moved to ``device`` and ``fn`` runs under :func:`autocast` (the precision
    in force: bfloat16 on CUDA by default). Outputs are cast to float32 and left on ``device``. Gradient mode and autocast
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

    Each batch is moved to ``device`` and ``fn`` runs under :func:`autocast` (the precision
    in force: bfloat16 on CUDA by default); its float32 output is moved to ``out_device`` before the next batch.

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


def activation_bytes(module, sample):
    """Measure the bytes of every leaf layer's output in one forward pass of ``sample``.

    An upper bound of the memory an inference pass holds at once (it keeps only a few of
    these alive), measured with forward hooks on one real pass without gradients, under
    :func:`autocast` as inference runs (so that it builds what inference will reuse).

    Parameters
    ----------
    module : torch.nn.Module
        The network, in the mode it will run in.
    sample : Tensor
        A batch of one, on the module's device.

    Returns
    -------
    nbytes : int
        Including the input's.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend._inference import activation_bytes
    >>> net = torch.nn.Sequential(torch.nn.Linear(10, 100), torch.nn.ReLU())
    >>> activation_bytes(net, torch.zeros(1, 10))  # 4 * (10 + 100 + 100)
    840
    """
    total = 0

    def hook(_module, _inputs, out):
        nonlocal total
        for t in out if isinstance(out, (list, tuple)) else [out]:
            if torch.is_tensor(t):
                total += t.numel() * t.element_size()

    handles = [m.register_forward_hook(hook) for m in module.modules()
               if not any(True for _ in m.children())]
    try:
        with torch.no_grad(), autocast(sample.device):
            module(sample)
    finally:
        for h in handles:
            h.remove()
    return int(total + sample.numel() * sample.element_size())


def _available_bytes(device):
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return free
    try:  # Linux; elsewhere a fixed guess
        import os

        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return 4 * 1024**3


@fill_doc
def inference_batch_size(module, sample, device, fraction=0.25, max_bytes=2 * 1024**3,
                         limit=4096):
    """Choose the samples per inference batch that fit the device's free memory.

    ``min(fraction * free memory, max_bytes)`` divided by :func:`activation_bytes` of one
    sample (free memory: ``torch.cuda.mem_get_info`` on CUDA, the available RAM on the CPU);
    between 1 and ``limit``.

    Parameters
    ----------
    module : torch.nn.Module
        The network, in the mode it will run in.
    sample : Tensor
        A batch of one, on ``device``.
    %(device_torch)s
    fraction : float, default=0.25
        Share of the free memory a batch may use.
    max_bytes : int, default=2 GiB
        Upper bound of that budget (large batches gain nothing on the CPU).
    limit : int, default=4096
        Largest batch.

    Returns
    -------
    batch_size : int
        Samples per batch.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import inference_batch_size
    >>> net = torch.nn.Linear(1000, 1000)
    >>> inference_batch_size(net, torch.zeros(1, 1000), torch.device("cpu"),
    ...                      max_bytes=8000 * 100)  # 8000 bytes per sample
    100
    """
    per_sample = max(activation_bytes(module, sample), 1)
    budget = min(fraction * _available_bytes(device), max_bytes)
    return int(max(1, min(limit, budget // per_sample)))
