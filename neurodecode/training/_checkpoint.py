"""Checkpoints written every N epochs, so that an interrupted fit resumes where it stopped."""
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch


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
    >>> from neurodecode.training import fingerprint
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

    The file is written to a temporary name and then renamed, so that an interruption never
    leaves a partial checkpoint; it holds tensors and plain containers only and is read
    with ``torch.load(weights_only=True)``.

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

    Attributes
    ----------
    path : pathlib.Path or None
        The checkpoint file; None when disabled.
    enabled : bool
        Whether a directory was given.

    Examples
    --------
    >>> import tempfile
    >>> from neurodecode.training import CheckpointManager
    >>> ckpt = CheckpointManager(tempfile.mkdtemp(), "phase1.ckpt", every=10,
    ...                          fingerprint="abc")
    >>> [epoch for epoch in range(1, 26) if ckpt.due(epoch, n_epochs=25)]
    [10, 20, 25]
    >>> ckpt.load() is None  # nothing written yet
    True
    >>> ckpt.save({"epoch": 10})
    >>> ckpt.load()
    {'epoch': 10, 'fingerprint': 'abc'}
    """

    def __init__(self, directory, name, every, fingerprint):
        self.path = None if directory is None else Path(directory) / name
        self.every = int(every)
        self.fingerprint = fingerprint

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
        payload = dict(payload, fingerprint=self.fingerprint)
        tmp = self.path.with_name(self.path.name + ".tmp")
        torch.save(payload, tmp)
        os.replace(tmp, self.path)

    def load(self):
        """Read the stored payload, or None when there is no checkpoint.

        Returns
        -------
        payload : dict or None
            The saved dict, with its ``fingerprint``, loaded on the CPU; None when disabled
            or when the file does not exist.

        Raises
        ------
        ValueError
            When the checkpoint was written with another fingerprint (other data or
            hyper-parameters).
        """
        if not self.enabled or not self.path.is_file():
            return None
        payload = torch.load(self.path, map_location="cpu", weights_only=True)
        if payload.get("fingerprint") != self.fingerprint:
            raise ValueError(
                f"the checkpoint {self.path} was written for other data or hyper-parameters; "
                "delete it, point checkpoint_dir elsewhere, or set resume=False."
            )
        return payload
