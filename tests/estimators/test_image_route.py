"""The route of ``images`` through ``SelfSupervisedDecoder.fit`` (issue 22): converted and
scanned once, resized once to each network's size, the inner encoder fitted on the images
as given at its own size; parameters declared per class, errors naming class and
parameter (nested: ``SelfSupervisedDecoder.encoder.<name>``)."""
import inspect

import numpy as np
import pytest

import neurodecode._validation as validation
import neurodecode.estimators._decoder as decoder_module
import neurodecode.estimators._encoder as encoder_module
import neurodecode.training._fit as fit_module
from neurodecode import ImageEncoder, SelfSupervisedDecoder, Unpaired

LITE = dict(weights=None, n_epochs=1, random_state=0)


def _pairs(n=16, side=112, voxels=12, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, voxels)).astype(np.float32),
            rng.random((n, side, side, 3), dtype=np.float32))


def test_a_112_px_encoder_inside_a_64_px_decoder_is_trained_on_the_112_px_images(monkeypatch):
    X, images = _pairs()
    seen = {}
    original = fit_module.fit_encoder

    def spy(images_, X_, *args, **kwargs):
        seen["images"] = images_
        return original(images_, X_, *args, **kwargs)

    monkeypatch.setattr(encoder_module, "fit_encoder", spy)
    enc = ImageEncoder(backbone="efficientnet_lite0", image_size=112, batch_size=8, **LITE)
    dec = SelfSupervisedDecoder(encoder=enc, perceptual_net="efficientnet_lite0",
                                image_size=64, batch_sizes=(8, 8, 8), loss_weights=(1, 1, 0),
                                **LITE).fit(X, images, unpaired_images=Unpaired(images))
    np.testing.assert_array_equal(seen["images"], images)  # as given: not 64 px upsampled
    alone = ImageEncoder(backbone="efficientnet_lite0", image_size=112, batch_size=8,
                         **LITE).fit(images, X)
    np.testing.assert_array_equal(dec.encoder_.predict(images), alone.predict(images))
    assert dec.encoder_.image_shape_ == (112, 112, 3) and dec.image_shape_ == (64, 64, 3)


def test_images_are_converted_once_and_resized_once_per_network(monkeypatch):
    X, images = _pairs(side=40)
    images64 = images.astype(np.float64)  # a conversion to float32 is needed
    conversions, resizes = [], []
    original_convert = validation.as_numeric_array

    def convert(data, name):
        conversions.append(name)
        return original_convert(data, name)

    monkeypatch.setattr(validation, "as_numeric_array", convert)
    for module in (decoder_module, encoder_module):
        original_resize = module.resize_images

        def resize(a, size, _original=original_resize, _module=module.__name__):
            resizes.append((_module.rsplit(".", 1)[1], a.shape[1], int(size)))
            return _original(a, size)

        monkeypatch.setattr(module, "resize_images", resize)
    SelfSupervisedDecoder(perceptual_net="efficientnet_lite0", image_size=32,
                          batch_sizes=(8, 8, 8), loss_weights=(1, 0, 1),
                          **LITE).fit(X, images64, X_unpaired_fmri=Unpaired(X))
    assert conversions.count("images") == 1
    # the auto-built encoder takes the decoder's size: each network resizes the 40 px
    # images once, from the images as given
    assert sorted(resizes) == [("_decoder", 40, 32), ("_encoder", 40, 32)]


def test_nested_encoder_errors_name_the_decoder_and_come_before_any_work(monkeypatch):
    X, images = _pairs(side=32)
    monkeypatch.setattr(fit_module, "fit_encoder", lambda *a, **k: pytest.fail("trained"))
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**{**LITE, "n_epochs": -1}),
                                weights=None, random_state=0)
    with pytest.raises(ValueError, match=r"SelfSupervisedDecoder\.encoder\.n_epochs must be "
                                         r"in \[0, inf\); got -1"):
        dec.fit(X, images, X_unpaired_fmri=Unpaired(X))
    dec = SelfSupervisedDecoder(encoder=ImageEncoder(**LITE), n_epochs=-1, weights=None)
    with pytest.raises(ValueError, match=r"^SelfSupervisedDecoder\.n_epochs must be"):
        dec.fit(X, images, X_unpaired_fmri=Unpaired(X))
    with pytest.raises(ValueError, match=r"SelfSupervisedDecoder\.loss_weights are all zero"):
        SelfSupervisedDecoder(loss_weights=(0, 0, 0), weights=None).fit(X, images)


@pytest.mark.parametrize("cls", [ImageEncoder, SelfSupervisedDecoder])
def test_every_parameter_is_declared_with_its_check(cls):
    params = set(inspect.signature(cls).parameters)
    assert set(cls._PARAMETERS) == params
    for name, check in cls._PARAMETERS.items():
        if isinstance(check, validation.Checked) and check.function is None:
            assert check.where, f"{cls.__name__}.{name}: say where it is checked"


def test_review_cases_fail_clearly_before_any_work(tmp_path, monkeypatch):
    X, images = _pairs(side=32)
    monkeypatch.setattr(fit_module, "fit_encoder", lambda *a, **k: pytest.fail("trained"))
    monkeypatch.setattr(fit_module, "train_decoder", lambda *a, **k: pytest.fail("trained"))
    nan = np.full_like(images, np.nan)
    with pytest.raises(ValueError, match="at least 2 paired samples"):
        SelfSupervisedDecoder(**LITE).fit(X, nan)
    with pytest.raises(ValueError, match=r"SelfSupervisedDecoder\.learning_rate must be a "
                                         "finite number; got nan"):
        SelfSupervisedDecoder(learning_rate=float("nan"), **LITE).fit(X, images)
    with pytest.raises(ValueError, match=r"SelfSupervisedDecoder\.precision"):
        SelfSupervisedDecoder(precision="fp16", **LITE).fit(X, images)
    folder = tmp_path / "never"
    with pytest.raises(ValueError, match=r"SelfSupervisedDecoder\.n_epochs"):
        SelfSupervisedDecoder(checkpoint_dir=folder, **{**LITE, "n_epochs": -2}).fit(X, images)
    assert not folder.exists()  # the parameters are checked before the folder is touched
    from neurodecode import WeightsNotFoundError

    dec = SelfSupervisedDecoder(encoder=ImageEncoder(backbone="efficientnet_lite0", **LITE),
                                weights=str(tmp_path / "none.pth"),
                                perceptual_net="efficientnet_lite0", random_state=0)
    with pytest.raises(WeightsNotFoundError, match=r"SelfSupervisedDecoder\.weights"):
        dec.fit(X, images, X_unpaired_fmri=Unpaired(X))  # before phase I


def test_a_partly_nan_image_is_named_by_its_given_row():
    X, images = _pairs(n=8, side=16)
    images[2:4] = np.nan  # marked rows
    images[5, 0, 0, 0] = np.nan  # a broken image
    with pytest.raises(ValueError, match=r"in 1 image\(s\) \(first: 5\)"):
        validation.check_images(images, "images", unpaired=True)
