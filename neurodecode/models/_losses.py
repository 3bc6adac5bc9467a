"""Losses of the paper (Methods, Eqs. 1-4).

All functions take and return tensors; ``reduction="none"`` gives one value per sample, so
phase II can evaluate the paired and unpaired-image terms in one pass and split them.
"""
import torch
import torch.nn.functional as F
from torch import nn

from .._docs import fill_doc


def _reduce(per_sample, reduction):
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    if reduction == "none":
        return per_sample
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")


@fill_doc
def fmri_loss(pred, target, alpha=0.9, reduction="mean", eps=1e-8):
    """The fMRI loss of Eq. 1: ``alpha * MSE(r_hat, r) - (1 - alpha) * cos(r_hat, r)``.

    MSE is the mean over voxels and the cosine is taken between the two voxel patterns of
    each sample. The authors' code uses MSE + 0.1 * (-cos), i.e. alpha = 1/1.1. The encoder
    is trained with it (phase I), and the decoder's L_DE term compares E(D(r)) to r with
    it (phase II).

    Parameters
    ----------
    pred, target : Tensor of shape (n, n_voxels)
        Predicted and measured voxel responses.
    %(alpha)s
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one value per sample; ``"mean"`` and ``"sum"`` reduce them.
    eps : float, default=1e-8
        Lower bound of the norms in the cosine (:func:`torch.nn.functional.cosine_similarity`).

    Returns
    -------
    loss : Tensor
        A scalar, or one value per sample for ``reduction="none"``; in
        ``[-(1 - alpha), inf)``.

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


def snr_weighted_fmri_loss(pred, target, voxel_weights, cos_weight=0.1, reduction="mean",
                           eps=1e-8):
    """The authors' L_DE loss: ``mean_v(w_v |r_hat_v - r_v|) - cos_weight * cos(r_hat, r)``.

    The official Keras code (``encdec_train.py``: ``mae_vox + 0.1 * cosine_proximity``)
    weights each voxel's absolute error by its SNR, normalised to mean 1
    (:func:`~neurodecode.analysis.voxel_snr`), so that noisy voxels count less; the paper's
    text gives Eq. 1 instead (:func:`fmri_loss`). Their PyTorch rewrite uses
    ``0.2 * (1 - cos) / 2`` for the cosine part, which differs only by a constant.

    Parameters
    ----------
    pred, target : Tensor of shape (n, n_voxels)
        Predicted and measured voxel responses.
    voxel_weights : Tensor of shape (n_voxels,)
        Non-negative per-voxel weights (the authors: SNR / mean SNR).
    cos_weight : float, default=0.1
        Weight of the cosine term (the authors' 0.1).
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one value per sample; ``"mean"`` and ``"sum"`` reduce them.
    eps : float, default=1e-8
        Lower bound of the norms in the cosine.

    Returns
    -------
    loss : Tensor
        A scalar, or one value per sample for ``reduction="none"``; in
        ``[-cos_weight, inf)``.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import snr_weighted_fmri_loss
    >>> r = torch.tensor([[1.0, 2.0, 2.0]])
    >>> w = torch.tensor([2.0, 1.0, 0.0])
    >>> # errors 1, 1, 1: mean(2 * 1, 1 * 1, 0 * 1) = 1; cos(2r, r) = 1
    >>> round(float(snr_weighted_fmri_loss(r + 1, r, w, cos_weight=0.0)), 6)
    1.0
    >>> round(float(snr_weighted_fmri_loss(2 * r, r, torch.zeros(3))), 6)
    -0.1
    """
    mae = (voxel_weights * (pred - target).abs()).mean(dim=1)
    cos = F.cosine_similarity(pred, target, dim=1, eps=eps)
    return _reduce(mae - cos_weight * cos, reduction)


def total_variation(images, beta=1.25, reduction="mean"):
    """Total variation ``mean((dx^2 + dy^2) ** beta)`` (the authors' ``total_variation_loss``).

    Differences are taken forward in x and y on the (H-1) x (W-1) top-left grid, averaged
    over channels and locations.

    Parameters
    ----------
    images : Tensor of shape (n, C, H, W)
        Images (e.g. reconstructions).
    beta : float, default=1.25
        Exponent of the squared gradient magnitude.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one value per sample; ``"mean"`` and ``"sum"`` reduce them.

    Returns
    -------
    loss : Tensor
        A non-negative scalar, or one value per sample for ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import total_variation
    >>> float(total_variation(torch.ones(1, 3, 8, 8)))  # a flat image
    0.0
    >>> total_variation(torch.rand(4, 3, 8, 8), reduction="none").shape
    torch.Size([4])
    """
    dy = images[:, :, 1:, :-1] - images[:, :, :-1, :-1]
    dx = images[:, :, :-1, 1:] - images[:, :, :-1, :-1]
    per_sample = (dx**2 + dy**2).pow(beta).flatten(1).mean(dim=1)
    return _reduce(per_sample, reduction)


def l1_image_loss(pred, target, reduction="mean"):
    """Mean absolute RGB error per image (``L_RGB`` of Eq. 3).

    Parameters
    ----------
    pred, target : Tensor of shape (n, C, H, W)
        Reconstructed and target images.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one value per sample; ``"mean"`` and ``"sum"`` reduce them.

    Returns
    -------
    loss : Tensor
        A non-negative scalar, or one value per sample for ``reduction="none"``.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import l1_image_loss
    >>> float(l1_image_loss(torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 0.5)))
    0.5
    """
    return _reduce((pred - target).abs().flatten(1).mean(dim=1), reduction)


def normalize_channels(features, eps=1e-10):
    """Scale features to unit L2 norm over channels at each location (LPIPS-style).

    Parameters
    ----------
    features : Tensor of shape (n, C, H, W)
        Activations of a network block.
    eps : float, default=1e-10
        ``eps ** 2`` is added to the squared norm, so that all-zero locations stay zero.

    Returns
    -------
    normalized : Tensor of shape (n, C, H, W)
        ``features / sqrt(sum_c features ** 2 + eps ** 2)``.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import normalize_channels
    >>> f = normalize_channels(torch.tensor([[[[3.0]], [[4.0]]]]))
    >>> f.flatten().tolist()
    [0.6000000238418579, 0.800000011920929]
    """
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
        Activations of the same blocks (e.g. from a :class:`FeatureExtractor`) for the
        predictions and the targets.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one value per sample; ``"mean"`` and ``"sum"`` reduce them.
    eps : float, default=1e-10
        ``eps ** 2`` is added to the squared channel norms.

    Returns
    -------
    loss : Tensor
        A float32 (or wider) value in [0, 2]: a scalar, or one value per sample for
        ``reduction="none"``.

    Raises
    ------
    ValueError
        When the two lists hold different numbers of blocks.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import perceptual_distance
    >>> f = [torch.rand(2, 8, 4, 4), torch.rand(2, 16, 2, 2)]
    >>> same, opposite = perceptual_distance(f, f), perceptual_distance(f, [-x for x in f])
    >>> round(float(same), 6), round(float(opposite), 6)
    (0.0, 2.0)
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


@fill_doc
class ImageLoss(nn.Module):
    """Image loss ``L_s`` of Eq. 3: ``w_rgb * L1 + w_perc * perceptual + w_tv * TV``.

    :func:`l1_image_loss`, :func:`perceptual_distance` on the blocks of
    ``feature_extractor``, and :func:`total_variation` of the prediction. Phase II scores
    ``L_D`` and ``L_ED`` with it.

    Parameters
    ----------
    feature_extractor : FeatureExtractor
        Frozen perceptual network returning its blocks (paper: VGG16 blocks 1-5).
    %(weights_image_loss)s

    Attributes
    ----------
    features : FeatureExtractor
        The perceptual network.
    weights : tuple of float
        The three weights.

    See Also
    --------
    neurodecode.SelfSupervisedDecoder : Its ``image_loss_weights`` are these weights.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import ImageLoss, build_feature_extractor, total_variation
    >>> fx = build_feature_extractor("vgg16", ["block1_conv2", "block2_conv2"])
    >>> loss = ImageLoss(fx)
    >>> x = torch.rand(2, 3, 16, 16)
    >>> # only TV is left (up to float rounding: oneDNN may sum in another order)
    >>> abs(float(loss(x, x)) - float(0.3 * total_variation(x))) < 1e-5
    True
    """

    def __init__(self, feature_extractor, weights=(1.0, 10.0, 0.3)):
        super().__init__()
        self.features = feature_extractor
        self.weights = tuple(float(w) for w in weights)

    def target_features(self, target):
        """Perceptual features of target images, without gradients.

        Compute them once to score several predictions against the same targets.

        Parameters
        ----------
        target : Tensor of shape (n, 3, H, W)
            Target images in [0, 1].

        Returns
        -------
        features : list of Tensor
            One detached tensor per block of ``features``.
        """
        with torch.no_grad():
            return [f.detach() for f in self.features(target)]

    def forward(self, pred, target, target_features=None, reduction="mean"):
        """Compute the image loss of predictions against targets.

        Parameters
        ----------
        pred : Tensor of shape (n, 3, H, W)
            Predicted images in [0, 1].
        target : Tensor of shape (n, 3, H, W)
            Target images in [0, 1].
        target_features : list of Tensor or None, default=None
            The targets' perceptual features (:meth:`target_features`); None computes them.
        reduction : {"mean", "sum", "none"}, default="mean"
            ``"none"`` returns one value per sample; ``"mean"`` and ``"sum"`` reduce them.

        Returns
        -------
        loss : Tensor
            A scalar, or one value per sample for ``reduction="none"``.
        """
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
