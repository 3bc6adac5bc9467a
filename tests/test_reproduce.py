"""`neurodecode reproduce god` end to end on a small simulated BIDS subject."""
import json

import numpy as np
import pytest
from PIL import Image

from neurodecode.cli import main
from neurodecode.datasets import make_class_images, simulate_bids

SMALL = {"V1": 20, "V2": 12, "V3": 8, "hV4": 6, "LOC": 8, "FFA": 4, "PPA": 4}


def _class_folders(root, wnids, n, seed, first_class):
    images, labels = make_class_images(n_per_class=n, image_size=32, random_state=seed,
                                       classes=first_class + np.arange(len(wnids)))
    for img, lab in zip(images, labels):
        folder = root / wnids[lab - first_class]
        folder.mkdir(parents=True, exist_ok=True)
        k = len(list(folder.iterdir()))
        Image.fromarray((img * 255).round().astype(np.uint8)).save(folder / f"{k}.png")


@pytest.fixture(scope="module")
def god_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("rep")
    bids = root / "bids"
    simulate_bids(bids, "01", n_voxels=SMALL, grid=(16, 16, 10), raw=False,
                  n_runs={"perceptionTraining": 2, "perceptionTest": 4, "imageryTest": 0},
                  snr=0.5, random_state=0)
    test_wnids = [f"n{80000000 + c:08d}" for c in range(50)]
    other = [f"n{70000000 + c:08d}" for c in range(10)]
    _class_folders(root / "gallery", test_wnids + other, 2, 1, 1000)
    _class_folders(root / "unpaired", other[:6] + test_wnids[:2], 3, 2, 2000)
    return root


def test_reproduce_god_writes_the_demo_report(god_inputs, tmp_path, capsys):
    root = god_inputs
    out = tmp_path / "out"
    code = main(["reproduce", "god", "--bids-root", str(root / "bids"), "--subject", "01",
                 "--stimulus-dir", str(root / "bids" / "stimuli"),
                 "--unpaired-dir", str(root / "unpaired"), "--gallery-dir",
                 str(root / "gallery"), "--out", str(out), "--image-size", "32",
                 "--encoder-epochs", "1", "--decoder-epochs", "1", "--gallery-per-class", "2",
                 "--penalty-weight", "0.1", "--device", "cpu", "--quiet"])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["methods"]) == {"supervised", "self-supervised"}
    proto = results["protocol"]
    assert proto["size"]["n_test"] == 50 and proto["size"]["n_test_repeats"] == 4
    # the test classes were left out of the unpaired pool: 6 classes x 3 images remain
    assert proto["size"]["n_unpaired_classes"] == 6
    assert results["methods"]["supervised"]["class_rank"]["n_classes"] == 60
    assert results["encoder"]["noise_ceiling_kind"] == "split-half noise ceiling estimate"
    assert "noise_ceiling_true" not in results["subject_statistics"]
    html = (out / "report.html").read_text()
    assert "GOD sub-01" in html and "n/a (real data)" in html
    # the loaded subject is kept whole: its masker draws brain maps into the report
    assert "Brain maps" in html and (out / "brain_map_0.png").stat().st_size > 5000
    assert (out / "brain_map_1.png").is_file()
    assert "self-supervised vs supervised" in capsys.readouterr().out


def test_reproduce_lists_every_missing_input_before_any_work(tmp_path, capsys):
    (tmp_path / "bids").mkdir()
    code = main(["reproduce", "god", "--bids-root", str(tmp_path / "bids"), "--subject", "01",
                 "--out", str(tmp_path / "out"), "--paper-backbones", "--weights",
                 str(tmp_path / "w")])
    assert code == 2
    err = capsys.readouterr().err
    for piece in ("not a BIDS dataset root", "--stimulus-dir: not given",
                  "--unpaired-dir: not given", "--gallery-dir: not given",
                  "ImageNet weights of vgg19", "ImageNet weights of vgg16",
                  "ImageNet weights of alexnet"):
        assert piece in err, piece
    assert not (tmp_path / "out").exists()


def test_reproduce_refuses_a_gallery_without_the_test_classes(god_inputs, tmp_path):
    """Found once the subject is loaded (before any training): raised with its traceback,
    as is every error after the argument checks (the CLI exits 2 only for those)."""
    root = god_inputs
    with pytest.raises(FileNotFoundError, match="48 of the 50 test classes have no folder"):
        main(["reproduce", "god", "--bids-root", str(root / "bids"), "--subject", "01",
              "--stimulus-dir", str(root / "bids" / "stimuli"),
              "--unpaired-dir", str(root / "unpaired"), "--gallery-dir",
              str(root / "unpaired"), "--out", str(tmp_path / "o"), "--image-size", "32",
              "--quiet"])


def test_reproduce_keeps_the_traceback_of_a_failure_after_the_checks(god_inputs, tmp_path,
                                                                       monkeypatch):
    import neurodecode.demo as demo

    def fails(*args, **kwargs):
        raise ValueError("a failure after hours of training")

    monkeypatch.setattr(demo, "reproduce_god", fails)
    root = god_inputs
    with pytest.raises(ValueError, match="after hours of training"):
        main(["reproduce", "god", "--bids-root", str(root / "bids"), "--subject", "01",
              "--stimulus-dir", str(root / "bids" / "stimuli"),
              "--unpaired-dir", str(root / "unpaired"), "--gallery-dir",
              str(root / "unpaired"), "--out", str(tmp_path / "o"), "--quiet"])


@pytest.mark.hostile("CLI")
@pytest.mark.parametrize("extra, words", [
    (["--image-size", "16"], "image_size=16 is too small for the perceptual network "
                             "'efficientnet_lite0': it reads images of at least 32 px"),
    (["--image-size", "0"], "image_size must be in [16, inf); got 0"),
    (["--image-size", "36"], "image_size must be a multiple of 8"),
    (["--gallery-per-class", "0"], "n_gallery_per_class must be in [1, inf); got 0"),
    (["--cache", "FILE"], "cache="),
])
def test_reproduce_checks_every_argument_before_any_work(god_inputs, tmp_path, capsys,
                                                          monkeypatch, extra, words):
    import neurodecode.demo as demo

    monkeypatch.setattr(demo, "reproduce_god", lambda *a, **k: pytest.fail("work started"))
    (tmp_path / "FILE").write_text("a file, not a folder")
    extra = [str(tmp_path / "FILE") if e == "FILE" else e for e in extra]
    root = god_inputs
    code = main(["reproduce", "god", "--bids-root", str(root / "bids"), "--subject", "01",
                 "--stimulus-dir", str(root / "bids" / "stimuli"),
                 "--unpaired-dir", str(root / "unpaired"), "--gallery-dir",
                 str(root / "unpaired"), "--out", str(tmp_path / "o"), "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
