import numpy as np
import pytest
import torch

from neurodecode.models import DecoderNet


@pytest.mark.parametrize("size", [32, 64, 112])
def test_output_shape_and_range(size):
    net = DecoderNet(n_voxels=20, image_size=size)
    assert net.seed_size == size // 8
    assert net.dense.out_features == 64 * (size // 8) ** 2
    out = net(torch.randn(3, 20) * 50)
    assert out.shape == (3, 3, size, size)
    assert (out >= 0).all() and (out <= 1).all()


def test_paper_architecture_blocks():
    net = DecoderNet(n_voxels=10, image_size=112)
    assert len(net.blocks) == 3
    for block in net.blocks:
        up, conv, relu, norm = block
        assert up.scale_factor == 2
        assert conv.kernel_size == (5, 5) and conv.out_channels == 64
        assert isinstance(relu, torch.nn.ReLU)
        assert isinstance(norm, torch.nn.GroupNorm) and norm.num_groups == 16
    assert net.to_rgb.kernel_size == (5, 5) and net.to_rgb.out_channels == 3


def test_image_size_must_be_a_multiple_of_8():
    with pytest.raises(ValueError, match="multiple of 8"):
        DecoderNet(n_voxels=10, image_size=100)


def test_smallest_image_size_is_16():
    # at 8 px the first block's 2 x 2 maps cannot take the 2 px reflect padding
    with pytest.raises(ValueError, match="at least 16"):
        DecoderNet(n_voxels=10, image_size=8)
    assert DecoderNet(n_voxels=10, image_size=16)(torch.randn(2, 10)).shape == (2, 3, 16, 16)


def test_glorot_normal_init_scale():
    torch.manual_seed(0)
    net = DecoderNet(n_voxels=300, image_size=32)
    fan_in, fan_out = 300, 64 * 16
    assert net.dense.weight.std().item() == pytest.approx(np.sqrt(2 / (fan_in + fan_out)), rel=0.05)


def test_group_lasso_by_hand():
    torch.manual_seed(1)
    net = DecoderNet(n_voxels=3, image_size=16, channels=16)  # dense: 3 -> 16 x 2 x 2
    W = net.dense.weight.detach().numpy().reshape(16, 2, 2, 3).transpose(3, 0, 1, 2)  # V,C,h,w
    weights = np.array([0.5, 1.0, 1.5])
    l1 = (np.abs(W).mean(axis=(1, 2, 3)) * weights).mean()
    sq = W**2
    pad = np.pad(sq, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    neigh = (pad[..., :-2, 1:-1] + pad[..., 2:, 1:-1] + pad[..., 1:-1, :-2] + pad[..., 1:-1, 2:]) / 4
    q = (sq + 0.5 * neigh) / 1.5
    gl = np.sqrt(q.mean(axis=1)).mean()
    got = net.regularization(l1=20.0, group_lasso=400.0, neighbour=0.5,
                             voxel_weights=torch.tensor(weights, dtype=torch.float32))
    assert got.item() == pytest.approx(20 * l1 + 400 * gl, rel=1e-5)


def test_group_lasso_gradient_matches_autograd_of_the_plain_formula():
    torch.manual_seed(2)
    net = DecoderNet(n_voxels=5, image_size=16, channels=16).double()
    vw = torch.rand(5, dtype=torch.float64) + 0.5

    def plain(weight):  # the penalty written naively, differentiated by autograd
        W = weight.view(16, 2, 2, 5).permute(3, 0, 1, 2)
        l1 = (W.abs().mean(dim=(1, 2, 3)) * vw).mean()
        sq = W**2
        pad = torch.nn.functional.pad(sq, (1, 1, 1, 1), mode="replicate")
        neigh = (pad[..., :-2, 1:-1] + pad[..., 2:, 1:-1] + pad[..., 1:-1, :-2]
                 + pad[..., 1:-1, 2:]) / 4
        q = (sq + 0.5 * neigh) / 1.5
        return 20 * l1 + 400 * torch.sqrt(q.mean(dim=1) + 1e-12).mean()

    w = net.dense.weight
    expected = torch.autograd.grad(plain(w), w)[0]
    got = torch.autograd.grad(net.regularization(voxel_weights=vw), w)[0]
    torch.testing.assert_close(got, expected)
    from neurodecode.models._decoder_net import _ColumnStats

    W = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda weight: _ColumnStats.apply(weight, 4), (W,))
