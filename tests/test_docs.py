"""The README quick start and the gallery examples run as written."""
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quick_start_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\s+```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["reconstructions"].shape == (20, 64, 64, 3)
    assert (tmp_path / "model.nd").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("plot_*.py")),
                         ids=lambda p: p.name)
def test_gallery_example_runs(script, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
