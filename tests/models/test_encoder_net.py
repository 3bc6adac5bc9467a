import numpy as np
import pytest
import torch

from neurodecode.models import (
    BACKBONES,
    EncoderBranch,
    EncoderNet,
    SpaceFeatureReadout,
    build_feature_extractor,
)


@pytest.fixture(scope="module")
def vgg19_taps():
    return build_feature_extractor("vgg19", BACKBONES["vgg19"].encoder_taps)


def test_branch_shapes_at_112px_follow_the_paper(vgg19_taps):
    net = EncoderNet(vgg19_taps, n_voxels=7, image_size=112)
    x = torch.rand(2, 3, 112, 112)
    pooled = net.extract(x)
    outs = [b.head(p) for b, p in zip(net.branches, pooled)]
    assert [tuple(o.shape[1:]) for o in outs] == [(32, 28, 28), (32, 28, 28), (32, 14, 14),
                                                  (32, 14, 14)]
    # branch 1 max-pools once before its subsampling conv; branch 4 is not subsampled
    assert [len(b.pool) for b in net.branches] == [1, 0, 0, 0]
    assert [b.head[1].stride for b in net.branches] == [(2, 2), (2, 2), (2, 2), (1, 1)]
    patches = [torch.nn.functional.unfold(o, 3) for o in outs]
    assert [tuple(p.shape[1:]) for p in patches] == [(288, 676), (288, 676), (288, 144),
                                                     (288, 144)]
    assert {k: tuple(v.shape) for k, v in net.readout.space_maps.items()} == {
        "28": (7, 26, 26), "14": (7, 12, 12)}
    assert net(x).shape == (2, 7)


def test_keras_variant_keeps_branch_3_at_28(vgg19_taps):
    net = EncoderNet(vgg19_taps, n_voxels=3, image_size=112, branch_strides=(4, 4, 4, 8))
    assert net.readout.grid_sizes == (28, 28, 28, 14)


def test_space_feature_layer_parameter_count(vgg19_taps):
    V = 11
    net = EncoderNet(vgg19_taps, n_voxels=V, image_size=112)
    counts = {n: p.numel() for n, p in net.readout.named_parameters()}
    # one spatial map per voxel and grid size, 288 channel weights + 1 bias per voxel and
    # branch, 4 branch weights per voxel
    assert counts == {
        "space_maps.28": V * 26 * 26,
        "space_maps.14": V * 12 * 12,
        "channel_mix": 4 * V * 288,
        "bias": 4 * V,
        "branch_mix": 4 * V,
    }
    assert sum(counts.values()) == V * (26 * 26 + 12 * 12 + 4 * 289 + 4)


def test_branch_mix_starts_at_one_and_acts_non_negatively():
    readout = SpaceFeatureReadout(5, 2, [5, 5])
    assert torch.equal(readout.branch_mix, torch.ones(5, 2))
    x = [torch.rand(3, 2, 5, 5), torch.rand(3, 2, 5, 5)]
    y = readout(x)
    with torch.no_grad():
        readout.branch_mix.mul_(-1)
    torch.testing.assert_close(readout(x), y)


def test_spatial_maps_start_flat_or_glorot():
    """'uniform' starts as global average pooling of the stacked features; 'glorot' is
    signed with the Glorot-normal variance of the paper's text."""
    torch.manual_seed(0)
    flat = SpaceFeatureReadout(300, 2, [12, 7], space_init="uniform")
    for g, S in flat.space_maps.items():
        p = int(g) - 2
        torch.testing.assert_close(S, torch.full((300, p, p), 1.0 / p**2))
    x = [torch.rand(4, 2, 12, 12), torch.rand(4, 2, 7, 7)]
    mean_patch = torch.nn.functional.unfold(x[0], 3).mean(-1)  # (4, 9C): the average patch
    expected = mean_patch @ flat.channel_mix[0].t() + flat.bias[0]
    torch.testing.assert_close(flat._patch_forward(0, x[0]), expected, rtol=1e-5, atol=1e-6)
    glorot = SpaceFeatureReadout(300, 2, [12, 7])  # the default: the paper's
    S = glorot.space_maps["12"]
    assert abs(S.mean().item()) < 0.01 and (S < 0).float().mean().item() > 0.4
    assert abs(S.std().item() / (2.0 / (100 + 300)) ** 0.5 - 1) < 0.1
    with pytest.raises(ValueError, match="space_init"):
        SpaceFeatureReadout(3, 2, [5], space_init="zeros")


def test_readout_equals_a_per_voxel_loop():
    torch.manual_seed(0)
    readout = SpaceFeatureReadout(4, 2, [6, 6, 4]).double()
    with torch.no_grad():
        readout.bias.normal_()
        readout.branch_mix.uniform_(-2, 2)
    x = [torch.rand(3, 2, 6, 6, dtype=torch.float64), torch.rand(3, 2, 6, 6, dtype=torch.float64),
         torch.rand(3, 2, 4, 4, dtype=torch.float64)]
    got = readout(x).detach().numpy()
    expected = np.zeros((3, 4))
    for v in range(4):
        for k, xk in enumerate(x):
            xk = xk.numpy()
            g = xk.shape[-1]
            S = readout.space_maps[str(g)][v].detach().numpy()
            M = readout.channel_mix[k, v].detach().numpy().reshape(2, 3, 3)  # (c, dy, dx)
            acc = np.zeros(3)
            for i in range(g - 2):
                for j in range(g - 2):
                    patch = xk[:, :, i:i + 3, j:j + 3]  # (n, c, 3, 3)
                    acc += S[i, j] * (patch * M).sum(axis=(1, 2, 3))
            b = abs(readout.branch_mix[v, k].item())
            expected[:, v] += b * (acc + readout.bias[k, v].item())
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_readout_regularization_by_hand():
    readout = SpaceFeatureReadout(2, 1, [5])  # 3x3 spatial maps
    with torch.no_grad():
        readout.space_maps["5"].copy_(torch.arange(18.0).view(2, 3, 3) - 9)
        readout.channel_mix.fill_(0.5)
        readout.branch_mix.fill_(-2.0)
    S = readout.space_maps["5"].detach().numpy()
    sq = np.pad(S**2, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    neigh = (sq[:, :-2, 1:-1] + sq[:, 2:, 1:-1] + sq[:, 1:-1, :-2] + sq[:, 1:-1, 2:]) / 4
    expected = (0.1 * np.abs(S).sum() + 0.2 * np.sqrt(neigh).sum()
                + 0.3 * 0.5 * 2 * 9 + 0.4 * 2.0 * 2)
    got = readout.regularization(spatial_l1=0.1, spatial_smoothness=0.2, channel_l1=0.3,
                                 branch_l1=0.4)
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_too_small_images_are_refused(vgg19_taps):
    with pytest.raises(ValueError, match="at least 4x4"):
        EncoderNet(vgg19_taps, n_voxels=3, image_size=16)


def test_branch_downsampling_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        EncoderBranch(8, downsample=3)


def test_only_heads_are_trainable(vgg19_taps):
    net = EncoderNet(vgg19_taps, n_voxels=3, image_size=32)
    trainable = {id(p) for p in net.trainable_parameters()}
    assert not trainable & {id(p) for p in net.backbone.parameters()}
    assert trainable == {id(p) for n, p in net.named_parameters() if not n.startswith("backbone")}


def test_frozen_readout_uses_effective_weights_equal_to_the_patch_path():
    torch.manual_seed(0)
    readout = SpaceFeatureReadout(6, 4, [7, 7, 5], dropout=0.5).double()
    x = [torch.rand(3, 4, 7, 7, dtype=torch.float64), torch.rand(3, 4, 7, 7, dtype=torch.float64),
         torch.rand(3, 4, 5, 5, dtype=torch.float64)]
    readout.eval()
    patch_path = sum(readout.branch_mix[:, k].abs() * (readout._patch_forward(k, xk)
                                                       + readout.bias[k])
                     for k, xk in enumerate(x))
    trained = readout(x)  # grad enabled, parameters require grad: built, not cached
    assert getattr(readout, "_frozen_cache", None) is None
    torch.testing.assert_close(trained, patch_path, rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        frozen = readout(x)
    assert readout._frozen_cache is not None
    torch.testing.assert_close(frozen, patch_path.detach(), rtol=1e-12, atol=1e-12)
    # frozen parameters with input gradients (phase II's E(D(r))): same values, input grads
    readout.requires_grad_(False)
    xg = [t.clone().requires_grad_(True) for t in x]
    out = readout(xg)
    torch.testing.assert_close(out.detach(), frozen)
    out.sum().backward()
    assert all(t.grad is not None for t in xg)
    # the cache follows in-place parameter updates
    with torch.no_grad():
        readout.space_maps["7"].mul_(2.0)
        updated = readout(x)
    readout.requires_grad_(True)
    torch.testing.assert_close(updated, readout(x).detach(), rtol=1e-12, atol=1e-12)
    assert not torch.allclose(updated, frozen)


def test_effective_weights_cache_is_not_pickled():
    import pickle

    readout = SpaceFeatureReadout(3, 2, [5]).eval()
    with torch.no_grad():
        readout([torch.rand(1, 2, 5, 5)])
    assert readout._frozen_cache is not None
    clone = pickle.loads(pickle.dumps(readout))
    assert getattr(clone, "_frozen_cache", None) is None


def _readout_problem():
    """A float64 readout with random biases and signed branch mixes, inputs and weights."""
    torch.manual_seed(0)
    readout = SpaceFeatureReadout(5, 3, [8, 8, 6], dropout=0.5).double().train()
    with torch.no_grad():
        readout.bias.normal_()
        readout.branch_mix.uniform_(-2, 2)
    x = [torch.rand(4, 3, 8, 8, dtype=torch.float64), torch.rand(4, 3, 8, 8, dtype=torch.float64),
         torch.rand(4, 3, 6, 6, dtype=torch.float64)]
    return readout, x, torch.rand(4, 5, dtype=torch.float64)


def _values_and_gradients(readout, x, weights, forward):
    """Output, input gradients and parameter gradients of ``sum(weights * forward(x))``."""
    readout.zero_grad()
    xg = [t.clone().requires_grad_(True) for t in x]
    torch.manual_seed(1)  # the same dropout masks in every path
    out = forward(xg)
    (out * weights).sum().backward()
    return out.detach(), [t.grad for t in xg], {n: p.grad.clone()
                                                for n, p in readout.named_parameters()}


def _patch_path(readout, xg):
    """The layer's definition: stacked 3x3 patches (dropout included)."""
    return sum(readout.branch_mix[:, k].abs()
               * (readout._patch_forward(k, readout.dropout(xk)) + readout.bias[k])
               for k, xk in enumerate(xg))


def test_training_path_has_the_patch_paths_gradients_and_dropout():
    """Phase I trains through the effective weights: the same function, values and
    gradients, as stacking the patches (the layer's definition), dropout included."""
    readout, x, weights = _readout_problem()

    def grads(forward):
        return _values_and_gradients(readout, x, weights, forward)

    def patch(xg):
        return _patch_path(readout, xg)

    out, gx, gp = grads(readout)
    ref, rgx, rgp = grads(patch)
    assert getattr(readout, "_frozen_cache", None) is None
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    for a, b in zip(gx, rgx):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert gp.keys() == rgp.keys()
    for name in gp:
        torch.testing.assert_close(gp[name], rgp[name], rtol=1e-12, atol=1e-12)
    # dropout is on: some features were dropped, so the output differs from eval mode
    readout.eval()
    assert not torch.allclose(out, readout(x).detach())


@pytest.mark.parametrize("block_voxels", [1, 2, 5])
def test_streamed_readout_has_the_patch_paths_values_and_gradients(block_voxels):
    """Above ``max_weight_bytes`` the readout is computed by blocks of voxels (never holding
    the effective weights whole): the same function, values and gradients (input, maps,
    channel mix, bias, branch mix), with dropout, frozen, and under no_grad."""
    readout, x, weights = _readout_problem()
    per_voxel_bytes = readout.weight_bytes(torch.float64) // 5
    assert per_voxel_bytes == 3 * (64 + 64 + 36) * 8

    def grads(forward):
        return _values_and_gradients(readout, x, weights, forward)

    def patch(xg):
        return _patch_path(readout, xg)

    ref, rgx, rgp = grads(patch)
    # a limit that makes each block hold ``block_voxels`` voxels of the largest branch
    readout.max_weight_bytes = per_voxel_bytes * 5 - 1
    readout.stream_block_bytes = block_voxels * 3 * 64 * 8
    assert readout._streams(torch.float64)
    assert readout._stream_block(0, torch.float64) == block_voxels
    out, gx, gp = grads(readout)
    assert getattr(readout, "_frozen_cache", None) is None
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    for a, b in zip(gx, rgx):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    for name in gp:
        torch.testing.assert_close(gp[name], rgp[name], rtol=1e-12, atol=1e-12)
    # frozen (phase II's E(D(r))): input gradients only, nothing cached
    readout.eval().requires_grad_(False)
    xg = [t.clone().requires_grad_(True) for t in x]
    out = readout(xg)
    (out * weights).sum().backward()
    readout.max_weight_bytes = SpaceFeatureReadout.max_weight_bytes
    xr = [t.clone().requires_grad_(True) for t in x]
    expected = readout(xr)
    (expected * weights).sum().backward()
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    for a, b in zip(xg, xr):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-12, atol=1e-12)
    readout.max_weight_bytes = 1
    with torch.no_grad():
        torch.testing.assert_close(readout(x), expected.detach(), rtol=1e-12, atol=1e-12)
    assert readout._frozen_cache is None


def test_streamed_readout_passes_gradcheck():
    from neurodecode.models._encoder_net import _StreamedReadout

    torch.manual_seed(0)
    x = torch.rand(2, 2 * 6 * 6, dtype=torch.float64, requires_grad=True)
    space = torch.randn(3, 4, 4, dtype=torch.float64, requires_grad=True)
    mix = torch.randn(3, 18, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b, c: _StreamedReadout.apply(a, b, c, 6, 2),
                                    (x, space, mix))


def test_frozen_weights_are_cached_in_the_compute_precision():
    readout = SpaceFeatureReadout(4, 2, [6, 5]).eval()
    x = [torch.rand(2, 2, 6, 6), torch.rand(2, 2, 5, 5)]
    with torch.no_grad():
        full = readout(x)
        half = readout([t.bfloat16() for t in x])
    assert [w.dtype for w in readout._frozen_cache] == [torch.bfloat16] * 2
    assert half.dtype == torch.float32  # the branch mix and biases stay in float32
    torch.testing.assert_close(half, full, rtol=2e-2, atol=2e-2)
    assert readout.weight_bytes(torch.bfloat16) == 4 * 2 * (36 + 25) * 2


def test_streamed_readout_input_gradients_vectorise_over_voxels():
    """gradient_maps batches the backward pass over voxels (is_grads_batched): the streamed
    readout's input gradient must vectorise and equal one backward pass per voxel."""
    torch.manual_seed(0)
    readout = SpaceFeatureReadout(4, 2, [6, 5]).double().eval().requires_grad_(False)
    readout.max_weight_bytes = 1
    readout.stream_block_bytes = 2 * 36 * 8 * 3  # 3 voxels a block: 2 blocks
    x = [torch.rand(2, 2, 6, 6, dtype=torch.float64, requires_grad=True),
         torch.rand(2, 2, 5, 5, dtype=torch.float64, requires_grad=True)]
    y = readout(x)
    onehot = torch.zeros(4, 2, 4, dtype=torch.float64)
    onehot[torch.arange(4), :, torch.arange(4)] = 1
    batched = torch.autograd.grad(y, x, onehot, retain_graph=True, is_grads_batched=True)
    for v in range(4):
        single = torch.autograd.grad(y[:, v].sum(), x, retain_graph=True)
        for b, s in zip(batched, single):
            torch.testing.assert_close(b[v], s, rtol=1e-12, atol=1e-12)


def test_frozen_cache_is_built_in_float32_whatever_autocast_is_in_force():
    """A cache built under bfloat16 autocast for float32 inputs must not be reused, rounded,
    by a later float32 call (it is built with autocast off and keyed by the dtype)."""
    readout = SpaceFeatureReadout(3, 4, [6]).eval()
    x = [torch.rand(2, 4, 6, 6)]
    with torch.no_grad():
        reference = readout(x)
        readout._frozen_cache = readout._frozen_key = None
        with torch.autocast("cpu", dtype=torch.bfloat16):
            readout(x)
        assert readout._frozen_cache[0].dtype == torch.float32
        torch.testing.assert_close(readout._frozen_cache[0],
                                   readout.effective_weights(0), rtol=0, atol=0)
        torch.testing.assert_close(readout(x), reference, rtol=0, atol=0)


def test_streamed_readout_refuses_double_backward():
    readout = SpaceFeatureReadout(3, 2, [6]).double()
    readout.max_weight_bytes = 1
    x = torch.rand(2, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(readout([x]).pow(2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
        g.pow(2).sum().backward()


def test_predict_builds_the_cache_once_in_the_compute_precision(monkeypatch):
    """The batch-size probe runs under the same autocast as the batches, so that the cache
    it builds is the one the batches reuse (before: fp32 then bf16, at every call)."""
    from neurodecode import ImageEncoder
    from neurodecode.backend import precision_scope

    net = EncoderNet(build_feature_extractor("vgg19", BACKBONES["vgg19"].encoder_taps[:2]),
                     n_voxels=3, image_size=32, branch_strides=(4, 4)).eval()
    builds = []
    original = SpaceFeatureReadout.effective_weights

    def counting(self, k):
        builds.append(k)
        return original(self, k)

    monkeypatch.setattr(SpaceFeatureReadout, "effective_weights", counting)
    images = torch.rand(3, 3, 32, 32)
    with precision_scope("bf16"):
        for _ in range(3):
            ImageEncoder(device="cpu")._predict_batches(net, images)
    assert builds == [0, 1]  # one build of each branch's weights, in bfloat16
    assert [w.dtype for w in net.readout._frozen_cache] == [torch.bfloat16] * 2


def test_gaussian_space_maps_are_the_hand_computed_gaussian():
    """space_model="gaussian": each map is exp(-d^2 / 2 sd^2) at the neighbourhood centres
    ((p + 1.5) / g of the side, in half-side units), divided by its sum; the layer's
    patch path and effective weights agree; gradients reach centre and SD; no spatial
    penalty."""
    from neurodecode.models._encoder_net import GAUSSIAN_STEP_SCALE

    torch.manual_seed(0)
    readout = SpaceFeatureReadout(2, 3, [10, 6], space_model="gaussian").double()
    assert len(readout.space_maps) == 0
    with torch.no_grad():
        readout.prf_center.copy_(torch.tensor([[0.4, -0.2], [-0.5, 0.3]], dtype=torch.float64)
                                 / GAUSSIAN_STEP_SCALE)
        readout.prf_log_sd.copy_(torch.log(torch.tensor([0.3, 0.15], dtype=torch.float64))
                                 / GAUSSIAN_STEP_SCALE)
    for g in (10, 6):
        pos = (np.arange(g - 2) + 1.5) / g * 2 - 1
        for v, (cx, cy, sd) in enumerate([(0.4, -0.2, 0.3), (-0.5, 0.3, 0.15)]):
            want = np.exp(-((pos[None, :] - cx) ** 2 + (pos[:, None] - cy) ** 2) / (2 * sd**2))
            np.testing.assert_allclose(readout.space_map(g)[v].detach().numpy(),
                                       want / want.sum(), rtol=1e-10)
    x = [torch.rand(4, 3, 10, 10, dtype=torch.float64), torch.rand(4, 3, 6, 6,
                                                                   dtype=torch.float64)]
    for k in range(2):
        eff = torch.matmul(readout.effective_weights(k), x[k].flatten(1).t()).t()
        torch.testing.assert_close(readout._patch_forward(k, x[k]), eff)
    readout(x).square().sum().backward()
    assert readout.prf_center.grad.abs().min() > 0 and readout.prf_log_sd.grad.abs().min() > 0
    want = 5e-6 * readout.channel_mix.abs().sum() + 5e-2 * readout.branch_mix.abs().sum()
    torch.testing.assert_close(readout.regularization(), want)
    centre, sd = readout.gaussian_prf()
    torch.testing.assert_close(sd, torch.tensor([0.3, 0.15], dtype=torch.float64))
    with pytest.raises(ValueError, match="space_model"):
        SpaceFeatureReadout(3, 2, [5], space_model="disc")
    with pytest.raises(ValueError, match="gaussian_prf needs"):
        SpaceFeatureReadout(3, 2, [5]).gaussian_prf()


def test_readouts_pickled_before_space_model_are_free():
    """Model files written before ``space_model`` existed load as free maps."""
    import pickle

    torch.manual_seed(0)
    readout = SpaceFeatureReadout(3, 2, [6])
    x = [torch.rand(2, 2, 6, 6)]
    y = readout(x)
    state = readout.__getstate__()
    state.pop("space_model")
    old = SpaceFeatureReadout.__new__(SpaceFeatureReadout)
    old.__setstate__(state)
    old = pickle.loads(pickle.dumps(old))
    assert old.space_model == "free"
    torch.testing.assert_close(old(x), y)
