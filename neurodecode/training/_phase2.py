"""Phase II: the decoder D trained with E frozen (paper, Eq. 2 and "Decoder training").

Each step mixes three batches: image-fMRI pairs (L_D = L_s(D(r), s)), unpaired images
(L_ED = L_s(D(E(s')), s'), input shifted, target not) and unpaired fMRI
(L_DE = L_r(E(D(r')), r')). The three decoder passes run as one batch; the two image terms
share one pass of the perceptual network. Terms are divided by their value at
initialisation, so that each starts at 1 ("normalised to the same order of magnitude"), or
summed as they are (the authors' code). L_DE is the paper's Eq. 1 or the authors'
SNR-weighted MAE, on fixed unpaired vectors or on fresh random sub-averages of repeats.
"""
import contextlib

from dataclasses import dataclass

import torch

from .._docs import fill_doc
from ..backend import autocast, resize, reuse_freed_memory
from ..models import fmri_loss, snr_weighted_fmri_loss
from ._augment import random_shift
from ._loop import EpochLoop
from ._optim import adam
from ._phase1 import epoch_batches
from ._unpaired_fmri import UnpairedFMRI

TERMS = ("L_D", "L_ED", "L_DE")
#: The L_DE losses: the paper's Eq. 1, the authors' code's SNR-weighted MAE - 0.1 cos.
DE_LOSSES = ("paper", "authors")
#: Weight of the cosine in the authors' L_DE (``mae_vox + 0.1 * cosine_proximity``).
AUTHORS_DE_COS_WEIGHT = 0.1


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
    %(de_options)s

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
    normalize_losses: bool = False
    de_loss: str = "paper"
    subaverage_fraction: float = 1.0 / 3.0
    de_dropout: float = 0.0


@contextlib.contextmanager
def _readout_dropout(encoder, rate):
    """Dropout at ``rate`` on the frozen encoder's readout inputs inside the block (its
    batch norms stay in eval mode); nothing changes for ``rate=0``."""
    if not rate:
        yield
        return
    readout = encoder.readout
    training, p = readout.training, readout.dropout.p
    readout.train(True)
    readout.dropout.p = float(rate)
    try:
        yield
    finally:
        readout.dropout.p = p
        readout.train(training)


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

    def __init__(self, decoder, encoder, image_loss, config, voxel_weights, device, generator,
                 de_voxel_weights=None):
        self.decoder, self.encoder, self.image_loss = decoder, encoder, image_loss
        self.config, self.voxel_weights = config, voxel_weights
        self.device, self.generator = device, generator
        self.de_voxel_weights = de_voxel_weights
        if config.de_loss not in DE_LOSSES:
            raise ValueError(f"de_loss must be one of {DE_LOSSES}; got {config.de_loss!r}.")
        if config.de_loss == "authors" and de_voxel_weights is None:
            raise ValueError("de_loss='authors' weights each voxel by its SNR: pass "
                             "de_voxel_weights (SNR normalised to mean 1).")
        self.scales = torch.ones(3)

    def de_loss(self, pred, target, reduction="mean"):
        """L_DE's fMRI loss: Eq. 1 (``"paper"``) or the authors' SNR-weighted MAE."""
        if self.config.de_loss == "authors":
            return snr_weighted_fmri_loss(pred, target, self.de_voxel_weights,
                                          cos_weight=AUTHORS_DE_COS_WEIGHT,
                                          reduction=reduction)
        return fmri_loss(pred, target, alpha=self.config.alpha, reduction=reduction)

    def de_offset(self):
        """What makes L_DE's loss non-negative (its lower bound is minus this)."""
        if self.config.de_loss == "authors":
            return AUTHORS_DE_COS_WEIGHT
        return 1.0 - self.config.alpha

    def encode_de(self, images):
        """E of the decoder's reconstructions in the DE pass, with the encoder's readout
        dropout on at rate ``config.de_dropout`` (0: eval mode, ours)."""
        with _readout_dropout(self.encoder, self.config.de_dropout):
            return self.encoder(resize(images, self.encoder.image_size)).float()

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
                r_hat = self.encode_de(parts["DE"])
            out["L_DE"] = self.de_loss(r_hat, unpaired_fmri)
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
            if key == "L_DE":  # offset-free: e.g. alpha * MSE + (1 - alpha) * (1 - cos) >= 0
                value += self.de_offset()
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
                  verbose=0, de_voxel_weights=None, unpaired_fmri_images=None):
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
    unpaired_fmri : Tensor of shape (k, V) or (k, n_repeats, V), or None
        The fMRI without images (L_DE), on ``device``: fixed vectors, or the repeats of
        each sample, drawn as fresh random sub-averages (``config.subaverage_fraction``).
    config : Phase2Config
        The hyper-parameters.
    %(device_torch)s
    generator : torch.Generator
        CPU generator for batch order, sampling of the unpaired data and shifts.
    voxel_weights : Tensor of shape (V,) or None, default=None
        Per-voxel weights of the decoder's l1 penalty.
    %(checkpoint_loop)s
    %(verbose)s
    de_voxel_weights : Tensor of shape (V,) or None, default=None
        Per-voxel weights of the authors' L_DE loss (SNR normalised to mean 1); needed for
        ``config.de_loss="authors"``.
    unpaired_fmri_images : Tensor of shape (k, 3, s, s) or None, default=None
        The images behind the unpaired fMRI, where known (simulated subject, benchmarks):
        used only for the memorisation diagnostic, never in a loss. After every epoch,
        ``L_DE_decoded`` (L_DE of the decoder's reconstructions of the unpaired means,
        eval mode) and ``L_DE_true_images`` (L_DE of the true images) are recorded.

    Returns
    -------
    history : dict of lists
        Per epoch: ``epoch``, ``loss`` (the normalised total), the raw ``L_D``, ``L_ED``
        and ``L_DE`` (NaN when off), ``regularization``, ``lr`` and ``seconds``; with
        ``unpaired_fmri_images``, ``L_DE_decoded`` and ``L_DE_true_images``.
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
                              resume=resume, verbose=verbose,
                              de_voxel_weights=de_voxel_weights,
                              unpaired_fmri_images=unpaired_fmri_images)


def _train_decoder(decoder, encoder, image_loss, fmri, images, unpaired_images, unpaired_fmri,
                   config, device, generator, voxel_weights=None, checkpoint=None,
                   resume=False, verbose=0, de_voxel_weights=None, unpaired_fmri_images=None):
    w_d, w_ed, w_de = config.loss_weights
    used = {"L_D": w_d > 0, "L_ED": w_ed > 0 and unpaired_images is not None,
            "L_DE": w_de > 0 and unpaired_fmri is not None}
    b_p, b_u, b_f = config.batch_sizes
    if encoder is not None:
        encoder.eval()
        encoder.requires_grad_(False)

    step = Phase2Step(decoder, encoder, image_loss, config, voxel_weights, device, generator,
                      de_voxel_weights=de_voxel_weights)
    if unpaired_fmri is not None:
        unpaired_fmri = UnpairedFMRI(unpaired_fmri, config.subaverage_fraction)
    diagnose = used["L_DE"] and unpaired_fmri_images is not None
    extra_terms = ("L_DE_decoded", "L_DE_true_images") if diagnose else ()
    optimizer = adam(decoder.parameters(), config.learning_rate)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=config.lr_step,
                                                gamma=config.lr_gamma)
    loop = EpochLoop("phase2", "phase II (decoder)", optimizer, scheduler, generator, device,
                     config.n_epochs, ("loss",) + TERMS + ("regularization",) + extra_terms,
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
            unpaired_fmri.draw(torch.arange(b_f), generator) if used["L_DE"] else None,
        )
    true_de = None
    if diagnose:
        true_de = _de_at_images(step, unpaired_fmri_images, unpaired_fmri.means, b_f)

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
            u_fmri = (unpaired_fmri.draw(cyclers["cycler_fmri"].next(), generator)
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
        if diagnose:
            sums["L_DE_true_images"] = true_de
            sums["L_DE_decoded"] = _de_decoded(step, unpaired_fmri.means, b_f)
        return sums

    def extra_state():
        return {"scales": step.scales, **{k: c.state() for k, c in cyclers.items()}}

    history = loop.run(run_epoch, decoder.state_dict, extra_state)
    optimizer.zero_grad(set_to_none=True)  # the gradients are not kept with the decoder
    decoder.eval()
    return history, step.scales


@torch.no_grad()
def _de_at_images(step, images, fmri, batch_size):
    """Mean L_DE of ``images`` against their fMRI ``fmri`` (encoder in eval mode)."""
    total = 0.0
    for idx in torch.split(torch.arange(len(fmri)), batch_size):
        idx = idx.to(fmri.device)
        with autocast(step.device):
            r_hat = step.encoder(resize(images[idx], step.encoder.image_size)).float()
        total += float(step.de_loss(r_hat, fmri[idx], reduction="sum"))
    return total / len(fmri)


@torch.no_grad()
def _de_decoded(step, fmri, batch_size):
    """Mean L_DE of the decoder's reconstructions of ``fmri`` (decoder and encoder in eval
    mode): the memorisation diagnostic's counterpart of :func:`_de_at_images`."""
    training = step.decoder.training
    step.decoder.eval()
    images = []
    for idx in torch.split(torch.arange(len(fmri)), batch_size):
        with autocast(step.device):
            images.append(step.decoder(fmri[idx.to(fmri.device)]).float())
    step.decoder.train(training)
    return _de_at_images(step, torch.cat(images), fmri, batch_size)
