"""
From BIDS files to reconstructions: Generic Object Decoding (ds001246)
======================================================================

The path a user with the real dataset takes: BOLD runs, events and ROI masks in the
OpenNeuro ds001246 layout are turned into samples (:func:`neurodecode.datasets.load_god`),
an encoder and a decoder are fitted, and the reconstructions are scored; per-voxel results go
back to NIfTI through the loader's masker.

No real data can be downloaded where this documentation is built, so the dataset here is
written by :func:`neurodecode.datasets.simulate_bids`: the simulated subject as a
GOD-layout BIDS dataset (4D BOLD with HRF, drift and noise; ds001246-format events; ROI
masks in ``sourcedata``; ``preproc-spm`` derivatives). It is small (a 20 x 20 x 12 grid, 4
training runs of 50 images, 6 test runs) so that the example runs in a minute on a CPU;
with the real dataset, replace the root by your ds001246 folder.
"""

# %%
# A GOD-layout dataset
# --------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from neurodecode.datasets import load_god, simulate_bids

root = Path(tempfile.mkdtemp()) / "ds001246"
truth = simulate_bids(
    root, "01", grid=(20, 20, 12),
    n_voxels={"V1": 60, "V2": 50, "V3": 40, "hV4": 20, "LOC": 30, "FFA": 20, "PPA": 20},
    n_runs={"perceptionTraining": 4, "perceptionTest": 6, "imageryTest": 1},
    snr=0.3, random_state=0)
files = [p for p in sorted(root.rglob("*")) if p.is_file()]
print(len(files), "files, among them:")
for path in files[:: len(files) // 12]:
    print(" ", path.relative_to(root))

# %%
# Loading: one sample per block
# -----------------------------
# Each run is detrended, expressed in percent signal change from the initial rest,
# shifted by one volume (3 s), averaged within each 9 s block, and z-scored per voxel;
# one-back repeats are left out. Sessions and runs are discovered, not assumed.
god = load_god(root, "01", rois=("VC",), stimulus_dir=root / "stimuli", verbose=0)
print("training samples", god.X_train.shape, "test trials", god.X_test_trials.shape)
print("voxels per area", {r: int(m.sum()) for r, m in god.roi_masks.items()})

# %%
# Noise ceiling of the averaged test data
# ---------------------------------------
# The split-half estimate over test repeats (Spearman-Brown to all repeats), against the
# simulator's true ceiling.
from neurodecode.analysis import noise_ceiling

ceiling = noise_ceiling(god.X_test_trials, random_state=0)
true = truth.subject.noise_ceiling[truth.mask_order]
fig, ax = plt.subplots(figsize=(4, 4))
ax.scatter(true, ceiling, s=8)
ax.plot([0, 1], [0, 1], "k--", lw=1)
ax.set(xlabel="true ceiling", ylabel="split-half estimate", title="noise ceiling per voxel")
fig.tight_layout()

# %%
# Back to the brain: any per-voxel array through the masker
# ---------------------------------------------------------
ceiling_img = god.masker.inverse_transform(ceiling.astype(np.float32))
print(ceiling_img.shape, "max", float(np.asarray(ceiling_img.dataobj).max()))

# %%
# Encoder and decoders, the scikit-learn way
# ------------------------------------------
# Tiny schedules for the documentation build; the paper trains 50 + 150 epochs at 112 px
# (``neurodecode reproduce god`` runs the whole protocol and writes a report).
from neurodecode import ImageEncoder, SelfSupervisedDecoder, Unpaired
from neurodecode.metrics import n_way_identification
from neurodecode.plotting import plot_reconstructions

encoder = ImageEncoder(backbone="efficientnet_lite0", image_size=64, n_epochs=3,
                       random_state=0, verbose=0).fit(god.images_train, god.X_train)
print("held-out voxel r, median:",
      round(float(np.median(encoder.voxel_scores(god.images_test, god.X_test))), 3))

common = dict(encoder=encoder, perceptual_net="efficientnet_lite0", n_epochs=3,
              penalty_weight=0.1, random_state=0, verbose=0)
supervised = SelfSupervisedDecoder(loss_weights=(1, 0, 0), **common).fit(
    god.X_train, god.images_train)
# unpaired images: natural-image stand-ins of classes neither trained nor tested
from neurodecode.datasets import make_class_images

pool, _ = make_class_images(n_per_class=4, image_size=32, random_state=1,
                            classes=np.arange(500, 550))
selfsup = SelfSupervisedDecoder(**common).fit(
    god.X_train, god.images_train, X_unpaired_fmri=Unpaired(god.X_test),
    unpaired_images=Unpaired(pool))
recon = {"supervised": supervised.predict(god.X_test),
         "self-supervised": selfsup.predict(god.X_test)}
for name, images in recon.items():
    score = n_way_identification(images, god.images_test, n=2, pool="others",
                                 distance="pixel_correlation", random_state=0)[2]
    print(f"{name}: 2-way identification (pixel correlation) {score.mean:.2f} "
          f"(chance {score.chance:.2f}, N={score.n_images})")
plot_reconstructions(god.images_test, recon, n_columns=8)
plt.show()
