"""Deep features of images for the evaluation metrics, computed in batches."""
import numpy as np
import torch

from .._validation import check_images
from .._weights import resolve_weights
from ..backend import iter_batches, resolve_device
from ..models import build_feature_extractor, get_backbone_spec, normalize_channels


class FeatureModel:
    """A frozen backbone returning chosen taps for numpy images, in batches.

    Parameters
    ----------
    net : str, default="alexnet"
        A backbone of ``neurodecode.models.BACKBONES``.
    taps : sequence of str or None
        Tap names; None takes the backbone's five perceptual blocks.
    weights : "imagenet", None or path, default="imagenet"
    image_size : int or None, default=None
        Resize images to this side first (None: keep their size).
    device : str, default="auto"
    batch_size : int, default=32
    """

    def __init__(self, net="alexnet", taps=None, weights="imagenet", image_size=None,
                 device="auto", batch_size=32):
        spec = get_backbone_spec(net, "net")
        self.net = net
        self.taps = tuple(taps) if taps is not None else spec.perceptual_taps
        self.weights = weights
        self.image_size = image_size
        self.device = resolve_device(device)
        self.batch_size = int(batch_size)
        with torch.random.fork_rng(devices=[]):
            self._model = build_feature_extractor(
                net, self.taps, resolve_weights(net, weights, "weights")).to(self.device)

    def iter_features(self, images, name="images"):
        """Yield, per batch, the list of tap activations as float32 torch tensors."""
        images = check_images(images, name, size=self.image_size)
        nchw = torch.from_numpy(images).permute(0, 3, 1, 2)
        yield from iter_batches(self._model, nchw, self.batch_size, self.device)

    def vectors(self, images, name="images"):
        """Flattened activations of each tap, concatenated: (n, n_features) float32 array."""
        out = [torch.cat([f.flatten(1) for f in feats], dim=1).cpu()
               for feats in self.iter_features(images, name)]
        return torch.cat(out).numpy()


class PerceptualDistance:
    """LPIPS-style distance: channel-normalised features, squared difference, spatial mean,
    summed over layers (no learned weights), as a callable ``(A, B) -> (len(A), len(B))``.

    Parameters
    ----------
    net : str, default="vgg16"
        The paper's identification used VGG features.
    weights, image_size, device, batch_size
        As in :class:`FeatureModel`.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import PerceptualDistance
    >>> d = PerceptualDistance(net="efficientnet_lite0")
    >>> imgs = np.random.default_rng(0).random((3, 32, 32, 3))
    >>> D = d(imgs, imgs)
    >>> D.shape, bool(np.allclose(np.diag(D), 0, atol=1e-5))
    ((3, 3), True)
    """

    name = "perceptual"

    def __init__(self, net="vgg16", weights="imagenet", image_size=None, device="auto",
                 batch_size=32):
        self.model = FeatureModel(net, None, weights, image_size, device, batch_size)
        self.name = f"perceptual ({net}, {len(self.model.taps)} layers)"

    def _layers(self, feats):
        return [normalize_channels(f).flatten(1).cpu() for f in feats]

    def __call__(self, A, B):
        """Distance matrix between images ``A`` (n_a, H, W, 3) and ``B`` (n_b, H, W, 3)."""
        fa, sizes = None, None
        for feats in self.model.iter_features(A, "reconstructions"):
            if fa is None:
                fa, sizes = [[] for _ in feats], [f.shape[2] * f.shape[3] for f in feats]
            for lst, f in zip(fa, self._layers(feats)):
                lst.append(f)
        fa = [torch.cat(lst) for lst in fa]
        na = [a.square().sum(1) for a in fa]
        blocks = []
        # stream the candidates: their features never need to fit in memory at once
        for feats in self.model.iter_features(B, "candidates"):
            block = 0
            for a, a2, b, hw in zip(fa, na, self._layers(feats), sizes):
                block = block + (a2[:, None] + b.square().sum(1)[None, :] - 2 * a @ b.t()) / hw
            blocks.append(block)
        return torch.cat(blocks, dim=1).clamp_(min=0).double().numpy()
