"""neurodecode: reconstruct seen images from fMRI and decode their semantic category.

Implements the self-supervised encoder/decoder method of Gaziv et al. (NeuroImage 2022)
with a scikit-learn API.
"""
from ._errors import (
    CheckpointDirInUseError,
    CheckpointError,
    FMRIUnitsWarning,
    ModelFileError,
    WeightsNotFoundError,
)
from ._io import load
from ._unpaired import Unpaired, concat_unpaired_fmri
from ._version import __version__
from .estimators import ImageEncoder, SelfSupervisedDecoder

__all__ = [
    "CheckpointDirInUseError",
    "CheckpointError",
    "FMRIUnitsWarning",
    "ImageEncoder",
    "ModelFileError",
    "SelfSupervisedDecoder",
    "Unpaired",
    "WeightsNotFoundError",
    "__version__",
    "concat_unpaired_fmri",
    "load",
]
