"""Paper Fig 8 at GOD's SNR: LVC / HVC / VC retraining on the full default simulated subject.

4500 voxels, 1200 single-trial pairs, SNR 0.02; supervised pixel-loss decoders at 16 px, 8
epochs (as in the slow test, which runs at SNR 0.3); pixel 2-way identification over the 50
test images, one-sided Wilcoxon. 250-520 s per seed on 2 CPU cores.

Run::

    python benchmarks/fig8_god_snr.py 0   # the seed
"""
import sys, time, numpy as np
from neurodecode import SelfSupervisedDecoder
from neurodecode.datasets import make_synthetic_subject
from neurodecode.analysis import roi_retraining
from neurodecode.metrics import wilcoxon
seed = int(sys.argv[1])
t = time.time()
subject = make_synthetic_subject(n_unpaired_classes=0, n_gallery_classes=50, snr=0.02, random_state=seed)
print("voxels", subject.X_train.shape, "median ceiling %.2f" % np.median(subject.noise_ceiling), flush=True)
decoder = SelfSupervisedDecoder(perceptual_net="efficientnet_lite0", loss_weights=(1, 0, 0),
    image_loss_weights=(1.0, 0.0, 0.3), image_size=16, n_epochs=8, penalty_weight=0.1, random_state=seed, verbose=0)
table = roi_retraining(decoder, subject, ["LVC", "HVC", "VC"], n_jobs=1)
two = table[table.metric == "2-way identification (pixels)"].set_index("roi_set")
print(two[["n_voxels", "value", "n"]], flush=True)
lvc, hvc, vc = (two.loc[k, "per_image"] for k in ("LVC", "HVC", "VC"))
print("LVC>HVC", wilcoxon(lvc, hvc, alternative="greater"), "LVC>VC", wilcoxon(lvc, vc, alternative="greater"), "%.0f s" % (time.time() - t), flush=True)
