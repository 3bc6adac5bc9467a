"""The encoder E: image -> voxels (paper, "Deep Architecture and Runtime details").

Four parallel branches on a frozen backbone (VGG19 blocks 1-4 in the paper). Each branch is
BN -> 3x3 conv (32) -> ReLU -> x2 subsample -> BN; branch 1 starts with an extra x2 max-pool,
branch 4 is not subsampled (112 px: 28x28x32, 28x28x32, 14x14x32, 14x14x32). A space-feature
locally-connected readout then maps each branch to the voxels: the 3x3 neighbourhood of every
location is stacked along channels (32 * 9 = 288; 26x26 or 12x12 after dropping the boundary),
weighted by a per-voxel spatial map (one per voxel and grid size, shared by the branches on
that grid) and mixed across the 288 channels per voxel. A per-voxel, non-negative branch mix
initialised to 1 sums the four branch predictions.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .._docs import fill_doc

#: Stride (w.r.t. the input image) at which each branch ends in the paper: 112 px ->
#: 28, 28, 14, 14. ``branch3_subsample=False`` gives the authors' Keras variant (28 for
#: branch 3).
PAPER_BRANCH_STRIDES = (4, 4, 8, 8)
PATCH = 3
#: SD of a "small" channel-mix start times sqrt(9C x n_branches): the readout's initial
#: predictions stay within a fraction of a z-scored voxel's SD at every voxel count.
SMALL_INIT_GAIN = 0.25
# Gaussian spatial maps: centres and log-SDs are stored divided by this factor, so that Adam's
# steps (about the learning rate) move a pRF ~GAUSSIAN_STEP_SCALE times faster than a weight
GAUSSIAN_STEP_SCALE = 10.0
GAUSSIAN_INIT_SD = 0.3  # initial SD, in units of half the image side
GAUSSIAN_MIN_SD = 0.02


def _glorot_(weight, fan_in, fan_out, generator=None):
    std = math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        return weight.normal_(0.0, std, generator=generator)


def _build_weights(space, mix, g):
    """Effective readout weights (V, C * g * g) of maps ``space`` (V, g-2, g-2), ``mix`` (V, 9C)."""
    n_voxels = space.shape[0]
    pad = PATCH - 1
    padded = F.pad(space, (pad, pad, pad, pad))  # (V, g+2, g+2)
    shifted = torch.stack([padded[:, pad - i:pad - i + g, pad - j:pad - j + g]
                           for i in range(PATCH) for j in range(PATCH)], dim=1)
    mix = mix.reshape(n_voxels, -1, PATCH * PATCH)  # (V, C, 9)
    return torch.bmm(mix, shifted.reshape(n_voxels, PATCH * PATCH, g * g)).view(n_voxels, -1)


class _StreamedReadout(torch.autograd.Function):
    """``x @ W.T`` with ``W = _build_weights(space, mix, g)`` built ``block`` voxels at a time.

    Neither ``W`` nor its gradient is ever held whole: the backward pass rebuilds each
    block's weights, takes ``grad_x += grad_y[:, block] @ W_block`` and sends
    ``grad_y[:, block].T @ x`` back through the block's build to ``space`` and ``mix``.
    The input gradient alone is vectorisable (``is_grads_batched``, as in
    :func:`~neurodecode.analysis.gradient_maps`). It is differentiable once (a
    ``create_graph`` backward through it raises), and ``torch.func`` transforms other than
    that batched backward are not supported.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x, space, mix, g, block):
        n_voxels = space.shape[0]
        parts = []
        with torch.no_grad():
            for lo in range(0, n_voxels, block):
                weight = _build_weights(space[lo:lo + block], mix[lo:lo + block], g)
                parts.append(torch.matmul(weight.to(x.dtype), x.t()))
        return torch.cat(parts).t()

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, space, mix, g, block = inputs
        ctx.save_for_backward(x, space, mix)
        ctx.g, ctx.block = g, block

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):
        x, space, mix = ctx.saved_tensors
        need_x, need_space, need_mix = ctx.needs_input_grad[:3]
        g, block = ctx.g, ctx.block
        grad_x = None
        space_parts, mix_parts = [], []
        grad_out = grad_out.to(x.dtype)
        for lo in range(0, space.shape[0], block):
            hi = min(lo + block, space.shape[0])
            with torch.enable_grad():
                s_b = space[lo:hi].detach().requires_grad_(need_space)
                m_b = mix[lo:hi].detach().requires_grad_(need_mix)
                weight = _build_weights(s_b, m_b, g)
            g_b = grad_out.narrow(-1, lo, hi - lo)
            if need_x:  # out of place, so that it vectorises over a batch of grad_out
                part = torch.matmul(g_b, weight.detach().to(x.dtype))
                grad_x = part if grad_x is None else grad_x + part
            if need_space or need_mix:
                grad_w = torch.matmul(g_b.t(), x).to(weight.dtype)
                inputs = [t for t, need in ((s_b, need_space), (m_b, need_mix)) if need]
                grads = iter(torch.autograd.grad(weight, inputs, grad_w))
                if need_space:
                    space_parts.append(next(grads))
                if need_mix:
                    mix_parts.append(next(grads))
        grad_space = torch.cat(space_parts) if need_space else None
        grad_mix = torch.cat(mix_parts) if need_mix else None
        return grad_x, grad_space, grad_mix, None, None


class EncoderBranch(nn.Module):
    """One branch: [max-pools] -> BN -> 3x3 conv -> ReLU -> x2 subsample -> BN.

    Parameters
    ----------
    in_channels : int
        Channels of the backbone tap.
    out_channels : int, default=32
        Channels of the branch's convolution (32 in the paper).
    downsample : int, default=1
        Total spatial reduction, a power of 2. 1: no subsampling; 2: the conv subsamples;
        4: a max-pool first, then the subsampling conv (paper branch 1), and so on.

    Attributes
    ----------
    pool : torch.nn.Sequential
        The parameter-free max-pools (none for ``downsample`` up to 2).
    head : torch.nn.Sequential
        BN, 3x3 convolution (Glorot-normal init, zero bias), ReLU, BN.

    See Also
    --------
    EncoderNet : The encoder made of four branches and a readout.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import EncoderBranch
    >>> branch = EncoderBranch(64, downsample=4)
    >>> x = torch.rand(2, 64, 56, 56)
    >>> branch.head(branch.pool(x)).shape, branch.output_size(56)
    (torch.Size([2, 32, 14, 14]), 14)
    """

    def __init__(self, in_channels, out_channels=32, downsample=1):
        super().__init__()
        if downsample < 1 or downsample & (downsample - 1):
            raise ValueError(f"downsample must be a power of 2; got {downsample}.")
        n_pool = max(int(math.log2(downsample)) - 1, 0)
        self.downsample = downsample
        # The max-pools come first and hold no parameters: frozen features can be cached
        # after them (see EncoderNet.extract).
        self.pool = nn.Sequential(*[nn.MaxPool2d(2) for _ in range(n_pool)])
        self.head = nn.Sequential(
            nn.BatchNorm2d(in_channels),
            nn.Conv2d(in_channels, out_channels, 3, stride=2 if downsample > 1 else 1, padding=1),
            nn.ReLU(),
            nn.BatchNorm2d(out_channels),
        )
        conv = self.head[1]
        _glorot_(conv.weight, in_channels * 9, out_channels * 9)
        nn.init.zeros_(conv.bias)

    def output_size(self, size):
        """Spatial size of the branch output for a tap of spatial size ``size``.

        Parameters
        ----------
        size : int
            Side of the (square) tap output.

        Returns
        -------
        size : int
            Side of the branch output.
        """
        for _ in self.pool:
            size //= 2
        stride = 2 if self.downsample > 1 else 1
        return (size - 1) // stride + 1


class SpaceFeatureReadout(nn.Module):
    """Space-feature locally-connected layer plus the per-voxel branch mix.

    For branch k with output ``x_k`` (n, C, H, W), let ``P_k`` stack every 3x3 neighbourhood
    along channels, (n, 9C, (H-2)(W-2)). With ``S_g`` the (n_voxels, (H-2)(W-2)) spatial maps
    of grid g and ``M_k`` the (n_voxels, 9C) channel mix::

        y_k[n, v] = sum_c M_k[v, c] * sum_p S_g[v, p] * P_k[n, c, p] + b_k[v]
        y[n, v] = sum_k |B[v, k]| * y_k[n, v]

    Parameters
    ----------
    n_voxels : int
        Voxels predicted.
    in_channels : int
        Channels of every branch output (32 in the paper).
    grid_sizes : sequence of int
        Spatial size of each branch output (28, 28, 14, 14 at 112 px).
    dropout : float, default=0.0
        Dropout on the branch features entering the readout during training (each feature
        is dropped for every voxel and every 3x3 neighbourhood it enters). The authors'
        code drops the per-voxel pooled features, 0.5 in phase I; that draws
        n x 9C x n_voxels random numbers per step, most of a CPU step's time.
    space_init : {"glorot", "uniform"}, default="glorot"
        Initial spatial maps. "glorot": Glorot-normal, the paper's text. "uniform": every
        location weighted ``1 / (number of locations)`` (the readout starts as global
        average pooling, and whatever becomes local is learned). ``S`` and ``M``
        multiply, so a random signed ``S`` leaves a residue across the whole map that
        neither the data nor the weak spatial penalties remove: on the simulated subject
        it cost held-out accuracy and hid the voxels' retinotopy (see
        :func:`neurodecode.analysis.estimate_prf`).
    channel_init : {"glorot", "small"}, default="glorot"
        Initial channel mixes. "glorot": Glorot-normal with fan-in 9C and fan-out
        ``n_voxels`` (the paper's text and the authors' code), whose SD grows as the voxel
        count falls: at a few hundred voxels the first predictions are as variable as
        z-scored fMRI, and training spends its first epochs unlearning them. "small"
        (ours): normal with SD ``0.25 / sqrt(9C x n_branches)``, the same at every voxel
        count, so that the readout starts close to predicting each voxel's mean.
    space_model : {"free", "gaussian"}, default="free"
        How the spatial maps are parametrised. "free": one weight per location (the
        paper's readout, with the spatial L1 and smoothness penalties). "gaussian" (ours):
        each voxel's maps are one isotropic 2D Gaussian, normalised to sum to 1 on every
        grid, with a centre and an SD shared by all grids (three parameters per voxel
        instead of ``sum (g - 2)^2``); the spatial penalties do not apply (the maps are
        compact by construction) and the pRF can be read off the parameters
        (:meth:`gaussian_prf`). The factorised readouts of Klindt et al. (NeurIPS 2017)
        and the Gaussian readout of Lurz et al. (ICLR 2021) are the precedent: at GOD's
        SNR the free maps are too many parameters for ~1200 noisy trials to localise.
        Centres start within 0.1 of the image centre, SDs at 0.3 of half the image
        side; ``space_init`` is then ignored.

    Attributes
    ----------
    space_maps : torch.nn.ParameterDict
        The spatial maps ``S_g``, (n_voxels, g - 2, g - 2), keyed by grid size ``str(g)``
        (empty with ``space_model="gaussian"``; :meth:`space_map` builds them).
    prf_center, prf_log_sd : torch.nn.Parameter
        With ``space_model="gaussian"`` only: ``GAUSSIAN_STEP_SCALE`` times these are each
        voxel's centre (n_voxels, 2: column then row, in units of half the image side,
        0 at the centre, +row downwards) and the log of its SD (n_voxels,).
    channel_mix : torch.nn.Parameter of shape (n_branches, n_voxels, 9C)
        The channel mixes ``M_k``.
    bias : torch.nn.Parameter of shape (n_branches, n_voxels)
        The per-branch biases ``b_k``.
    branch_mix : torch.nn.Parameter of shape (n_voxels, n_branches)
        The branch mix ``B``, initialised to 1 (its absolute value is used).

    max_weight_bytes : int
        Largest size of the effective weights (all branches, in the compute precision)
        that is materialised; 2 GiB (class attribute; set it on an instance to change it:
        it changes memory use, and results only by float rounding, and is not stored in
        model files).
    stream_block_bytes : int
        Size of the blocks of weights built at a time above ``max_weight_bytes``; 128 MiB
        in the compute precision (the backward pass rebuilds them in the parameters'
        float32, twice that under bfloat16).

    Notes
    -----
    The forward pass never stacks the patches: each branch's readout is the equivalent
    dense matrix (:meth:`effective_weights`), one matrix product per branch, ~9x fewer
    multiply-adds than the patch path (n x 9C x P x V per branch). In training it is built
    under autograd at every step; when no gradient reaches the readout's parameters and
    dropout is off (prediction, or phase II with E frozen) it is cached, in the compute
    precision, until the parameters change.

    Above ``max_weight_bytes`` (1.1 GiB in float32 at the paper's 4500 voxels and 112 px,
    5 GiB at 20 000 voxels) the matrices are never held whole: each branch's readout is
    computed for blocks of voxels, building that block's weights, using them and freeing
    them, in the forward pass and again in the backward pass (no cache). Memory then stays
    flat in the number of voxels, for ~3 more weight builds per step; the result equals
    the materialised one up to float rounding (the matrix products have other shapes).

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import SpaceFeatureReadout
    >>> readout = SpaceFeatureReadout(n_voxels=5, in_channels=4, grid_sizes=(8, 4))
    >>> readout([torch.rand(2, 4, 8, 8), torch.rand(2, 4, 4, 4)]).shape
    torch.Size([2, 5])
    """

    max_weight_bytes = 2 * 1024**3
    stream_block_bytes = 128 * 1024**2
    space_model = "free"  # instances pickled before space_model existed have free maps

    def __init__(self, n_voxels, in_channels, grid_sizes, dropout=0.0, space_init="glorot",
                 channel_init="glorot", space_model="free"):
        super().__init__()
        if space_init not in ("uniform", "glorot"):
            raise ValueError(f"space_init must be 'uniform' or 'glorot'; got {space_init!r}.")
        if space_model not in ("free", "gaussian"):
            raise ValueError(f"space_model must be 'free' or 'gaussian'; got {space_model!r}.")
        if channel_init not in ("glorot", "small"):
            raise ValueError(f"channel_init must be 'glorot' or 'small'; got {channel_init!r}.")
        if min(grid_sizes) < PATCH + 1:
            raise ValueError(
                f"every branch must end on a grid of at least {PATCH + 1}x{PATCH + 1} (a "
                f"spatial map of at least 2x2 after the {PATCH}x{PATCH} neighbourhood "
                f"stacking, which the smoothness penalty needs); got branch grids "
                f"{list(grid_sizes)}. Use larger images (image_size) or another backbone."
            )
        self.n_voxels = n_voxels
        self.grid_sizes = tuple(int(g) for g in grid_sizes)
        self.n_features = in_channels * PATCH * PATCH
        # One spatial map per voxel and grid size, shared by the branches on that grid.
        self.space_model = space_model
        self.space_maps = nn.ParameterDict()
        if space_model == "gaussian":
            centre = torch.empty(n_voxels, 2).uniform_(-0.1, 0.1)
            self.prf_center = nn.Parameter(centre / GAUSSIAN_STEP_SCALE)
            self.prf_log_sd = nn.Parameter(torch.full((n_voxels,), math.log(GAUSSIAN_INIT_SD)
                                                      / GAUSSIAN_STEP_SCALE))
        for g in sorted(set(self.grid_sizes), reverse=True) if space_model == "free" else ():
            p = g - PATCH + 1
            weight = nn.Parameter(torch.empty(n_voxels, p, p))
            if space_init == "glorot":
                _glorot_(weight, p * p, n_voxels)
            else:
                nn.init.constant_(weight, 1.0 / (p * p))
            self.space_maps[str(g)] = weight
        n_branches = len(self.grid_sizes)
        self.channel_mix = nn.Parameter(torch.empty(n_branches, n_voxels, self.n_features))
        for k in range(n_branches):
            if channel_init == "glorot":
                _glorot_(self.channel_mix[k], self.n_features, n_voxels)
            else:
                with torch.no_grad():
                    self.channel_mix[k].normal_(
                        0.0, SMALL_INIT_GAIN / math.sqrt(self.n_features * n_branches))
        self.bias = nn.Parameter(torch.zeros(n_branches, n_voxels))
        self.branch_mix = nn.Parameter(torch.ones(n_voxels, n_branches))
        self.dropout = nn.Dropout(dropout)

    def gaussian_prf(self):
        """Each voxel's Gaussian map: centre and SD (``space_model="gaussian"`` only).

        Returns
        -------
        centre : Tensor of shape (n_voxels, 2)
            Column and row of the centre, in units of half the image side (0 at the image
            centre, +1 at its right / bottom edge).
        sd : Tensor of shape (n_voxels,)
            The SD, in the same units (at least ``GAUSSIAN_MIN_SD``).
        """
        if self.space_model != "gaussian":
            raise ValueError("gaussian_prf needs space_model='gaussian'; this readout's maps "
                             "are free (use neurodecode.analysis.estimate_prf).")
        sd = (self.prf_log_sd * GAUSSIAN_STEP_SCALE).exp().clamp_min(GAUSSIAN_MIN_SD)
        return self.prf_center * GAUSSIAN_STEP_SCALE, sd

    def space_map(self, g):
        """The spatial maps ``S_g`` of grid size ``g``, (n_voxels, g - 2, g - 2).

        The parameters themselves with ``space_model="free"``; with "gaussian", each voxel's
        Gaussian sampled at the centres of the 3x3 neighbourhoods of the grid (location
        ``p`` covers grid cells ``p .. p + 2``, centre ``(p + 1.5) / g`` of the side) and
        divided by its sum (differentiable in the centre and SD).

        Parameters
        ----------
        g : int
            The grid size, one of ``grid_sizes``.

        Returns
        -------
        torch.Tensor
            The maps, (n_voxels, g - 2, g - 2).
        """
        if self.space_model == "free":
            return self.space_maps[str(g)]
        centre, sd = self.gaussian_prf()
        pos = (torch.arange(g - PATCH + 1, dtype=centre.dtype, device=centre.device)
               + 1.5) / g * 2 - 1
        dx = (pos.view(1, -1) - centre[:, :1]) ** 2  # (V, p): columns
        dy = (pos.view(1, -1) - centre[:, 1:]) ** 2  # (V, p): rows
        logits = -(dy.unsqueeze(2) + dx.unsqueeze(1)) / (2 * sd.view(-1, 1, 1) ** 2)
        return torch.softmax(logits.flatten(1), dim=1).view(-1, len(pos), len(pos))

    def effective_weights(self, k):
        """Branch ``k``'s readout as one (n_voxels, C * H * W) matrix.

        Stacking 3x3 neighbourhoods, pooling them with the spatial map ``S`` and mixing the
        9C channels with ``M`` is linear in the branch output x, so
        ``y_k = x.flatten() @ W_k.T`` with
        ``W_k[v, c, h, w] = sum_{i,j} S[v, h - i, w - j] M[v, c, i, j]`` (a full 2D
        convolution of each voxel's map with its 3x3 kernels, built here as one batched
        matrix product per voxel). It costs 9 x (H-2)(W-2) / (H W) fewer multiply-adds per
        sample than the patch path, once ``W_k`` is built, and it is differentiable: phase I
        trains through it.

        Parameters
        ----------
        k : int
            Index of the branch.

        Returns
        -------
        W_k : Tensor of shape (n_voxels, C * H * W)
            The branch's readout weights (bias and branch mix excluded), differentiable.
        """
        g = self.grid_sizes[k]
        return _build_weights(self.space_map(g), self.channel_mix[k], g)

    def weight_bytes(self, dtype=torch.float32):
        """Memory the effective weights of all branches take in ``dtype``.

        Parameters
        ----------
        dtype : torch.dtype, default=torch.float32
            Their dtype (the compute precision).

        Returns
        -------
        n_bytes : int
            ``n_voxels x sum_k C H_k W_k x`` the dtype's item size.
        """
        per_voxel = sum(self.n_features // (PATCH * PATCH) * g * g for g in self.grid_sizes)
        return self.n_voxels * per_voxel * dtype.itemsize

    def _streams(self, dtype):
        return self.weight_bytes(dtype) > self.max_weight_bytes

    def _patch_forward(self, k, x):
        """Branch ``k``'s prediction by the patch path (the layer's definition; tests)."""
        space = self.space_map(self.grid_sizes[k]).reshape(self.n_voxels, -1)
        # (n, 9C, P) @ (P, V): every voxel's spatial pooling of every patch channel
        pooled = torch.matmul(F.unfold(x, PATCH), space.t())
        return (pooled * self.channel_mix[k].t()).sum(dim=1)

    def _frozen_weights(self, dtype):
        params = list(self.space_maps.values()) + [self.channel_mix]
        if self.space_model == "gaussian":
            params += [self.prf_center, self.prf_log_sd]
        key = tuple((p.data_ptr(), p._version, p.device, p.dtype) for p in params) + (dtype,)
        cache = getattr(self, "_frozen_cache", None)
        if getattr(self, "_frozen_key", None) != key or cache is None:
            self._frozen_cache = None  # free the old matrices before building new ones
            device_type = self.channel_mix.device.type
            # built in float32 whatever autocast is in force (the key names only the
            # dtype), kept in the compute precision only, converted branch by branch
            with torch.no_grad(), torch.autocast(device_type, enabled=False):
                cache = [self.effective_weights(k).to(dtype)
                         for k in range(len(self.grid_sizes))]
            self._frozen_cache, self._frozen_key = cache, key
        return cache

    def _is_frozen(self):
        """No gradient for the readout's parameters and no dropout: use effective weights."""
        if self.training and self.dropout.p > 0:
            return False
        if not torch.is_grad_enabled():
            return True
        return not any(p.requires_grad for p in self.parameters())

    def __getstate__(self):
        state = super().__getstate__().copy()
        state.pop("_frozen_cache", None)
        state.pop("_frozen_key", None)
        return state

    def forward(self, branch_outputs):
        """Predict the voxels from the branch outputs.

        Parameters
        ----------
        branch_outputs : sequence of Tensor
            Branch ``k``'s output, (n, C, g_k, g_k), ``g_k`` its entry of ``grid_sizes``.

        Returns
        -------
        voxels : Tensor of shape (n, n_voxels)
            ``y``, the branch predictions summed with weights ``|B|``.
        """
        n = branch_outputs[0].shape[0]
        dtype = branch_outputs[0].dtype
        streams = self._streams(dtype)
        frozen = None
        if not streams and self._is_frozen():
            frozen = self._frozen_weights(dtype)
        else:  # free a cache that training would make stale anyway
            self._frozen_cache = self._frozen_key = None
        y = 0
        for k, x in enumerate(branch_outputs):
            if self.training and self.dropout.p > 0:
                # dropout on the branch features, as on the patches they are stacked from
                x = self.dropout(x)
            if frozen is not None:
                # frozen readout (phase II, prediction): cached effective weights
                y_k = torch.matmul(frozen[k], x.flatten(1).t()).t()
            elif streams:
                # effective weights too large to hold: built for a block of voxels at a
                # time, in the forward pass and again in the backward pass
                g = self.grid_sizes[k]
                y_k = _StreamedReadout.apply(x.flatten(1), self.space_map(g),
                                             self.channel_mix[k], g,
                                             self._stream_block(k, dtype))
            else:
                # training: the same function through the effective weights, differentiable
                weight = self.effective_weights(k).to(dtype)
                # (W @ x.T).T: the same product; BLAS streams the large (V, CHW) matrix
                # row-major this way (1.5-2x faster on the CPU for small batches)
                y_k = torch.matmul(weight, x.flatten(1).t()).t()
            y = y + self.branch_mix[:, k].abs() * (y_k + self.bias[k])
        return y.reshape(n, self.n_voxels)

    def _stream_block(self, k, dtype):
        """Voxels per block of the streamed readout (``stream_block_bytes`` of weights)."""
        per_voxel = self.n_features // (PATCH * PATCH) * self.grid_sizes[k] ** 2 * dtype.itemsize
        return max(1, min(self.n_voxels, self.stream_block_bytes // per_voxel))

    @fill_doc
    def regularization(self, spatial_l1=5e-6, spatial_smoothness=1e-5, channel_l1=5e-6,
                       branch_l1=5e-2, eps=1e-12):
        """The encoder's penalties (the authors' ``gl`` regulariser).

        ``spatial_l1 * sum|S| + spatial_smoothness * sum sqrt(N(S^2))`` where ``N``
        averages each weight's four neighbours (reflect padding): a neighbourhood group
        lasso that keeps each voxel's spatial map compact; plus ``channel_l1 * sum|M|``
        and ``branch_l1 * sum|B|``. A zero coefficient skips its term. Gaussian maps
        (``space_model="gaussian"``) are compact by construction and have no spatial terms.

        Parameters
        ----------
        %(encoder_penalty)s
        eps : float, default=1e-12
            Added under the square root, so that its gradient stays finite at 0.

        Returns
        -------
        penalty : Tensor
            The total penalty, a differentiable scalar.
        """
        total = self.branch_mix.new_zeros(())
        for weight in self.space_maps.values():
            if spatial_l1:
                total = total + spatial_l1 * weight.abs().sum()
            if spatial_smoothness:
                sq = F.pad(weight.square().unsqueeze(0), (1, 1, 1, 1), mode="reflect")[0]
                neigh = (sq[:, :-2, 1:-1] + sq[:, 2:, 1:-1] + sq[:, 1:-1, :-2]
                         + sq[:, 1:-1, 2:]) / 4
                total = total + spatial_smoothness * (neigh + eps).sqrt().sum()
        if channel_l1:
            total = total + channel_l1 * self.channel_mix.abs().sum()
        if branch_l1:
            total = total + branch_l1 * self.branch_mix.abs().sum()
        return total


class EncoderNet(nn.Module):
    """E: images in [0, 1] (n, 3, s, s) -> voxel responses (n, n_voxels).

    The architecture of the paper ("Deep Architecture and Runtime details"): four branches
    (:class:`EncoderBranch`) on the taps of a frozen backbone, and a space-feature
    readout (:class:`SpaceFeatureReadout`).

    Parameters
    ----------
    backbone : FeatureExtractor
        Frozen backbone returning the four encoder taps.
    n_voxels : int
        Voxels predicted.
    image_size : int
        Side of the (square) input images.
    branch_channels : int, default=32
        Channels of each branch's convolution.
    branch_strides : sequence of int, default=(4, 4, 8, 8)
        Stride w.r.t. the image at which each branch ends (never finer than its tap).
    dropout : float, default=0.0
        Dropout on the branch features entering the readout during training.
    space_init : {"glorot", "uniform"}, default="glorot"
        Initial spatial maps of the readout (:class:`SpaceFeatureReadout`).
    channel_init : {"glorot", "small"}, default="glorot"
        Initial channel mixes of the readout (:class:`SpaceFeatureReadout`).
    space_model : {"free", "gaussian"}, default="free"
        The readout's spatial maps: free weights (the paper's) or one Gaussian per voxel
        (:class:`SpaceFeatureReadout`).

    Attributes
    ----------
    branches : torch.nn.ModuleList of EncoderBranch
        One branch per tap.
    readout : SpaceFeatureReadout
        The voxel readout.
    tap_sizes : tuple of int
        Spatial size of each tap at ``image_size``.

    See Also
    --------
    neurodecode.ImageEncoder : The estimator that trains it (phase I).

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import EncoderNet, build_feature_extractor
    >>> taps = ["block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4"]
    >>> net = EncoderNet(build_feature_extractor("vgg19", taps), n_voxels=10, image_size=32)
    >>> net(torch.rand(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, backbone, n_voxels, image_size, branch_channels=32,
                 branch_strides=PAPER_BRANCH_STRIDES, dropout=0.0, space_init="glorot",
                 channel_init="glorot", space_model="free"):
        super().__init__()
        if len(branch_strides) != len(backbone.taps):
            raise ValueError(
                f"branch_strides has {len(branch_strides)} entries for "
                f"{len(backbone.taps)} backbone taps."
            )
        self.backbone = backbone
        self.image_size = int(image_size)
        # the taps' sizes, from a pass on the meta device (shapes only: no memory and no
        # compute, whatever the image size)
        meta = {k: torch.empty_like(v, device="meta")
                for k, v in [*backbone.named_parameters(), *backbone.named_buffers()]}
        with torch.no_grad():
            probe = torch.func.functional_call(
                backbone, meta, (torch.zeros(1, 3, self.image_size, self.image_size,
                                             device="meta"),))
        self.tap_sizes = tuple(int(f.shape[-1]) for f in probe)
        branches, grids = [], []
        for tap, size, stride in zip(backbone.taps, self.tap_sizes, branch_strides):
            down = max(1, int(stride) // tap.stride)
            branch = EncoderBranch(tap.channels, branch_channels, down)
            branches.append(branch)
            grids.append(branch.output_size(size))
        self.branches = nn.ModuleList(branches)
        self.readout = SpaceFeatureReadout(n_voxels, branch_channels, grids, dropout=dropout,
                                           channel_init=channel_init,
                                           space_init=space_init, space_model=space_model)

    @property
    def n_voxels(self):
        return self.readout.n_voxels

    def extract(self, images):
        """Frozen part: backbone taps followed by each branch's parameter-free max-pools.

        Its output does not change during training, so that it can be computed once and
        cached when the images are not augmented.

        Parameters
        ----------
        images : Tensor of shape (n, 3, image_size, image_size)
            RGB images in [0, 1].

        Returns
        -------
        pooled : list of Tensor
            One tensor per branch, the input of :meth:`head`.
        """
        feats = self.backbone(images)
        return [branch.pool(f) for branch, f in zip(self.branches, feats)]

    def head(self, pooled):
        """Trainable part: branch convolutions and the space-feature readout.

        Parameters
        ----------
        pooled : sequence of Tensor
            The output of :meth:`extract`.

        Returns
        -------
        voxels : Tensor of shape (n, n_voxels)
            Predicted voxel responses.
        """
        return self.readout([branch.head(f) for branch, f in zip(self.branches, pooled)])

    def forward(self, images):
        """Predict voxel responses: ``head(extract(images))``.

        Parameters
        ----------
        images : Tensor of shape (n, 3, image_size, image_size)
            RGB images in [0, 1].

        Returns
        -------
        voxels : Tensor of shape (n, n_voxels)
            Predicted voxel responses.
        """
        return self.head(self.extract(images))

    def trainable_parameters(self):
        """List the parameters trained in phase I: all but the frozen backbone's.

        Returns
        -------
        params : list of torch.nn.Parameter
            The branches' and the readout's parameters.
        """
        return [p for name, p in self.named_parameters() if not name.startswith("backbone.")]

    def regularization(self, **coefs):
        """The readout's penalties (:meth:`SpaceFeatureReadout.regularization`).

        Parameters
        ----------
        **coefs : dict
            Its keyword arguments (``spatial_l1``, ``spatial_smoothness``, ``channel_l1``,
            ``branch_l1``, ``eps``); the defaults are the paper's.

        Returns
        -------
        penalty : Tensor
            The total penalty, a differentiable scalar.
        """
        return self.readout.regularization(**coefs)


def build_encoder_net(config, state_dict=None):
    """The encoder network a configuration describes.

    Parameters
    ----------
    config : dict
        ``backbone`` (a name of :data:`BACKBONES`), ``n_voxels``, ``image_size``,
        ``branch_channels``, ``branch_strides``, ``dropout`` and optionally
        ``space_init``, ``channel_init``, ``space_model`` (the keyword arguments of
        :class:`EncoderNet`); what ``ImageEncoder`` stores with its model.
    state_dict : dict or None, default=None
        Backbone weights; None leaves the backbone random.

    Returns
    -------
    net : EncoderNet
        The backbone with ``state_dict``'s weights, the read-out freshly initialised (from
        torch's global generator).

    Examples
    --------
    >>> from neurodecode.models import build_encoder_net
    >>> net = build_encoder_net({"backbone": "efficientnet_lite0", "n_voxels": 5,
    ...                          "image_size": 64, "branch_channels": 4,
    ...                          "branch_strides": [4, 4, 8, 8], "dropout": 0.0})
    >>> net.n_voxels
    5
    """
    from ._backbones import get_backbone_spec
    from ._frozen_nets import build_feature_extractor

    spec = get_backbone_spec(config["backbone"])
    backbone = build_feature_extractor(config["backbone"], spec.encoder_taps, state_dict)
    return EncoderNet(backbone, config["n_voxels"], config["image_size"],
                      branch_channels=config["branch_channels"],
                      branch_strides=tuple(config["branch_strides"]),
                      dropout=config["dropout"],
                      space_init=config.get("space_init", "glorot"),
                      channel_init=config.get("channel_init", "glorot"),
                      space_model=config.get("space_model", "free"))


def smallest_image_size(config, start=1, largest=4096):
    """The smallest image side from ``start`` on at which an encoder can be built.

    At smaller sides the last feature maps of the backbone are too coarse for the spatial
    read-out. The network is built on the meta device: shapes only, no memory, no weights.

    Parameters
    ----------
    config : dict
        As in :func:`build_encoder_net` (its ``image_size`` is ignored).
    start : int, default=1
        The side to start from.
    largest : int, default=4096
        Sides beyond this are not tried.

    Returns
    -------
    side : int or None
        ``start`` itself when the encoder builds there; None when no side up to
        ``largest`` does.

    Examples
    --------
    >>> from neurodecode.models import smallest_image_size
    >>> config = {"backbone": "vgg16", "n_voxels": 1, "branch_channels": 32,
    ...           "branch_strides": [4, 4, 8, 8], "dropout": 0.0}
    >>> smallest_image_size(config, 8), smallest_image_size(config, 64)
    (32, 64)
    """
    def builds(side):
        try:
            with torch.device("meta"):
                build_encoder_net({**config, "image_size": side})
        except (ValueError, RuntimeError):  # grid too coarse / feature map empty
            return False
        return True

    return smallest_side(builds, start, largest)


def smallest_side(works, start=1, largest=4096):
    """The smallest side ``>= start`` for which ``works(side)`` is True (a monotone test),
    by doubling then bisection; None when no side up to ``largest`` works."""
    if works(start):
        return start
    lo, hi = start, max(2 * start, 16)  # works(lo) is False; find the smallest True
    while not works(hi):
        lo, hi = hi, 2 * hi
        if hi > largest:
            return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if works(mid) else (mid, hi)
    return hi
