"""Conversions at the numpy/torch edge (images are NHWC in numpy, NCHW in torch)."""
import numpy as np
import torch


def to_tensor(array, device, dtype=torch.float32):
    """numpy array -> tensor on ``device`` (no copy when already suitable)."""
    return torch.as_tensor(np.ascontiguousarray(array), dtype=dtype, device=device)


def to_numpy(tensor):
    """tensor -> float32 numpy array on the CPU."""
    return tensor.detach().to("cpu", torch.float32).numpy()


def images_to_tensor(images, device):
    """(n, H, W, 3) float32 numpy images in [0, 1] -> (n, 3, H, W) tensor."""
    return to_tensor(images, device).permute(0, 3, 1, 2).contiguous()


def tensor_to_images(tensor):
    """(n, 3, H, W) tensor -> (n, H, W, 3) float32 numpy images."""
    return np.ascontiguousarray(to_numpy(tensor.permute(0, 2, 3, 1)))
