import numpy as np

from ..conftest import linear_voxels, smooth_images


def make():
    rng = np.random.default_rng(1)
    images = smooth_images(48, 32, rng)
    X = linear_voxels(images, 40, rng)
    big = smooth_images(12, 48, rng)
    # 16 pairs, 12 unpaired fMRI, 10 unpaired images (lengths differ from the pairs on
    # purpose: equal lengths trigger the scikit-learn slicing warning)
    return X[:16], images[:16], X[16:28], images[28:38], big
