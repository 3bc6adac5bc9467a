"""ImageNet-style image folders (``root/<class>/<image>``): unpaired pools and class galleries."""
import numbers
import re
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._docs import fill_doc
from .._validation import check_number
from ._god import IMAGE_EXTENSIONS, read_images


def _as_list(values):
    """A class list: None is empty, one name (or id) is a list of one."""
    if values is None:
        return []
    if isinstance(values, (str, bytes, numbers.Number)):
        return [values]
    return list(values)


@fill_doc
def load_image_folder(root, classes=None, exclude_classes=None, per_class=None, image_size=112,
                      random_state=0):
    """Load the images of an ImageNet-style folder: one sub-folder per class.

    For the unpaired image pool of L_ED and for class galleries; as in the paper, leave
    the test classes out of the unpaired pool (``exclude_classes``).

    Parameters
    ----------
    root : path-like
        The folder; its sub-folders are the classes (e.g. WordNet ids ``n01443537``).
    classes : str, sequence of str or None, default=None
        Classes to load (sub-folder names); None loads every class found.
    exclude_classes : str, int, sequence of them or None, default=None
        Classes left out (e.g. the test classes); names, WordNet ids or GOD category ids
        (``"n01443537"``, ``1443537``; a stimulus id ``1443537.022563`` names its
        category). Anything else is an error (a test class would leak into the pool).
    per_class : int or None, default=None
        At most this many images per class, drawn without replacement with
        ``random_state``; None loads all.
    image_size : int or None, default=112
        Side of the returned images (centre-cropped, resized); None keeps the files' size.
    %(random_state_data)s

    Returns
    -------
    data : Bunch
        ``images`` (n, s, s, 3) float32 in [0, 1], ``labels`` (index into
        ``class_names``), ``class_names``, ``paths``, ``description``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from PIL import Image
    >>> from neurodecode.datasets import load_image_folder
    >>> root = Path(tempfile.mkdtemp())
    >>> for wnid in ("n01443537", "n01621127"):
    ...     (root / wnid).mkdir()
    ...     for i in range(3):
    ...         Image.new("RGB", (20, 20)).save(root / wnid / f"{wnid}_{i}.JPEG")
    >>> pool = load_image_folder(root, exclude_classes=["n01443537"], image_size=16)
    >>> pool.images.shape, pool.class_names
    ((3, 16, 16, 3), ['n01621127'])
    """
    from sklearn.utils import check_random_state

    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root={str(root)!r} is not a folder.")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    check_number(per_class, "per_class", numbers.Integral, low=1, allow_none=True)
    if classes is None:
        names = found
    else:
        names = [str(c) for c in _as_list(classes)]
        missing = [c for c in names if c not in found]
        if missing:
            raise FileNotFoundError(f"classes: {len(missing)} not in {root} (first: "
                                    f"{missing[:5]}); {len(found)} class folders found.")

    def norm(c):
        text = str(c).strip()
        if re.fullmatch(r"n\d{8}", text) or text in found:
            return text
        try:
            number = float(text)
        except ValueError:
            number = np.nan
        if isinstance(c, (bool, np.bool_)) or not (np.isfinite(number) and number >= 1):
            raise ValueError(f"exclude_classes: {c!r} is neither a class folder of {root} nor "
                             "a WordNet id ('n01443537') or GOD category id (1443537).")
        return f"n{int(number):08d}"  # a stimulus id (1443537.022563): its category

    excluded = {norm(c) for c in _as_list(exclude_classes)}
    names = [c for c in names if c not in excluded]
    rng = check_random_state(random_state)
    paths, labels = [], []
    for k, c in enumerate(names):
        files = sorted(p for p in (root / c).rglob("*") if p.suffix in IMAGE_EXTENSIONS)
        if per_class is not None and len(files) > per_class:
            files = [files[i] for i in sorted(rng.choice(len(files), int(per_class),
                                                         replace=False))]
        paths += files
        labels += [k] * len(files)
    if not paths:
        raise FileNotFoundError(f"no images ({', '.join(IMAGE_EXTENSIONS[:4])}, ...) in the "
                                f"{len(names)} class folders of {root}.")
    description = (f"Images of the ImageNet-style folder {root}: {len(names)} classes "
                   f"(sub-folders), {len(paths)} images"
                   + (f", at most {per_class} per class (seeded draw)" if per_class else "")
                   + (f"; left out: {sorted(excluded)}" if excluded else "") + ".")
    return Bunch(images=read_images(paths, image_size), labels=np.asarray(labels),
                 class_names=names, paths=[str(p) for p in paths], description=description)
