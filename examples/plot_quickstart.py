"""
Reconstructing images from simulated fMRI, with and without self-supervision
=============================================================================

A minimal, CPU-sized run of the method of Gaziv et al. (2022). We simulate voxels whose
responses are linear functions of local image content, fit the supervised-only baseline
(pairs only) and the self-supervised decoder (pairs + unpaired images + unpaired fMRI), and
compare reconstructions of held-out images.

The networks are EfficientNet-Lite0, whose ImageNet weights install offline; the paper's
VGG networks work the same way once their weights are cached
(``neurodecode download-weights``).
"""

# %%
# Simulated data
# --------------
# Images are smooth coloured blobs; each voxel reads out a random linear combination of an
# 8x8 colour summary of the image, plus noise.
import matplotlib.pyplot as plt
import numpy as np

from sklearn.frozen import FrozenEstimator

from neurodecode import ImageEncoder, SelfSupervisedDecoder
from neurodecode.plotting import plot_reconstructions

rng = np.random.default_rng(0)
size = 64


def blobs(n):
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), dtype=np.float32)
    for i in range(n):
        img = np.ones((size, size, 3)) * rng.random(3) * 0.5
        for _ in range(3):
            cy, cx, s = rng.random(), rng.random(), 0.08 + 0.15 * rng.random()
            img += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s**2))[..., None] * rng.random(3)
        out[i] = img / img.max()
    return out


n = 200
images = blobs(n)
summary = images.reshape(n, 8, size // 8, 8, size // 8, 3).mean(axis=(2, 4)).reshape(n, -1)
weights = rng.standard_normal((summary.shape[1], 500))
X = summary @ weights
X = ((X - X.mean(0)) / X.std(0) + 0.3 * rng.standard_normal(X.shape)).astype(np.float32)

# 64 pairs for training, 16 held-out test pairs, and two disjoint unpaired sets: images
# shown without fMRI, and fMRI of other trials whose images we pretend not to have (a
# leakage-free protocol; the paper instead uses the test fMRI, never its images).
train, test, unpaired_img, unpaired_fmri = slice(0, 64), slice(64, 80), slice(80, 140), slice(140, 200)

# %%
# Fit the encoder once, then both decoders
# ----------------------------------------
# Phase I: the encoder learns image -> voxels on the 64 pairs. Both decoders then use it
# as it is: ``FrozenEstimator`` keeps a fitted encoder fitted (also through ``clone`` and
# cross-validation, which would otherwise refit phase I).
encoder = ImageEncoder(backbone="efficientnet_lite0", n_epochs=10, batch_size=16,
                       lr_milestones=(8,), random_state=0)
encoder.fit(images[train], X[train])
print(f"encoder voxel r on held-out images: {encoder.score(images[test], X[test]):.2f}")

common = dict(encoder=FrozenEstimator(encoder), perceptual_net="efficientnet_lite0",
              n_epochs=6, batch_sizes=(16, 16, 16), lr_step=4, random_state=0)
supervised = SelfSupervisedDecoder(loss_weights=(1, 0, 0), **common)
supervised.fit(X[train], images[train])

# Phase II with self-supervision: unpaired images (no fMRI) and the test fMRI (no images)
selfsup = SelfSupervisedDecoder(**common)
selfsup.fit(X[train], images[train], X_unpaired_fmri=X[unpaired_fmri],
            unpaired_images=images[unpaired_img])

# %%
# Compare reconstructions of the held-out images
# ----------------------------------------------
recon = {"supervised": supervised.predict(X[test]),
         "self-supervised": selfsup.predict(X[test])}
plot_reconstructions(images[test], recon, n_columns=8)

for name, dec in [("supervised", supervised), ("self-supervised", selfsup)]:
    print(f"{name}: mean pixel correlation {dec.score(X[test], images[test]):.2f}")

# %%
# On this toy problem every voxel is a linear readout of an 8x8 colour summary, so the
# supervised decoder is already close to the best possible and self-supervision has little
# to add; its gains appear when pairs are scarce relative to the variety of natural images,
# as in the paper. A warning from the same toy problem: with a weak encoder (fewer voxels,
# held-out r around 0.4) and a small set of unpaired fMRI, the L_DE term lets the decoder
# invent images that the encoder maps back onto those few fMRI samples, and reconstructions
# degrade. Check ``encoder.score`` and the ``loss_weights`` ablations on your data.

# %%
# Training curves
# ---------------
fig, ax = plt.subplots(figsize=(5, 3))
for key in ("L_D", "L_ED", "L_DE"):
    ax.plot(selfsup.history_["epoch"], selfsup.history_[key], label=key)
ax.set_xlabel("epoch")
ax.set_ylabel("raw loss")
ax.legend()
plt.show()
