"""The decoder D: voxels -> image (paper, "Deep Architecture and Runtime details").

A dense layer (the paper's "locally connected" layer) maps the voxels to 64 feature maps of
s/8 x s/8 (14 x 14 at 112 px); three blocks of [x2 upsampling, 5x5 convolution with 64
channels, ReLU, group normalisation with 16 groups] bring them to s x s; a last 5x5
convolution to 3 channels and a sigmoid give the image in [0, 1]. Glorot-normal init.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ._encoder_net import _glorot_


class _ColumnStats(torch.autograd.Function):
    """Per column of W (R, V): mean |W| over rows, and mean W^2 over channel groups.

    ``W`` is viewed as (C, R / C, V); returns ``(mean_r |W|, mean_c W^2)`` of shapes (V,) and
    (R / C, V). The backward pass writes the gradient into one tensor, in place, instead of
    the several full-size temporaries autograd would create for the same expression.
    """

    @staticmethod
    def forward(ctx, weight, channels):
        rows, cols = weight.shape
        grouped = weight.view(channels, rows // channels, cols)
        abs_mean = torch.linalg.vector_norm(weight, ord=1, dim=0) / rows
        sq_mean = torch.linalg.vector_norm(grouped, ord=2, dim=0).square_() / channels
        ctx.save_for_backward(weight)
        ctx.channels = channels
        return abs_mean, sq_mean

    @staticmethod
    def backward(ctx, grad_abs, grad_sq):
        (weight,) = ctx.saved_tensors
        rows, cols = weight.shape
        c = ctx.channels
        grad = torch.sign(weight)
        grad.mul_(grad_abs / rows)
        grad.view(c, rows // c, cols).addcmul_(weight.view(c, rows // c, cols),
                                               grad_sq.unsqueeze(0), value=2.0 / c)
        return grad, None


class DecoderNet(nn.Module):
    """D: (n, n_voxels) -> (n, 3, s, s) images in [0, 1].

    The architecture of the paper ("Deep Architecture and Runtime details"): a dense layer
    maps the voxels to ``channels`` feature maps of ``s / 2 ** n_blocks`` pixels a side;
    each block upsamples x2 (bilinear), convolves (5x5, reflect padding), applies a ReLU and
    group normalisation; a last 5x5 convolution to RGB and a sigmoid give the image.
    Glorot-normal initialisation, zero biases.

    Parameters
    ----------
    n_voxels : int
        Voxels of the input fMRI.
    image_size : int
        Output side ``s``; a multiple of ``2 ** n_blocks`` (8), at least twice that (16):
        the first block's reflect padding needs maps larger than 2 px.
    channels : int, default=64
        Feature maps of the dense layer and of every block.
    n_blocks : int, default=3
        Upsampling blocks.
    groups : int, default=16
        Groups of the group normalisation.

    Attributes
    ----------
    dense : torch.nn.Linear
        The voxels-to-feature-maps layer (the paper's "locally connected" layer).
    seed_size : int
        Side of its feature maps, ``image_size // 2 ** n_blocks``.

    See Also
    --------
    neurodecode.SelfSupervisedDecoder : The estimator that trains it (phase II).

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import DecoderNet
    >>> DecoderNet(n_voxels=50, image_size=32)(torch.randn(4, 50)).shape
    torch.Size([4, 3, 32, 32])
    """

    def __init__(self, n_voxels, image_size, channels=64, n_blocks=3, groups=16):
        super().__init__()
        factor = 2**n_blocks
        smallest = max(2 * factor, 3)  # reflect padding of 2 px needs maps of 3 px or more
        if image_size % factor or image_size < smallest:
            raise ValueError(
                f"image_size must be a multiple of {factor} and at least {smallest} (the "
                f"5x5 convolutions' reflect padding needs maps larger than 2 px); got "
                f"{image_size}."
            )
        self.n_voxels = int(n_voxels)
        self.image_size = int(image_size)
        self.channels = channels
        self.seed_size = image_size // factor
        self.dense = nn.Linear(n_voxels, channels * self.seed_size**2)
        blocks = []
        for _ in range(n_blocks):
            conv = nn.Conv2d(channels, channels, 5, padding=2, padding_mode="reflect")
            blocks.append(nn.Sequential(
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                conv,
                nn.ReLU(),
                nn.GroupNorm(groups, channels),
            ))
        self.blocks = nn.Sequential(*blocks)
        self.to_rgb = nn.Conv2d(channels, 3, 5, padding=2, padding_mode="reflect")
        _glorot_(self.dense.weight, n_voxels, channels * self.seed_size**2)
        nn.init.zeros_(self.dense.bias)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                _glorot_(m.weight, m.in_channels * 25, m.out_channels * 25)
                nn.init.zeros_(m.bias)

    def forward(self, voxels):
        """Decode images from voxel responses.

        Parameters
        ----------
        voxels : Tensor of shape (n, n_voxels)
            The fMRI responses, in the units the decoder was trained on.

        Returns
        -------
        images : Tensor of shape (n, 3, image_size, image_size)
            RGB images in [0, 1].
        """
        x = self.dense(voxels).view(-1, self.channels, self.seed_size, self.seed_size)
        return torch.sigmoid(self.to_rgb(self.blocks(x)))

    def dense_weight_maps(self):
        """Dense weights as (n_voxels, channels, s/8, s/8): each voxel's projective field.

        Returns
        -------
        maps : Tensor of shape (n_voxels, channels, seed_size, seed_size)
            A view of the dense layer's weights (no copy; gradients flow).
        """
        w = self.dense.weight.view(self.channels, self.seed_size, self.seed_size, self.n_voxels)
        return w.permute(3, 0, 1, 2)

    def regularization(self, l1=20.0, group_lasso=400.0, neighbour=0.5, voxel_weights=None,
                       eps=1e-12):
        """Group-lasso penalty of the dense layer (the authors' ``GroupLasso``).

        ``l1 * mean_v(w_v * mean|W_v|) + group_lasso * mean_{v,x,y} sqrt(mean_c Q)`` with
        ``Q = (W^2 + neighbour * N(W^2)) / (1 + neighbour)``, ``N`` the mean of the four
        spatial neighbours (edge-replicated). ``voxel_weights`` (e.g. 1/SNR normalised to
        mean 1) weight the l1 term per voxel. A zero coefficient skips its term.

        Parameters
        ----------
        l1 : float, default=20.0
            Weight of the l1 term.
        group_lasso : float, default=400.0
            Weight of the group-lasso term.
        neighbour : float, default=0.5
            Weight of the neighbours' mean in ``Q``; 0 makes it a plain group lasso over
            channels.
        voxel_weights : Tensor of shape (n_voxels,) or None, default=None
            Per-voxel weights of the l1 term; None weighs voxels equally.
        eps : float, default=1e-12
            Added under the square root, so that its gradient stays finite at 0.

        Returns
        -------
        penalty : Tensor
            The total penalty, a differentiable scalar.
        """
        # Work on the dense weight as stored, (C * h * w, V). The two reductions over its
        # large rows go through _ColumnStats (one temporary in backward); the neighbourhood
        # average is taken after the channel mean (both are linear, so
        # mean_c N(W^2) = N(mean_c W^2)) on the small (V, h, w) maps.
        abs_mean, sq_mean = _ColumnStats.apply(self.dense.weight, self.channels)
        total = abs_mean.new_zeros(())
        if l1:
            per_voxel = abs_mean
            if voxel_weights is not None:
                per_voxel = per_voxel * voxel_weights
            total = total + l1 * per_voxel.mean()
        if group_lasso:
            s = self.seed_size
            sq = sq_mean.t().reshape(self.n_voxels, s, s)
            if neighbour:
                pad = F.pad(sq.unsqueeze(0), (1, 1, 1, 1), mode="replicate").squeeze(0)
                neigh = (pad[:, :-2, 1:-1] + pad[:, 2:, 1:-1] + pad[:, 1:-1, :-2]
                         + pad[:, 1:-1, 2:]) / 4
                sq = (sq + neighbour * neigh) / (1 + neighbour)
            total = total + group_lasso * (sq + eps).sqrt().mean()
        return total
