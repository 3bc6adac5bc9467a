"""Checkpoints under faults: damaged files, concurrent fits, bad folders, resume semantics.

Every failure must come before the first training step and name the folder or file and
the mismatch; two fits on one folder never corrupt each other.
"""
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import neurodecode.training._fit as encoder_module  # where the encoder is trained
from neurodecode import CheckpointDirInUseError, CheckpointError, ImageEncoder

FAST = dict(weights=None, n_epochs=2, batch_size=8, checkpoint_every=1, random_state=0)


@pytest.fixture
def data(problem):
    images, X = problem
    return images[:16], X[:16]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if a training step starts."""
    def trained(*args, **kwargs):
        raise AssertionError("training started before the folder was checked")

    monkeypatch.setattr(encoder_module, "train_encoder", trained)


# -- resume semantics ---------------------------------------------------------------------------
def test_resume_to_fewer_epochs_is_refused_and_to_more_continues(data, tmp_path):
    images, X = data
    ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
    with pytest.raises(CheckpointError, match=r"at epoch 2, past n_epochs=1: .*Pass "
                                              r"n_epochs>=2 to continue"):
        ImageEncoder(**dict(FAST, n_epochs=1), checkpoint_dir=tmp_path, resume=True).fit(
            images, X)
    longer = ImageEncoder(**dict(FAST, n_epochs=3), checkpoint_dir=tmp_path,
                          resume=True).fit(images, X)
    straight = ImageEncoder(**dict(FAST, n_epochs=3)).fit(images, X)
    assert longer.history_["epoch"] == [1, 2, 3]
    assert np.array_equal(longer.predict(images), straight.predict(images))


def test_resume_with_random_state_none_continues_the_interrupted_fit(data, tmp_path):
    images, X = data
    params = dict(FAST, random_state=None)
    first = ImageEncoder(**params, checkpoint_dir=tmp_path).fit(images, X)
    again = ImageEncoder(**dict(params, n_epochs=3), checkpoint_dir=tmp_path,
                         resume=True).fit(images, X)
    assert again.history_["epoch"] == [1, 2, 3]
    assert again.history_["loss"][:2] == first.history_["loss"]


@pytest.mark.parametrize("change, words", [
    (dict(random_state=1), "random_state was 0, now 1"),
    (dict(random_state=None), "random_state was 0, now None"),
    (dict(learning_rate=0.01), "learning_rate was 0.001, now 0.01"),
])
def test_a_refused_checkpoint_names_the_setting_that_differs(data, tmp_path, change, words):
    images, X = data
    ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
    with pytest.raises(CheckpointError, match=f"written for other settings: {words}"):
        ImageEncoder(**dict(FAST, **change), checkpoint_dir=tmp_path, resume=True).fit(
            images, X)
    with pytest.raises(CheckpointError, match=r"written for other data \(the same settings"):
        ImageEncoder(**FAST, checkpoint_dir=tmp_path, resume=True).fit(images, X + 1)


@pytest.mark.parametrize("damage, words", [
    ("truncated", "is truncated or not a neurodecode checkpoint"),
    ("empty", r"is empty \(0 bytes\)"),
    ("garbage", "is truncated or not a neurodecode checkpoint"),
])
def test_a_damaged_checkpoint_is_named(data, tmp_path, damage, words):
    images, X = data
    ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
    path = tmp_path / "encoder.ckpt"
    raw = path.read_bytes()
    path.write_bytes({"truncated": raw[: len(raw) // 2], "empty": b"",
                      "garbage": os.urandom(4096)}[damage])
    with pytest.raises(CheckpointError, match=f"{path}.* {words}.*resume=False"):
        ImageEncoder(**FAST, checkpoint_dir=tmp_path, resume=True).fit(images, X)


# -- folders checked before the first step ------------------------------------------------------
def test_checkpoint_dir_that_is_a_file_or_below_one(data, tmp_path, no_training):
    images, X = data
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    with pytest.raises(NotADirectoryError, match="is an existing file, not a folder"):
        ImageEncoder(**dict(FAST, n_epochs=1000), checkpoint_dir=a_file).fit(images, X)
    with pytest.raises(NotADirectoryError, match="lies below .*a_file.*which is a file"):
        ImageEncoder(**FAST, checkpoint_dir=a_file / "sub" / "dir").fit(images, X)
    with pytest.raises(TypeError, match="checkpoint_dir must be a path"):
        ImageEncoder(**FAST, checkpoint_dir=3).fit(images, X)


def test_read_only_checkpoint_dir_fails_before_the_first_step(data, read_only_dir,
                                                              no_training):
    images, X = data
    with pytest.raises(PermissionError, match="checkpoint_dir=.*cannot (write in|create)"):
        ImageEncoder(**dict(FAST, n_epochs=1000), checkpoint_dir=read_only_dir).fit(images, X)
    with pytest.raises(PermissionError, match="checkpoint_dir=.*cannot (write in|create)"):
        ImageEncoder(**FAST, checkpoint_dir=read_only_dir / "sub").fit(images, X)


# -- two fits, one folder -------------------------------------------------------------------------
HOLDER = """
import sys, time
from neurodecode._files import hold_dir
with hold_dir(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_a_folder_held_by_a_live_fit_is_refused_and_freed_when_it_is_killed(data, tmp_path):
    images, X = data
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(CheckpointDirInUseError, match=f"pid {holder.pid}"):
            ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
        assert not (tmp_path / "encoder.ckpt").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)  # free again after kill -9
    assert (tmp_path / "encoder.ckpt").is_file()


FITTER = """
import sys
import numpy as np
from neurodecode import CheckpointDirInUseError, ImageEncoder
rng = np.random.default_rng(int(sys.argv[2]))
images = rng.random((16, 32, 32, 3)).astype(np.float32)
X = rng.standard_normal((16, 12)).astype(np.float32)
try:
    ImageEncoder(weights=None, n_epochs=3, batch_size=8, checkpoint_every=1, random_state=0,
                 checkpoint_dir=sys.argv[1], resume=True).fit(images, X)
except CheckpointDirInUseError:
    print("refused")
else:
    print("finished")
"""


@pytest.mark.parametrize("round_", range(3))
def test_two_concurrent_fits_on_one_folder(tmp_path, round_):
    """Started together: each finishes or is refused cleanly; what is left resumes."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(FITTER), str(tmp_path),
                               str(seed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for seed in (0, 0)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-2000:]
        assert out.strip() in ("finished", "refused"), (out, err[-2000:])
    assert "finished" in [o.strip() for o, _ in outs]
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # the checkpoint left is complete: a third fit resumes it to the end without training
    t = time.perf_counter()
    rng = np.random.default_rng(0)
    images = rng.random((16, 32, 32, 3)).astype(np.float32)
    X = rng.standard_normal((16, 12)).astype(np.float32)
    est = ImageEncoder(weights=None, n_epochs=3, batch_size=8, checkpoint_every=1,
                       random_state=0, checkpoint_dir=tmp_path, resume=True).fit(images, X)
    assert est.history_["epoch"] == [1, 2, 3]
    assert time.perf_counter() - t < 60


# -- checkpoints sealed like model files ----------------------------------------------------------
def _reseal(path, edit):
    """Edit a checkpoint and seal it again, as a writer who knows the format would."""
    import torch

    from neurodecode._files import digest

    payload = torch.load(path, weights_only=True)
    payload.pop("sha256")
    edit(payload)
    payload["sha256"] = digest(payload).hexdigest()
    torch.save(payload, path)


def test_a_flipped_bit_in_a_checkpoint_is_detected(data, tmp_path):
    import struct
    import zipfile

    images, X = data
    ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
    path = tmp_path / "encoder.ckpt"
    with zipfile.ZipFile(path) as z:
        big = max(z.infolist(), key=lambda i: i.file_size)
    raw = bytearray(path.read_bytes())
    n, e = struct.unpack("<HH", raw[big.header_offset + 26: big.header_offset + 30])
    raw[big.header_offset + 30 + n + e + big.file_size // 2] ^= 4
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="does not match the checksum stored in it"):
        ImageEncoder(**FAST, checkpoint_dir=tmp_path, resume=True).fit(images, X)


@pytest.mark.parametrize("edit, words", [
    (lambda p: p.pop("optimizer"), "lacks a valid 'optimizer' entry"),
    (lambda p: p.update(epoch="two"), "lacks a valid 'epoch' entry"),
    (lambda p: p["model"].update({k: v[..., None] for k, v in p["model"].items()
                                  if k.startswith("readout")}), "does not fit this model"),
])
def test_checkpoint_contents_that_do_not_fit_are_named(data, tmp_path, edit, words):
    images, X = data
    ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
    _reseal(tmp_path / "encoder.ckpt", edit)
    with pytest.raises(CheckpointError, match=f"encoder.ckpt {words}|encoder.ckpt .*{words}"):
        ImageEncoder(**FAST, checkpoint_dir=tmp_path, resume=True).fit(images, X)


def test_two_threads_cannot_share_a_folder(data, tmp_path):
    import threading

    images, X = data
    started, release = threading.Event(), threading.Event()
    real = encoder_module.train_encoder

    def slow(*args, **kwargs):
        started.set()
        release.wait(60)
        return real(*args, **kwargs)

    errors = []

    def first():
        try:
            ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    encoder_module.train_encoder = slow
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert started.wait(60)
        with pytest.raises(CheckpointDirInUseError, match="another thread"):
            ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)
    finally:
        release.set()
        thread.join()
        encoder_module.train_encoder = real
    assert not errors
    ImageEncoder(**FAST, checkpoint_dir=tmp_path).fit(images, X)  # free once it ended


def test_a_linked_lock_file_is_not_followed(data, tmp_path):
    images, X = data
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / ".neurodecode.lock").symlink_to(victim)
    with pytest.raises(CheckpointDirInUseError, match="is not a regular file"):
        ImageEncoder(**FAST, checkpoint_dir=folder).fit(images, X)
    assert victim.read_text() == "precious"
