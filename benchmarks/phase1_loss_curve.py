"""Phase I loss curves, current tree vs a git ref, on the same data and seed.

Issue 12 replaced phase I's patch readout (unfold, (n, 9C, P) @ (P, V)) by the effective-
weight form (W_k = S * M under autograd): the same function, so a seeded fit must give the
same loss curve up to float rounding. This script fits ``ImageEncoder`` with each tree on
the simulated subject (the quick demo's encoder: EfficientNet-Lite0 at 64 px, 400 voxels,
1200 single-trial pairs at GOD's SNR) with the same seed, each in a fresh process, and
prints the per-epoch losses, their largest relative difference, the held-out voxel
correlations of both encoders and the wall time of each fit.

Run::

    python benchmarks/phase1_loss_curve.py --ref a05049a --epochs 6
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
QUICK_VOXELS = {"V1": 100, "V2": 80, "V3": 70, "hV4": 50, "LOC": 50, "FFA": 25, "PPA": 25}


def _child(data, epochs, seed, max_shift):
    import torch

    import neurodecode
    from neurodecode import ImageEncoder

    torch.set_num_threads(os.cpu_count())
    d = np.load(data)
    t0 = time.perf_counter()
    enc = ImageEncoder(backbone="efficientnet_lite0", image_size=64, n_epochs=epochs,
                       batch_size=64, lr_milestones=(max(1, int(0.6 * epochs)),),
                       max_shift=max_shift, device="cpu", random_state=seed)
    enc.fit(d["images_train"], d["X_train"])
    seconds = time.perf_counter() - t0
    pred = enc.predict(d["images_test"])
    X = d["X_test"]
    r = [np.corrcoef(pred[:, v], X[:, v])[0, 1] for v in range(X.shape[1])]
    print(json.dumps({"loss": enc.history_["loss"], "fmri_loss": enc.history_["fmri_loss"],
                      "fit_seconds": seconds, "voxel_r_median": float(np.nanmedian(r)),
                      "file": neurodecode.__file__}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", default="a05049a")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-shift", type=int, default=5)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], args.epochs, int(args.child[1]), args.max_shift)
        return 0
    from neurodecode.datasets import make_synthetic_subject

    with tempfile.TemporaryDirectory(prefix="p1-curve-") as tmp:
        tmp = Path(tmp)
        sub = make_synthetic_subject(n_voxels=QUICK_VOXELS, n_unpaired_classes=1,
                                     n_gallery_classes=200, image_size=64, random_state=0)
        data = tmp / "subject.npz"
        np.savez(data, images_train=sub.images_train, X_train=sub.X_train,
                 images_test=sub.images_test, X_test=sub.X_test)
        ref_tree = tmp / "ref"
        ref_tree.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.ref],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(ref_tree)], input=archive, check=True)
        for seed in args.seeds:
            runs = {}
            for label, tree in (("ref", ref_tree), ("current", REPO)):
                env = dict(os.environ, PYTHONPATH=str(tree))
                cmd = [sys.executable, os.path.abspath(__file__), "--epochs", str(args.epochs),
                       "--max-shift", str(args.max_shift), "--child", str(data), str(seed)]
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if proc.returncode:
                    raise SystemExit(proc.stderr[-3000:])
                runs[label] = json.loads(proc.stdout.strip().splitlines()[-1])
                assert runs[label]["file"].startswith(str(tree)), runs[label]["file"]
            ref, cur = np.array(runs["ref"]["loss"]), np.array(runs["current"]["loss"])
            fit_ref = np.array(runs["ref"]["fmri_loss"])
            fit_cur = np.array(runs["current"]["fmri_loss"])
            print(f"seed {seed}: {len(ref)} epochs, {sub.X_train.shape[1]} voxels, "
                  f"{len(sub.X_train)} pairs, max_shift={args.max_shift}")
            print(f"| epoch | loss, {args.ref} | loss, current | relative difference | fMRI "
                  f"loss, {args.ref} | fMRI loss, current |")
            print("|---|---|---|---|---|---|")
            for i, (a, b, fa, fb) in enumerate(zip(ref, cur, fit_ref, fit_cur), 1):
                print(f"| {i} | {a:.6f} | {b:.6f} | {abs(b - a) / abs(a):.1e} | {fa:.6f} | "
                      f"{fb:.6f} |")
            print(f"largest relative difference {np.max(np.abs(cur - ref) / np.abs(ref)):.1e}; "
                  f"held-out voxel r median: {args.ref} {runs['ref']['voxel_r_median']:.4f}, "
                  f"current {runs['current']['voxel_r_median']:.4f}; fit time "
                  f"{runs['ref']['fit_seconds']:.0f} s vs {runs['current']['fit_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
