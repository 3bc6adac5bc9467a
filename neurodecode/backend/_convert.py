"""Conversions at the numpy/torch edge (images are NHWC in numpy, NCHW in torch)."""
import numpy as np
import torch

from .._docs import fill_doc


@fill_doc
def to_tensor(array, device, dtype=torch.float32):
    """Convert a numpy array to a tensor on ``device`` (no copy when already suitable).

    Parameters
    ----------
    array : array-like
        Any array :func:`torch.as_tensor` accepts; made C-contiguous first.
    %(device_torch)s
    dtype : torch.dtype, default=torch.float32
        The tensor's dtype.

    Returns
    -------
    tensor : Tensor
        ``array``'s values as ``dtype``, on ``device``. It shares memory with ``array`` when
        no conversion, copy or transfer is needed.

    See Also
    --------
    to_numpy : The way back.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from neurodecode.backend import to_tensor
    >>> to_tensor(np.arange(3), torch.device("cpu"))
    tensor([0., 1., 2.])
    """
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:  # e.g. a read-only memmap: torch may not share it
        array = array.copy()
    return torch.as_tensor(array, dtype=dtype, device=device)


def to_numpy(tensor):
    """Convert a tensor to a float32 numpy array on the CPU.

    Parameters
    ----------
    tensor : Tensor
        Any device and floating or integer dtype; detached from the autograd graph.

    Returns
    -------
    array : ndarray
        Float32 values, of the tensor's shape.

    See Also
    --------
    to_tensor : The way there.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import to_numpy
    >>> to_numpy(torch.tensor([1, 2], dtype=torch.int64))
    array([1., 2.], dtype=float32)
    """
    return tensor.detach().to("cpu", torch.float32).numpy()


@fill_doc
def images_to_tensor(images, device):
    """Convert (n, H, W, 3) numpy images to an (n, 3, H, W) float32 tensor on ``device``.

    Parameters
    ----------
    images : ndarray of shape (n, H, W, 3)
        Float32 images in [0, 1] (values are not checked nor rescaled).
    %(device_torch)s

    Returns
    -------
    tensor : Tensor of shape (n, 3, H, W)
        Float32, contiguous, on ``device``.

    See Also
    --------

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from neurodecode.backend import images_to_tensor
    >>> images_to_tensor(np.zeros((2, 8, 8, 3), np.float32), torch.device("cpu")).shape
    torch.Size([2, 3, 8, 8])
    """
    return to_tensor(images, device).permute(0, 3, 1, 2).contiguous()


def tensor_view(array):
    """A CPU tensor sharing ``array``'s memory (a copy only when it is read-only).

    Unlike :func:`to_tensor` it keeps the dtype and the memory layout, so that batches of a
    ``permute``-d view of NHWC images stay views.

    Parameters
    ----------
    array : ndarray
        Any numeric array (e.g. a read-only memmap or a pandas-backed array).

    Returns
    -------
    tensor : Tensor
        On the CPU, with ``array``'s dtype and shape.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.backend import tensor_view
    >>> a = np.zeros((2, 3), dtype=np.float32)
    >>> a.flags.writeable = False
    >>> tensor_view(a).shape
    torch.Size([2, 3])
    """
    if not array.flags.writeable:  # torch may not share memory it must not write
        array = array.copy()
    return torch.from_numpy(array)
