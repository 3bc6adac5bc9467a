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
