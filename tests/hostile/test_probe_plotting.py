"""A hostile-input probe of the figures (issue 23): wrong shapes, NaN values, empty or
mismatched inputs end in a clear error naming the argument, or in a figure."""
import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from neurodecode._validation import mask_masker
from neurodecode.plotting import (
    plot_prf_maps,
    plot_reconstructions,
    plot_training_curves,
    values_to_img,
)

from ._probe import check_case

pytestmark = pytest.mark.hostile("plotting: figures")

rng = np.random.default_rng(0)
IMG = rng.random((4, 8, 8, 3))


def _masker():
    mask = np.zeros((5, 5, 5), np.uint8)
    mask[1:4, 1:4, 1:3] = 1  # 18 voxels
    return mask_masker(nib.Nifti1Image(mask, np.eye(4))).fit()


def _prf(n=4):
    return pd.DataFrame({"x": rng.random(n), "y": rng.random(n), "eccentricity": rng.random(n),
                         "polar_angle": rng.random(n) * 360, "confined": np.ones(n, bool)})


CASES = [
    ("reconstructions: count mismatch", lambda: plot_reconstructions(IMG, IMG[:3]),
     ValueError, "paired"),
    ("reconstructions: NaN", lambda: plot_reconstructions(IMG, np.full_like(IMG, np.nan)),
     ValueError, "NaN"),
    ("reconstructions: 3D", lambda: plot_reconstructions(IMG[0], IMG[0]), ValueError,
     "shape"),
    ("reconstructions: a figure", lambda: plot_reconstructions(IMG, IMG), None,
     lambda f: isinstance(f, Figure)),
    ("values_to_img: wrong length", lambda: values_to_img(np.ones(7), _masker()), ValueError,
     "18"),
    ("values_to_img: 2D values", lambda: values_to_img(np.ones((2, 18)), _masker()),
     ValueError, "values"),
    ("values_to_img: round trip", lambda: values_to_img(np.arange(18.0), _masker()), None,
     lambda img: np.asarray(img.dataobj).sum() == np.arange(18.0).sum()),
    ("values_to_img: no masker", lambda: values_to_img(np.ones(18), None), ValueError,
     "masker"),
    ("reconstructions: 0 columns", lambda: plot_reconstructions(IMG, IMG, n_columns=0),
     ValueError, "n_columns must be in [1, inf)"),
    ("reconstructions: 2.5 columns", lambda: plot_reconstructions(IMG, IMG, n_columns=2.5),
     TypeError, "n_columns must be an int"),
    ("reconstructions: titles as one string", lambda: plot_reconstructions(
        IMG, IMG, titles="abcd"), TypeError, "titles must be a sequence"),
    ("training curves: empty", lambda: plot_training_curves({}), ValueError, "histor"),
    ("training curves: a figure", lambda: plot_training_curves(
        {"a": {"epoch": [1, 2], "L_D": [2.0, 1.0]}}), None, lambda f: isinstance(f, Figure)),
    ("prf maps: roi of other length", lambda: plot_prf_maps(_prf(), roi=["V1"] * 3),
     ValueError, "roi"),
    ("prf maps: missing columns", lambda: plot_prf_maps(_prf().drop(columns="x")),
     ValueError, "x"),
]


@pytest.mark.parametrize("name, call, error, expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_plotting_input(name, call, error, expected):
    check_case(name, call, error, expected)


@pytest.mark.hostile("plotting: figures", cases={"correct": 1})
def test_out_of_range_reconstructions_are_clipped_as_documented():
    fig = plot_reconstructions(IMG, {"linear": IMG * 1.5 - 0.2})
    assert isinstance(fig, Figure) and len(fig.axes) == 8
