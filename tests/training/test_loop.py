"""EpochLoop: history, checkpoints and resume, on a model small enough to check by hand."""
import pytest
import torch

from neurodecode.training._checkpoint import CheckpointManager
from neurodecode.training._loop import EpochLoop

CPU = torch.device("cpu")


def _run(n_epochs, checkpoint=None, resume=False, stop_after=None):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    model = torch.nn.Linear(3, 1)
    x = torch.randn(20, 3, generator=torch.Generator().manual_seed(2))
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    loop = EpochLoop("toy", "toy", optimizer, scheduler, generator, CPU, n_epochs,
                     ("loss", "mae"), checkpoint=checkpoint)
    loop.restore(resume, model.load_state_dict)

    def run_epoch(epoch):
        if stop_after is not None and epoch == stop_after:
            raise KeyboardInterrupt
        sums = {"loss": 0.0, "mae": 0.0}
        for idx in torch.randperm(20, generator=generator).split(5):
            loss = ((model(x[idx]) - y[idx]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sums["loss"] += loss.detach() / 4
            sums["mae"] += (model(x[idx]) - y[idx]).abs().mean().detach() / 4
        return sums

    history = loop.run(run_epoch, model.state_dict)
    return model, history


def test_history_records_every_epoch():
    _, history = _run(5)
    assert list(history) == ["epoch", "loss", "mae", "lr", "seconds"]
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    assert history["loss"][-1] < history["loss"][0]


def test_resume_equals_an_uninterrupted_run(tmp_path):
    full_model, full_history = _run(6)
    ckpt = CheckpointManager(tmp_path, "toy.ckpt", 2, "same-problem")
    with pytest.raises(KeyboardInterrupt):
        _run(6, checkpoint=ckpt, stop_after=3)
    state = torch.load(tmp_path / "toy.ckpt", weights_only=True)
    assert state["phase"] == "toy" and state["epoch"] == 2
    model, history = _run(6, checkpoint=ckpt, resume=True)
    for p, q in zip(model.parameters(), full_model.parameters()):
        assert torch.equal(p, q)
    assert history["loss"] == full_history["loss"] and history["epoch"] == full_history["epoch"]


def test_a_checkpoint_of_another_phase_is_not_resumed(tmp_path):
    ckpt = CheckpointManager(tmp_path, "toy.ckpt", 1, "same-problem")
    ckpt.save({"phase": "other", "epoch": 3})
    _, history = _run(2, checkpoint=ckpt, resume=True)
    assert history["epoch"] == [1, 2]
