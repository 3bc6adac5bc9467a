"""Time of ``estimate_prf`` per 1000 voxels at the paper's size (4500 voxels, 112 px).

The encoder is the paper-size network (EfficientNet-Lite0 backbone, ImageNet weights, 4500
voxels, 112 px); its readout is untrained (the cost does not depend on the weights). Timed:
receptive fields of ``--voxels`` of the 4500 voxels (every pass still runs the whole
network), the median of ``--repeats`` runs after one warm-up, on the CPU and on CUDA when
present; with ``--batch-sizes`` several ``batch_size`` values. Results go to
``<out>/prf.json`` and ``<out>/prf.md``.

    python benchmarks/bench_prf.py --voxels 200 --repeats 5
"""
import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch


def build(n_voxels, image_size, device):
    from neurodecode import ImageEncoder
    from neurodecode._weights import resolve_weights

    enc = ImageEncoder(backbone="efficientnet_lite0", image_size=image_size)
    state = resolve_weights("efficientnet_lite0", "imagenet", "weights")
    net = enc._build_module(enc._net_config(n_voxels, image_size), state)
    return net.to(device).eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-voxels", type=int, default=4500)
    parser.add_argument("--image-size", type=int, default=112)
    parser.add_argument("--voxels", type=int, default=200, help="voxels timed per run")
    parser.add_argument("--n-images", type=int, default=8)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    from neurodecode.analysis import estimate_prf

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        net = build(args.n_voxels, args.image_size, device)
        voxels = torch.linspace(0, args.n_voxels - 1, args.voxels).long().numpy()
        for bs in args.batch_sizes:
            def run():
                if device == "cuda":
                    torch.cuda.synchronize()
                t = time.perf_counter()
                estimate_prf(net, voxels=voxels, n_images=args.n_images, batch_size=bs)
                if device == "cuda":
                    torch.cuda.synchronize()
                return time.perf_counter() - t

            run()  # warm-up
            times = [run() for _ in range(args.repeats)]
            med = statistics.median(times)
            rows.append({"device": device, "batch_size": bs, "voxels_timed": args.voxels,
                         "n_images": args.n_images, "median_s": med,
                         "s_per_1000_voxels": med * 1000 / args.voxels,
                         "all_s": times})
            print(json.dumps(rows[-1]), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"n_voxels": args.n_voxels, "image_size": args.image_size,
            "threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine(),
            "torch": torch.__version__}
    (out / "prf.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    lines = [f"# estimate_prf at {args.n_voxels} voxels, {args.image_size} px "
             f"(EfficientNet-Lite0 encoder, {args.n_images} noise images per voxel)", "",
             f"torch {torch.__version__}, {torch.get_num_threads()} threads", "",
             "| device | batch_size | voxels timed | median s | s per 1000 voxels |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['device']} | {r['batch_size']} | {r['voxels_timed']} | "
              f"{r['median_s']:.1f} | {r['s_per_1000_voxels']:.0f} |" for r in rows]
    (out / "prf.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
