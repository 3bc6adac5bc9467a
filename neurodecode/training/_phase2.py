"""Phase II: the decoder D trained with E frozen (paper, Eq. 2 and "Decoder training").

Each step mixes three batches: image-fMRI pairs (L_D = L_s(D(r), s)), unpaired images
(L_ED = L_s(D(E(s')), s'), input shifted, target not) and unpaired fMRI
(L_DE = L_r(E(D(r')), r')). The three decoder passes run as one batch; the two image terms
share one pass of the perceptual network. Terms are divided by their value at
initialisation, so that each starts at 1 ("normalised to the same order of magnitude").
"""
from dataclasses import dataclass

import torch

from .._docs import fill_doc
from ..backend import autocast, resize, reuse_freed_memory
from ..models import fmri_loss
from ._augment import random_shift
from ._loop import EpochLoop
from ._optim import adam
from ._phase1 import epoch_batches

TERMS = ("L_D", "L_ED", "L_DE")


@fill_doc
@dataclass
class Phase2Config:
    """Hyper-parameters of phase II (defaults: the paper's).

    Phase II trains the decoder D with E frozen (Gaziv et al. 2022, Eq. 2 and "Decoder
    training"): each step mixes a batch of pairs (L_D), of unpaired images (L_ED; the
    shifts apply to these images as E's inputs, targets are not shifted) and of unpaired
    fMRI (L_DE), plus the decoder's group-lasso penalty.

    Parameters
    ----------
    %(phase2_schedule)s
    loss_weights : tuple of 3 float, default=(1.0, 1.0, 1.0)
        Weights ``(w_D, w_ED, w_DE)`` of the three terms; a zero switches a term off (so
        does a missing unpaired set).
    %(alpha)s
    %(max_shift)s
    %(decoder_penalty)s

    See Also
    --------
    train_decoder : The training it configures.

    Examples
    --------
    >>> from neurodecode.training import Phase2Config
    >>> config = Phase2Config(loss_weights=(1.0, 0.0, 0.0))  # the supervised baseline
    >>> config.n_epochs, config.batch_sizes, config.loss_weights
    (150, (16, 16, 16), (1.0, 0.0, 0.0))
    """

    n_epochs: int = 150
    batch_sizes: tuple = (16, 16, 16)
    learning_rate: float = 1e-3
    lr_step: int = 30
    lr_gamma: float = 0.2
    loss_weights: tuple = (1.0, 1.0, 1.0)
    alpha: float = 0.9
    max_shift: int = 5
    decoder_l1: float = 20.0
    decoder_group_lasso: float = 400.0
    penalty_weight: float = 1.0
    normalize_losses: bool = True


class _Cycler:
    """Endless random sampling without replacement: reshuffle when the pool is used up."""

    def __init__(self, n, batch_size, generator):
        self.n, self.batch_size, self.generator = n, batch_size, generator
        self.perm = torch.randperm(n, generator=generator)
        self.pos = 0

    def next(self):
        if self.pos + self.batch_size > self.n:
            self.perm = torch.randperm(self.n, generator=self.generator)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + self.batch_size]
        self.pos += self.batch_size
        return idx

    def state(self):
        return {"perm": self.perm.clone(), "pos": self.pos}

    def load(self, state):
        self.perm, self.pos = state["perm"], int(state["pos"])


class Phase2Step:
    """Loss of one phase-II step; also used to measure the loss scales at initialisation."""

    def __init__(self, decoder, encoder, image_loss, config, voxel_weights, device, generator):
        self.decoder, self.encoder, self.image_loss = decoder, encoder, image_loss
        self.config, self.voxel_weights = config, voxel_weights
        self.device, self.generator = device, generator
        self.scales = torch.ones(3)

    def terms(self, paired, unpaired_images, unpaired_fmri, shift=True):
        """Raw L_D, L_ED, L_DE (None where a batch is None) for one set of batches."""
        cfg, dev = self.config, self.device
        voxels, n = [], {}
        with autocast(dev):
            if paired is not None:
                voxels.append(paired[0])
                n["D"] = len(paired[0])
            if unpaired_images is not None:
                with torch.no_grad():
                    src = unpaired_images
                    if shift:
                        src = random_shift(src, cfg.max_shift, self.generator)
                    src = resize(src, self.encoder.image_size)
                    voxels.append(self.encoder(src).float())
                n["ED"] = len(unpaired_images)
            if unpaired_fmri is not None:
                voxels.append(unpaired_fmri)
                n["DE"] = len(unpaired_fmri)
            recon = self.decoder(torch.cat(voxels)).float()
        parts = dict(zip(n, torch.split(recon, list(n.values()))))
        out = {"L_D": None, "L_ED": None, "L_DE": None}
        preds = [parts[k] for k in ("D", "ED") if k in parts]
        if preds:
            targets = [t for t in (paired[1] if paired is not None else None, unpaired_images)
                       if t is not None]
            with autocast(dev):
                per_image = self.image_loss(torch.cat(preds), torch.cat(targets),
                                            reduction="none").float()
            split = torch.split(per_image, [len(p) for p in preds])
            keys = [k for k in ("D", "ED") if k in parts]
            for k, v in zip(keys, split):
                out["L_" + k] = v.mean()
        if "DE" in parts:
            with autocast(dev):
                r_hat = self.encoder(resize(parts["DE"], self.encoder.image_size)).float()
            out["L_DE"] = fmri_loss(r_hat, unpaired_fmri, alpha=cfg.alpha)
        return out

    @torch.no_grad()
    def measure_scales(self, paired, unpaired_images, unpaired_fmri):
        """Loss values at initialisation (positive, offset-free) used to normalise the terms."""
        terms = self.terms(paired, unpaired_images, unpaired_fmri, shift=False)
        scales = torch.ones(3)
        for i, key in enumerate(TERMS):
            value = terms[key]
            if value is None:
                continue
            value = float(value)
            if key == "L_DE":  # offset-free: alpha * MSE + (1 - alpha) * (1 - cos) >= 0
                value += 1.0 - self.config.alpha
            scales[i] = max(value, 1e-6)
        self.scales = scales
        return scales

    def update(self, optimizer, paired, unpaired_images, unpaired_fmri):
        """One optimisation step; returns (total loss, regularisation, raw terms)."""
        # gradients freed before the forward pass: the decoder's dense-layer gradient (as
        # large as its weight, 1 GB at 20 000 voxels and 112 px) is not held through it
        optimizer.zero_grad(set_to_none=True)
        terms = self.terms(paired, unpaired_images, unpaired_fmri)
        loss, reg = self.total(terms)
        loss.backward()
        optimizer.step()
        return loss, reg, terms

    def total(self, terms):
        total = 0.0
        for i, key in enumerate(TERMS):
            if terms[key] is not None and self.config.loss_weights[i]:
                total = total + self.config.loss_weights[i] * terms[key] / float(self.scales[i])
        w = self.config.penalty_weight
        reg = self.decoder.regularization(
            l1=w * self.config.decoder_l1, group_lasso=w * self.config.decoder_group_lasso,
            voxel_weights=self.voxel_weights)
        return total + reg, reg


@fill_doc
def train_decoder(decoder, encoder, image_loss, fmri, images, unpaired_images, unpaired_fmri,
                  config, device, generator, voxel_weights=None, checkpoint=None, resume=False,
                  verbose=0):
    """Train ``decoder`` (a :class:`DecoderNet`) in place with ``encoder`` frozen (phase II).

    Each epoch visits the pairs once in random batches; each step also draws a batch of
    unpaired images and one of unpaired fMRI (sampled without replacement, reshuffled when
    used up) and takes one Adam step on the weighted, normalised terms L_D, L_ED and L_DE
    (Eq. 2) plus the decoder's penalty. ``encoder`` is put in eval mode with gradients
    off; ``decoder`` is left in eval mode.

    Parameters
    ----------
    decoder : DecoderNet
        On ``device``; trained in place.
    encoder : EncoderNet or None
        Frozen, in eval mode. Needed when L_ED or L_DE is on.
    image_loss : ImageLoss
        The image loss of L_D and L_ED.
    fmri : Tensor of shape (n, V)
        The fMRI of the pairs, on ``device``.
    images : Tensor of shape (n, 3, s, s)
        Their images in [0, 1], ``s`` the decoder's ``image_size``, on ``device``.
    unpaired_images : Tensor of shape (m, 3, s, s) or None
        Images without fMRI (L_ED), on ``device``; resized to the encoder's input size.
    unpaired_fmri : Tensor of shape (k, V) or None
        The fMRI without images (L_DE), on ``device``.
    config : Phase2Config
        The hyper-parameters.
    %(device_torch)s
    generator : torch.Generator
        CPU generator for batch order, sampling of the unpaired data and shifts.
    voxel_weights : Tensor of shape (V,) or None, default=None
        Per-voxel weights of the decoder's l1 penalty.
    %(checkpoint_loop)s
    %(verbose)s

    Returns
    -------
    history : dict of lists
        Per epoch: ``epoch``, ``loss`` (the normalised total), the raw ``L_D``, ``L_ED``
        and ``L_DE`` (NaN when off), ``regularization``, ``lr`` and ``seconds``.
    scales : Tensor of shape (3,)
        The normalisation constants of L_D, L_ED, L_DE (1 where off or not normalised).

    See Also
    --------
    neurodecode.SelfSupervisedDecoder : The estimator that calls it.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import DecoderNet, ImageLoss, build_feature_extractor
    >>> from neurodecode.training import Phase2Config, train_decoder
    >>> decoder = DecoderNet(n_voxels=10, image_size=16, channels=16, groups=4)
    >>> loss = ImageLoss(build_feature_extractor("vgg16", ["block1_conv2"]))
    >>> fmri, images = torch.randn(8, 10), torch.rand(8, 3, 16, 16)
    >>> config = Phase2Config(n_epochs=2, batch_sizes=(4, 4, 4), loss_weights=(1, 0, 0))
    >>> history, scales = train_decoder(decoder, None, loss, fmri, images, None, None, config,
    ...                                 torch.device("cpu"), torch.Generator().manual_seed(0))
    >>> history["epoch"], scales.tolist()[1:]  # L_ED and L_DE are off
    ([1, 2], [1.0, 1.0])
    """
    n_bytes = sum(p.numel() * p.element_size() for p in decoder.parameters())
    with reuse_freed_memory(device, n_bytes):
        return _train_decoder(decoder, encoder, image_loss, fmri, images, unpaired_images,
                              unpaired_fmri, config, device, generator,
                              voxel_weights=voxel_weights, checkpoint=checkpoint,
                              resume=resume, verbose=verbose)


def _train_decoder(decoder, encoder, image_loss, fmri, images, unpaired_images, unpaired_fmri,
                   config, device, generator, voxel_weights=None, checkpoint=None,
                   resume=False, verbose=0):
    w_d, w_ed, w_de = config.loss_weights
    used = {"L_D": w_d > 0, "L_ED": w_ed > 0 and unpaired_images is not None,
            "L_DE": w_de > 0 and unpaired_fmri is not None}
    b_p, b_u, b_f = config.batch_sizes
    if encoder is not None:
        encoder.eval()
        encoder.requires_grad_(False)

    step = Phase2Step(decoder, encoder, image_loss, config, voxel_weights, device, generator)
    optimizer = adam(decoder.parameters(), config.learning_rate)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_step,
                                                gamma=config.lr_gamma)
    loop = EpochLoop("phase2", "phase II (decoder)", optimizer, scheduler, generator, device,
                     config.n_epochs, ("loss",) + TERMS + ("regularization",),
                     checkpoint=checkpoint, verbose=verbose)
    cyclers = {}  # endless samplers of the unpaired pools, checkpointed with the loop
    if used["L_ED"]:
        cyclers["cycler_images"] = _Cycler(len(unpaired_images), b_u, generator)
    if used["L_DE"]:
        cyclers["cycler_fmri"] = _Cycler(len(unpaired_fmri), b_f, generator)

    state = loop.restore(resume, decoder.load_state_dict)
    if state is not None:
        step.scales = state["scales"].clone()
        for key, cycler in cyclers.items():
            cycler.load(state[key])
    elif config.normalize_losses:
        ref = torch.arange(min(b_p, len(fmri)))
        step.measure_scales(
            (fmri[ref], images[ref]) if used["L_D"] else None,
            unpaired_images[:b_u] if used["L_ED"] else None,
            unpaired_fmri[:b_f] if used["L_DE"] else None,
        )

    n = len(fmri)

    def run_epoch(epoch):
        decoder.train()
        sums = dict.fromkeys(loop.terms, 0.0)
        batches = epoch_batches(n, b_p, generator)
        for idx in loop.batches(batches, epoch):
            paired = None
            if used["L_D"]:
                idx_dev = idx.to(device)
                paired = (fmri[idx_dev], images[idx_dev])
            u_img = (unpaired_images[cyclers["cycler_images"].next().to(device)]
                     if used["L_ED"] else None)
            u_fmri = (unpaired_fmri[cyclers["cycler_fmri"].next().to(device)]
                      if used["L_DE"] else None)
            loss, reg, terms = step.update(optimizer, paired, u_img, u_fmri)
            w = 1.0 / len(batches)
            sums["loss"] += w * loss.detach()
            sums["regularization"] += w * reg.detach()
            for key in TERMS:
                if terms[key] is not None:
                    sums[key] += w * terms[key].detach()
        for key in TERMS:
            if not used[key]:
                sums[key] = float("nan")
        return sums

    def extra_state():
        return {"scales": step.scales, **{k: c.state() for k, c in cyclers.items()}}

    history = loop.run(run_epoch, decoder.state_dict, extra_state)
    optimizer.zero_grad(set_to_none=True)  # the gradients are not kept with the decoder
    decoder.eval()
    return history, step.scales
