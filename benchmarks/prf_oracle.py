"""pRF oracles at GOD's SNR and at SNR 1: how well can *any* estimator recover pRF centres?

Classic parametric pRF fitting (Gaussian x, y, sigma grid search) on the simulated subject's
*true* Gabor-energy maps, correlated with the 1200 single-trial training responses (GOD
units: z-scored per voxel in runs) of 330 V1-V3 voxels; agreement of the best centres with
the true ones (x, y, eccentricity, circular polar angle), all voxels and beyond 1.5 deg.
``benchmarks/prf_criterion.py`` scores the encoder's pRFs against this oracle. ~20 s per
subject on 2 CPU cores.

Run::

    python benchmarks/prf_oracle.py --seeds 0 1 2
"""
import argparse

import numpy as np
import pandas as pd

V1_V3 = {"V1": 150, "V2": 100, "V3": 80, "hV4": 0, "LOC": 0, "FFA": 0, "PPA": 0}


def early_subject(snr, seed):
    """The pRF example's subject: 330 V1-V3 voxels, 150 x 8 single trials."""
    from neurodecode.datasets import make_synthetic_subject

    return make_synthetic_subject(n_train_classes=150, n_train_per_class=8, n_test_classes=50,
                                  n_unpaired_classes=0, n_gallery_classes=50, n_voxels=V1_V3,
                                  snr=snr, random_state=seed)


def truth_table(sub):
    true = pd.DataFrame({"x": sub.prf_center[:, 0], "y": sub.prf_center[:, 1]})
    true["eccentricity"] = np.hypot(true.x, true.y)
    true["polar_angle"] = np.rad2deg(np.arctan2(true.y, true.x)) % 360
    return true


def parametric_prf(sub, X=None, images=None):
    """Best Gaussian pRF (x, y on the pixel grid, sigma in 0.25-2 deg) per voxel: the one
    whose Gabor-energy drive correlates best with the voxel's training fMRI (or with ``X``,
    responses to ``images``, e.g. a model's predictions for novel images)."""
    from neurodecode.datasets._synthetic import gabor_energy

    degrees = sub.meta["stimulus_degrees"]
    images = sub.images_train if images is None else images
    E = gabor_energy(images, degrees).sum(1).reshape(len(images), -1)
    H = sub.meta["image_size"]
    deg = degrees / H
    c = (np.arange(H) + 0.5 - H / 2) * deg
    xs, ys = np.meshgrid(c, -c)  # y up
    C = np.array([(x0, y0, s) for x0 in c for y0 in c for s in (0.25, 0.5, 1.0, 2.0)])
    G = np.exp(-((xs.ravel()[None] - C[:, :1]) ** 2 + (ys.ravel()[None] - C[:, 1:2]) ** 2)
               / (2 * C[:, 2:] ** 2))
    P = E @ G.T
    P = (P - P.mean(0)) / P.std(0)
    X = sub.X_train if X is None else np.asarray(X, dtype=float)
    X = (X - X.mean(0)) / (X.std(0) + 1e-12)
    best = (P.T @ X / len(X)).argmax(0)
    est = pd.DataFrame({"x": C[best, 0], "y": C[best, 1]})
    est["eccentricity"] = np.hypot(est.x, est.y)
    est["polar_angle"] = np.rad2deg(np.arctan2(est.y, est.x)) % 360
    return est


def main(argv=None):
    from neurodecode.analysis import receptive_field_agreement

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--snrs", type=float, nargs="+", default=[0.02, 1.0])
    args = parser.parse_args(argv)
    for seed in args.seeds:
        for snr in args.snrs:
            sub = early_subject(snr, seed)
            true, est = truth_table(sub), parametric_prf(sub)
            far = true.eccentricity.to_numpy() > 1.5
            print("seed", seed, "snr", snr, "parametric oracle",
                  {k: round(v, 2) for k, v in receptive_field_agreement(est, true).items()},
                  "far", {k: round(v, 2)
                          for k, v in receptive_field_agreement(est, true, far).items()},
                  flush=True)


if __name__ == "__main__":
    main()
