"""pRF oracles at GOD's SNR and at SNR 1: how well can *any* estimator recover pRF centres?

Classic parametric pRF fitting (Gaussian x, y, sigma grid search) on the simulated subject's
*true* Gabor-energy maps, correlated with the 1200 single-trial training responses of 330
V1-V3 voxels; agreement of the best centres with the true ones (x, y, eccentricity, circular
polar angle), all voxels and beyond 1.5 deg, for two seeds. ~40 s on 2 CPU cores.

Run::

    python benchmarks/prf_oracle.py
"""
import numpy as np, pandas as pd, sys
from neurodecode.datasets import make_synthetic_subject
from neurodecode.datasets._synthetic import gabor_energy
from neurodecode.analysis import receptive_field_agreement
for seed in (0, 1):
  for snr in (0.02, 1.0):
    sub = make_synthetic_subject(n_train_classes=150, n_train_per_class=8, n_test_classes=50, n_unpaired_classes=0,
        n_gallery_classes=50, n_voxels={"V1": 150, "V2": 100, "V3": 80, "hV4": 0, "LOC": 0, "FFA": 0, "PPA": 0}, snr=snr, random_state=seed)
    true = pd.DataFrame({"x": sub.prf_center[:,0], "y": sub.prf_center[:,1]})
    true["eccentricity"]=np.hypot(true.x,true.y); true["polar_angle"]=np.rad2deg(np.arctan2(true.y,true.x))%360
    E = gabor_energy(sub.images_train, 12.0).sum(1).reshape(len(sub.images_train), -1)  # (n, 1024)
    H = 32; deg = 12.0 / H
    c = (np.arange(H) + 0.5 - H / 2) * deg
    xs, ys = np.meshgrid(c, -c)  # y up
    cand = [(x0, y0, s) for x0 in c[::1] for y0 in c[::1] for s in (0.25, 0.5, 1.0, 2.0)]
    C = np.array(cand)
    G = np.exp(-((xs.ravel()[None] - C[:, :1]) ** 2 + (ys.ravel()[None] - C[:, 1:2]) ** 2) / (2 * C[:, 2:] ** 2))
    P = E @ G.T
    P = (P - P.mean(0)) / P.std(0)
    X = (sub.X_train - sub.X_train.mean(0)) / sub.X_train.std(0)
    R = P.T @ X / len(X)
    best = R.argmax(0)
    est = pd.DataFrame({"x": C[best, 0], "y": C[best, 1]})
    est["eccentricity"] = np.hypot(est.x, est.y); est["polar_angle"] = np.rad2deg(np.arctan2(est.y, est.x)) % 360
    allv = np.ones(len(est), bool); far = true.eccentricity.values > 1.5
    print("seed", seed, "snr", snr, "parametric oracle", {k: round(v,2) for k,v in receptive_field_agreement(est, true, allv).items()},
          "far", {k: round(v,2) for k,v in receptive_field_agreement(est, true, far).items()}, flush=True)
    for roi in ("V1","V2","V3"):
        m = sub.roi == roi
        print("   ", roi, {k: round(v,2) for k,v in receptive_field_agreement(est, true, m).items()})
