import sys

import numpy as np

from neurodecode._validation import is_niimg_like


def test_arrays_are_not_niimg_and_need_no_nibabel(monkeypatch):
    # GPU images without nibabel could not fit on plain arrays before this shortcut
    monkeypatch.setitem(sys.modules, "nibabel", None)  # any `import nibabel` now fails
    assert is_niimg_like(np.zeros((3, 4))) is False


def test_paths_and_images_are_niimg(tmp_path):
    import nibabel

    img = nibabel.Nifti1Image(np.zeros((2, 2, 2, 3), dtype=np.float32), np.eye(4))
    assert is_niimg_like(img) and is_niimg_like(str(tmp_path / "x.nii.gz"))
    assert is_niimg_like([img, img]) and not is_niimg_like([])
