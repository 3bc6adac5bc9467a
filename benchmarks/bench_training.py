"""Training speed and memory: phase I and phase II step times, peak RSS, phase II overhead.

For each configuration, in a fresh subprocess (so that peak RSS is that configuration's):

* phase I step: shifted batch -> frozen backbone -> heads -> fMRI loss + penalties -> Adam;
* phase II step: the real training step (three batches, one decoder pass, perceptual and
  encoder passes, backward, Adam);
* the unavoidable passes of one phase II step, alone, on the same tensors: the decoder
  forward+backward on the 48 fMRI vectors, the perceptual network forward+backward on the 32
  decoded images plus forward on their 32 targets, and the encoder backbone forward on the 16
  unpaired images plus forward+backward on the 16 decoded ones. ``overhead`` = phase II step
  time / their sum (target <= 1.25 on CPU).

Medians over ``--repeats`` timed steps after one warm-up step. Random weights (timing only).
On CUDA it also extrapolates the GOD-scale schedule (1200 pairs; 50 epochs of phase I at batch
64 and 150 epochs of phase II at 16/16/16).

Run::

    python benchmarks/bench_training.py                 # paper + demo configurations
    python benchmarks/bench_training.py --config demo   # one of them
    python benchmarks/bench_training.py --compare a05049a --rounds 2   # vs a git ref
    python benchmarks/bench_training.py --voxels 1000 4500 10000 20000 --sizes 64 112 128

``--compare REF`` exports the git ref into a temporary folder and times it and the current
tree in the same run, alternating (REF, current, REF, current, ...; ``--rounds`` pairs),
each in a fresh subprocess with ``PYTHONPATH`` set to its tree (the child prints which
``neurodecode`` it imported); the table gives the medians over rounds and current / REF
ratios. ``--voxels``/``--sizes`` time the grid of those configurations (paper batches) for
the scaling table.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CONFIGS = {
    # the paper: 112 px, 4500 voxels, batches 16/16/16, VGG19 encoder, VGG16 perceptual net
    "paper": dict(image_size=112, n_voxels=4500, phase1_batch=64, batches=(16, 16, 16)),
    # the CPU demo scale
    "demo": dict(image_size=32, n_voxels=500, phase1_batch=64, batches=(16, 16, 16)),
}
GOD_PAIRS, PHASE1_EPOCHS, PHASE2_EPOCHS = 1200, 50, 150


def _sync(device):
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_time(fn, repeats, device):
    fn()  # warm-up
    _sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def run_config(name, repeats, device_name, memory_reuse=True, steps_only=False):
    from neurodecode.backend import resolve_device

    device = resolve_device(device_name)
    result = _run_config(name, repeats, device, steps_only=steps_only,
                         memory_reuse=memory_reuse)
    result["memory_reuse"] = memory_reuse
    return result


def _memory_context(device, module_params, enabled):
    """Each phase runs in the allocator context its training function uses (neurodecode/
    backend/_memory.py), given the bytes of the parameters it trains where the tree's
    ``reuse_freed_memory`` takes them (older trees: one setting for every model)."""
    import contextlib

    from neurodecode.backend import reuse_freed_memory

    if not enabled:
        return contextlib.nullcontext()
    n_bytes = sum(p.numel() * p.element_size() for p in module_params)
    try:
        return reuse_freed_memory(device, n_bytes)
    except TypeError:
        return reuse_freed_memory(device)


def _config(name):
    """A named configuration, or ``"<voxels>vox_<size>px"`` with the paper's batches."""
    if name in CONFIGS:
        return CONFIGS[name]
    try:
        vox, size = name.split("vox_")
        return dict(image_size=int(size.rstrip("px")), n_voxels=int(vox), phase1_batch=64,
                    batches=(16, 16, 16))
    except ValueError:
        raise SystemExit(f"unknown configuration {name!r}: use {sorted(CONFIGS)} or "
                         "'<voxels>vox_<size>px'") from None


def _run_config(name, repeats, device, steps_only=False, memory_reuse=True):
    import contextlib

    import torch

    from neurodecode.backend import autocast
    from neurodecode.models import (
        BACKBONES,
        DecoderNet,
        EncoderNet,
        ImageLoss,
        build_feature_extractor,
    )
    from neurodecode.training import Phase1Config, Phase2Config
    from neurodecode.training._optim import adam
    from neurodecode.training._phase1 import extract_shifted, phase1_update
    from neurodecode.training._phase2 import Phase2Step

    cfg = _config(name)
    torch.manual_seed(0)
    s, V = cfg["image_size"], cfg["n_voxels"]
    b_p, b_u, b_f = cfg["batches"]
    gen = torch.Generator().manual_seed(0)

    encoder = EncoderNet(build_feature_extractor("vgg19", BACKBONES["vgg19"].encoder_taps),
                         V, s, dropout=0.5).to(device)
    decoder = DecoderNet(V, s).to(device)
    image_loss = ImageLoss(build_feature_extractor("vgg16", BACKBONES["vgg16"].perceptual_taps)
                           ).to(device)

    # ---- phase I -------------------------------------------------------------------------
    p1 = Phase1Config(regularization={})
    opt1 = adam(encoder.trainable_parameters(), 1e-3)  # the optimiser training uses
    imgs1 = torch.rand(cfg["phase1_batch"], 3, s, s, device=device)
    fmri1 = torch.randn(cfg["phase1_batch"], V, device=device)
    encoder.train()

    def phase1_step():
        pooled = extract_shifted(encoder, imgs1, p1.max_shift, gen, device)
        phase1_update(encoder, opt1, pooled, fmri1, p1, device)

    from torch.utils.flop_counter import FlopCounterMode

    with _memory_context(device, encoder.trainable_parameters(), memory_reuse):
        t_p1, _ = _median_time(phase1_step, repeats, device)
        peak_rss_phase1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        with FlopCounterMode(display=False) as count1:
            phase1_step()
    del opt1, imgs1, fmri1

    # ---- phase II ------------------------------------------------------------------------
    encoder.eval().requires_grad_(False)
    p2 = Phase2Config(batch_sizes=cfg["batches"])
    step = Phase2Step(decoder, encoder, image_loss, p2, None, device, gen)
    opt2 = adam(decoder.parameters(), 1e-3)
    r_p = torch.randn(b_p, V, device=device)
    s_p = torch.rand(b_p, 3, s, s, device=device)
    u_img = torch.rand(b_u, 3, s, s, device=device)
    u_fmri = torch.randn(b_f, V, device=device)
    phase2_memory = contextlib.ExitStack()  # left before the results are gathered
    phase2_memory.enter_context(_memory_context(device, decoder.parameters(), memory_reuse))
    step.measure_scales((r_p, s_p), u_img, u_fmri)
    t_p2, all_p2 = _median_time(lambda: step.update(opt2, (r_p, s_p), u_img, u_fmri),
                                repeats, device)

    # ---- unavoidable passes of that step, alone, on the same tensors ------------------------
    voxels = torch.cat([r_p, torch.randn(b_u, V, device=device), u_fmri])
    backbone = encoder.backbone

    def decoder_pass():
        decoder.zero_grad(set_to_none=True)
        with autocast(device):
            out = decoder(voxels)
        out.float().mean().backward()

    recon = torch.rand(b_p + b_u, 3, s, s, device=device)
    targets = torch.cat([s_p, u_img])

    def perceptual_pass():
        x = recon.clone().requires_grad_(True)
        with autocast(device):
            with torch.no_grad():
                image_loss.features(targets)
            feats = image_loss.features(x)
        sum(f.float().mean() for f in feats).backward()

    de_images = torch.rand(b_f, 3, s, s, device=device)

    def backbone_pass():
        x = de_images.clone().requires_grad_(True)
        with autocast(device):
            with torch.no_grad():
                backbone(u_img)
            feats = backbone(x)
        sum(f.float().mean() for f in feats).backward()

    # peak memory of training (before the FLOP counter's instrumented step below)
    peak_rss_steps = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    # FLOPs of one step of each phase (torch's FLOP counter: matmuls and convolutions) and
    # this device's fp32 GEMM rate, for the fraction of peak each step reaches
    with FlopCounterMode(display=False) as count2:
        step.update(opt2, (r_p, s_p), u_img, u_fmri)
    a = torch.randn(2048, 2048, device=device)
    b = torch.randn(2048, 2048, device=device)
    t_mm, _ = _median_time(lambda: a @ b, repeats, device)
    gemm_flops = 2 * 2048**3 / t_mm

    if steps_only:  # the scaling table: step times and memory only
        t_dec = t_perc = t_bb = float("nan")
    else:
        t_dec, _ = _median_time(decoder_pass, repeats, device)
        t_perc, _ = _median_time(perceptual_pass, repeats, device)
        t_bb, _ = _median_time(backbone_pass, repeats, device)
    unavoidable = t_dec + t_perc + t_bb
    phase2_memory.close()

    result = {
        "config": name, **{k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "repeats": repeats,
        "phase1_step_s": t_p1,
        "phase2_step_s": t_p2,
        "phase2_step_all_s": all_p2,
        "unavoidable": {"decoder_fwd_bwd_s": t_dec, "perceptual_fwd_bwd_s": t_perc,
                        "encoder_backbone_fwd_bwd_s": t_bb, "sum_s": unavoidable},
        "phase2_overhead": t_p2 / unavoidable,
        "phase1_gflop": count1.get_total_flops() / 1e9,
        "phase2_gflop": count2.get_total_flops() / 1e9,
        "gemm_gflops": gemm_flops / 1e9,
        "phase1_gemm_fraction": count1.get_total_flops() / t_p1 / gemm_flops,
        "phase2_gemm_fraction": count2.get_total_flops() / t_p2 / gemm_flops,
        "peak_rss_phase1_gb": peak_rss_phase1,
        "peak_rss_steps_gb": peak_rss_steps,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "neurodecode_file": __import__("neurodecode").__file__,
    }
    if device.type == "cuda":
        result["peak_gpu_gb"] = torch.cuda.max_memory_allocated(device) / 1024**3
        steps1 = PHASE1_EPOCHS * -(-GOD_PAIRS // cfg["phase1_batch"])
        steps2 = PHASE2_EPOCHS * -(-GOD_PAIRS // b_p)
        result["god_schedule_minutes"] = (steps1 * t_p1 + steps2 * t_p2) / 60
    return result


def _child(name, args, tree=None):
    """Run one configuration in a fresh process (``tree``: the source folder to import)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--config", name,
           "--repeats", str(args.repeats), "--device", args.device]
    if args.no_memory_reuse:
        cmd.append("--no-memory-reuse")
    if args.steps_only:
        cmd.append("--steps-only")
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"the benchmark of {name} failed with {tree or 'the installed tree'}:"
                         f"\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    if tree is not None and not res["neurodecode_file"].startswith(str(tree)):
        raise SystemExit(f"the child imported {res['neurodecode_file']}, not the tree {tree}")
    return res


def _print(res, label=""):
    u = res["unavoidable"]
    print(f"[{res['config']}{label}{'' if res['memory_reuse'] else ', no memory reuse'}] "
          f"{res['image_size']} px, {res['n_voxels']} voxels on {res['device']} "
          f"({res['torch_threads']} threads), median of {res['repeats']}:\n"
          f"  phase I step (batch {res['phase1_batch']}): {res['phase1_step_s']:.3f} s\n"
          f"  phase II step (16/16/16):    {res['phase2_step_s']:.3f} s\n"
          f"  unavoidable passes: decoder {u['decoder_fwd_bwd_s']:.3f} s + perceptual "
          f"{u['perceptual_fwd_bwd_s']:.3f} s + encoder backbone "
          f"{u['encoder_backbone_fwd_bwd_s']:.3f} s = {u['sum_s']:.3f} s\n"
          f"  phase II overhead: {res['phase2_overhead']:.3f} (target <= 1.25)\n"
          f"  FLOPs per step: phase I {res['phase1_gflop']:.0f} GFLOP, phase II "
          f"{res['phase2_gflop']:.0f} GFLOP; fp32 GEMM rate {res['gemm_gflops']:.0f} "
          f"GFLOP/s; fraction of it reached: phase I {res['phase1_gemm_fraction']:.2f}, "
          f"phase II {res['phase2_gemm_fraction']:.2f}\n"
          f"  peak RSS: {res['peak_rss_gb']:.2f} GiB; of the training steps: "
          f"{res.get('peak_rss_steps_gb', float('nan')):.2f} GiB (phase I alone: "
          f"{res.get('peak_rss_phase1_gb', float('nan')):.2f} GiB)", flush=True)
    if "god_schedule_minutes" in res:
        print(f"  GOD-scale schedule (extrapolated): {res['god_schedule_minutes']:.1f} min; "
              f"peak GPU memory {res['peak_gpu_gb']:.2f} GB")


METRICS = [("phase1_step_s", "phase I step (s)"), ("phase2_step_s", "phase II step (s)"),
           ("phase2_overhead", "phase II overhead"), ("peak_rss_phase1_gb", "peak RSS, phase I (GiB)"),
           ("peak_rss_steps_gb", "peak RSS, training steps (GiB)"),
           ("peak_rss_gb", "peak RSS, whole run (GiB)"),
           ("phase1_gemm_fraction", "phase I: fraction of GEMM peak"),
           ("phase2_gemm_fraction", "phase II: fraction of GEMM peak")]


def _compare(configs, args):
    """Time git ref ``args.compare`` and the current tree, alternating; print ratios."""
    rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.compare],
                         capture_output=True, text=True)
    if rev.returncode:
        raise SystemExit(f"--compare {args.compare}: not a git ref of {REPO}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", args.compare],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for name in configs:
            runs = {"ref": [], "current": []}
            for _ in range(args.rounds):
                runs["ref"].append(_child(name, args, Path(tmp)))
                runs["current"].append(_child(name, args, REPO))
            results[name] = runs
    print(f"\ncurrent tree vs {args.compare} ({rev.stdout.strip()}), medians over "
          f"{args.rounds} round(s) of medians of {args.repeats} steps, same run:")
    print(f"| config | metric | {args.compare} | current | current / ref |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        for key, label in METRICS:
            if any(key not in r for r in runs["ref"] + runs["current"]):
                continue
            ref = statistics.median(r[key] for r in runs["ref"])
            cur = statistics.median(r[key] for r in runs["current"])
            print(f"| {name} | {label} | {ref:.3f} | {cur:.3f} | {cur / ref:.2f} |")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append",
                        help="paper, demo or '<voxels>vox_<size>px' (repeatable)")
    parser.add_argument("--voxels", type=int, nargs="+", help="grid of voxel counts")
    parser.add_argument("--sizes", type=int, nargs="+", help="grid of image sizes")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--compare", metavar="REF", default=None,
                        help="also time this git ref, alternating with the current tree")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --compare: REF/current pairs of runs per configuration")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--no-memory-reuse", action="store_true",
                        help="time with glibc's default allocation behaviour (the baseline)")
    parser.add_argument("--steps-only", action="store_true",
                        help="skip the unavoidable-pass timings (phase II overhead): step "
                             "times, FLOPs and memory only (the scaling table)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    configs = list(args.config or [])
    if args.voxels or args.sizes:
        configs += [f"{v}vox_{s}px" for s in (args.sizes or [112])
                    for v in (args.voxels or [4500])]
    configs = configs or ["demo", "paper"]
    for name in configs:
        _config(name)
    if args.child:
        print(json.dumps(run_config(configs[0], args.repeats, args.device,
                                    memory_reuse=not args.no_memory_reuse,
                                    steps_only=args.steps_only)))
        return 0
    if args.compare:
        results = _compare(configs, args)
    else:
        results = []
        for name in configs:
            res = _child(name, args)
            results.append(res)
            _print(res)
        if len(results) > 1:
            print("\n| config | phase I step (s) | phase II step (s) | peak RSS (GB) |")
            print("|---|---|---|---|")
            for r in results:
                print(f"| {r['config']} | {r['phase1_step_s']:.3f} | {r['phase2_step_s']:.3f} "
                      f"| {r['peak_rss_gb']:.2f} |")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
