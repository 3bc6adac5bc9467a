"""The one image resize of neurodecode: bilinear, antialiased."""
import torch.nn.functional as F


def resize(images, size):
    """Resize (n, C, H, W) images to ``size`` x ``size``: bilinear, antialiased.

    Every resize in neurodecode goes through here: training images to the networks' size,
    the decoder's output to the encoder's input size in phase II, ground truths to the
    reconstructions' size. One definition matters: the encoder in phase II must see images
    resized exactly as its phase I training images were. Antialiasing (a triangle filter as
    wide as the scale factor) is what makes downsampling faithful; upsampling is plain
    bilinear. Differentiable.

    Parameters
    ----------
    images : Tensor of shape (n, C, H, W)
        Images of any size (square or not), channels first.
    size : int
        Side of the square output.

    Returns
    -------
    resized : Tensor of shape (n, C, size, size)
        The resized images; ``images`` itself (not a copy) when already that size.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.backend import resize
    >>> resize(torch.rand(2, 3, 64, 64), 32).shape
    torch.Size([2, 3, 32, 32])
    """
    size = int(size)
    if images.shape[-2] == size and images.shape[-1] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False,
                         antialias=True)
