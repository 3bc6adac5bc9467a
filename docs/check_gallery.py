"""Check the built gallery (run by .ci/run after sphinx-build): every example rendered the
figures it draws, each a decodable, non-blank PNG.

``FIGURES`` is the number of figures each example draws; ``tests/test_docs.py`` checks the
same numbers by running the examples as scripts (``-m gallery``).

Usage: ``python docs/check_gallery.py [docs/auto_examples]``
"""
import sys
from pathlib import Path

FIGURES = {
    "plot_god_bids": 2,
    "plot_noise_ceiling": 3,
    "plot_prf_retinotopy": 2,
    "plot_quickstart": 2,
    "plot_roi_analysis": 1,
    "plot_simulated_subject": 2,
}


def check(folder):
    import numpy as np
    from PIL import Image

    folder = Path(folder)
    problems = []
    examples = sorted(p.stem for p in (folder.parent.parent / "examples").glob("plot_*.py"))
    if sorted(FIGURES) != examples:
        problems.append(f"FIGURES lists {sorted(FIGURES)} but the examples are {examples}")
    for name, expected in FIGURES.items():
        images = sorted((folder / "images").glob(f"sphx_glr_{name}_[0-9][0-9][0-9].png"))
        if len(images) != expected:
            problems.append(f"{name}: {len(images)} figures rendered, {expected} expected")
        for path in images:
            try:
                with Image.open(path) as im:
                    pixels = np.asarray(im.convert("L"), dtype=float)
            except OSError as exc:
                problems.append(f"{path}: does not decode ({exc})")
                continue
            if pixels.std() < 1.0:  # one flat colour: an empty figure
                problems.append(f"{path}: blank")
    return problems


if __name__ == "__main__":
    found = check(sys.argv[1] if len(sys.argv) > 1 else
                  Path(__file__).parent / "auto_examples")
    for line in found:
        print(line)
    print("gallery: " + ("; ".join(found) if found else f"{sum(FIGURES.values())} figures of "
                         f"{len(FIGURES)} examples rendered"))
    sys.exit(1 if found else 0)
