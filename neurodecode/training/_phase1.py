"""Phase I: supervised training of the encoder E on image-fMRI pairs (paper, Methods)."""
import time
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from ..backend import autocast, reuse_freed_memory
from ..models import fmri_loss
from ._augment import random_shift
from ._checkpoint import rng_state, set_rng_state
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


def _extract_in_chunks(net, images, chunk, device):
    out = None
    with torch.no_grad(), autocast(device):
        for start in range(0, len(images), chunk):
            feats = [f.float() for f in net.extract(images[start:start + chunk])]
            if out is None:
                out = [[] for _ in feats]
            for lst, f in zip(out, feats):
                lst.append(f)
    return [torch.cat(lst) for lst in out]


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

    params = net.trainable_parameters()
    optimizer = adam(params, config.learning_rate)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=list(config.lr_milestones), gamma=config.lr_gamma)
    history = {"epoch": [], "loss": [], "fmri_loss": [], "regularization": [], "lr": [],
               "seconds": []}
    start_epoch = 0
    if checkpoint is not None and resume:
        state = checkpoint.load()
        if state is not None and state.get("phase") == "phase1":
            net.load_state_dict(state["model"], strict=False)
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            history = {k: list(v) for k, v in state["history"].items()}
            set_rng_state(state["rng"], generator, device)
            start_epoch = int(state["epoch"])

    cached = None
    if config.cache_features:
        # Exact only without augmentation: the frozen features never change.
        cached = _extract_in_chunks(net, images, config.batch_size, device)

    n = len(images)
    epochs = range(start_epoch, config.n_epochs)
    bar = tqdm(epochs, desc="phase I (encoder)", unit="epoch", disable=verbose < 1,
               initial=start_epoch, total=config.n_epochs, leave=verbose > 1)
    for epoch in bar:
        net.train()
        t0 = time.perf_counter()
        sums = {"loss": 0.0, "fmri_loss": 0.0, "regularization": 0.0}
        batches = epoch_batches(n, config.batch_size, generator)
        for idx in tqdm(batches, desc=f"epoch {epoch + 1}", leave=False, disable=verbose < 2):
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
        sums = {k: float(v) for k, v in sums.items()}  # one device sync per epoch
        history["epoch"].append(epoch + 1)
        history["lr"].append(optimizer.param_groups[0]["lr"])
        scheduler.step()
        for k, v in sums.items():
            history[k].append(v)
        history["seconds"].append(time.perf_counter() - t0)
        bar.set_postfix(loss=f"{sums['loss']:.4f}")
        if checkpoint is not None and checkpoint.due(epoch + 1, config.n_epochs):
            checkpoint.save({
                "phase": "phase1",
                "epoch": epoch + 1,
                "model": {k: v for k, v in net.state_dict().items()
                          if not k.startswith("backbone.")},
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "history": history,
                "rng": rng_state(generator, device),
            })
    bar.close()
    net.eval()
    return history
