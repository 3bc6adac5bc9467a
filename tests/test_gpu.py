"""GPU checks: skipped without CUDA (CI has none); run them on a GPU machine."""
import numpy as np
import pytest
import torch

from neurodecode import ImageEncoder, SelfSupervisedDecoder

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_auto_device_trains_on_cuda_with_mixed_precision(problem):
    images, X = problem
    enc = ImageEncoder(weights=None, n_epochs=2, batch_size=8, random_state=0)
    dec = SelfSupervisedDecoder(encoder=enc, weights=None, n_epochs=2, batch_sizes=(8, 8, 8),
                                random_state=0)
    dec.fit(X[:32], images[:32], X_unpaired_fmri=X[32:44], unpaired_images=images[44:])
    assert next(dec.decoder_module_.parameters()).is_cuda
    rec = dec.predict(X[32:44])
    assert rec.dtype == np.float32 and np.isfinite(rec).all()
    assert all(np.isfinite(dec.history_[k]).all() for k in ("L_D", "L_ED", "L_DE"))


def test_cuda_and_cpu_predictions_agree(problem):
    images, X = problem
    dec = SelfSupervisedDecoder(weights=None, n_epochs=1, batch_sizes=(8, 8, 8),
                                random_state=0, device="cuda").fit(X[:16], images[:16])
    gpu = dec.predict(X[16:24])
    dec.set_params(device="cpu")
    np.testing.assert_allclose(dec.predict(X[16:24]), gpu, atol=2e-2)  # bf16 autocast


def test_seeded_restores_the_cuda_generator():
    from neurodecode.backend import seeded

    torch.cuda.init()
    before = torch.cuda.get_rng_state()
    with seeded(0, torch.device("cpu")):  # touches no CUDA generator
        torch.rand(2)
    assert torch.equal(torch.cuda.get_rng_state(), before)
    with seeded(0, torch.device("cuda")):  # seeds the current device's, then restores it
        a = torch.rand(2, device="cuda")
    assert torch.equal(torch.cuda.get_rng_state(), before)
    with seeded(0, torch.device("cuda")):
        assert torch.equal(torch.rand(2, device="cuda"), a)
