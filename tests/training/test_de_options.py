"""The authors' L_DE path as options: SNR-weighted loss, fresh sub-averages, plain sums,
dropout in the DE pass, and the memorisation diagnostic (hand-computed references)."""
import numpy as np
import pytest
import torch

from neurodecode.models import (
    BACKBONES,
    DecoderNet,
    EncoderNet,
    ImageLoss,
    build_feature_extractor,
    snr_weighted_fmri_loss,
)
from neurodecode.training import Phase2Config, train_decoder
from neurodecode.training._phase2 import Phase2Step
from neurodecode.training._unpaired_fmri import UnpairedFMRI, draw_subaverages


def _setup(n_voxels=6, size=32, seed=0, dropout=0.5):
    torch.manual_seed(seed)
    enc = EncoderNet(build_feature_extractor("vgg19", BACKBONES["vgg19"].encoder_taps),
                     n_voxels, size, dropout=dropout).eval()
    dec = DecoderNet(n_voxels, size, channels=16, groups=4)
    loss = ImageLoss(build_feature_extractor("vgg16", BACKBONES["vgg16"].perceptual_taps[:2]))
    return enc, dec, loss


def test_snr_weighted_loss_by_hand():
    pred = torch.tensor([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0]])
    target = torch.tensor([[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    w = torch.tensor([3.0, 1.0, 0.5])
    # sample 0: |err| = 1, 0, 2 -> (3 + 0 + 1) / 3; cos = 3 / (sqrt(10) * 1)
    # sample 1: |err| = 1, 1, 1 -> (3 + 1 + 0.5) / 3; cos = 2 / (2 * sqrt(3))
    expected = torch.tensor([4 / 3 - 0.1 * 3 / np.sqrt(10), 4.5 / 3 - 0.1 / np.sqrt(3)],
                            dtype=torch.float32)
    got = snr_weighted_fmri_loss(pred, target, w, reduction="none")
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(snr_weighted_fmri_loss(pred, target, w), expected.mean())


def test_subaverages_keep_each_repeat_with_the_fraction_and_never_none_or_all():
    n, R, V = 4, 6, 3
    repeats = torch.randn(n, R, V, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    idx = torch.arange(n).repeat(2000)
    out = draw_subaverages(repeats, idx, 1 / 3, g)
    # every draw is the mean of a non-empty, proper subset of its sample's repeats: solve
    # for the kept set by matching against all 2^R - 2 subsets of a few draws
    masks = torch.tensor([[(m >> r) & 1 for r in range(R)] for m in range(1, 2**R - 1)],
                         dtype=torch.float64)
    means = (masks / masks.sum(1, keepdim=True)) @ repeats  # (n, subsets, V)
    kept = []
    for j in range(200):
        d = (means[idx[j]] - out[j]).abs().amax(dim=1)
        assert float(d.min()) < 1e-12  # some proper, non-empty subset gives this draw
        kept.append(masks[int(d.argmin())])
    # P(kept) = 1/3 conditioned on "not none, not all": (1/3) / (1 - (2/3)^6 - (1/3)^6)
    rate = float(torch.stack(kept).mean())
    expected = (1 / 3) / (1 - (2 / 3) ** R - (1 / 3) ** R)
    assert abs(rate - expected) < 0.05
    # seeded: the same generator state gives the same draws
    a = draw_subaverages(repeats, idx[:50], 1 / 3, torch.Generator().manual_seed(7))
    b = draw_subaverages(repeats, idx[:50], 1 / 3, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    # two repeats: exactly one kept every time (none and both are redrawn)
    two = draw_subaverages(repeats[:, :2], torch.zeros(100, dtype=torch.long), 1 / 3, g)
    ok = torch.isclose(two, repeats[0, 0]).all(1) | torch.isclose(two, repeats[0, 1]).all(1)
    assert bool(ok.all())
    # fraction 1: the means over all repeats
    torch.testing.assert_close(draw_subaverages(repeats, torch.arange(n), 1.0, g),
                               repeats.mean(1))
    u = UnpairedFMRI(repeats, 0.5)
    assert len(u) == n and torch.equal(u.means, repeats.mean(1))


def test_authors_loss_is_the_de_term_and_needs_weights():
    enc, dec, loss = _setup()
    dec.eval()
    w = torch.tensor([2.0, 1.0, 1.0, 0.5, 0.5, 1.0])
    cfg = Phase2Config(de_loss="authors")
    step = Phase2Step(dec, enc, loss, cfg, None, torch.device("cpu"), torch.Generator(),
                      de_voxel_weights=w)
    rf = torch.randn(3, 6)
    with torch.no_grad():
        terms = step.terms(None, None, rf, shift=False)
        r_hat = enc(dec(rf))
        by_hand = ((w * (r_hat - rf).abs()).mean(1)
                   - 0.1 * torch.nn.functional.cosine_similarity(r_hat, rf, dim=1)).mean()
    torch.testing.assert_close(terms["L_DE"], by_hand, rtol=1e-5, atol=1e-6)
    # normalisation makes the offset-free value (loss + 0.1) one at initialisation
    scales = step.measure_scales(None, None, rf)
    torch.testing.assert_close(scales[2], by_hand + 0.1, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="de_voxel_weights"):
        Phase2Step(dec, enc, loss, cfg, None, torch.device("cpu"), torch.Generator())
    with pytest.raises(ValueError, match="de_loss must be one of"):
        Phase2Step(dec, enc, loss, Phase2Config(de_loss="mse"), None, torch.device("cpu"),
                   torch.Generator())


def test_plain_sum_is_the_authors_total():
    enc, dec, loss = _setup()
    cfg = Phase2Config(normalize_losses=False, penalty_weight=0.0)
    step = Phase2Step(dec, enc, loss, cfg, None, torch.device("cpu"), torch.Generator())
    r, s = torch.randn(2, 6), torch.rand(2, 3, 32, 32)
    u, rf = torch.rand(2, 3, 32, 32), torch.randn(2, 6)
    with torch.no_grad():
        terms = step.terms((r, s), u, rf, shift=False)
        total, reg = step.total(terms)
    torch.testing.assert_close(total, terms["L_D"] + terms["L_ED"] + terms["L_DE"])
    assert float(reg) == 0.0


def test_de_dropout_is_on_only_in_the_de_pass():
    enc, dec, loss = _setup(dropout=0.5)
    dec.eval()
    images = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        clean = enc(images)
        off = Phase2Step(dec, enc, loss, Phase2Config(), None, torch.device("cpu"),
                         torch.Generator())
        on = Phase2Step(dec, enc, loss, Phase2Config(de_dropout=0.25), None,
                        torch.device("cpu"), torch.Generator())
        torch.testing.assert_close(off.encode_de(images), clean)  # eval mode: no dropout
        torch.manual_seed(0)
        noisy = on.encode_de(images)
    assert not torch.allclose(noisy, clean)
    # restored afterwards: the readout's own rate, eval mode, the same prediction
    assert not enc.training and not enc.readout.training and enc.readout.dropout.p == 0.5
    with torch.no_grad():
        torch.testing.assert_close(enc(images), clean)


def test_repeats_train_on_fresh_subaverages_and_resume_bit_identically(tmp_path):
    from neurodecode.training._checkpoint import CheckpointManager

    enc, dec0, loss = _setup()
    X, S = torch.randn(8, 6), torch.rand(8, 3, 32, 32)
    repeats = torch.randn(5, 4, 6)
    cfg = Phase2Config(n_epochs=3, batch_sizes=(4, 4, 4), loss_weights=(1, 0, 1),
                       subaverage_fraction=0.5)

    def fit(n_epochs, ckpt=None, resume=False, dec=None):
        torch.manual_seed(1)
        dec = dec if dec is not None else DecoderNet(6, 32, channels=16, groups=4)
        c = Phase2Config(**{**cfg.__dict__, "n_epochs": n_epochs})
        h, _ = train_decoder(dec, enc, loss, X, S, None, repeats, c, torch.device("cpu"),
                             torch.Generator().manual_seed(0), checkpoint=ckpt,
                             resume=resume)
        return dec, h

    full, h_full = fit(3)
    ckpt = CheckpointManager(tmp_path, "decoder.ckpt", 1, "fp")
    fit(2, ckpt)
    resumed, h_res = fit(3, CheckpointManager(tmp_path, "decoder.ckpt", 1, "fp"), resume=True)
    for (k, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k
    assert h_full["L_DE"] == h_res["L_DE"]
    # the means would give another fit: the draws are used
    torch.manual_seed(1)
    dec_m = DecoderNet(6, 32, channels=16, groups=4)
    train_decoder(dec_m, enc, loss, X, S, None, repeats.mean(1), cfg, torch.device("cpu"),
                  torch.Generator().manual_seed(0))
    assert not all(torch.equal(a, b) for a, b in zip(full.state_dict().values(),
                                                      dec_m.state_dict().values()))


def test_memorisation_diagnostic_records_de_at_the_true_images():
    enc, dec, loss = _setup()
    X, S = torch.randn(8, 6), torch.rand(8, 3, 32, 32)
    truth = torch.rand(5, 3, 32, 32)
    rf = torch.randn(5, 6)
    cfg = Phase2Config(n_epochs=2, batch_sizes=(4, 4, 4), loss_weights=(1, 0, 1))
    h, _ = train_decoder(dec, enc, loss, X, S, None, rf, cfg, torch.device("cpu"),
                         torch.Generator().manual_seed(0), unpaired_fmri_images=truth)
    from neurodecode.models import fmri_loss

    with torch.no_grad():
        at_truth = float(fmri_loss(enc(truth), rf, alpha=0.9))
        dec.eval()
        decoded = float(fmri_loss(enc(dec(rf)), rf, alpha=0.9))
    assert h["L_DE_true_images"] == pytest.approx([at_truth] * 2, rel=1e-5)
    assert h["L_DE_decoded"][-1] == pytest.approx(decoded, rel=1e-4)
