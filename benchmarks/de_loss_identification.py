"""Can L_DE tell the true image? Loss-identification of the test images by each L_DE loss.

For every test fMRI r_i (the 35-repeat mean) and the encoder E of the quick demo, the
2-way score of image i is the fraction of other test images j with
``L(E(s_i), r_i) < L(E(s_j), r_i)``; the flat grey image's ``L(E(grey), r_i)`` is the
reference that any image carrying the stimulus should beat. Losses: ours (Eq. 1,
``0.9 MSE - 0.1 cos``) and the authors' (SNR-weighted MAE - 0.1 cos, SNR from the test
repeats, normalised to mean 1). Nothing is trained on the test images: the encoder is the
demo's, fitted on the training pairs.

    python benchmarks/de_loss_identification.py --seed 0 [--out results.json]
"""
import argparse
import json

import numpy as np
import torch


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None)
    args = p.parse_args()

    from neurodecode import ImageEncoder
    from neurodecode.analysis import snr
    from neurodecode.datasets import make_synthetic_subject
    from neurodecode.demo import QUICK
    from neurodecode.demo._run import EFFICIENTNET
    from neurodecode.models import fmri_loss, snr_weighted_fmri_loss

    size = QUICK
    s = make_synthetic_subject(
        n_train_classes=size.n_train_classes, n_train_per_class=size.n_train_per_class,
        n_test_classes=size.n_test_classes, n_test_repeats=size.n_test_repeats,
        n_unpaired_classes=2, n_unpaired_per_class=2, n_gallery_classes=size.n_test_classes,
        n_voxels=size.n_voxels, random_state=args.seed)
    enc = ImageEncoder(
        backbone=EFFICIENTNET["encoder"], image_size=EFFICIENTNET["feature_size"],
        n_epochs=size.encoder_epochs, batch_size=64,
        penalty_weight=size.encoder_penalty_weight,
        lr_milestones=tuple(sorted({max(1, int(0.6 * size.encoder_epochs)),
                                    max(1, int(0.8 * size.encoder_epochs))})),
        random_state=args.seed).fit(s.images_train, s.X_train)
    grey = np.full((1,) + s.images_test.shape[1:], 0.5, np.float32)
    pred = torch.from_numpy(enc.predict(np.concatenate([s.images_test, grey])))
    P, g = pred[:-1], pred[-1:]
    R = torch.from_numpy(s.X_test)
    w = snr(s.X_test_trials, n_images=len(s.X_test_trials))
    w = torch.from_numpy((w / w.mean()).astype(np.float32))
    losses = {"ours (0.9 MSE - 0.1 cos)": lambda a, b: fmri_loss(a, b, alpha=0.9, reduction="none"),
              "authors (SNR-weighted MAE - 0.1 cos)":
                  lambda a, b: snr_weighted_fmri_loss(a, b, w, reduction="none")}
    n = len(R)
    out = {"seed": args.seed, "n_test": n, "n_voxels": int(R.shape[1]), "losses": {}}
    for name, loss in losses.items():
        # L[i, j] = L(E(s_j), r_i)
        L = torch.stack([loss(P, R[i].expand_as(P)) for i in range(n)])
        true = L.diag()
        wins = (true[:, None] < L).float().sum(1) / (n - 1)
        grey_l = torch.stack([loss(g, R[i:i + 1])[0] for i in range(n)])
        out["losses"][name] = {
            "two_way": float(wins.mean()),
            "true_below_grey": float((true < grey_l).float().mean()),
            "mean_true": float(true.mean()), "mean_grey": float(grey_l.mean()),
            "mean_other": float((L.sum(1) - true).mean() / (n - 1))}
        print(f"{name}: 2-way {100 * wins.mean():.1f} %, true image below grey for "
              f"{100 * (true < grey_l).float().mean():.0f} % of images (mean L true "
              f"{true.mean():.4f}, grey {grey_l.mean():.4f})")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
