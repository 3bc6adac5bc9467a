"""
Noise ceilings and noise-corrected prediction accuracy, voxel by voxel
======================================================================

How well *could* any model predict a voxel? The split-half noise ceiling answers it from the
repeated test presentations alone: correlate the means of two random halves of the repeats,
and extrapolate to the mean of all repeats (Spearman-Brown). An encoder's per-voxel
prediction accuracy (Pearson r on the averaged test data) divided by that ceiling is the
*noise-corrected* accuracy of the paper's Fig 9d.

The data here are the simulated subject written as a GOD-layout BIDS dataset, so every
estimate can be checked against the simulator's true ceiling, and every per-voxel result
goes back to the brain through the loader's masker (use your ds001246 folder instead).
"""

# %%
# A small GOD-layout dataset
# --------------------------
# 8 training runs (400 images seen once) and 10 test runs (50 images, 10 repeats; GOD has
# 35). The single-trial SNR is set higher than GOD's so that the short encoder fit below
# has something to find.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from neurodecode.datasets import load_god, simulate_bids

root = Path(tempfile.mkdtemp()) / "ds001246"
truth = simulate_bids(
    root, "01", grid=(20, 20, 12),
    n_voxels={"V1": 60, "V2": 50, "V3": 40, "hV4": 20, "LOC": 30, "FFA": 20, "PPA": 20},
    n_runs={"perceptionTraining": 8, "perceptionTest": 10, "imageryTest": 1},
    snr=0.3, random_state=0)
god = load_god(root, "01", rois=("VC",), stimulus_dir=root / "stimuli", verbose=0)
print("test trials (images, repeats, voxels):", god.X_test_trials.shape)

# %%
# The split-half ceiling against the truth
# ----------------------------------------
# ``noise_ceiling`` averages 100 random split-halves; the result is the ceiling of the
# *mean of all repeats* (the data a model is scored on), the same quantity the simulator
# knows exactly. With 50 test images each voxel's estimate scatters around the truth (a
# correlation over 50 samples has a standard error of ~0.1); what matters is that it is
# unbiased: the median signed error is near 0.
from neurodecode.analysis import noise_ceiling, snr

ceiling = noise_ceiling(god.X_test_trials, random_state=0)
true_ceiling = truth.subject.noise_ceiling[truth.mask_order]
error = np.abs(ceiling - true_ceiling)
print(f"median ceiling {np.median(ceiling):.2f} (true {np.median(true_ceiling):.2f}); "
      f"median error {np.median(ceiling - true_ceiling):+.3f}, "
      f"median absolute error {np.median(error):.3f}")
print(f"median single-trial SNR {np.median(snr(god.X_test_trials)):.3f}")

fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
axes[0].scatter(true_ceiling, ceiling, s=8)
axes[0].plot([0, 1], [0, 1], "k--", lw=1)
axes[0].set(xlabel="true ceiling", ylabel="split-half estimate", title="per voxel")
for roi in ("V1", "V2", "V3", "hV4", "LOC"):
    axes[1].hist(ceiling[god.roi_masks[roi]], bins=np.linspace(-0.2, 1, 25),
                 histtype="step", label=roi)
axes[1].set(xlabel="noise ceiling", ylabel="voxels", title="by ROI")
axes[1].legend(fontsize=7)
fig.tight_layout()

# %%
# Encoder accuracy, raw and noise-corrected
# -----------------------------------------
# A short encoder fit (the paper trains 50 epochs at 112 px). Voxels whose ceiling is below
# ``min_ceiling`` get NaN: dividing by a ceiling near zero only amplifies noise.
from neurodecode import ImageEncoder
from neurodecode.analysis import noise_corrected_accuracy, prediction_accuracy

encoder = ImageEncoder(backbone="efficientnet_lite0", image_size=64, n_epochs=6,
                       random_state=0, verbose=0).fit(god.images_train, god.X_train)
r = prediction_accuracy(god.X_test, encoder.predict(god.images_test))
corrected = noise_corrected_accuracy(r, ceiling, min_ceiling=0.3)
for roi in ("V1", "V2", "V3", "hV4", "LOC", "FFA", "PPA"):
    m = god.roi_masks[roi]
    print(f"{roi:4s} median r {np.median(r[m]):5.2f}   noise-corrected "
          f"{np.nanmedian(corrected[m]):5.2f}   ({np.isfinite(corrected[m]).sum()} voxels "
          f"above the ceiling threshold)")
print(f"r tracks the true ceiling: correlation {np.corrcoef(r, true_ceiling)[0, 1]:.2f}")

# %%
# Back on the brain
# -----------------
# Any per-voxel array goes to NIfTI through the loader's masker (``values_to_img``);
# ``plot_voxel_map`` draws it with nilearn. Native-space data get no MNI background: pass
# the subject's anatomy as ``bg_img`` when you have it. Like matplotlib's own functions, the
# plot functions draw on a new pyplot figure (or on ``figure=`` / ``axes=``).
from neurodecode.plotting import plot_voxel_map

plot_voxel_map(ceiling, god, title="split-half noise ceiling", cmap="viridis",
               display_mode="z", cut_coords=4)
plot_voxel_map(corrected, god, title="noise-corrected accuracy", cmap="viridis", vmax=1,
               display_mode="z", cut_coords=4)
plt.show()
