"""Shared fixtures: small learnable image -> fMRI problems with a known generating model."""
import numpy as np
import pytest
import torch


def smooth_images(n, size, rng):
    """Natural-ish images: a few coloured Gaussian blobs on a coloured background."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    images = np.empty((n, size, size, 3), dtype=np.float32)
    for i in range(n):
        img = np.ones((size, size, 3)) * rng.random(3) * 0.5
        for _ in range(3):
            cy, cx = rng.random(2)
            s = 0.08 + 0.15 * rng.random()
            blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s**2))
            img += blob[..., None] * rng.random(3)
        images[i] = np.clip(img / img.max(), 0, 1)
    return images


def linear_voxels(images, n_voxels, rng, noise=0.05, grid=8):
    """Each voxel: a fixed random linear readout of an 8x8 luminance/colour summary."""
    n, size = images.shape[:2]
    f = size // grid
    pooled = images.reshape(n, grid, f, grid, f, 3).mean(axis=(2, 4)).reshape(n, -1)
    W = rng.standard_normal((pooled.shape[1], n_voxels)) / np.sqrt(pooled.shape[1])
    X = pooled @ W
    X = (X - X.mean(0)) / X.std(0)
    return (X + noise * rng.standard_normal(X.shape)).astype(np.float32)


@pytest.fixture(scope="session")
def problem():
    """48 images of 32 px and 40 voxels that depend linearly on them."""
    rng = np.random.default_rng(0)
    images = smooth_images(64, 32, rng)
    X = linear_voxels(images, 40, rng)
    return images, X


@pytest.fixture(autouse=True)
def _torch_threads():
    # Keep runs comparable and the two CI cores busy without oversubscription.
    torch.set_num_threads(2)
    yield


@pytest.fixture(autouse=True)
def _close_figures():
    """The plot functions draw on pyplot figures (as matplotlib's own do): close them after
    every test, as a script or notebook would."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _unwritable(folder):
    import tempfile

    try:
        fd, probe = tempfile.mkstemp(dir=folder)
    except OSError:
        return True
    import os

    os.close(fd)
    os.unlink(probe)
    return False


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nothing can be written in: a chmod 555 folder, or (as root, who ignores
    permissions) a folder of a read-only file system such as /sys."""
    import os
    from pathlib import Path

    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if _unwritable(folder):
            yield folder
            return
        for candidate in ("/sys", "/proc/sys"):
            if os.path.isdir(candidate) and _unwritable(candidate):
                yield Path(candidate)
                return
        pytest.skip("no read-only folder on this machine (root on a writable /sys)")
    finally:
        folder.chmod(0o755)
