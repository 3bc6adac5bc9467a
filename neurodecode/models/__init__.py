"""Pure torch modules: backbones, the encoder E, the decoder D and the losses.

No I/O, no numpy, no device choice here; the estimators in :mod:`neurodecode.estimators`
convert at the edge.
"""
from ._backbones import BACKBONES, BackboneSpec, Tap, get_backbone_spec
from ._decoder_net import DecoderNet
from ._encoder_net import (
    PAPER_BRANCH_STRIDES,
    EncoderBranch,
    EncoderNet,
    SpaceFeatureReadout,
    build_encoder_net,
    smallest_image_size,
)
from ._frozen_nets import (
    Classifier,
    FeatureExtractor,
    build_classifier,
    build_feature_extractor,
    smallest_feature_size,
)
from ._losses import (
    ImageLoss,
    fmri_loss,
    l1_image_loss,
    normalize_channels,
    perceptual_distance,
    snr_weighted_fmri_loss,
    total_variation,
)

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "Classifier",
    "DecoderNet",
    "EncoderBranch",
    "EncoderNet",
    "FeatureExtractor",
    "ImageLoss",
    "PAPER_BRANCH_STRIDES",
    "SpaceFeatureReadout",
    "build_encoder_net",
    "Tap",
    "build_classifier",
    "build_feature_extractor",
    "fmri_loss",
    "get_backbone_spec",
    "l1_image_loss",
    "normalize_channels",
    "perceptual_distance",
    "snr_weighted_fmri_loss",
    "smallest_feature_size",
    "smallest_image_size",
    "total_variation",
]
