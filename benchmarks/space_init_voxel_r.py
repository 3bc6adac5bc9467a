"""``ImageEncoder(space_init=...)``: held-out voxel r in GOD units, uniform vs Glorot.

The quick demo's subject (400 voxels over V1-V3, hV4, LOC, FFA, PPA; 150 x 4 single-trial
pairs, z-scored per voxel in runs, SNR 0.02) and the quick demo's encoder (EfficientNet-Lite0,
64 px, 6 epochs, ``penalty_weight`` 0.1); per seed and init, the median over voxels of the
held-out r on the 35-repeat test means, overall and per ROI. (The V1-V3 pRF subject's numbers
are in ``prf_criterion.md``.) ~1 min per fit on 2 CPU cores.

Run::

    python benchmarks/space_init_voxel_r.py --seeds 0 1 2 --out benchmarks/results
"""
import argparse
import json
import platform
from pathlib import Path

import numpy as np


def main(argv=None):
    from neurodecode import ImageEncoder
    from neurodecode.datasets import make_synthetic_subject
    from neurodecode.demo._run import QUICK
    from neurodecode.metrics import wilcoxon

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)
    rows = []
    for seed in args.seeds:
        s = make_synthetic_subject(n_train_classes=QUICK.n_train_classes,
                                   n_train_per_class=QUICK.n_train_per_class,
                                   n_unpaired_classes=0, n_gallery_classes=50,
                                   n_voxels=QUICK.n_voxels, random_state=seed)
        r = {}
        for init in ("uniform", "glorot"):
            e = QUICK.encoder_epochs
            enc = ImageEncoder(backbone="efficientnet_lite0", image_size=64, n_epochs=e,
                               batch_size=64, penalty_weight=QUICK.encoder_penalty_weight,
                               lr_milestones=tuple(sorted({max(1, int(0.6 * e)),
                                                           max(1, int(0.8 * e))})),
                               space_init=init, device="cpu", random_state=seed)
            r[init] = enc.fit(s.images_train, s.X_train).voxel_scores(s.images_test, s.X_test)
            row = {"seed": seed, "space_init": init, "median": float(np.median(r[init])),
                   "per_roi": {roi: float(np.median(r[init][s.roi == roi]))
                               for roi in dict.fromkeys(s.roi)}}
            rows.append(row)
            print(json.dumps(row), flush=True)
        test = wilcoxon(r["uniform"], r["glorot"])
        rows.append({"seed": seed, "uniform_minus_glorot_voxels": test})
        print(seed, "uniform - glorot over voxels:", test, flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "space_init_voxel_r.json").write_text(json.dumps(
        {"rows": rows, "machine": platform.platform()}, indent=1, default=float))
    fits = [r for r in rows if "space_init" in r]
    rois = list(fits[0]["per_roi"])
    lines = ["# space_init: held-out voxel r (quick demo subject and encoder, GOD units)", "",
             "Command: `python benchmarks/space_init_voxel_r.py --seeds "
             + " ".join(map(str, args.seeds)) + "`.", "",
             "| seed | space_init | median r | " + " | ".join(rois) + " |",
             "|---|---|---|" + "---|" * len(rois)]
    for f in fits:
        lines.append(f"| {f['seed']} | {f['space_init']} | {f['median']:.3f} | "
                     + " | ".join(f"{f['per_roi'][k]:.3f}" for k in rois) + " |")
    (out / "space_init_voxel_r.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
