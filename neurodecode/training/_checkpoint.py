"""Checkpoints written every N epochs, so that an interrupted fit resumes where it stopped."""
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch


def fingerprint(config, *arrays):
    """Hash of a JSON-able config and the data: a checkpoint only resumes the same problem."""
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

    Parameters
    ----------
    directory : path-like or None
        Folder of the checkpoint; None disables checkpointing.
    name : str
        File name inside ``directory`` (e.g. ``"phase1.ckpt"``).
    every : int
        Write after every ``every``-th epoch.
    fingerprint : str
        Identifies the problem; a checkpoint with another fingerprint is refused on resume.
    """

    def __init__(self, directory, name, every, fingerprint):
        self.path = None if directory is None else Path(directory) / name
        self.every = int(every)
        self.fingerprint = fingerprint

    @property
    def enabled(self):
        return self.path is not None

    def due(self, epoch, n_epochs):
        """True after epoch ``epoch`` (1-based) when it is a multiple of ``every`` or the last."""
        if not self.enabled:
            return False
        return epoch == n_epochs or (self.every > 0 and epoch % self.every == 0)

    def save(self, payload):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = dict(payload, fingerprint=self.fingerprint)
        tmp = self.path.with_name(self.path.name + ".tmp")
        torch.save(payload, tmp)
        os.replace(tmp, self.path)

    def load(self):
        """The stored payload, or None when there is no checkpoint."""
        if not self.enabled or not self.path.is_file():
            return None
        payload = torch.load(self.path, map_location="cpu", weights_only=True)
        if payload.get("fingerprint") != self.fingerprint:
            raise ValueError(
                f"the checkpoint {self.path} was written for other data or hyper-parameters; "
                "delete it, point checkpoint_dir elsewhere, or set resume=False."
            )
        return payload
