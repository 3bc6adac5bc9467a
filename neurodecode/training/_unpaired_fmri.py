"""The unpaired fMRI of L_DE: fixed vectors, or fresh random sub-averages of repeats.

The paper's text feeds the decoder "unpaired fMRI"; the authors' Keras code
(``Utils/batch_generator.py``, ``batch_generator_test_fmri``) draws, for every sample of
every batch, a random subset of an image's test repeats (each kept with probability 1/3,
redrawn while none or all are kept) and averages it: the decoder never sees the same
vector twice, nor the 35-repeat means it is scored on.
"""
import torch


def draw_subaverages(repeats, index, fraction, generator):
    """Random sub-averages of the repeats of the samples ``index``.

    For each sample, each repeat is kept with probability ``fraction`` (drawn from
    ``generator``), the draw repeated for that sample while no repeat is kept or, when
    ``fraction < 1`` and there are at least 2 repeats, while all are (the authors' rule);
    the kept repeats are averaged. ``fraction=1`` gives the means over all repeats.

    Parameters
    ----------
    repeats : Tensor of shape (n, n_repeats, n_voxels)
        The repeats of each unpaired sample, on any device.
    index : Tensor of shape (b,)
        The samples drawn (CPU, int64).
    fraction : float in (0, 1]
        Probability that each repeat is kept.
    generator : torch.Generator
        CPU generator of the draws (checkpointed with the training loop).

    Returns
    -------
    fmri : Tensor of shape (b, n_voxels)
        The sub-averages, on the device of ``repeats``.

    Examples
    --------
    >>> import torch
    >>> from neurodecode.training._unpaired_fmri import draw_subaverages
    >>> repeats = torch.arange(12.0).reshape(2, 3, 2)  # 2 samples x 3 repeats x 2 voxels
    >>> g = torch.Generator().manual_seed(0)
    >>> draw_subaverages(repeats, torch.tensor([1, 0]), 1.0, g)  # all kept: the means
    tensor([[8., 9.],
            [2., 3.]])
    >>> out = draw_subaverages(repeats, torch.tensor([0, 0, 1]), 1 / 3, g)
    >>> out.shape
    torch.Size([3, 2])
    """
    n_repeats = repeats.shape[1]
    b = len(index)
    if fraction >= 1.0:
        keep = torch.ones(b, n_repeats, dtype=torch.bool)
    else:
        keep = torch.rand(b, n_repeats, generator=generator) < fraction
        bad = _invalid(keep)
        while bad.any():
            keep[bad] = torch.rand(int(bad.sum()), n_repeats, generator=generator) < fraction
            bad = _invalid(keep)
    weights = keep.to(repeats.dtype)
    weights = (weights / weights.sum(dim=1, keepdim=True)).to(repeats.device)
    return torch.einsum("br,brv->bv", weights, repeats[index.to(repeats.device)])


def _invalid(keep):
    none = ~keep.any(dim=1)
    if keep.shape[1] < 2:
        return none
    return none | keep.all(dim=1)


class UnpairedFMRI:
    """The unpaired fMRI a phase-II step draws from.

    Parameters
    ----------
    data : Tensor of shape (n, n_voxels) or (n, n_repeats, n_voxels)
        Fixed vectors (2D), or the repeats of each sample (3D), on the training device.
    fraction : float in (0, 1], default=1/3
        For repeats: probability that each repeat is kept in a draw
        (:func:`draw_subaverages`); ignored for fixed vectors.

    Attributes
    ----------
    means : Tensor of shape (n, n_voxels)
        The vectors themselves (2D data) or the means over all repeats (3D).
    """

    def __init__(self, data, fraction=1.0 / 3.0):
        self.data = data
        self.fraction = float(fraction)
        self.repeats = data.dim() == 3
        self.means = data.mean(dim=1) if self.repeats else data

    def __len__(self):
        return self.data.shape[0]

    def draw(self, index, generator):
        """The fMRI of the samples ``index``: the vectors, or fresh sub-averages."""
        if not self.repeats:
            return self.data[index.to(self.data.device)]
        return draw_subaverages(self.data, index, self.fraction, generator)
