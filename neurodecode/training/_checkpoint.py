"""Checkpoints written every N epochs, so that an interrupted fit resumes where it stopped."""
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from .._errors import CheckpointError
from .._files import atomic_write, read_torch_file, seal, unseal


def fingerprint(config, *arrays):
    """Hash of a JSON-able config and the data: a checkpoint only resumes the same problem.

    Parameters
    ----------
    config : dict
        Hyper-parameters (JSON-able; other values are hashed by their ``str``). Key order
        does not matter.
    *arrays : array-like or None
        The data; the shape and bytes of each array are hashed, in order.

    Returns
    -------
    digest : str
        The SHA-256 hex digest.

    See Also
    --------
    CheckpointManager : Refuses checkpoints of another fingerprint.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.training._checkpoint import fingerprint
    >>> a = fingerprint({"lr": 1e-3, "n_epochs": 2}, np.zeros(3))
    >>> a == fingerprint({"n_epochs": 2, "lr": 1e-3}, np.zeros(3)), len(a)
    (True, 64)
    >>> a == fingerprint({"lr": 1e-3, "n_epochs": 2}, np.ones(3))
    False
    """
    h = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode())
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(str(a.shape).encode())
        h.update(a.view(np.uint8).data)
    return h.hexdigest()


def rng_state(generator, device):
    state = {"generator": generator.get_state(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state, generator, device):
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


class CheckpointManager:
    """Write/read one checkpoint file atomically.

    The file is written to a unique temporary name in the same folder, fsync-ed and then
    renamed, so that an interruption never leaves a partial checkpoint and two writers
    never share a temporary; it holds tensors and plain containers only and is read with
    ``torch.load(weights_only=True)``. (The estimators also hold an OS lock on the folder
    for the whole fit, so that two fits never write one folder.)

    Parameters
    ----------
    directory : path-like or None
        Folder of the checkpoint; None disables checkpointing.
    name : str
        File name inside ``directory`` (e.g. ``"phase1.ckpt"``).
    every : int
        Write after every ``every``-th epoch (and after the last one; 0 or less: after the
        last one only).
    fingerprint : str
        Identifies the problem (see :func:`fingerprint`); a checkpoint with another
        fingerprint is refused on resume.
    identity : dict or None, default=None
        The JSON-able settings the fingerprint was computed from (without the data), stored
        in the checkpoint so that a refusal can name the settings that differ; when they
        are all equal, the data differ.

    Attributes
    ----------
    path : pathlib.Path or None
        The checkpoint file; None when disabled.
    enabled : bool
        Whether a directory was given.

    Examples
    --------
    >>> import tempfile
    >>> from neurodecode.training._checkpoint import CheckpointManager
    >>> ckpt = CheckpointManager(tempfile.mkdtemp(), "phase1.ckpt", every=10,
    ...                          fingerprint="abc")
    >>> [epoch for epoch in range(1, 26) if ckpt.due(epoch, n_epochs=25)]
    [10, 20, 25]
    >>> ckpt.load() is None  # nothing written yet
    True
    >>> ckpt.save({"epoch": 10})
    >>> ckpt.load()
    {'epoch': 10, 'fingerprint': 'abc', 'identity': 'null'}
    >>> _ = ckpt.path.write_bytes(ckpt.path.read_bytes()[:-30])  # a torn copy
    >>> ckpt.load()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    neurodecode._errors.CheckpointError: ...phase1.ckpt is truncated or not a neurodecode checkpoint ...
    """

    def __init__(self, directory, name, every, fingerprint, identity=None):
        self.path = None if directory is None else Path(directory) / name
        self.every = int(every)
        self.fingerprint = fingerprint
        self.identity = identity

    @property
    def enabled(self):
        return self.path is not None

    def due(self, epoch, n_epochs):
        """True after epoch ``epoch`` (1-based) when it is a multiple of ``every`` or the last.

        Parameters
        ----------
        epoch : int
            The epoch just finished, counted from 1.
        n_epochs : int
            The number of epochs of the fit.

        Returns
        -------
        due : bool
            Whether to write a checkpoint now (always False when disabled).
        """
        if not self.enabled:
            return False
        return epoch == n_epochs or (self.every > 0 and epoch % self.every == 0)

    def save(self, payload):
        """Write ``payload``, with the fingerprint added, to the checkpoint file.

        The folder is created if needed; the previous checkpoint is replaced atomically.

        Parameters
        ----------
        payload : dict
            Training state: tensors, numbers, strings and containers of them.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = dict(payload, fingerprint=self.fingerprint,
                       identity=json.dumps(self.identity, sort_keys=True, default=str))
        payload = seal(payload)  # a changed bit is found when it is read
        atomic_write(self.path, lambda f: torch.save(payload, f), argument="checkpoint_dir")

    def _mismatch(self, stored):
        """Words naming what differs between the stored identity and this one."""
        try:
            old = json.loads(stored) if isinstance(stored, str) else None
        except ValueError:
            old = None
        new = json.loads(json.dumps(self.identity, sort_keys=True, default=str))
        if not isinstance(old, dict) or not isinstance(new, dict):
            return "other data or hyper-parameters"
        keys = sorted(set(old) | set(new), key=lambda k: (k != "estimator", k))
        differ = [k for k in keys if old.get(k, "<absent>") != new.get(k, "<absent>")]
        if not differ:
            return "other data (the same settings, but other training arrays)"
        return "other settings: " + "; ".join(
            f"{k} was {old.get(k, '<absent>')!r}, now {new.get(k, '<absent>')!r}"
            for k in differ[:6]) + (" ..." if len(differ) > 6 else "")

    def load(self):
        """Read the stored payload, or None when there is no checkpoint.

        Returns
        -------
        payload : dict or None
            The saved dict, with its ``fingerprint``, loaded on the CPU; None when disabled
            or when the file does not exist.

        Raises
        ------
        CheckpointError
            When the file is damaged (empty, truncated, not a checkpoint) or was written
            for another problem; the message names the settings that differ, or the data.
        """
        if not self.enabled or not self.path.is_file():
            return None
        where = f"the checkpoint {self.path}"
        advice = " Delete it, or set resume=False to start over."
        payload = read_torch_file(self.path, "neurodecode checkpoint", CheckpointError, advice)
        if not isinstance(payload, dict) or "fingerprint" not in payload:
            raise CheckpointError(f"{where} is not a neurodecode checkpoint.{advice}")
        payload = unseal(payload, where, CheckpointError, advice)
        if payload.get("fingerprint") != self.fingerprint:
            raise CheckpointError(
                f"{where} was written for {self._mismatch(payload.get('identity'))}; "
                "delete it, point checkpoint_dir elsewhere, or set resume=False."
            )
        return payload
