import numpy as np
import torch

from neurodecode.training import random_shift


def test_shifts_match_numpy_edge_padding():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 3, 10, 12)
    out = random_shift(x, 3, generator=g)
    offsets = torch.randint(-3, 4, (2, 6), generator=torch.Generator().manual_seed(0)).numpy()
    xn = x.numpy()
    for i, (dy, dx) in enumerate(offsets.T):
        padded = np.pad(xn[i], ((0, 0), (3, 3), (3, 3)), mode="edge")
        expected = padded[:, 3 - dy:3 - dy + 10, 3 - dx:3 - dx + 12]
        np.testing.assert_array_equal(out[i].numpy(), expected)
    # content moves: a shifted image equals the original displaced by (dy, dx)
    assert not torch.equal(out, x)


def test_zero_shift_is_the_identity():
    x = torch.rand(2, 3, 8, 8)
    assert random_shift(x, 0) is x
