"""Optimiser construction."""
import torch


def adam(params, lr):
    """Adam with the fused kernel (several times faster on the CPU) where torch has one."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older torch, or unsupported device/dtype
        return torch.optim.Adam(params, lr=lr)
