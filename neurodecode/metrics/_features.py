"""Deep features of images for the evaluation metrics, computed in batches."""
import torch

from .._docs import fill_doc
from .._validation import check_images
from .._weights import resolve_weights
from ..backend import iter_batches, resolve_device
from ..models import build_feature_extractor, get_backbone_spec, normalize_channels


@fill_doc
class FeatureModel:
    """A frozen backbone returning chosen taps for numpy images, in batches.

    The network is built, given its weights and moved to ``device`` when the object is
    created; building it does not touch torch's global random state.

    Parameters
    ----------
    net : str, default="alexnet"
        A backbone of :data:`neurodecode.models.BACKBONES`.
    taps : sequence of str or None, default=None
        Tap names, in network order; None takes the backbone's five perceptual blocks.
    %(weights_eval)s
    image_size : int or None, default=None
        Resize images to this side first (None: keep their size).
    %(device_eval)s
    batch_size : int, default=32
        Images per forward pass.

    Attributes
    ----------
    taps : tuple of str
        The taps returned.
    device : torch.device
        The resolved device.

    See Also
    --------
    PerceptualDistance : A distance between images built on these features.
    ClassGallery : Class representatives built on these features.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import FeatureModel
    >>> model = FeatureModel("vgg16", taps=["block1_conv2", "block2_conv2"], weights=None)
    >>> images = np.random.default_rng(0).random((3, 16, 16, 3))
    >>> model.vectors(images).shape  # 64 * 16 * 16 + 128 * 8 * 8 features per image
    (3, 24576)
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
        """Yield, per batch, the list of tap activations as float32 torch tensors.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3)
            Images in [0, 1] (uint8 images are scaled to [0, 1]); resized to
            ``image_size`` when it is set.
        name : str, default="images"
            Name of the argument, for error messages.

        Yields
        ------
        features : list of Tensor
            One (batch, C, H_tap, W_tap) float32 tensor per tap, on ``device``.
        """
        images = check_images(images, name, size=self.image_size)
        nchw = torch.from_numpy(images).permute(0, 3, 1, 2)
        yield from iter_batches(self._model, nchw, self.batch_size, self.device)

    def vectors(self, images, name="images"):
        """Flattened activations of each tap, concatenated, for every image.

        Parameters
        ----------
        images : array-like of shape (n, H, W, 3)
            Images in [0, 1] (uint8 images are scaled to [0, 1]); resized to
            ``image_size`` when it is set.
        name : str, default="images"
            Name of the argument, for error messages.

        Returns
        -------
        vectors : ndarray of shape (n, n_features)
            Float32; the taps' activations flattened (channel, row, column) and
            concatenated in tap order.
        """
        out = [torch.cat([f.flatten(1) for f in feats], dim=1).cpu()
               for feats in self.iter_features(images, name)]
        return torch.cat(out).numpy()


@fill_doc
class PerceptualDistance:
    """Perceptual distance between images, for n-way identification (LPIPS-style).

    Features of the network's five perceptual blocks are normalised over channels at each
    location; a block contributes the spatial mean of the squared difference of the
    normalised features, and the blocks are summed (no learned weights). A callable
    ``(A, B) -> (len(A), len(B))`` distance matrix, for ``distance=`` of
    :func:`n_way_identification` and :func:`evaluate_reconstructions`.

    Parameters
    ----------
    net : str, default="vgg16"
        The backbone; the paper's identification used VGG features. Choose a network the
        decoder was not trained against.
    %(weights_eval)s
    image_size : int or None, default=None
        Resize images to this side first (None: keep their size).
    %(device_eval)s
    batch_size : int, default=32
        Images per forward pass.

    Attributes
    ----------
    model : FeatureModel
        The feature network.
    name : str
        Label of the distance in results, e.g. ``"perceptual (vgg16, 5 layers)"``.

    See Also
    --------
    pixel_correlation_distance : The pixel-level distance.
    neurodecode.models.perceptual_distance : The training loss on the same principle.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import PerceptualDistance
    >>> d = PerceptualDistance(net="alexnet", weights=None)  # random weights: tests only
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
        """Distance matrix between every image of ``A`` and every image of ``B``.

        The features of ``A`` are kept in memory; those of ``B`` are streamed batch by
        batch.

        Parameters
        ----------
        A : array-like of shape (n_a, H, W, 3)
            Images in [0, 1] (e.g. reconstructions).
        B : array-like of shape (n_b, H, W, 3)
            Images in [0, 1] (e.g. candidates); of the same size as ``A`` unless
            ``image_size`` is set.

        Returns
        -------
        D : ndarray of shape (n_a, n_b)
            Non-negative float64 distances; 0 between identical images.
        """
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
