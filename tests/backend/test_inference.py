"""Batched inference and the one resize."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from neurodecode._validation import resize_images
from neurodecode.backend import batched_inference, iter_batches, resize

CPU = torch.device("cpu")


def test_batched_equals_one_pass():
    torch.manual_seed(0)
    net = torch.nn.Linear(5, 3)
    x = torch.randn(11, 5)
    out = batched_inference(net, x, 4, CPU)
    torch.testing.assert_close(out, net(x).detach())
    assert not out.requires_grad and out.dtype == torch.float32


def test_list_outputs_are_concatenated_per_position():
    x = torch.arange(10.0).view(10, 1)
    a, b = batched_inference(lambda t: [t, 2 * t], x, 3, CPU)
    assert torch.equal(a, x) and torch.equal(b, 2 * x)


def test_gradient_mode_is_never_left_off_between_batches():
    modes = []
    for _ in iter_batches(lambda t: t * 2, torch.ones(6, 1), 2, CPU):
        modes.append(torch.is_grad_enabled())
    assert modes == [True, True, True]


def test_half_precision_outputs_come_back_float32():
    out = batched_inference(lambda t: t.half(), torch.ones(3, 2), 2, CPU)
    assert out.dtype == torch.float32


def test_empty_input_is_an_error():
    with pytest.raises(ValueError, match="inputs is empty"):
        batched_inference(lambda t: t, torch.ones(0, 2), 2, CPU)


def test_resize_is_antialiased_bilinear_and_differentiable():
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    y = resize(x, 16)
    expected = F.interpolate(x, size=(16, 16), mode="bilinear", align_corners=False,
                             antialias=True)
    assert torch.equal(y, expected)
    # antialiasing: a 1-pixel checkerboard averages out instead of aliasing
    checker = (torch.arange(64).view(1, 64) + torch.arange(64).view(64, 1)) % 2
    small = resize(checker.float().expand(1, 1, 64, 64), 16)
    assert torch.allclose(small, torch.full_like(small, 0.5), atol=0.05)
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert resize(x, 64) is x


def test_numpy_resize_is_the_same_resize():
    images = np.random.default_rng(0).random((3, 48, 48, 3), dtype=np.float32)
    t = torch.from_numpy(images).permute(0, 3, 1, 2)
    expected = resize(t, 32).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(resize_images(images, 32), expected)


def test_reuse_freed_memory_skips_large_models(monkeypatch):
    """The heap keeps a step's activations only for models up to LARGE_MODEL_BYTES: above,
    glibc's settings are left alone (the memory is worth more than the page faults)."""
    from neurodecode.backend import _memory

    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append(("mallopt", param, value.value))
            return 1

        def malloc_trim(self, pad):
            calls.append(("trim",))
            return 1

    monkeypatch.setattr(_memory, "_glibc", lambda: FakeLibc())
    cpu = torch.device("cpu")
    with _memory.reuse_freed_memory(cpu, parameter_bytes=_memory.LARGE_MODEL_BYTES + 1):
        assert calls == []
    assert calls == []
    with _memory.reuse_freed_memory(cpu, parameter_bytes=_memory.LARGE_MODEL_BYTES):
        assert [c[1] for c in calls] == [_memory._M_MMAP_THRESHOLD, _memory._M_TRIM_THRESHOLD]
    # restored to glibc's defaults, then trimmed
    assert calls[2:] == [("mallopt", _memory._M_MMAP_THRESHOLD, _memory._DEFAULT),
                         ("mallopt", _memory._M_TRIM_THRESHOLD, _memory._DEFAULT), ("trim",)]
