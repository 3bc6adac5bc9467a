"""Keep freed CPU memory for reuse while training (glibc only).

PyTorch's CPU allocator takes every large tensor from ``malloc``. glibc serves blocks above
its mmap threshold (at most 32 MB by default) with fresh ``mmap`` calls and returns them on
``free``, so each training step page-faults its large activations in again: on two cores
this more than doubled the time of a paper-scale training step (benchmarks/). While a
``reuse_freed_memory`` block runs, large blocks come from the heap and stay there for the next
step; on exit the defaults are restored and the heap is trimmed, so the process gives the
memory back. Elsewhere (macOS, Windows, musl) it does nothing.
"""
import contextlib
import ctypes
import ctypes.util
import platform

from .._docs import fill_doc

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_DEFAULT = 128 * 1024  # glibc's initial thresholds
_LARGE_MMAP = 1 << 30
_LARGE_TRIM = 2**31 - 1
#: Trained parameters above this size turn the reuse off (see :func:`reuse_freed_memory`).
LARGE_MODEL_BYTES = 512 * 1024**2


def _glibc():
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:  # pragma: no cover
        return None


@contextlib.contextmanager
@fill_doc
def reuse_freed_memory(device, parameter_bytes=0):
    """Within the block, keep freed CPU memory for reuse (CPU training on glibc only).

    On Linux with glibc and a CPU ``device``, raises glibc's mmap and trim thresholds for
    the duration of the block, so that the large blocks a training step frees are reused by
    the next step instead of being unmapped and page-faulted in again; on exit the defaults
    are restored and the heap is trimmed. On any other device or C library nothing is
    changed. Both training phases run inside this block.

    The heap then keeps a step's activations (about 2.5-4 GB at 112 px, whatever the
    number of voxels). When the trained parameters exceed ``LARGE_MODEL_BYTES`` (512 MiB:
    the decoder above ~10 000 voxels at 112 px) nothing is changed either: the step is
    long enough that the page faults cost little (10 %% at 20 000 voxels), and memory is
    what such a model is short of (the heap's copy added 2.4 GB to a 7.7 GB peak).
    Allocation never changes results.

    Parameters
    ----------
    %(device_torch)s
    parameter_bytes : int, default=0
        Bytes of the parameters being trained.

    Yields
    ------
    None
        Nothing; the block runs with the allocator settings in place.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import reuse_freed_memory
    >>> with reuse_freed_memory(torch.device("cpu")):
    ...     x = torch.ones(3).sum()
    """
    libc = _glibc() if device.type == "cpu" and parameter_bytes <= LARGE_MODEL_BYTES else None
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(_LARGE_MMAP))
    libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(_LARGE_TRIM))
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(_DEFAULT))
        libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(_DEFAULT))
        libc.malloc_trim(ctypes.c_size_t(0))
