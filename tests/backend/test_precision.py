"""The ``precision`` option: float32 stays bit-reproducible, bfloat16 works on the CPU."""
import numpy as np
import pytest
import torch

from neurodecode import ImageEncoder, SelfSupervisedDecoder
from neurodecode.backend import autocast, check_precision, precision_scope
from neurodecode.backend._device import PRECISIONS

CPU = torch.device("cpu")


def _matmul_dtype():
    with autocast(CPU):
        return (torch.ones(2, 2) @ torch.ones(2, 2)).dtype


def test_autocast_follows_the_precision_in_force():
    assert PRECISIONS == ("auto", "fp32", "bf16")
    assert _matmul_dtype() == torch.float32  # "auto" on the CPU
    with precision_scope("bf16"):
        assert _matmul_dtype() == torch.bfloat16
        with precision_scope("fp32"):
            assert _matmul_dtype() == torch.float32
        assert _matmul_dtype() == torch.bfloat16
    assert _matmul_dtype() == torch.float32
    with precision_scope("auto"):  # on CUDA this is bfloat16, on the CPU float32
        assert _matmul_dtype() == torch.float32
        if torch.cuda.is_available():  # pragma: no cover - GPU machines only
            with autocast(torch.device("cuda")):
                assert (torch.ones(2, 2, device="cuda") @ torch.ones(2, 2, device="cuda")
                        ).dtype == torch.bfloat16


@pytest.mark.parametrize("bad", ["float16", "bf16 ", None, 32, "FP32"])
def test_bad_precision_is_refused_naming_the_argument(bad):
    with pytest.raises(ValueError, match=r"precision must be one of \['auto', 'fp32', 'bf16'\]"):
        check_precision(bad)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="precision must be one of"):
        ImageEncoder(weights=None, n_epochs=1, precision=bad).fit(
            rng.random((4, 32, 32, 3), dtype=np.float32), rng.standard_normal((4, 5)))


def _encoder(precision):
    rng = np.random.default_rng(0)
    images = rng.random((24, 32, 32, 3), dtype=np.float32)
    X = rng.standard_normal((24, 40)).astype(np.float32)
    enc = ImageEncoder(weights=None, n_epochs=2, batch_size=12, random_state=0,
                       device="cpu", precision=precision).fit(images, X)
    return enc, images, X


def test_fp32_is_the_cpu_default_bit_for_bit_and_bf16_is_close_but_not_equal():
    auto, images, X = _encoder("auto")
    fp32, _, _ = _encoder("fp32")
    bf16, _, _ = _encoder("bf16")
    np.testing.assert_array_equal(auto.predict(images), fp32.predict(images))
    assert auto.history_["loss"] == fp32.history_["loss"]
    # bfloat16 really ran (8 bits of mantissa): the losses differ, a little
    assert bf16.history_["loss"] != fp32.history_["loss"]
    np.testing.assert_allclose(bf16.history_["loss"], fp32.history_["loss"], rtol=0.05)
    p32, p16 = fp32.predict(images), bf16.predict(images)
    assert p16.dtype == np.float32
    assert np.corrcoef(p32.ravel(), p16.ravel())[0, 1] > 0.98
    # the precision is a setting of the estimator: the fitted bf16 encoder predicts in
    # float32 when told to, and its weights are float32 either way
    assert all(p.dtype == torch.float32 for p in bf16.module_.parameters())
    bf16.set_params(precision="fp32")
    as32 = bf16.predict(images)
    assert not np.array_equal(as32, p16)
    np.testing.assert_allclose(as32, p16, atol=0.1 * np.abs(p32).max())


def test_estimator_precision_overrides_the_scope_and_auto_inherits_it():
    auto, images, _ = _encoder("auto")
    reference = auto.predict(images)
    with precision_scope("bf16"):
        inherited = auto.predict(images)  # "auto" keeps the scope's bfloat16
        auto.set_params(precision="fp32")
        forced = auto.predict(images)  # an explicit setting wins
    assert not np.array_equal(inherited, reference)
    np.testing.assert_array_equal(forced, reference)


def test_decoder_trains_and_predicts_in_bf16_on_the_cpu():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((16, 30)).astype(np.float32)
    images = rng.random((16, 16, 16, 3), dtype=np.float32)
    kwargs = dict(weights=None, loss_weights=(1.0, 0.0, 0.0), n_epochs=2,
                  batch_sizes=(8, 8, 8), random_state=0, device="cpu")
    d32 = SelfSupervisedDecoder(precision="fp32", **kwargs).fit(X, images)
    d16 = SelfSupervisedDecoder(precision="bf16", **kwargs).fit(X, images)
    r16 = d16.predict(X)
    assert r16.dtype == np.float32 and r16.shape == (16, 16, 16, 3)
    assert np.isfinite(d16.history_["loss"]).all()
    # the first loss (before any step differs) agrees; training then takes its own path
    np.testing.assert_allclose(d16.history_["L_D"][0], d32.history_["L_D"][0], rtol=0.05)
    # the same fitted decoder predicts alike in both precisions, not identically
    r16_as32 = d16.set_params(precision="fp32").predict(X)
    assert not np.array_equal(r16, r16_as32)
    np.testing.assert_allclose(r16, r16_as32, atol=0.02)
