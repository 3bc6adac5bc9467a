"""The epoch loop shared by phase I and phase II: resume, progress bars, history, checkpoints.

A phase supplies what differs (one epoch of updates, the model's state, any extra state a
resumed run needs); :class:`EpochLoop` does the rest the same way for both, so that a
checkpoint, a progress bar or a history entry means the same thing everywhere.
"""
import time

from tqdm.auto import tqdm


def eta_text(seconds, remaining, window=5):
    """The time left, from the mean of the last ``window`` epochs' ``seconds`` (the first
    epoch left out once there are others: it carries the warm-up).

    Examples
    --------
    >>> from neurodecode.training._loop import eta_text
    >>> eta_text([0.5, 10.0, 12.0], remaining=3)
    '00:33 left'
    >>> eta_text([], remaining=3)
    'time left: after epoch 1'
    """
    if remaining <= 0:
        return "done"
    recent = list(seconds)[1:] if len(seconds) > 1 else list(seconds)
    if not recent:
        return "time left: after epoch 1"
    left = remaining * sum(recent[-window:]) / len(recent[-window:])
    return f"{tqdm.format_interval(left)} left"

from ._checkpoint import rng_state, set_rng_state


class EpochLoop:
    """Run epochs ``start .. n_epochs`` with an optimizer and a per-epoch LR scheduler.

    Parameters
    ----------
    phase : str
        Name stored in (and required of) checkpoints, e.g. ``"phase1"``.
    desc : str
        Label of the progress bar.
    optimizer : torch.optim.Optimizer
    scheduler : torch.optim.lr_scheduler.LRScheduler
        Stepped once after every epoch.
    generator : torch.Generator
        CPU generator of the phase (its state is checkpointed with torch's global ones).
    device : torch.device
    n_epochs : int
    terms : sequence of str
        Keys of the per-epoch values ``run_epoch`` returns (``"loss"`` first); the history
        holds ``epoch``, these, ``lr`` and ``seconds``.
    checkpoint : CheckpointManager or None
    verbose : int
        0 silent, 1 a progress bar over epochs, 2 also one over each epoch's batches.
    """

    def __init__(self, phase, desc, optimizer, scheduler, generator, device, n_epochs, terms,
                 checkpoint=None, verbose=0):
        self.phase, self.desc = phase, desc
        self.optimizer, self.scheduler = optimizer, scheduler
        self.generator, self.device = generator, device
        self.n_epochs, self.terms = int(n_epochs), tuple(terms)
        self.checkpoint, self.verbose = checkpoint, int(verbose)
        self.history = {"epoch": [], **{k: [] for k in self.terms}, "lr": [], "seconds": []}
        self.start_epoch = 0

    def restore(self, resume, load_model):
        """Continue from this phase's checkpoint, if ``resume`` and there is one.

        Restores the model (through ``load_model(state_dict)``), optimizer, scheduler,
        history and random generators. Returns the checkpoint payload, for the phase's own
        extra state, or None when starting afresh.
        """
        if not resume or self.checkpoint is None:
            return None
        state = self.checkpoint.load()
        if state is None or state.get("phase") != self.phase:
            return None
        from .._errors import CheckpointError

        where = f"the checkpoint {self.checkpoint.path}"
        kinds = {"epoch": int, "model": dict, "optimizer": dict, "scheduler": dict,
                 "history": dict, "rng": dict}
        for key, kind in kinds.items():
            if not isinstance(state.get(key), kind) or isinstance(state.get(key), bool):
                raise CheckpointError(f"{where} lacks a valid {key!r} entry (written by another "
                                      "version of neurodecode?); delete it, or set "
                                      "resume=False to start over.")
        if int(state["epoch"]) > self.n_epochs:
            raise CheckpointError(
                f"the checkpoint {self.checkpoint.path} is at epoch {int(state['epoch'])}, past "
                f"n_epochs={self.n_epochs}: resuming cannot train backwards. Pass "
                f"n_epochs>={int(state['epoch'])} to continue it (the schedule does not depend "
                "on n_epochs), or resume=False to start over.")
        try:
            load_model(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            self.history = {k: list(v) for k, v in state["history"].items()}
            set_rng_state(state["rng"], self.generator, self.device)
        except Exception as exc:  # torch's errors for state of another shape or kind
            raise CheckpointError(
                f"{where} does not fit this model ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:300] if str(exc) else ''}); delete it, or set "
                "resume=False to start over.") from exc
        self.start_epoch = int(state["epoch"])
        return state

    def batches(self, batches, epoch):
        """Iterate over one epoch's batches (with a bar at ``verbose >= 2``)."""
        return tqdm(batches, desc=f"epoch {epoch + 1}", leave=False, disable=self.verbose < 2)

    def run(self, run_epoch, model_state, extra_state=None):
        """Train; returns the history.

        Parameters
        ----------
        run_epoch : callable
            ``run_epoch(epoch)`` (0-based) does one epoch of updates and returns a dict
            {term: value} for every key of ``terms`` (tensors are synchronised once here).
        model_state : callable
            Returns the state dict to checkpoint.
        extra_state : callable or None
            Returns a dict of further entries for the checkpoint.
        """
        # tqdm's own estimate follows the first epochs, which are faster or slower than
        # the rest (warm-up, caches): the time left is the mean of the last few epochs
        # (the first left out once there are others) times the epochs left
        bar = tqdm(range(self.start_epoch, self.n_epochs), desc=self.desc, unit="epoch",
                   disable=self.verbose < 1, initial=self.start_epoch, total=self.n_epochs,
                   leave=self.verbose > 1,
                   bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")
        for epoch in bar:
            t0 = time.perf_counter()
            values = run_epoch(epoch)
            values = {k: float(values[k]) for k in self.terms}  # one device sync per epoch
            self.history["epoch"].append(epoch + 1)
            self.history["lr"].append(self.optimizer.param_groups[0]["lr"])
            self.scheduler.step()
            for key in self.terms:
                self.history[key].append(values[key])
            self.history["seconds"].append(time.perf_counter() - t0)
            bar.set_postfix_str(f"loss={values[self.terms[0]]:.4f}, "
                                f"{eta_text(self.history['seconds'], self.n_epochs - epoch - 1)}")
            if self.checkpoint is not None and self.checkpoint.due(epoch + 1, self.n_epochs):
                self.checkpoint.save({
                    "phase": self.phase,
                    "epoch": epoch + 1,
                    "model": model_state(),
                    "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(),
                    "history": self.history,
                    "rng": rng_state(self.generator, self.device),
                    **(extra_state() if extra_state is not None else {}),
                })
        bar.close()
        return self.history
