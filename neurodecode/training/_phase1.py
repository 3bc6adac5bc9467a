"""Phase I: supervised training of the encoder E on image-fMRI pairs (paper, Methods)."""
from dataclasses import dataclass, field

import torch

from .._docs import fill_doc
from ..backend import autocast, batched_inference, reuse_freed_memory
from ..models import fmri_loss
from ._augment import random_shift
from ._loop import EpochLoop
from ._optim import adam


@fill_doc
@dataclass
class Phase1Config:
    """Hyper-parameters of phase I (defaults: the paper's).

    Phase I trains the encoder E on image-fMRI pairs (Gaziv et al. 2022, Methods) with the
    fMRI loss of Eq. 1 plus the readout's penalties, Adam and a step schedule.

    Parameters
    ----------
    %(phase1_schedule)s
    %(alpha)s
    %(max_shift)s
    regularization : dict, default={}
        Keyword arguments of :meth:`~neurodecode.models.EncoderNet.regularization`
        (``spatial_l1``, ``spatial_smoothness``, ``channel_l1``, ``branch_l1``); those
        absent take that method's defaults, the paper's.
    cache_features : bool, default=False
        Compute the frozen features (:meth:`~neurodecode.models.EncoderNet.extract`) of
        the unshifted images once and train on them: faster, but no random shift is
        applied then, whatever ``max_shift``.

    See Also
    --------
    train_encoder : The training it configures.

    Examples
    --------
    >>> from neurodecode.training import Phase1Config
    >>> config = Phase1Config(n_epochs=10)
    >>> config.n_epochs, config.lr_milestones, config.alpha
    (10, (20, 30, 35), 0.9)
    """

    n_epochs: int = 50
    batch_size: int = 64
    learning_rate: float = 1e-3
    lr_milestones: tuple = (20, 30, 35)
    lr_gamma: float = 0.1
    alpha: float = 0.9
    max_shift: int = 5
    regularization: dict = field(default_factory=dict)
    cache_features: bool = False


def epoch_batches(n, batch_size, generator):
    """A random permutation of ``range(n)`` cut into ceil(n / batch_size) near-equal batches."""
    n_batches = max(1, -(-n // batch_size))
    return torch.tensor_split(torch.randperm(n, generator=generator), n_batches)


def extract_shifted(net, images, max_shift, generator, device):
    """Frozen features of randomly shifted images (no gradient needed: E's input is data)."""
    with torch.no_grad(), autocast(device):
        return net.extract(random_shift(images, max_shift, generator))


def phase1_update(net, optimizer, pooled, fmri, config, device):
    """One optimisation step of the encoder heads; returns (loss, fMRI loss, penalty)."""
    optimizer.zero_grad(set_to_none=True)  # before the forward pass: its memory is free
    with autocast(device):
        pred = net.head(pooled).float()
    loss_fit = fmri_loss(pred, fmri, alpha=config.alpha)
    reg = net.regularization(**config.regularization)
    loss = loss_fit + reg
    loss.backward()
    optimizer.step()
    return loss, loss_fit, reg


@fill_doc
def train_encoder(net, images, fmri, config, device, generator, checkpoint=None, resume=False,
                  verbose=0):
    """Train the trainable part of ``net`` (an :class:`EncoderNet`) in place (phase I).

    Each epoch visits the pairs once in random batches; each batch's images are shifted at
    random (unless features are cached), passed through the frozen backbone, and the heads
    take one Adam step on the fMRI loss plus the readout's penalties. The learning rate
    follows ``config.lr_milestones``. ``net`` is left in eval mode.

    Parameters
    ----------
    net : EncoderNet
        On ``device``; its backbone is frozen.
    images : Tensor of shape (n, 3, s, s)
        Training images in [0, 1], ``s`` the network's ``image_size``, on ``device``.
    fmri : Tensor of shape (n, n_voxels)
        Their fMRI, on ``device``.
    config : Phase1Config
        The hyper-parameters.
    %(device_torch)s
    generator : torch.Generator
        CPU generator for batch order and shifts.
    %(checkpoint_loop)s
    %(verbose)s

    Returns
    -------
    history : dict of lists
        Per epoch: ``epoch``, ``loss`` (total), ``fmri_loss``, ``regularization``, ``lr``,
        ``seconds``.

    See Also
    --------
    neurodecode.ImageEncoder : The estimator that calls it.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import EncoderNet, build_feature_extractor
    >>> from neurodecode.training import Phase1Config, train_encoder
    >>> taps = ["block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4"]
    >>> net = EncoderNet(build_feature_extractor("vgg19", taps), n_voxels=10, image_size=32)
    >>> images, fmri = torch.rand(8, 3, 32, 32), torch.randn(8, 10)
    >>> history = train_encoder(net, images, fmri, Phase1Config(n_epochs=2, batch_size=4),
    ...                         torch.device("cpu"), torch.Generator().manual_seed(0))
    >>> history["epoch"], len(history["loss"])
    ([1, 2], 2)
    """
    n_bytes = sum(p.numel() * p.element_size() for p in net.trainable_parameters())
    with reuse_freed_memory(device, n_bytes):
        return _train_encoder(net, images, fmri, config, device, generator,
                              checkpoint=checkpoint, resume=resume, verbose=verbose)


def _train_encoder(net, images, fmri, config, device, generator, checkpoint=None, resume=False,
                   verbose=0):
    optimizer = adam(net.trainable_parameters(), config.learning_rate)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=list(config.lr_milestones), gamma=config.lr_gamma)
    loop = EpochLoop("phase1", "phase I (encoder)", optimizer, scheduler, generator, device,
                     config.n_epochs, ("loss", "fmri_loss", "regularization"),
                     checkpoint=checkpoint, verbose=verbose)
    loop.restore(resume, lambda state: net.load_state_dict(state, strict=False))

    cached = None
    if config.cache_features:
        # Exact only without augmentation: the frozen features never change.
        cached = batched_inference(net.extract, images, config.batch_size, device,
                                   out_device=device)
    n = len(images)

    def run_epoch(epoch):
        net.train()
        sums = {"loss": 0.0, "fmri_loss": 0.0, "regularization": 0.0}
        for idx in loop.batches(epoch_batches(n, config.batch_size, generator), epoch):
            idx_dev = idx.to(device)
            if cached is not None:
                pooled = [f[idx_dev] for f in cached]
            else:
                pooled = extract_shifted(net, images[idx_dev], config.max_shift, generator,
                                         device)
            loss, loss_fit, reg = phase1_update(net, optimizer, pooled, fmri[idx_dev], config,
                                                device)
            w = len(idx) / n
            sums["loss"] += w * loss.detach()
            sums["fmri_loss"] += w * loss_fit.detach()
            sums["regularization"] += w * reg.detach()
        return sums

    def model_state():  # the frozen backbone is rebuilt, never checkpointed
        return {k: v for k, v in net.state_dict().items() if not k.startswith("backbone.")}

    history = loop.run(run_epoch, model_state)
    optimizer.zero_grad(set_to_none=True)  # not kept (nor copied) with the trained network
    net.eval()
    return history
