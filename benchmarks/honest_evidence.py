"""The headline comparison of issue 8, done as a referee would ask: tuned arms, decoupled
scoring, several seeds, a seed-aware test; and the unpaired-fMRI protocol ladder.

Protocol
--------
* Subject: the GOD-matched simulated subject (``make_synthetic_subject`` defaults: 4500
  voxels, split-half noise ceiling median ~0.65, single-trial training data), one subject per
  seed (the seed draws the subject, its images and the training).
* Training networks: EfficientNet-Lite0 (encoder backbone and perceptual loss).
* Tuning (same budget for every arm): on the *training pairs* of the first seed only, 20 % of
  the training classes are held out; the encoder is fitted on the rest; every arm
  (supervised, self-supervised, L_ED only, L_DE only) is fitted for each point of the grid
  ``penalty_weight x n_epochs`` (one predefined split, the fold's encoder frozen) and
  scored by 2-way identification of the held-out pairs with **EfficientNet-Lite1** features
  (neither the training nor the final scoring network). Arms that use unpaired fMRI get the
  held-out pairs' fMRI (never their images), as the test protocol does. The chosen
  hyper-parameters are used for every seed; no test image is ever seen during tuning.
* Scoring: **EfficientNet-Lite2** (identification 2/5/10/50-way among the other test
  images, gallery class rank of 1000 classes, 50-way top-1), plus network-free PixCorr,
  SSIM and edge correlation; the coupled Lite0 identification is kept as secondary.
* Statistics: per seed and pooled; ``neurodecode.metrics.seed_test`` (one-sample t on the
  per-seed mean differences, seed as random effect; the matching t interval).
* Ladder (``--study ladder``; ``--chosen`` sets its penalty and epochs, default the tuned
  0.1 and 10 of the first run): the self-supervised decoder with unpaired fMRI from
  none / other novel images (leakage-free: the subject's responses to 50 images of classes
  never used elsewhere, averaged over the same number of repeats) / the authors' random
  sub-averages of a third of the test repeats / the exact test vectors, crossed with
  unpaired image pools of 0 / 100 / 1000 / 4000 images.

Run (GPU recommended; ``--jobs`` runs fits in parallel processes)::

    python benchmarks/honest_evidence.py --study headline --seeds 0 1 2 3 4 --device cuda \
        --jobs 12 --out evidence
    python benchmarks/honest_evidence.py --study ladder --seeds 0 --device cuda --jobs 16 \
        --out evidence
    python benchmarks/honest_evidence.py --size tiny --seeds 0 1 --jobs 1 --out /tmp/ev  # CPU check

Writes ``<out>/<study>.json`` (every per-image score) and ``<out>/<study>.md`` (tables).
"""
import argparse
import itertools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np

ARMS = {"supervised": (1.0, 0.0, 0.0), "self-supervised": (1.0, 1.0, 1.0),
        "L_ED only": (1.0, 1.0, 0.0), "L_DE only": (1.0, 0.0, 1.0)}


@dataclass
class Size:
    n_train_classes: int = 150
    n_train_per_class: int = 8
    n_unpaired_classes: int = 800
    n_unpaired_per_class: int = 5
    n_gallery_classes: int = 1000
    n_gallery_per_class: int = 20
    n_voxels: dict = field(default_factory=dict)
    encoder_epochs: int = 20
    epochs_grid: tuple = (10, 20)
    # the first run (0.1, 0.3, 1) chose 0.1 for every arm, the grid's edge: extended below
    penalty_grid: tuple = (0.01, 0.03, 0.1, 0.3, 1.0)
    feature_size: int = 64


SIZES = {
    "full": Size(),
    "tiny": Size(n_train_classes=30, n_train_per_class=4, n_unpaired_classes=40,
                 n_unpaired_per_class=3, n_gallery_classes=100, n_gallery_per_class=3,
                 n_voxels={"V1": 60, "V2": 50, "V3": 40, "hV4": 30, "LOC": 30, "FFA": 20,
                           "PPA": 20},
                 encoder_epochs=2, epochs_grid=(1, 2), penalty_grid=(0.3, 1.0),
                 feature_size=64),
}


def subject_for(size, seed):
    from neurodecode.datasets import make_synthetic_subject

    return make_synthetic_subject(
        n_train_classes=size.n_train_classes, n_train_per_class=size.n_train_per_class,
        n_unpaired_classes=size.n_unpaired_classes,
        n_unpaired_per_class=size.n_unpaired_per_class,
        n_gallery_classes=size.n_gallery_classes, n_voxels=size.n_voxels or None,
        random_state=seed)


CACHED = ("images_train", "X_train", "labels_train", "images_test", "X_test", "labels_test",
          "X_test_repeats", "images_unpaired", "X_other")


def cache_subject(s, size, seed, workdir):
    """Save the arrays the jobs need (generating a 4500-voxel subject takes ~20 s)."""
    s.X_other = other_novel_fmri(s, seed)
    np.savez(Path(workdir) / f"subject_{seed}.npz", **{k: s[k] for k in CACHED},
             random_state=s.meta["random_state"], image_size=s.meta["image_size"])


def load_subject(workdir, seed):
    from sklearn.utils import Bunch

    with np.load(Path(workdir) / f"subject_{seed}.npz") as f:
        s = Bunch(**{k: f[k] for k in CACHED})
        s.meta = {"random_state": int(f["random_state"]), "image_size": int(f["image_size"])}
    return s


def fit_encoder(images, X, size, device, seed):
    from neurodecode import ImageEncoder

    e = size.encoder_epochs
    return ImageEncoder(backbone="efficientnet_lite0", image_size=size.feature_size,
                        n_epochs=e, batch_size=64,
                        lr_milestones=tuple(sorted({max(1, int(0.6 * e)), max(1, int(0.8 * e))})),
                        device=device, random_state=seed).fit(images, X)


def make_decoder(encoder, weights, penalty, epochs, device, seed):
    from sklearn.frozen import FrozenEstimator

    from neurodecode import SelfSupervisedDecoder

    return SelfSupervisedDecoder(
        encoder=FrozenEstimator(encoder), perceptual_net="efficientnet_lite0",
        loss_weights=weights, n_epochs=epochs, lr_step=max(1, 2 * epochs // 3),
        penalty_weight=penalty, device=device, random_state=seed)


def unpaired_kwargs(weights, images_unpaired, fmri_unpaired):
    from neurodecode import Unpaired

    kw = {}
    if weights[1] and len(images_unpaired):
        kw["unpaired_images"] = Unpaired(images_unpaired)
    if weights[2] and fmri_unpaired is not None and len(fmri_unpaired):
        kw["X_unpaired_fmri"] = Unpaired(fmri_unpaired)
    return kw


def logged(fn):
    """Append each job's result to $EVIDENCE_LOG (JSON lines): a run stopped at a time limit
    keeps every job it finished."""
    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        path = os.environ.get("EVIDENCE_LOG")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps({"job": fn.__name__, **result}) + "\n")
        return result

    wrapper.__name__ = fn.__name__
    return wrapper


# -- tuning --------------------------------------------------------------------------------
@logged
def tune_job(arm, penalty, epochs, size_name, seed, device, workdir):
    """Fit one arm at one grid point on the tuning fold; its Lite1 2-way score."""
    from neurodecode.metrics import PerceptualDistance, identification_accuracy

    size = SIZES[size_name]
    s = load_subject(workdir, seed)
    train, val = tuning_split(s, seed)
    encoder = joblib.load(Path(workdir) / f"encoder_fold_{seed}.joblib")
    weights = ARMS[arm]
    dec = make_decoder(encoder, weights, penalty, epochs, device, seed)
    dec.fit(s.X_train[train], s.images_train[train],
            **unpaired_kwargs(weights, s.images_unpaired, s.X_train[val]))
    rec = dec.predict(s.X_train[val])
    dist = PerceptualDistance(net="efficientnet_lite1", image_size=size.feature_size,
                              device=device)
    score = identification_accuracy(s.images_train[val], rec, n=2, distance=dist)
    return {"arm": arm, "penalty_weight": penalty, "n_epochs": epochs, "score": float(score)}


def tuning_split(s, seed):
    classes = np.unique(s.labels_train)
    rng = np.random.default_rng([seed, 2718])
    held = rng.choice(classes, size=max(2, len(classes) // 5), replace=False)
    val = np.isin(s.labels_train, held)
    return np.flatnonzero(~val), np.flatnonzero(val)


# -- final fits and scoring ---------------------------------------------------------------
def evaluate(rec, s, gallery, device, size):
    from neurodecode.metrics import PerceptualDistance, edge_correlation, evaluate_reconstructions

    lite2 = PerceptualDistance(net="efficientnet_lite2", image_size=size.feature_size,
                               device=device)
    lite0 = PerceptualDistance(net="efficientnet_lite0", image_size=size.feature_size,
                               device=device)
    n_test = len(s.images_test)
    ns = tuple(n for n in (2, 5, 10, 50) if n <= n_test)
    ev = evaluate_reconstructions(
        rec, s.images_test, gallery=gallery, labels=s.labels_test, identification_n=ns,
        distance={"lite2": lite2, "lite0_coupled": lite0},
        classification_n=tuple(n for n in (50, 1000) if n <= len(gallery.classes_)) or (2,),
        top=(1,), n_trials=None, random_state=0)
    out = {f"{n}-way": ev.identification["lite2"][n].per_image.tolist() for n in ns}
    out.update({f"{n}-way coupled": ev.identification["lite0_coupled"][n].per_image.tolist()
                for n in ns})
    out["class_rank"] = ev.class_ranks.tolist()
    for (n, t), b in ev.classification.items():
        out[f"{n}-way top-{t}"] = b.per_image.tolist()
    out["pixcorr"] = ev.pixcorr.tolist()
    out["ssim"] = ev.ssim.tolist()
    out["edge_r"] = edge_correlation(rec, s.images_test).tolist()
    return out


def build_gallery(s, size, device):
    from neurodecode.metrics import ClassGallery, ColorHistogramGallery

    gallery = ClassGallery(net="efficientnet_lite2", tap="block14", image_size=size.feature_size,
                           max_per_class=size.n_gallery_per_class, device=device)
    colors = ColorHistogramGallery(max_per_class=size.n_gallery_per_class)
    for chunk in np.array_split(s.gallery_classes, max(1, len(s.gallery_classes) // 50)):
        images, labels = s.gallery_images(chunk, n_per_class=size.n_gallery_per_class)
        gallery.partial_fit(images, labels)
        colors.partial_fit(images, labels)
    return gallery, colors


@logged
def final_job(arm, penalty, epochs, size_name, seed, device, workdir, fmri_source="test",
              pool=None):
    """Fit one arm on all training pairs of a seed and score it on the test set."""
    from neurodecode.metrics import ClassGallery

    size = SIZES[size_name]
    s = load_subject(workdir, seed)
    encoder = joblib.load(Path(workdir) / f"encoder_{seed}.joblib")
    gallery = ClassGallery.load(Path(workdir) / f"gallery_{seed}.npz", device=device)
    weights = ARMS[arm]
    images_unpaired = s.images_unpaired if pool is None else s.images_unpaired[:pool]
    fmri = unpaired_fmri(s, fmri_source, seed)
    if fmri is None:
        weights = (weights[0], weights[1], 0.0)
    if not len(images_unpaired):
        weights = (weights[0], 0.0, weights[2])
    t = time.perf_counter()
    dec = make_decoder(encoder, weights, penalty, epochs, device, seed)
    dec.fit(s.X_train, s.images_train, **unpaired_kwargs(weights, images_unpaired, fmri))
    scores = evaluate(dec.predict(s.X_test), s, gallery, device, size)
    return {"arm": arm, "seed": seed, "fmri_source": fmri_source, "pool": pool,
            "loss_weights": list(weights), "penalty_weight": penalty, "n_epochs": epochs,
            "fit_seconds": time.perf_counter() - t, "scores": scores}


def other_novel_fmri(s, seed):
    """The subject's mean responses to images of novel classes never used elsewhere."""
    from neurodecode.datasets import make_class_images

    first = 100_000 + 1000  # class ids no other set of the subject uses
    images, _ = make_class_images(n_per_class=1, image_size=s.meta["image_size"],
                                  random_state=s.meta["random_state"],
                                  classes=first + np.arange(len(s.images_test)))
    n_rep = s.X_test_repeats.shape[0]
    return s.simulate_fmri(images, n_repeats=n_rep, random_state=[seed, 99]).mean(0)


def unpaired_fmri(s, source, seed):
    """The unpaired fMRI of the ladder (None: no unpaired fMRI)."""
    n_rep = s.X_test_repeats.shape[0]
    if source == "none":
        return None
    if source == "test":
        return s.X_test
    if source == "subaverage":  # the authors': random means of a third of the test repeats
        rng = np.random.default_rng([seed, 31337])
        k = max(1, n_rep // 3)
        return np.concatenate([s.X_test_repeats[rng.choice(n_rep, k, replace=False)].mean(0)
                               for _ in range(20)])
    if source == "other":  # other novel images' fMRI: never seen, never scored
        return s.X_other
    raise ValueError(f"unknown fMRI source {source!r}")


@logged
def prepare_seed(size_name, seed, device, workdir, fold):
    """Encoder(s) and gallery of one seed, saved for the jobs; subject statistics, bounds."""
    from neurodecode.demo._evidence import class_bounds, subject_statistics

    size = SIZES[size_name]
    s = subject_for(size, seed)
    cache_subject(s, size, seed, workdir)
    out = {"seed": seed}
    if fold:
        train, _ = tuning_split(s, seed)
        joblib.dump(fit_encoder(s.images_train[train], s.X_train[train], size, device, seed),
                    Path(workdir) / f"encoder_fold_{seed}.joblib")
    encoder = fit_encoder(s.images_train, s.X_train, size, device, seed)
    joblib.dump(encoder, Path(workdir) / f"encoder_{seed}.joblib")  # our own files: trusted
    out["encoder_voxel_r_median"] = float(np.median(
        encoder.voxel_scores(s.images_test, s.X_test)))
    gallery, colors = build_gallery(s, size, device)
    gallery.save(Path(workdir) / f"gallery_{seed}.npz")
    out["subject"] = subject_statistics(s, random_state=seed)
    b = class_bounds(s, gallery, colors)
    out["bounds"] = b
    return out


# -- aggregation ----------------------------------------------------------------------------
METRICS = ("2-way", "5-way", "10-way", "50-way", "class_rank", "50-way top-1", "pixcorr",
           "ssim", "edge_r", "2-way coupled")


def summarise(finals, seeds):
    from neurodecode.metrics import seed_test

    table = {}
    for arm in ARMS:
        rows = {r["seed"]: r["scores"] for r in finals if r["arm"] == arm}
        if len(rows) < len(seeds):
            continue
        entry = {}
        for m in METRICS:
            if m not in rows[seeds[0]]:
                continue
            per_seed = [np.asarray(rows[sd][m]) for sd in seeds]
            stat = np.median if m == "class_rank" else np.mean
            entry[m] = {"per_seed": [float(stat(v)) for v in per_seed],
                        "pooled": float(stat(np.concatenate(per_seed)))}
            if arm != "supervised" and len(seeds) >= 2:
                base = {r["seed"]: r["scores"] for r in finals if r["arm"] == "supervised"}
                entry[m]["vs_supervised"] = seed_test(
                    per_seed, [np.asarray(base[sd][m]) for sd in seeds])
        table[arm] = entry
    return table


def markdown(result):
    lines = [f"# {result['study']} ({result['size']}, seeds {result['seeds']}, "
             f"{result['device']}, {result['seconds']:.0f} s)", ""]
    if "tuning" in result:
        lines += ["## Tuning (seed %d training pairs, Lite1 2-way on held-out classes)"
                  % result["seeds"][0], "", "| arm | penalty_weight | n_epochs | score |",
                  "|---|---|---|---|"]
        arms = list(ARMS)
        lines += [f"| {t['arm']} | {t['penalty_weight']} | {t['n_epochs']} | {t['score']:.3f} |"
                  for t in sorted(result["tuning"], key=lambda t: (
                      arms.index(t["arm"]), t["penalty_weight"], t["n_epochs"]))]
        lines += ["", "Chosen: " + ", ".join(f"{a}: {c}" for a, c in result["chosen"].items()),
                  ""]
    for p in sorted(result.get("prepared", []), key=lambda p: p["seed"]):
        st, b = p["subject"], p["bounds"]
        lines.append(
            f"- seed {p['seed']}: noise ceiling median {st['noise_ceiling_split_half']['median']:.2f}"
            f" (SD {st['noise_ceiling_split_half']['sd']:.2f}), HVC r within/between "
            f"{st['hvc_clean_correlation']['within_class']:.2f}/"
            f"{st['hvc_clean_correlation']['between_class']:.2f}; ranks of {b['n_classes']}: "
            f"oracle {b['linear_fmri_oracle']['median']:.1f}, colour "
            f"{b['color_histogram_ground_truth']['median']:.1f}, ground truth "
            f"{b['ground_truth_images']['median']:.1f}; encoder voxel r median "
            f"{p['encoder_voxel_r_median']:.3f}")
    if "table" in result:
        lines += ["", "| arm | " + " | ".join(METRICS) + " |",
                  "|---" * (len(METRICS) + 1) + "|"]
        for arm, entry in result["table"].items():
            cells = []
            for m in METRICS:
                if m not in entry:
                    cells.append("")
                    continue
                e = entry[m]
                v = e["pooled"]
                txt = f"{v:.1f}" if m == "class_rank" else f"{v:.3f}"
                if "vs_supervised" in e:
                    t = e["vs_supervised"]
                    lo, hi = t["ci95"]
                    txt += (f" (d {t['mean_difference']:+.3f} [{lo:+.3f}, {hi:+.3f}], "
                            f"p {t['pvalue']:.2g})")
                cells.append(txt)
            lines.append(f"| {arm} | " + " | ".join(cells) + " |")
        lines += ["", "class_rank: median of pooled per-image ranks; d: mean of per-seed mean "
                  "differences vs supervised [95% t interval over seeds]; p: seed_test (t on "
                  "per-seed means, df = seeds-1)."]
    if "ladder" in result:
        lines += ["", "| unpaired fMRI | pool | 2-way | 5-way | median class rank |",
                  "|---|---|---|---|---|"]
        order = {"none": 0, "other": 1, "subaverage": 2, "test": 3}
        for r in sorted(result["ladder"], key=lambda r: (order[r["fmri_source"]], r["pool"])):
            sc = r["scores"]
            lines.append(f"| {r['fmri_source']} | {r['pool']} | {np.mean(sc['2-way']):.3f} | "
                         f"{np.mean(sc['5-way']):.3f} | {np.median(sc['class_rank']):.1f} |")
    return "\n".join(lines) + "\n"


def from_logs(args):
    """Tables from the JSON-lines job logs of one or several (possibly interrupted) runs."""
    rows = [json.loads(line) for path in args.from_jsonl for line in open(path)]
    result = {"study": args.study, "size": args.size, "seeds": args.seeds,
              "device": args.device, "seconds": float("nan"),
              "prepared": [r for r in rows if r["job"] == "prepare_seed"]}
    finals = [r for r in rows if r["job"] == "final_job"]
    if args.study == "headline":
        tuning = [r for r in rows if r["job"] == "tune_job"]
        if tuning:
            result["tuning"] = tuning
            result["chosen"] = {a: [max((t for t in tuning if t["arm"] == a),
                                        key=lambda t: t["score"])[k]
                                    for k in ("penalty_weight", "n_epochs")]
                                for a in ARMS if any(t["arm"] == a for t in tuning)}
        result["finals"] = finals
        result["table"] = summarise(finals, args.seeds)
    else:
        result["ladder"] = finals
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    md = markdown(result)
    (out / f"{args.study}.md").write_text(md)
    print(md)
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--study", choices=("headline", "ladder"), default="headline")
    p.add_argument("--size", choices=tuple(SIZES), default="full")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--device", default="auto")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default="evidence")
    p.add_argument("--chosen", default=None,
                   help="JSON {arm: [penalty_weight, n_epochs]} to skip tuning")
    p.add_argument("--from-jsonl", nargs="+", default=None, metavar="LOG",
                   help="only rebuild the tables from job logs ($EVIDENCE_LOG files)")
    args = p.parse_args(argv)
    if args.from_jsonl:
        return from_logs(args)
    from joblib import Parallel, delayed

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    work.mkdir(exist_ok=True)
    size = SIZES[args.size]
    t0 = time.perf_counter()
    par = Parallel(n_jobs=args.jobs, verbose=5)
    result = {"study": args.study, "size": args.size, "seeds": args.seeds,
              "device": args.device, "size_settings": size.__dict__}
    tune = args.study == "headline" and args.chosen is None
    result["prepared"] = par(delayed(prepare_seed)(args.size, sd, args.device, str(work),
                                                   tune and sd == args.seeds[0])
                             for sd in args.seeds)
    print(f"prepared in {time.perf_counter() - t0:.0f} s", flush=True)
    if args.study == "headline":
        if tune:
            grid = list(itertools.product(ARMS, size.penalty_grid, size.epochs_grid))
            result["tuning"] = par(delayed(tune_job)(a, pw, ep, args.size, args.seeds[0],
                                                     args.device, str(work))
                                   for a, pw, ep in grid)
            chosen = {}
            for arm in ARMS:
                best = max((t for t in result["tuning"] if t["arm"] == arm),
                           key=lambda t: t["score"])
                chosen[arm] = [best["penalty_weight"], best["n_epochs"]]
            print(f"tuned in {time.perf_counter() - t0:.0f} s: {chosen}", flush=True)
        else:
            chosen = json.loads(args.chosen) if args.chosen else {}
        result["chosen"] = chosen
        jobs = [(arm, *chosen[arm], sd) for sd in args.seeds for arm in ARMS]
        result["finals"] = par(delayed(final_job)(a, pw, ep, args.size, sd, args.device,
                                                  str(work)) for a, pw, ep, sd in jobs)
        result["table"] = summarise(result["finals"], args.seeds)
    else:
        # default: the value every arm chose in the first tuned run (benchmarks/results)
        chosen = json.loads(args.chosen) if args.chosen else {"self-supervised": [0.1, 10]}
        pw, ep = chosen["self-supervised"]
        pools = [0, 100, 1000, size.n_unpaired_classes * size.n_unpaired_per_class]
        jobs = [(src, pool, sd) for sd in args.seeds
                for src in ("none", "other", "subaverage", "test") for pool in pools]
        result["ladder"] = par(delayed(final_job)("self-supervised", pw, ep, args.size, sd,
                                                  args.device, str(work), src, pool)
                               for src, pool, sd in jobs)
    result["seconds"] = time.perf_counter() - t0
    with open(out / f"{args.study}.json", "w") as f:
        json.dump(result, f)
    md = markdown(result)
    (out / f"{args.study}.md").write_text(md)
    print(md)
    return result


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
