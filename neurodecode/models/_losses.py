"""Losses of the paper (Methods, Eqs. 1-4).

All functions take and return tensors; ``reduction="none"`` gives one value per sample, so
phase II can evaluate the paired and unpaired-image terms in one pass and split them.
"""
import torch
import torch.nn.functional as F
from torch import nn


def _reduce(per_sample, reduction):
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    if reduction == "none":
        return per_sample
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")


def fmri_loss(pred, target, alpha=0.9, reduction="mean", eps=1e-8):
    """fMRI loss, Eq. 1: ``alpha * MSE(r_hat, r) - (1 - alpha) * cos(r_hat, r)``.

    MSE is the mean over voxels and the cosine is taken between the two voxel patterns of
    each sample. The authors' code uses MSE + 0.1 * (-cos), i.e. alpha = 1/1.1.

    Parameters
    ----------
    pred, target : Tensor of shape (n, n_voxels)
    alpha : float in [0, 1], default=0.9
    reduction : {"mean", "sum", "none"}, default="mean"

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import fmri_loss
    >>> r = torch.tensor([[1.0, 2.0, 2.0]])
    >>> float(fmri_loss(r, r, alpha=0.5))  # 0.5 * 0 - 0.5 * 1
    -0.5
    """
    mse = ((pred - target) ** 2).mean(dim=1)
    cos = F.cosine_similarity(pred, target, dim=1, eps=eps)
    return _reduce(alpha * mse - (1.0 - alpha) * cos, reduction)


def total_variation(images, beta=1.25, reduction="mean"):
    """TV regulariser ``mean((dx^2 + dy^2) ** beta)`` (the authors' ``total_variation_loss``).

    Differences are taken forward in x and y on the (H-1) x (W-1) top-left grid, averaged
    over channels and locations.

    Parameters
    ----------
    images : Tensor of shape (n, C, H, W)
    beta : float, default=1.25
    """
    dy = images[:, :, 1:, :-1] - images[:, :, :-1, :-1]
    dx = images[:, :, :-1, 1:] - images[:, :, :-1, :-1]
    per_sample = (dx**2 + dy**2).pow(beta).flatten(1).mean(dim=1)
    return _reduce(per_sample, reduction)


def l1_image_loss(pred, target, reduction="mean"):
    """Mean absolute RGB error per image (``L_RGB`` of Eq. 3)."""
    return _reduce((pred - target).abs().flatten(1).mean(dim=1), reduction)


def normalize_channels(features, eps=1e-10):
    """Scale features to unit L2 norm over channels at each location (LPIPS-style)."""
    return features / torch.sqrt((features**2).sum(dim=1, keepdim=True) + eps**2)


def perceptual_distance(pred_features, target_features, reduction="mean", eps=1e-10):
    """Channel-normalised multi-block perceptual distance (Eq. 4).

    Per block, features are L2-normalised over channels at each location, and the block
    contributes the spatial mean of ``1 - cos``; the blocks are averaged. ``1 - cos`` is
    computed as ``0.5 * ||f_hat - g_hat||^2``, equal to it for non-zero features and 0 for
    identical ones, even where a ReLU silenced every channel. It is expanded as
    ``0.5 * (|f_hat|^2 + |g_hat|^2) - f.g / sqrt((|f|^2 + eps^2)(|g|^2 + eps^2))`` so that
    only three channel reductions touch the (large) feature maps.

    Parameters
    ----------
    pred_features, target_features : list of Tensor (n, C_b, H_b, W_b)
    """
    if len(pred_features) != len(target_features):
        raise ValueError("pred_features and target_features must have as many blocks.")
    e2 = eps**2
    per_block = []
    for f, g in zip(pred_features, target_features):
        # half-precision features (autocast) are summed in float32
        dtype = torch.promote_types(f.dtype, torch.float32)
        f, g = f.to(dtype), g.to(dtype)
        nf = (f * f).sum(dim=1) + e2
        ng = (g * g).sum(dim=1) + e2
        dot = (f * g).sum(dim=1)
        d = 0.5 * ((nf - e2) / nf + (ng - e2) / ng) - dot / torch.sqrt(nf * ng)
        per_block.append(d.flatten(1).mean(dim=1))
    return _reduce(torch.stack(per_block, dim=1).mean(dim=1), reduction)


class ImageLoss(nn.Module):
    """Image loss ``L_s`` of Eq. 3: ``w_rgb * L1 + w_perc * perceptual + w_tv * TV``.

    Parameters
    ----------
    feature_extractor : FeatureExtractor
        Frozen perceptual network returning its blocks (paper: VGG16 blocks 1-5).
    weights : tuple of 3 floats, default=(1.0, 10.0, 0.3)
        Weights of the L1, perceptual and TV terms (the authors' values).
    """

    def __init__(self, feature_extractor, weights=(1.0, 10.0, 0.3)):
        super().__init__()
        self.features = feature_extractor
        self.weights = tuple(float(w) for w in weights)

    def target_features(self, target):
        with torch.no_grad():
            return [f.detach() for f in self.features(target)]

    def forward(self, pred, target, target_features=None, reduction="mean"):
        w_rgb, w_perc, w_tv = self.weights
        loss = w_rgb * l1_image_loss(pred, target, reduction="none")
        if w_perc:
            if target_features is None:
                target_features = self.target_features(target)
            pred_features = self.features(pred)
            loss = loss + w_perc * perceptual_distance(
                pred_features, target_features, reduction="none")
        if w_tv:
            loss = loss + w_tv * total_variation(pred, reduction="none")
        return _reduce(loss, reduction)
