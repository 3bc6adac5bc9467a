"""The README quick start and the gallery examples run as written."""
import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _block(readme, heading):
    return re.search(heading + r".*?```python\n(.*?)```", readme, re.S).group(1)


def test_readme_quick_start_and_pipelines_run(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(_block(readme, "## Quick start"), "README.md", "exec"), namespace)
    assert namespace["reconstructions"].shape == (20, 64, 64, 3)
    assert (tmp_path / "model.nd").is_file()
    exec(compile(_block(readme, "## Pipelines"), "README.md", "exec"), namespace)
    assert namespace["pipe"][-1].n_unpaired_fmri_ == 20
    summary = namespace["res"].summary
    assert (summary["n"] == 16).all() and summary["mean"].notna().all()


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
