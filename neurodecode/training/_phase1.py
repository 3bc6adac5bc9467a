"""Phase I: supervised training of the encoder E on image-fMRI pairs (paper, Methods)."""
from dataclasses import dataclass, field

import torch

from ..backend import autocast, batched_inference, reuse_freed_memory
from ..models import fmri_loss
from ._augment import random_shift
from ._loop import EpochLoop
from ._optim import adam


@dataclass
class Phase1Config:
    """Hyper-parameters of phase I (defaults: the paper's)."""

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
    with autocast(device):
        pred = net.head(pooled).float()
    loss_fit = fmri_loss(pred, fmri, alpha=config.alpha)
    reg = net.regularization(**config.regularization)
    loss = loss_fit + reg
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss, loss_fit, reg


def train_encoder(net, images, fmri, config, device, generator, checkpoint=None, resume=False,
                  verbose=0):
    """Train the trainable part of ``net`` (an :class:`EncoderNet`) in place.

    Parameters
    ----------
    net : EncoderNet
        On ``device``; its backbone is frozen.
    images : Tensor (n, 3, s, s) in [0, 1], on ``device``
    fmri : Tensor (n, n_voxels), on ``device``
    config : Phase1Config
    generator : torch.Generator
        CPU generator for batch order and shifts.
    checkpoint : CheckpointManager or None
    resume : bool
        Continue from the checkpoint if there is one.
    verbose : int
        0 silent, 1 a progress bar over epochs, 2 also over batches.

    Returns
    -------
    history : dict of lists
        Per epoch: ``loss`` (total), ``fmri_loss``, ``regularization``, ``lr``, ``seconds``.
    """
    with reuse_freed_memory(device):
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
    net.eval()
    return history
