"""Inference speed: ``predict`` + 1000-way semantic classification of 50 test samples.

The demo's configuration (64 px reconstructions; a ClassGallery of EfficientNet-Lite2
``block14`` features at 64 px with 1000 classes), with the full demo's 4500 voxels and the
quick demo's 400. Steps timed together, as a user runs them after training:
``decoder.predict(X_test)`` -> ``gallery.similarity(reconstructions)`` -> ``class_ranks``.
Medians of ``--repeats`` runs after one warm-up; the decoder's predict batch comes from
:func:`neurodecode.backend.inference_batch_size` (reported). Random decoder weights (timing
only); the gallery's centroids come from one random image per class (timing only).

Run::

    python benchmarks/bench_inference.py
"""
import argparse
import json
import statistics
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--voxels", type=int, nargs="+", default=[400, 4500])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from neurodecode import SelfSupervisedDecoder
    from neurodecode.backend import inference_batch_size
    from neurodecode.metrics import ClassGallery, class_ranks

    rng = np.random.default_rng(0)
    gallery = ClassGallery(net="efficientnet_lite2", tap="block14", image_size=64,
                           max_per_class=1, device="cpu")
    labels = np.array([f"n{i:08d}" for i in range(1000)])
    for chunk in np.array_split(np.arange(1000), 10):
        gallery.partial_fit(rng.random((len(chunk), 64, 64, 3), dtype=np.float32),
                            labels[chunk])
    true = gallery.class_index(labels[:50])
    results = []
    for n_voxels in args.voxels:
        X = rng.standard_normal((8, n_voxels)).astype(np.float32)
        images = rng.random((8, 64, 64, 3), dtype=np.float32)
        decoder = SelfSupervisedDecoder(weights=None, n_epochs=0, batch_sizes=(4, 4, 4),
                                        loss_weights=(1, 0, 0), device="cpu",
                                        random_state=0).fit(X, images)
        X_test = rng.standard_normal((50, n_voxels)).astype(np.float32)
        batch = inference_batch_size(decoder.decoder_module_, torch.from_numpy(X_test[:1]),
                                     torch.device("cpu"))

        def run():
            recon = decoder.predict(X_test)
            return class_ranks(gallery.similarity(recon), true)

        run()
        times = {"total": [], "predict": []}
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            recon = decoder.predict(X_test)
            t1 = time.perf_counter()
            class_ranks(gallery.similarity(recon), true)
            t2 = time.perf_counter()
            times["predict"].append(t1 - t0)
            times["total"].append(t2 - t0)
        res = {"n_voxels": n_voxels, "n_samples": 50, "n_classes": 1000,
               "predict_batch_size": batch, "threads": torch.get_num_threads(),
               "predict_s": statistics.median(times["predict"]),
               "total_s": statistics.median(times["total"]), "repeats": args.repeats}
        results.append(res)
        print(f"{n_voxels} voxels, 50 samples, 1000 classes ({res['threads']} threads, "
              f"median of {args.repeats}): predict {res['predict_s']:.3f} s (batch "
              f"{batch}); predict + classification {res['total_s']:.3f} s (target < 1 s)",
              flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
