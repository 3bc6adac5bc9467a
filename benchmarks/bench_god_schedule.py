"""Wall time of the full GOD schedule, measured end to end (issue 12, item 4).

Fits ``SelfSupervisedDecoder()`` with the paper's defaults (VGG19 encoder, VGG16 perceptual
net, 112 px, 50 epochs of phase I at batch 64, 150 epochs of phase II at 16/16/16, all
three loss terms) on a GOD-sized simulated subject: 1200 single-trial pairs, 4500 voxels,
50 test fMRI used as unpaired fMRI, 2000 unpaired images. Random network weights
(``weights=None``): the time does not depend on them, and the GPU machines hold no
ImageNet weights. Prints the wall time of each phase and in total, and writes them as JSON.

The target is <= 3 min on one H100 (the paper: 1.5 h on a V100). **Not yet measured**: no
GPU was lent to the sessions that wrote it. On a CPU, ``--scale 0.02`` runs the same code
path in a few minutes (a check of the script, not a timing).

Run::

    python benchmarks/bench_god_schedule.py --device cuda --out god_schedule.json
    python benchmarks/bench_god_schedule.py --device cpu --scale 0.02 --image-size 32
"""
import argparse
import json
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the epochs (both phases), for a quick CPU check")
    parser.add_argument("--image-size", type=int, default=112)
    parser.add_argument("--voxels", type=int, default=4500)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from neurodecode import ImageEncoder, SelfSupervisedDecoder, Unpaired

    rng = np.random.default_rng(0)
    s, V = args.image_size, args.voxels
    images = rng.random((1200, s, s, 3), dtype=np.float32)
    X = rng.standard_normal((1200, V)).astype(np.float32)
    X_test = rng.standard_normal((50, V)).astype(np.float32)
    unpaired = rng.random((2000, s, s, 3), dtype=np.float32)
    e1 = max(1, round(50 * args.scale))
    e2 = max(1, round(150 * args.scale))
    common = dict(weights=None, image_size=s, device=args.device, precision=args.precision,
                  random_state=0)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    encoder = ImageEncoder(n_epochs=e1, **common).fit(images, X)
    t1 = time.perf_counter()
    decoder = SelfSupervisedDecoder(encoder=encoder, n_epochs=e2, **common)
    decoder.fit(X, images, X_unpaired_fmri=Unpaired(X_test),
                unpaired_images=Unpaired(unpaired))
    recon = decoder.predict(X_test)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    t2 = time.perf_counter()
    result = {
        "device": str(decoder._device()),
        "device_name": (torch.cuda.get_device_name() if args.device.startswith("cuda")
                        else "cpu"),
        "precision": args.precision, "image_size": s, "n_voxels": V,
        "phase1_epochs": e1, "phase2_epochs": e2,
        "phase1_seconds": t1 - t0, "phase2_seconds": t2 - t1, "total_minutes": (t2 - t0) / 60,
        "phase1_seconds_per_epoch": (t1 - t0) / e1, "phase2_seconds_per_epoch": (t2 - t1) / e2,
        "finite_reconstructions": bool(np.isfinite(recon).all()),
    }
    if args.device.startswith("cuda"):
        result["peak_gpu_gb"] = torch.cuda.max_memory_allocated() / 1024**3
    print(f"GOD schedule ({e1} + {e2} epochs, {s} px, {V} voxels) on {result['device_name']}: "
          f"phase I {result['phase1_seconds']:.0f} s, phase II {result['phase2_seconds']:.0f} s,"
          f" total {result['total_minutes']:.2f} min (target <= 3 min on one H100)")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
