"""A hostile-input probe of the command line (issue 23): every user error exits with
status 2 and a short message, before any work, and never with a traceback."""
import pytest

import neurodecode.demo as demo
from neurodecode.cli import main

pytestmark = pytest.mark.hostile("CLI")


@pytest.fixture()
def no_work(monkeypatch):
    monkeypatch.setattr(demo, "run_demo", lambda *a, **k: pytest.fail("work started"))
    monkeypatch.setattr(demo, "reproduce_god", lambda *a, **k: pytest.fail("work started"))


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals (usage + one error line)
        code = exc.code
    err = capsys.readouterr().err
    return code, err


def _tree(tmp_path):
    bids = tmp_path / "bids"
    (bids / "sub-01").mkdir(parents=True)
    (bids / "dataset_description.json").write_text("{}")
    for d in ("stim", "unpaired", "gallery"):
        (tmp_path / d).mkdir()
    return ["reproduce", "god", "--bids-root", str(bids), "--stimulus-dir",
            str(tmp_path / "stim"), "--unpaired-dir", str(tmp_path / "unpaired"),
            "--gallery-dir", str(tmp_path / "gallery"), "--out", str(tmp_path / "o")]


DEMO_CASES = [
    (["demo", "--device", "tpu"], "device"),
    (["demo", "--device", "cuda:7"], "device"),
    (["demo", "--precision", "fp16"], "invalid choice"),
    (["demo", "--seed", "-1"], "--seed must be a non-negative int"),
    (["demo", "--seed", "x"], "invalid int value"),
    (["demo", "--out", "FILE"], "existing file"),
    (["demo", "--bogus"], "unrecognized arguments"),
    (["download-weights", "vgg99"], "vgg99"),
]


@pytest.mark.parametrize("argv, words", DEMO_CASES, ids=[" ".join(c[0]) for c in DEMO_CASES])
def test_demo_and_download_user_errors(tmp_path, capsys, no_work, argv, words):
    (tmp_path / "FILE").write_text("x")
    argv = [str(tmp_path / "FILE") if a == "FILE" else a for a in argv]
    code, err = _run(argv, capsys)
    assert code == 2 and words in err.strip().splitlines()[-1], err
    assert "Traceback" not in err  # argparse prints its usage above the error line


REPRODUCE_CASES = [
    (["--subject", "07"], "no sub-07"),
    (["--subject", "01", "--seed", "-2"], "seed must be in [0, inf)"),
    (["--subject", "01", "--penalty-weight", "nan"], "decoder_penalty_weight must be a finite"),
    (["--subject", "01", "--penalty-weight", "-1"], "decoder_penalty_weight must be in"),
    (["--subject", "01", "--encoder-epochs", "-1"], "encoder_epochs must be in"),
    (["--subject", "01", "--unpaired-per-class", "0"], "n_unpaired_per_class must be in"),
    (["--subject", "01", "--image-size", "20"], "multiple of 8"),
    (["--subject", "01", "--device", "tpu"], "device"),
    (["--subject", "01", "--source", "fmriprep"], "invalid choice"),
    (["--subject", "01", "--image-size", "big"], "invalid int value"),
    (["--subject", "01", "--rois", "V9"], "unknown ROI"),
    (["--subject", "01", "--rois", "LH_"], "unknown ROI"),
]


@pytest.mark.parametrize("extra, words", REPRODUCE_CASES,
                         ids=[" ".join(c[0]) for c in REPRODUCE_CASES])
def test_reproduce_user_errors(tmp_path, capsys, no_work, extra, words):
    code, err = _run(_tree(tmp_path) + extra, capsys)
    assert code == 2 and words in err.strip().splitlines()[-1], err
    assert "Traceback" not in err  # argparse prints its usage above the error line


def test_reproduce_without_required_arguments(capsys):
    code, err = _run(["reproduce", "god"], capsys)
    assert code == 2 and "required" in err
