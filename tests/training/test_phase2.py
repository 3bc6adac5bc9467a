import numpy as np
import pytest
import torch

from neurodecode.models import (
    BACKBONES,
    DecoderNet,
    EncoderNet,
    ImageLoss,
    build_feature_extractor,
    fmri_loss,
)
from neurodecode.training import Phase2Config, train_decoder
from neurodecode.training._phase2 import Phase2Step


def _setup(n_voxels=12, size=32, seed=0):
    torch.manual_seed(seed)
    enc = EncoderNet(build_feature_extractor("vgg19", BACKBONES["vgg19"].encoder_taps),
                     n_voxels, size).eval()
    dec = DecoderNet(n_voxels, size)
    loss = ImageLoss(build_feature_extractor("vgg16", BACKBONES["vgg16"].perceptual_taps))
    return enc, dec, loss


def test_encoder_and_backbones_get_no_gradient_and_stay_bit_identical():
    enc, dec, loss = _setup()
    before_enc = {k: v.clone() for k, v in enc.state_dict().items()}
    before_dec = {k: v.clone() for k, v in dec.named_parameters()}
    before_perc = {k: v.clone() for k, v in loss.state_dict().items()}
    g = torch.Generator().manual_seed(0)
    X, S = torch.randn(8, 12), torch.rand(8, 3, 32, 32)
    cfg = Phase2Config(n_epochs=2, batch_sizes=(4, 4, 4), max_shift=2)
    train_decoder(dec, enc, loss, X, S, torch.rand(6, 3, 32, 32), torch.randn(6, 12), cfg,
                  torch.device("cpu"), g)
    assert all(p.grad is None for p in enc.parameters())
    assert all(p.grad is None for p in loss.parameters())
    assert all(torch.equal(v, before_enc[k]) for k, v in enc.state_dict().items())
    assert all(torch.equal(v, before_perc[k]) for k, v in loss.state_dict().items())
    assert not enc.training  # BN running stats untouched: eval mode throughout
    # every decoder parameter was trained, and its gradient released after training
    assert all(not torch.equal(p, before_dec[k]) for k, p in dec.named_parameters())
    assert all(p.grad is None for p in dec.parameters())


def test_one_decoder_pass_gives_the_three_terms_of_separate_passes():
    enc, dec, loss = _setup()
    dec.eval()
    cfg = Phase2Config(alpha=0.7)
    step = Phase2Step(dec, enc, loss, cfg, None, torch.device("cpu"), torch.Generator())
    r, s = torch.randn(3, 12), torch.rand(3, 3, 32, 32)
    u, rf = torch.rand(2, 3, 32, 32), torch.randn(4, 12)
    with torch.no_grad():
        terms = step.terms((r, s), u, rf, shift=False)
        l_d = loss(dec(r), s)
        l_ed = loss(dec(enc(u)), u)
        l_de = fmri_loss(enc(dec(rf)), rf, alpha=0.7)
    torch.testing.assert_close(terms["L_D"], l_d, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(terms["L_ED"], l_ed, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(terms["L_DE"], l_de, rtol=1e-5, atol=1e-6)


def test_terms_are_normalised_to_one_at_initialisation():
    enc, dec, loss = _setup()
    cfg = Phase2Config(alpha=0.9)
    step = Phase2Step(dec, enc, loss, cfg, None, torch.device("cpu"), torch.Generator())
    r, s = torch.randn(4, 12), torch.rand(4, 3, 32, 32)
    u, rf = torch.rand(4, 3, 32, 32), torch.randn(4, 12)
    scales = step.measure_scales((r, s), u, rf)
    with torch.no_grad():
        terms = step.terms((r, s), u, rf, shift=False)
    assert terms["L_D"].item() / scales[0].item() == pytest.approx(1.0, rel=1e-5)
    assert terms["L_ED"].item() / scales[1].item() == pytest.approx(1.0, rel=1e-5)
    # the fMRI term is measured offset-free: alpha * MSE + (1 - alpha) * (1 - cos)
    assert (terms["L_DE"].item() + 0.1) / scales[2].item() == pytest.approx(1.0, rel=1e-5)


def test_switched_off_terms_draw_no_unpaired_batches():
    enc, dec, loss = _setup()
    X, S = torch.randn(8, 12), torch.rand(8, 3, 32, 32)
    cfg = Phase2Config(n_epochs=1, batch_sizes=(4, 4, 4), loss_weights=(1.0, 0.0, 0.0))
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    train_decoder(dec, None, loss, X, S, None, None, cfg, torch.device("cpu"), g1)
    hist, scales = train_decoder(DecoderNet(12, 32), None, loss, X, S,
                                 torch.rand(5, 3, 32, 32), torch.randn(5, 12),
                                 Phase2Config(n_epochs=1, batch_sizes=(4, 4, 4),
                                              loss_weights=(1.0, 0.0, 0.0)),
                                 torch.device("cpu"), g2)
    assert torch.equal(g1.get_state(), g2.get_state())
    assert np.isnan(hist["L_ED"][0]) and np.isnan(hist["L_DE"][0])
    assert scales[1] == 1 and scales[2] == 1
