"""Random translations of the input image (fixation uncertainty, paper "Phase I")."""
import torch
import torch.nn.functional as F

from .._docs import fill_doc


@fill_doc
def random_shift(images, max_shift, generator=None):
    """Shift each image by an independent random integer offset in [-max_shift, max_shift].

    Borders are filled by repeating the edge pixels (the authors' ``padding_mode='edge'``).

    Parameters
    ----------
    images : Tensor of shape (n, C, H, W)
        Images on any device.
    %(max_shift_augment)s
    generator : torch.Generator or None, default=None
        CPU generator the offsets are drawn from; None uses torch's global generator.

    Returns
    -------
    shifted : Tensor of shape (n, C, H, W)
        The shifted images, on the device of ``images`` (``images`` itself when
        ``max_shift`` is 0).

    Examples
    --------
    >>> import torch
    >>> from neurodecode.training import random_shift
    >>> random_shift(torch.rand(4, 3, 16, 16), 2).shape
    torch.Size([4, 3, 16, 16])
    """
    if max_shift <= 0:
        return images
    n, _, h, w = images.shape
    offsets = torch.randint(-max_shift, max_shift + 1, (2, n), generator=generator)
    offsets = offsets.to(images.device)
    padded = F.pad(images, (max_shift,) * 4, mode="replicate")
    rows = torch.arange(h, device=images.device).unsqueeze(0) + (max_shift - offsets[0]).unsqueeze(1)
    cols = torch.arange(w, device=images.device).unsqueeze(0) + (max_shift - offsets[1]).unsqueeze(1)
    batch = torch.arange(n, device=images.device)[:, None, None]
    # (n, H, W, C) gather, then back to channels-first.
    out = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]
    return out.permute(0, 3, 1, 2).contiguous()
