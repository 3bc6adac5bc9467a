"""Errors that neurodecode raises for files it reads and folders it writes.

Each is a subclass of the built-in error a caller would already catch (``ValueError`` for
content that is wrong, ``RuntimeError`` for a folder another process is using), so that
``except ValueError`` keeps working, and each message names the file and says what to do.
"""


class ModelFileError(ValueError):
    """A model file that cannot be loaded as it is.

    Raised by :func:`neurodecode.load` for a file that is truncated, empty, not a
    neurodecode model file, damaged or edited after it was written (its content does not
    match its stored checksum), or written for another architecture (weights missing or of
    another shape than the network it describes).

    Examples
    --------
    >>> import os, tempfile
    >>> from neurodecode import ModelFileError, load
    >>> path = os.path.join(tempfile.mkdtemp(), "empty.nd")
    >>> open(path, "wb").close()
    >>> try:
    ...     load(path)
    ... except ModelFileError as exc:
    ...     print("not a neurodecode model file" in str(exc))
    True
    """


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed: damaged, or written for another problem.

    The message names the file and the mismatch (a hyper-parameter, the data, the epoch).

    Examples
    --------
    >>> from neurodecode import CheckpointError
    >>> issubclass(CheckpointError, ValueError)
    True
    """


class CheckpointDirInUseError(RuntimeError):
    """Another live fit holds the ``checkpoint_dir``.

    Two fits writing one checkpoint folder would overwrite each other's state; the second
    is refused before its first step. The lock is an OS file lock, released when the owning
    process ends, even when it is killed.

    Examples
    --------
    >>> from neurodecode import CheckpointDirInUseError
    >>> issubclass(CheckpointDirInUseError, RuntimeError)
    True
    """


class FMRIUnitsWarning(UserWarning):
    """Warn of fMRI whose per-voxel variances say it is not standardised (raw betas, BOLD).

    The losses of both phases are unweighted means over voxels: in raw units the noisiest
    voxels (the largest variances) decide them. neurodecode expects GOD's units, every voxel
    z-scored within its run (what :func:`~neurodecode.datasets.load_god` returns); put a
    :class:`~sklearn.preprocessing.StandardScaler` before the estimator in a pipeline, or
    z-score per run yourself. Silence it with ``warnings.simplefilter("ignore",
    FMRIUnitsWarning)`` when the units are deliberate.

    Examples
    --------
    >>> from neurodecode import FMRIUnitsWarning
    >>> issubclass(FMRIUnitsWarning, UserWarning)
    True
    """


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are not on this machine.

    Raised wherever ``weights="imagenet"`` or a weight path is resolved (estimators, the
    evaluation networks of :mod:`neurodecode.metrics`) and the file is absent. neurodecode
    never downloads weights behind the user's back nor falls back to random ones: the
    message names the file expected and the command that fetches it on a machine with
    internet access (``neurodecode download-weights``). A subclass of
    :class:`FileNotFoundError`.

    See Also
    --------
    neurodecode.metrics.FeatureModel : A frozen network that resolves its weights when built.

    Examples
    --------
    >>> from neurodecode import WeightsNotFoundError
    >>> from neurodecode.metrics import FeatureModel
    >>> try:
    ...     FeatureModel("vgg16", weights="/no/such/vgg16.pth")
    ... except WeightsNotFoundError as exc:
    ...     print(type(exc).__name__, isinstance(exc, FileNotFoundError))
    WeightsNotFoundError True
    """
