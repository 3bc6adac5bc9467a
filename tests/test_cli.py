import subprocess
import sys
from urllib.error import URLError

import pytest

from neurodecode import cli


def test_help_lists_the_commands(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "download-weights" in out
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "neurodecode.cli", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("neurodecode ")


def test_download_weights_without_internet_says_what_to_do(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr("torch.hub.load_state_dict_from_url", offline)
    assert cli.main(["download-weights", "vgg19", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "vgg19: download failed" in err
    assert "vgg19-dcbb9e9d.pth" in err and "on one that has" in err


def test_download_weights_fetches_into_the_cache(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    seen = {}

    def fake_download(url, model_dir, **kwargs):
        seen["url"], seen["dir"] = url, model_dir
        return {}

    monkeypatch.setattr("torch.hub.load_state_dict_from_url", fake_download)
    assert cli.main(["download-weights", "alexnet", "efficientnet_lite0", "--quiet"]) == 0
    assert seen["url"].endswith("alexnet-owt-7be5be79.pth")
    assert seen["dir"] == str(tmp_path / "hub" / "checkpoints")
    out = capsys.readouterr().out
    assert "efficientnet_lite0" in out  # ships with its package: nothing downloaded


def test_download_weights_rejects_unknown_names(capsys):
    assert cli.main(["download-weights", "resnet"]) == 2
    assert "unknown backbone" in capsys.readouterr().err


def test_demo_refuses_a_bad_device_at_once(tmp_path, capsys):
    import time

    t0 = time.perf_counter()
    assert cli.main(["demo", "--device", "tpu9", "--out", str(tmp_path / "d")]) == 2
    assert time.perf_counter() - t0 < 5  # before any work
    err = capsys.readouterr().err.strip()
    assert err.startswith("neurodecode demo: error: device='tpu9' is not a valid torch device")
    assert "\n" not in err and "Traceback" not in err


def test_demo_refuses_a_bad_precision_at_once(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", "--precision", "fp16", "--out", str(tmp_path / "d")])
    assert exc.value.code == 2
    assert "--precision: invalid choice: 'fp16'" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_check_demo_arguments_refuses_a_bad_precision(tmp_path):
    from neurodecode.demo import check_demo_arguments

    with pytest.raises(ValueError, match="precision must be one of"):
        check_demo_arguments(tmp_path / "d", device="cpu", precision="half")


@pytest.mark.parametrize("where", ["file", "below a file"])
def test_demo_refuses_an_unusable_output_folder(tmp_path, capsys, where):
    blocker = tmp_path / "results.json"
    blocker.write_text("{}")
    out = blocker if where == "file" else blocker / "demo"
    assert cli.main(["demo", "--device", "cpu", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("neurodecode demo: error: out=") and "\n" not in err
    assert blocker.read_text() == "{}"  # nothing overwritten


@pytest.mark.parametrize("below", [False, True])
def test_demo_refuses_a_read_only_output_folder_at_once(read_only_dir, capsys, below):
    import time

    out = read_only_dir / "demo" if below else read_only_dir
    t0 = time.perf_counter()
    assert cli.main(["demo", "--quick", "--device", "cpu", "--out", str(out)]) == 2
    assert time.perf_counter() - t0 < 5  # before any work
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"neurodecode demo: error: out={str(out)!r} cannot be used as the "
                          "output folder")
    assert "\n" not in err and "Traceback" not in err


def test_demo_refuses_missing_paper_weights(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    code = cli.main(["demo", "--paper-backbones", "--out", str(tmp_path / "d"), "--device",
                     "cpu"])
    assert code == 2
    assert "neurodecode download-weights vgg19" in capsys.readouterr().err


@pytest.mark.parametrize("argv, verbose", [([], 1), (["--quiet"], 0)])
def test_demo_shows_progress_unless_quiet(tmp_path, monkeypatch, argv, verbose):
    seen = {}

    def fake_run_demo(**kwargs):
        seen.update(kwargs)
        return {"wilcoxon": {}}

    monkeypatch.setattr("neurodecode.demo.run_demo", fake_run_demo)
    assert cli.main(["demo", "--out", str(tmp_path / "d"), "--device", "cpu", *argv]) == 0
    assert seen["verbose"] == verbose
