"""backend.seeded / seed_from_random_state: repeatable blocks that leave global state alone."""
import numpy as np
import pytest
import torch

from neurodecode.backend import seed_from_random_state, seeded

CPU = torch.device("cpu")


def test_seeded_draws_what_manual_seed_draws_and_restores_the_caller_state():
    torch.manual_seed(123)
    expected_after = torch.rand(3)  # what the caller draws next without the block
    torch.manual_seed(0)
    reference = torch.rand(5)

    torch.manual_seed(123)
    with seeded(0, CPU):
        inside = torch.rand(5)
    after = torch.rand(3)
    assert torch.equal(inside, reference)  # same stream as torch.manual_seed(0)
    assert torch.equal(after, expected_after)  # the caller's generator is untouched


def test_seeded_touches_no_cuda_generator_on_the_cpu(monkeypatch):
    # torch.manual_seed would (lazily) reseed every CUDA device, which the block never
    # restores
    def refuse(seed):
        raise AssertionError("a CPU block reseeded the CUDA generators")

    monkeypatch.setattr(torch.cuda, "manual_seed_all", refuse)
    monkeypatch.setattr(torch.cuda, "manual_seed", refuse)
    with seeded(0, CPU):
        torch.rand(2)


def test_seeded_accepts_numpy_integers():
    with seeded(np.int64(4), CPU):
        a = torch.rand(3)
    with seeded(4, CPU):
        b = torch.rand(3)
    assert torch.equal(a, b)


def test_seeded_blocks_differ_by_seed():
    with seeded(1, CPU):
        a = torch.rand(4)
    with seeded(2, CPU):
        b = torch.rand(4)
    assert not torch.equal(a, b)


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_seeded_leaves_other_cuda_devices_alone():  # pragma: no cover - multi-GPU only
    other = torch.device("cuda", 1)
    torch.cuda.manual_seed_all(5)
    expected = torch.rand(3, device=other)
    torch.cuda.manual_seed_all(5)
    with seeded(0, torch.device("cuda", 0)):
        torch.rand(3, device="cuda:0")
    assert torch.equal(torch.rand(3, device=other), expected)


def test_seed_from_random_state():
    assert seed_from_random_state(7) == 7
    assert seed_from_random_state(np.int64(3)) == 3
    rng_seed = seed_from_random_state(np.random.RandomState(0))
    assert rng_seed == seed_from_random_state(np.random.RandomState(0))
    assert 0 <= rng_seed < 2**31 - 1
    with pytest.raises(ValueError, match="non-negative"):
        seed_from_random_state(-1)
