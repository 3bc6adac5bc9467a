"""Fitting an encoder or a decoder from validated arrays: build the networks and the loss,
seed, set up the checkpoint (tied to a fingerprint of the data) and run the training loop.

The estimators validate their input once and call these; everything here takes numpy
arrays already in their final form (float32, images at the network's size).
"""
import dataclasses

import torch

from .._docs import fill_doc

from ..backend import images_to_tensor, seeded, to_tensor
from ..models import DecoderNet, ImageLoss, build_encoder_net, build_feature_extractor
from ..models import get_backbone_spec
from ._checkpoint import CheckpointManager, fingerprint
from ._phase1 import train_encoder
from ._phase2 import train_decoder

#: ``cache_features="auto"`` caches the backbone features of the training images when
#: they fit in this many bytes.
CACHE_LIMIT_BYTES = 2 * 1024**3


def _cache_fits(net, n_images, device):
    """Whether the backbone features of ``n_images`` images fit in CACHE_LIMIT_BYTES."""
    with torch.no_grad():
        probe = net.extract(torch.zeros(1, 3, net.image_size, net.image_size, device=device))
    return 4 * n_images * sum(p.numel() for p in probe) <= CACHE_LIMIT_BYTES


@fill_doc
def fit_encoder(images, X, net_config, config, *, seed, device, state_dict=None,
                cache_features="auto", identity=None, checkpoint_dir=None,
                checkpoint_every=10, resume=False, verbose=0):
    """Build and train the encoder (phase I) on validated pairs.

    Parameters
    ----------
    images : ndarray of shape (n, S, S, 3), float32
        The training images at the network's side ``S = net_config["image_size"]``.
    X : ndarray of shape (n, n_voxels), float32
        Their responses.
    net_config : dict
        The network (:func:`~neurodecode.models.build_encoder_net`).
    config : Phase1Config
        The schedule, losses and penalties (its ``cache_features`` is decided here).
    seed : int
        Seeds the network's initialisation and every draw of the training.
    %(device_torch)s
    state_dict : dict or None, default=None
        Backbone weights.
    cache_features : {"auto", True, False}, default="auto"
        Cache the backbone features of the (unshifted) images: "auto" when
        ``config.max_shift`` is 0 and they fit in :data:`CACHE_LIMIT_BYTES`.
    identity : dict or None, default=None
        The settings the checkpoint (``encoder.ckpt``) is tied to, with a fingerprint of
        the data.
    %(checkpoint: lock=)s
    %(verbose_bar)s

    Returns
    -------
    net : EncoderNet
        Trained, in eval mode.
    history : dict
        Per-epoch losses.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from neurodecode.training import Phase1Config, fit_encoder
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((8, 64, 64, 3), dtype=np.float32)
    >>> X = rng.standard_normal((8, 5)).astype(np.float32)
    >>> net_config = {"backbone": "efficientnet_lite0", "n_voxels": 5, "image_size": 64,
    ...               "branch_channels": 4, "branch_strides": [4, 4, 8, 8], "dropout": 0.0}
    >>> net, history = fit_encoder(images, X, net_config, Phase1Config(n_epochs=1, batch_size=4),
    ...                            seed=0, device=torch.device("cpu"))
    >>> history["epoch"]
    [1]
    """
    with seeded(seed, device):
        generator = torch.Generator().manual_seed(seed + 1)
        net = build_encoder_net(net_config, state_dict).to(device)
        cache = (not config.max_shift and cache_features is not False
                 and (cache_features is True or _cache_fits(net, len(images), device)))
        config = dataclasses.replace(config, cache_features=bool(cache))
        checkpoint = CheckpointManager(checkpoint_dir, "encoder.ckpt", checkpoint_every,
                                       fingerprint(identity, images, X), identity=identity)
        history = train_encoder(net, images_to_tensor(images, device), to_tensor(X, device),
                                config, device, generator, checkpoint=checkpoint,
                                resume=bool(resume), verbose=int(verbose))
    return net.eval(), history


@fill_doc
def fit_decoder(X, images, config, *, seed, device, perceptual_net, perceptual_state=None,
                image_loss_weights=(1.0, 1.0, 1.0), encoder_net=None, X_unpaired=None,
                unpaired_images=None, voxel_weights=None, de_voxel_weights=None,
                unpaired_fmri_images=None, identity=None, checkpoint_dir=None,
                checkpoint_every=10, resume=False, verbose=0):
    """Build the decoder and its image loss and train them (phase II) on validated data.

    Parameters
    ----------
    X : ndarray of shape (n, n_voxels), float32
        The paired fMRI.
    images : ndarray of shape (n, S, S, 3), float32
        The paired images at the decoder's side ``S``.
    config : Phase2Config
        Schedule, loss weights and penalties.
    seed : int
        Seeds the decoder's initialisation and every draw of the training.
    %(device_torch)s
    perceptual_net : str
        Backbone of the perceptual loss (:func:`~neurodecode.models.get_backbone_spec`).
    perceptual_state : dict or None, default=None
        Its weights.
    image_loss_weights : tuple of 3 float, default=(1.0, 1.0, 1.0)
        Weights of the image loss's terms (:class:`~neurodecode.models.ImageLoss`).
    encoder_net : EncoderNet or None, default=None
        The trained encoder (frozen here) for L_ED and L_DE; None for a supervised fit.
    X_unpaired : ndarray of shape (m, n_voxels) or (m, n_repeats, n_voxels) or None
        Unpaired fMRI (L_DE).
    unpaired_images : ndarray of shape (k, S, S, 3) or None
        Unpaired images (L_ED).
    voxel_weights, de_voxel_weights : ndarray of shape (n_voxels,) or None
        Weights of the dense layer's l1 term and of the authors' L_DE.
    unpaired_fmri_images : ndarray of shape (m, S, S, 3) or None
        The images behind ``X_unpaired`` (the memorisation diagnostic only).
    identity : dict or None, default=None
        The settings the checkpoint (``decoder.ckpt``) is tied to, with a fingerprint of
        the data and of the encoder's weights.
    %(checkpoint: lock=)s
    %(verbose_bar)s

    Returns
    -------
    decoder : DecoderNet
        Trained, in eval mode.
    history : dict
        Per-epoch losses.
    scales : Tensor
        The loss scales of the terms (:func:`train_decoder`).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from neurodecode.training import Phase2Config, fit_decoder
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((8, 5)).astype(np.float32)
    >>> images = rng.random((8, 32, 32, 3), dtype=np.float32)
    >>> config = Phase2Config(n_epochs=1, batch_sizes=(4, 4, 4), loss_weights=(1.0, 0.0, 0.0))
    >>> decoder, history, scales = fit_decoder(X, images, config, seed=0,
    ...                                        device=torch.device("cpu"),
    ...                                        perceptual_net="efficientnet_lite0")
    >>> history["epoch"]
    [1]
    """
    def tensor(a, images=False):
        if a is None:
            return None
        return images_to_tensor(a, device) if images else to_tensor(a, device)

    encoder_print = None
    if encoder_net is not None:  # the checkpoint is tied to the encoder's weights too
        encoder_print = torch.cat([p.detach().flatten().cpu()
                                   for p in encoder_net.trainable_parameters()]).numpy()
    spec = get_backbone_spec(perceptual_net)
    with seeded(seed, device):
        generator = torch.Generator().manual_seed(seed + 1)
        decoder = DecoderNet(X.shape[1], images.shape[1]).to(device)
        features = build_feature_extractor(perceptual_net, spec.perceptual_taps,
                                           perceptual_state).to(device)
        image_loss = ImageLoss(features, tuple(float(w) for w in image_loss_weights))
        checkpoint = CheckpointManager(
            checkpoint_dir, "decoder.ckpt", checkpoint_every,
            fingerprint(identity, images, X, X_unpaired, unpaired_images, encoder_print,
                        voxel_weights, unpaired_fmri_images),
            identity=identity)
        history, scales = train_decoder(
            decoder, encoder_net, image_loss, tensor(X), tensor(images, True),
            tensor(unpaired_images, True), tensor(X_unpaired), config, device, generator,
            voxel_weights=tensor(voxel_weights), checkpoint=checkpoint, resume=bool(resume),
            verbose=int(verbose), de_voxel_weights=tensor(de_voxel_weights),
            unpaired_fmri_images=tensor(unpaired_fmri_images, True))
    if encoder_net is not None:
        encoder_net.requires_grad_(False)
    return decoder.eval(), history, scales
