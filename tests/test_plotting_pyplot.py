"""Every plot function draws on a pyplot-managed figure (so ``plt.show()``, notebooks and
sphinx-gallery's scraper see it), or on the figure / axes it is given (issue 24)."""
import matplotlib
import matplotlib.pyplot as plt
import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

from neurodecode._validation import mask_masker
from neurodecode.plotting import (
    plot_classification,
    plot_identification,
    plot_prf_maps,
    plot_reconstructions,
    plot_training_curves,
    plot_voxel_map,
)

matplotlib.use("Agg")
rng = np.random.default_rng(0)
IMG = rng.random((4, 8, 8, 3))


def _ident():
    return {"a": {n: Bunch(mean=1 / n + 0.1, ci95=[1 / n, 1 / n + 0.2]) for n in (2, 5, 10)}}


def _cls():
    return {"a": {(n, t): Bunch(mean=0.5, ci95=[0.4, 0.6], chance=t / n)
                  for n, t in ((2, 1), (5, 1))}}


def _prf(n=6):
    return pd.DataFrame({"x": rng.random(n), "y": rng.random(n), "eccentricity": rng.random(n),
                         "polar_angle": rng.random(n) * 360, "confined": np.ones(n, bool)})


def _mask():
    mask = np.zeros((5, 5, 5), np.uint8)
    mask[1:4, 1:4, 1:3] = 1
    return nib.Nifti1Image(mask, np.eye(4))


CALLS = {
    "plot_reconstructions": lambda **kw: plot_reconstructions(IMG, {"m": IMG}, **kw),
    "plot_identification": lambda **kw: plot_identification(_ident(), **kw),
    "plot_classification": lambda **kw: plot_classification(_cls(), **kw),
    "plot_training_curves": lambda **kw: plot_training_curves(
        {"a": {"epoch": [1, 2], "L_D": [2.0, 1.0]}}, **kw),
    "plot_prf_maps": lambda **kw: plot_prf_maps(_prf(), **kw),
    "plot_voxel_map": lambda **kw: plot_voxel_map(np.arange(18.0), _mask(), **kw),
}


def _figure_of(out):
    return out.frame_axes.figure if hasattr(out, "frame_axes") else out


@pytest.mark.parametrize("name", list(CALLS))
def test_each_plot_function_registers_its_figure_with_pyplot(name):
    plt.close("all")
    fig = _figure_of(CALLS[name]())
    assert plt.get_fignums() == [fig.number]
    assert plt.gcf() is fig  # what plt.show() and sphinx-gallery's scraper use


@pytest.mark.parametrize("name", list(CALLS))
def test_a_given_figure_is_drawn_into(name):
    plt.close("all")
    given = plt.figure()
    assert _figure_of(CALLS[name](figure=given)) is given
    assert plt.get_fignums() == [given.number]


@pytest.mark.parametrize("name", ["plot_identification", "plot_classification",
                                  "plot_voxel_map"])
def test_given_axes_are_drawn_into(name):
    plt.close("all")
    fig, (left, right) = plt.subplots(1, 2)
    out = _figure_of(CALLS[name](axes=right))
    assert out is fig and plt.get_fignums() == [fig.number]
    assert right.has_data() or right.images or right.collections or name == "plot_voxel_map"
    with pytest.raises(ValueError, match="axes belongs to another figure"):
        CALLS[name](axes=left, figure=plt.figure())


def test_training_curves_give_a_method_one_colour_in_every_panel():
    """Issue 24: in the L_ED / L_DE panels the self-supervised decoder took the colour the
    L_D legend gives to "supervised" (the supervised decoder has no L_ED / L_DE line)."""
    nan = [float("nan")] * 2
    fig = plot_training_curves({"supervised": {"epoch": [1, 2], "L_D": [2, 1], "L_ED": nan,
                                               "L_DE": nan},
                                "self-supervised": {"epoch": [1, 2], "L_D": [3, 2],
                                                    "L_ED": [1, 0.5], "L_DE": [1, 0.4]}})
    colour = {ax.get_title(): [line.get_color() for line in ax.lines] for ax in fig.axes}
    assert colour["L_D"] == ["C0", "C1"] and colour["L_ED"] == ["C1"] == colour["L_DE"]


def test_identification_axis_has_one_label_per_n():
    """Issue 24: the log axis printed overlapping minor labels (3x10^0 4x10^0 ...)."""
    fig = plot_identification(_ident(), title="n-way identification (perceptual distance, "
                                              "pool: other test images)")
    fig.canvas.draw()
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels(minor=True) if t.get_text()]
    assert labels == [] and [t.get_text() for t in ax.get_xticklabels()] == ["2", "5", "10"]
    assert "\n" in ax.get_title()  # wrapped, not cut
