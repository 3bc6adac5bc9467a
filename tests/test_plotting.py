import numpy as np
from sklearn.utils import Bunch

from neurodecode.plotting import (
    plot_classification,
    plot_identification,
    plot_reconstructions,
    plot_training_curves,
)


def _bunch(mean, n):
    return Bunch(mean=mean, ci95=[mean - 0.05, mean + 0.05], chance=1 / n)


def test_reconstruction_grid_has_a_row_per_method():
    imgs = np.random.default_rng(0).random((5, 8, 8, 3))
    fig = plot_reconstructions(imgs, {"a": imgs, "b": imgs}, n_columns=4)
    assert len(fig.axes) == 12
    assert fig.axes[4].get_ylabel() == "a"


def test_identification_and_classification_plots():
    ident = {"sup": {2: _bunch(0.8, 2), 5: _bunch(0.5, 5)},
             "self": {2: _bunch(0.9, 2), 5: _bunch(0.7, 5)}}
    fig = plot_identification(ident)
    assert len(fig.axes[0].lines) >= 3  # two methods and chance
    cls = {"sup": {(50, 1): _bunch(0.1, 50), (50, 5): _bunch(0.3, 10)},
           "self": {(50, 1): _bunch(0.2, 50), (50, 5): _bunch(0.4, 10)}}
    fig = plot_classification(cls)
    assert len(fig.axes[0].patches) == 4


def test_training_curves_skip_switched_off_terms():
    hist = {"epoch": [1, 2], "L_D": [2.0, 1.0], "L_ED": [np.nan, np.nan],
            "L_DE": [np.nan, np.nan]}
    fig = plot_training_curves({"sup": hist})
    assert len(fig.axes[0].lines) == 1 and len(fig.axes[1].lines) == 0


def test_plots_draw_into_a_given_pyplot_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    imgs = np.random.default_rng(0).random((3, 8, 8, 3))
    fig = plt.figure()
    try:
        assert plot_reconstructions(imgs, {"a": imgs}, figure=fig) is fig
        assert plt.fignum_exists(fig.number) and len(fig.axes) == 6
        np.testing.assert_allclose(fig.get_size_inches(), (1.1 * 3 + 1.2, 1.15 * 2))
    finally:
        plt.close(fig)
