"""The README quick start and the gallery examples run as written."""
import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _blocks(language):
    """``[(heading, code)]`` of every fenced block of ``language`` in the README."""
    readme = (ROOT / "README.md").read_text()
    out, heading = [], None
    for m in re.finditer(r"^(#+ [^\n]*)$|^```(\w+)\n(.*?)^```", readme, re.S | re.M):
        if m.group(1):
            heading = m.group(1).lstrip("# ").strip()
        elif m.group(2) == language:
            out.append((heading, m.group(3)))
    return out


PYTHON = {heading: code for heading, code in _blocks("python")}


def test_every_python_snippet_of_the_readme_is_run_below():
    assert sorted(PYTHON) == sorted(RUNS), "a README python block without its test"


def _run(heading, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    exec(compile(PYTHON[heading], f"README.md ({heading})", "exec"), namespace)
    return namespace


def _quick_start(tmp_path, monkeypatch):
    ns = _run("Quick start", tmp_path, monkeypatch)
    assert ns["reconstructions"].shape == (20, 64, 64, 3)
    assert (tmp_path / "model.nd").is_file()


def _pipelines(tmp_path, monkeypatch):
    ns = _run("Pipelines, cross-validation and evaluation", tmp_path, monkeypatch)
    assert ns["pipe"][-1].n_unpaired_fmri_ == 40
    summary = ns["res"].summary
    assert (summary["n"] == 16).all() and summary["mean"].notna().all()
    assert len(ns["scores"]) == 3 and np.isfinite(ns["scores"]).all()  # every fold scored


def _real_data(tmp_path, monkeypatch):
    """Against a local S3-like mirror of a ds001246-layout tree (no internet here)."""
    import shutil

    from neurodecode.datasets import fetch_god, simulate_bids

    from ._s3 import serve

    mirror = tmp_path / "mirror"
    simulate_bids(mirror / "ds001246", "01", events_from=ROOT / "tests/data/ds001246",
                  n_voxels={"V1": 12, "V2": 8, "V3": 8, "hV4": 4, "LOC": 8, "FFA": 4,
                            "PPA": 4}, grid=(16, 16, 10), random_state=0, verbose=0)
    work = tmp_path / "work"
    shutil.copytree(mirror / "ds001246" / "stimuli", work / "stimuli")  # not public: yours
    url, server = serve(mirror)
    monkeypatch.setitem(fetch_god.__kwdefaults__, "url", url)
    monkeypatch.setenv("NEURODECODE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the snippet's ~/.cache
    try:
        ns = _run("Real data: GOD from BIDS, BData, vim-1, image folders", work, monkeypatch)
    finally:
        server.shutdown()
    assert ns["god"].X_train.shape == (1200, 48) and ns["god"].images_train.shape[1] == 112
    assert ns["ceiling_img"].shape == (16, 16, 10)
    assert any((tmp_path / "home" / ".cache" / "neurodecode").rglob("*.npz"))


def _analyses(tmp_path, monkeypatch):
    ns = _run("Analyses: noise ceilings, ROI retraining, retinotopy (paper Figs 8-9)",
              tmp_path, monkeypatch)
    assert set(ns["table"]["roi_set"]) == {"LVC", "HVC", "VC"}
    assert len(ns["prf"]) == 150 and np.isfinite(ns["corrected"]).any()


RUNS = {"Quick start": _quick_start,
        "Pipelines, cross-validation and evaluation": _pipelines,
        "Real data: GOD from BIDS, BData, vim-1, image folders": _real_data,
        "Analyses: noise ceilings, ROI retraining, retinotopy (paper Figs 8-9)": _analyses}


@pytest.mark.parametrize("heading", list(RUNS))
def test_readme_python_snippet_runs_on_its_own(heading, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    RUNS[heading](tmp_path, monkeypatch)


def test_readme_command_lines_parse():
    """The shell lines that call neurodecode are valid commands (argparse accepts them;
    the install, test and docs lines are what .ci/run itself runs)."""
    import shlex

    from neurodecode.cli import build_parser

    lines = [line for _, code in _blocks("bash")
             for line in code.replace("\\\n", " ").splitlines()]
    calls = [part.strip() for line in lines for part in line.split("&&")
             if part.strip().startswith("neurodecode ")]
    assert len(calls) >= 3
    for call in calls:
        argv = shlex.split(call.split("#")[0])[1:]
        build_parser().parse_args(argv)  # SystemExit (status 2) on an invalid line
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest tests neurodecode --doctest-modules -q" in ci
    assert any("python -m pytest tests neurodecode --doctest-modules -q" in code
               for _, code in _blocks("bash"))


@pytest.mark.gallery
@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("plot_*.py")),
                         ids=lambda p: p.name)
def test_gallery_example_runs(script, tmp_path, monkeypatch):
    """Each example runs, and leaves the figures it draws open for ``plt.show()`` (what
    sphinx-gallery's scraper renders; ``docs/check_gallery.py`` checks the built images)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sys.path.insert(0, str(ROOT / "docs"))
    from check_gallery import FIGURES

    plt.close("all")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)  # the gallery renders them
    runpy.run_path(str(script), run_name="__main__")
    assert len(plt.get_fignums()) == FIGURES[script.stem]
