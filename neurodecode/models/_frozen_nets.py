"""Frozen ImageNet networks built from the backbone table: feature extractors (the
encoder's backbone, the perceptual loss, the evaluation features) and full classifiers.

Pure torch: this module builds architectures and copies given state dicts into them. Finding
weight files on disk is done by :mod:`neurodecode._weights`.
"""
import functools

import torch
from torch import nn

from ._backbones import IMAGENET_MEAN, IMAGENET_STD, get_backbone_spec


class _FrozenImageNetModule(nn.Module):
    """Base of the frozen networks: ImageNet normalisation of [0, 1] inputs, no parameter
    gradients, always in eval mode (call ``_freeze()`` once the sub-modules are set)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def _freeze(self):
        self.requires_grad_(False)
        super().train(False)
        # channels_last: the convolutions' fastest layout on the CPU (oneDNN; 1.5x for
        # EfficientNet-Lite0 forward+backward at 64 px on 2 cores) and for cuDNN
        self.to(memory_format=torch.channels_last)

    def _layout(self, x):
        """Normalised images in the convolutions' layout (channels_last)."""
        return self.normalize(x).contiguous(memory_format=torch.channels_last)

    def train(self, mode=True):  # noqa: D102 - frozen: always eval
        """Keep the module in eval mode, whatever ``mode`` (the network is frozen).

        Parameters
        ----------
        mode : bool, default=True
            Ignored: batch-norm statistics are never updated and dropout never applies.

        Returns
        -------
        self : torch.nn.Module
            The module, in eval mode.
        """
        return super().train(False)

    def normalize(self, images):
        """Apply the ImageNet normalisation to RGB images in [0, 1].

        Parameters
        ----------
        images : Tensor of shape (n, 3, H, W)
            RGB images in [0, 1].

        Returns
        -------
        normalized : Tensor of shape (n, 3, H, W)
            ``(images - mean) / std`` with ImageNet's channel means and standard deviations.
        """
        return (images - self.mean) / self.std


class FeatureExtractor(_FrozenImageNetModule):
    """A frozen backbone returning the activations of selected taps.

    Inputs are RGB images in [0, 1], (n, 3, H, W); ImageNet normalisation happens inside.
    Parameters never require gradients and the module always stays in eval mode (batch-norm
    running statistics of EfficientNet are never updated), but gradients flow to the input,
    as phase II needs for E(D(r)).

    Parameters
    ----------
    body : nn.Sequential
        The backbone's feature layers, truncated after the last tap.
    taps : sequence of Tap
        Taps to return, in increasing ``index`` order.

    Attributes
    ----------
    taps : tuple of Tap
        The taps returned, in order.
    channels : list of int
        Channels of each tap.

    See Also
    --------
    build_feature_extractor : Build one for a backbone of :data:`BACKBONES`.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from neurodecode.models import FeatureExtractor, Tap
    >>> body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
    ...                      nn.Conv2d(8, 4, 3, stride=2, padding=1), nn.ReLU())
    >>> fx = FeatureExtractor(body, [Tap("a", 1, 8, 1), Tap("b", 3, 4, 2)])
    >>> [tuple(f.shape) for f in fx(torch.rand(2, 3, 16, 16))]
    [(2, 8, 16, 16), (2, 4, 8, 8)]
    """

    def __init__(self, body, taps):
        super().__init__()
        indices = [t.index for t in taps]
        if indices != sorted(indices) or len(set(indices)) != len(indices):
            raise ValueError(f"taps must be in increasing index order; got {indices}.")
        self.body = body
        self.taps = tuple(taps)
        self._tap_indices = {t.index: i for i, t in enumerate(taps)}
        self._freeze()

    @property
    def channels(self):
        return [t.channels for t in self.taps]

    def forward(self, images):
        """Compute the activations of the taps for images in [0, 1].

        Parameters
        ----------
        images : Tensor of shape (n, 3, H, W)
            RGB images in [0, 1]; normalised here.

        Returns
        -------
        features : list of Tensor
            One (n, C, H_tap, W_tap) tensor per tap, in the order of ``taps``. The layers
            after the last tap are not run.
        """
        x = self._layout(images)
        out = [None] * len(self.taps)
        last = self.taps[-1].index
        for i, layer in enumerate(self.body):
            x = layer(x)
            j = self._tap_indices.get(i)
            if j is not None:
                out[j] = x
            if i == last:
                break
        return out


def _init_fresh(module):
    """Random init of every sub-module that knows how to reset itself."""
    for m in module.modules():
        if hasattr(m, "reset_parameters") and m is not module:
            m.reset_parameters()
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()


def _torchvision_body(name):
    import torchvision

    with torch.device("meta"):
        model = getattr(torchvision.models, name)(weights=None)
    # materialised on the default device: the CPU, or "meta" inside ``torch.device("meta")``
    # (shapes only: how ``load`` checks a file against the network it describes)
    return model.features.to_empty(device=torch.get_default_device())


def _efficientnet_model(name):
    from efficientnet_lite_pytorch import EfficientNet

    with torch.device("meta"):
        return EfficientNet.from_name(name.replace("_", "-"))


def _efficientnet_body(name):
    model = _efficientnet_model(name)
    model = model.to_empty(device=torch.get_default_device())
    stem = nn.Sequential(model._conv_stem, model._bn0, nn.ReLU6())
    return nn.Sequential(stem, *model._blocks)


def _body_state_dict(spec, state_dict):
    """Map a full model's state dict (as published) to the keys of our feature body."""
    out = {}
    if spec.source == "torchvision":
        for key, value in state_dict.items():
            if key.startswith("features."):
                out[key[len("features."):]] = value
    else:
        for key, value in state_dict.items():
            if key.startswith("_conv_stem."):
                out["0.0." + key[len("_conv_stem."):]] = value
            elif key.startswith("_bn0."):
                out["0.1." + key[len("_bn0."):]] = value
            elif key.startswith("_blocks."):
                k, rest = key[len("_blocks."):].split(".", 1)
                out[f"{int(k) + 1}.{rest}"] = value
    return out


def build_feature_extractor(name, taps, state_dict=None):
    """Build a frozen :class:`FeatureExtractor` for ``name`` returning ``taps``.

    Parameters
    ----------
    name : str
        A key of :data:`BACKBONES`.
    taps : sequence of str
        Tap names (see the table), in network order.
    state_dict : dict or None
        The full published model's state dict (torchvision or EfficientNet-Lite naming).
        None initialises the weights at random (for tests and timing only).

    Returns
    -------
    extractor : FeatureExtractor
        Frozen, in eval mode, on the CPU; the backbone is truncated after the last tap.

    Raises
    ------
    ValueError
        When a tap is unknown, or ``state_dict`` lacks tensors of the truncated backbone.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.models import build_feature_extractor
    >>> fx = build_feature_extractor("vgg16", ["block1_conv2", "block2_conv2"])
    >>> [tuple(f.shape) for f in fx(torch.rand(1, 3, 32, 32))]
    [(1, 64, 32, 32), (1, 128, 16, 16)]
    """
    spec = get_backbone_spec(name)
    tap_objs = [spec.tap(t) for t in taps]
    body = _torchvision_body(name) if spec.source == "torchvision" else _efficientnet_body(name)
    last = max(t.index for t in tap_objs)
    body = nn.Sequential(*list(body)[: last + 1])
    if state_dict is None:
        _init_fresh(body)
    else:
        wanted = _body_state_dict(spec, state_dict)
        own = body.state_dict()
        missing = [k for k in own if k not in wanted]
        if missing:
            raise ValueError(
                f"the weights given for backbone {name!r} lack {len(missing)} tensors "
                f"(e.g. {missing[:3]}); is it the right file for {name}?"
            )
        body.load_state_dict({k: wanted[k] for k in own}, strict=True)
    return FeatureExtractor(body, tap_objs)


class Classifier(_FrozenImageNetModule):
    """A frozen ImageNet classifier on [0, 1] images: (n, 3, H, W) -> (n, 1000) logits.

    The classifier of the MinD-Vis protocol
    (:func:`neurodecode.metrics.mindvis_classification`). ImageNet normalisation happens
    inside; parameters never require gradients and the module always stays in eval mode.

    Parameters
    ----------
    model : torch.nn.Module
        A full ImageNet classifier taking normalised images (torchvision or
        EfficientNet-Lite).

    See Also
    --------
    build_classifier : Build one for a backbone of :data:`BACKBONES`.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from neurodecode.models import Classifier
    >>> clf = Classifier(nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 1000)))
    >>> clf(torch.rand(2, 3, 8, 8)).shape, clf.training
    (torch.Size([2, 1000]), False)
    """

    def __init__(self, model):
        super().__init__()
        self.model = model
        self._freeze()

    def forward(self, images):
        """ImageNet logits of images in [0, 1].

        Parameters
        ----------
        images : Tensor of shape (n, 3, H, W)
            RGB images in [0, 1]; normalised here.

        Returns
        -------
        logits : Tensor of shape (n, 1000)
            The classifier's scores of the 1000 ImageNet classes.
        """
        return self.model(self._layout(images))


def build_classifier(name, state_dict=None):
    """Build the full ImageNet classifier of backbone ``name`` (for the MinD-Vis protocol).

    Parameters
    ----------
    name : str
        A key of :data:`BACKBONES`.
    state_dict : dict or None, default=None
        The published model's state dict; None initialises at random (tests only).

    Returns
    -------
    classifier : Classifier
        Frozen, in eval mode, on the CPU.

    Examples
    --------
    >>> from neurodecode.models import build_classifier
    >>> clf = build_classifier("efficientnet_lite0")  # random weights: tests only
    >>> clf.training, any(p.requires_grad for p in clf.parameters())
    (False, False)
    """
    spec = get_backbone_spec(name, "classifier")
    if spec.source == "torchvision":
        import torchvision

        with torch.device("meta"):
            model = getattr(torchvision.models, name)(weights=None)
    else:
        model = _efficientnet_model(name)
    model = model.to_empty(device=torch.get_default_device())
    if state_dict is None:
        _init_fresh(model)
    else:
        model.load_state_dict(state_dict, strict=True)
    return Classifier(model)


def smallest_feature_size(name, taps=None, start=1, largest=4096):
    """The smallest square image side from ``start`` on that a backbone's taps can read.

    Below it, a convolution or pooling of the backbone would see an input smaller than its
    kernel. The network runs on the meta device: shapes only, no memory, no weights.

    Parameters
    ----------
    name : str
        A backbone of :data:`BACKBONES`.
    taps : sequence of Tap or None, default=None
        The taps read; None: the backbone's perceptual taps.
    start : int, default=1
        The side to start from.
    largest : int, default=4096
        Sides beyond this are not tried.

    Returns
    -------
    side : int or None
        ``start`` itself when it works; None when no side up to ``largest`` does.

    Examples
    --------
    >>> from neurodecode.models import smallest_feature_size
    >>> smallest_feature_size("vgg16"), smallest_feature_size("efficientnet_lite0", start=16)
    (16, 32)
    """
    spec = get_backbone_spec(name)
    taps = tuple(spec.perceptual_taps if taps is None else taps)
    return _smallest_feature_size(name, taps, int(start), int(largest))


@functools.lru_cache(maxsize=64)
def _smallest_feature_size(name, taps, start, largest):
    from ._encoder_net import smallest_side

    with torch.device("meta"):
        net = build_feature_extractor(name, list(taps))

    def works(side):
        try:
            with torch.no_grad():
                net(torch.zeros(1, 3, side, side, device="meta"))
        except (RuntimeError, ValueError):
            return False
        return True

    return smallest_side(works, start, largest)
