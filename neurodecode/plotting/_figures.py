"""Matplotlib figures for reconstructions and their evaluation, on pyplot figures."""
import numbers

import numpy as np

from .._docs import fill_doc


def _figure(figsize, figure=None):
    """A new pyplot figure (so that ``plt.show()`` and sphinx-gallery see it), or the
    caller's ``figure`` resized; the constrained layout either way."""
    if figure is None:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, layout="constrained")
    figure.set_size_inches(figsize)
    figure.set_layout_engine("constrained")
    return figure


def _figure_axes(figsize, figure=None, axes=None):
    """``(figure, axes)``: the caller's ``axes`` (and its figure), else one axes on
    :func:`_figure`."""
    if axes is not None:
        if figure is not None and axes.figure is not figure:
            raise ValueError("axes belongs to another figure than figure; pass one of them.")
        return axes.figure, axes
    fig = _figure(figsize, figure)
    return fig, fig.subplots()


@fill_doc
def plot_reconstructions(images, reconstructions, n_columns=10, titles=None, figure=None):
    """Plot a grid of ground truths (first row) and each method's reconstructions.

    One row per method, one column per image; values are clipped to [0, 1].

    Parameters
    ----------
    images : array of shape (n, H, W, 3)
        The ground truths, in [0, 1].
    reconstructions : dict {name: array of shape (n, H', W', 3)} or array
        Each method's reconstructions of ``images``, in the same order; the name labels its
        row. A single array is one row, "reconstruction".
    n_columns : int, default=10
        How many images to show (the first ones).
    titles : sequence of str or None, default=None
        Column titles (e.g. class names).
    %(figure)s

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn into: ``figure`` when given, else a new pyplot figure.

    See Also
    --------
    plot_identification, plot_classification, plot_training_curves

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.plotting import plot_reconstructions
    >>> imgs = np.random.default_rng(0).random((3, 8, 8, 3))
    >>> fig = plot_reconstructions(imgs, {"method": imgs})
    >>> len(fig.axes)
    6
    """
    from .._validation import as_numeric_array, check_images, check_number, check_same_length

    def shown(a, name):  # shape and NaN checked; float values clipped to [0, 1] as drawn
        a = as_numeric_array(a, name)
        return check_images(np.clip(a, 0, 1) if a.dtype.kind == "f" else a, name)

    images = shown(images, "images")
    if not isinstance(reconstructions, dict):
        reconstructions = {"reconstruction": reconstructions}
    rows = [("ground truth", images)]
    for name, rec in reconstructions.items():
        rec = shown(rec, f"reconstructions[{name!r}]")
        check_same_length(images, rec, "images", f"reconstructions[{name!r}]")
        rows.append((name, rec))
    check_number(n_columns, "n_columns", numbers.Integral, low=1)
    n = min(n_columns, len(images))
    if isinstance(titles, str):
        raise TypeError(f"titles must be a sequence of column titles, one per image; got one "
                        f"string {titles!r}.")
    if titles is not None and len(titles) < n:
        raise ValueError(f"titles has {len(titles)} entries for {n} images shown; give one "
                         "per column.")
    fig = _figure((1.1 * n + 1.2, 1.15 * len(rows)), figure)
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (name, imgs) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(np.clip(imgs[c], 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
            if r == 0 and titles is not None:
                ax.set_title(str(titles[c]), fontsize=7)
    return fig


@fill_doc
def plot_identification(results, title="n-way identification", figure=None, axes=None):
    """Plot n-way identification accuracy versus n with 95% CIs, one line per method.

    Accuracies are in percent, n on a log axis, with the chance level (1/n) dotted.

    Parameters
    ----------
    results : dict {method: {n: Bunch}}
        Outputs of :func:`neurodecode.metrics.n_way_identification`, by method name.
    title : str, default="n-way identification"
        Title of the axes.
    %(figure)s
    %(axes)s

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn into: ``figure`` (or that of ``axes``) when given, else a new
        pyplot figure.

    See Also
    --------
    neurodecode.metrics.n_way_identification : The results plotted.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import n_way_identification
    >>> from neurodecode.plotting import plot_identification
    >>> rng = np.random.default_rng(0)
    >>> images = rng.random((10, 8, 8, 3))
    >>> res = n_way_identification(images, images, n=(2, 5), pool="others",
    ...                            distance="pixel_correlation", n_trials=None, n_boot=100)
    >>> fig = plot_identification({"identical": res})
    >>> len(fig.axes), fig.axes[0].get_title()
    (1, 'n-way identification')
    """
    import textwrap

    from matplotlib.ticker import FixedLocator, NullLocator

    fig, ax = _figure_axes((4.5, 3.2), figure, axes)
    ns = None
    for name, res in results.items():
        ns = sorted(res)
        means = np.array([res[k].mean for k in ns])
        ci = np.array([res[k].ci95 for k in ns])
        ax.errorbar(ns, 100 * means, yerr=100 * np.abs(ci.T - means), marker="o", capsize=3,
                    label=name)
    if ns:
        ax.plot(ns, [100 / k for k in ns], "k:", label="chance")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(ns))
        ax.xaxis.set_minor_locator(NullLocator())  # no overprinted minor labels
        ax.set_xticklabels([str(k) for k in ns])
    ax.set_xlabel("n (candidates)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(textwrap.fill(title, 48), fontsize=9)
    ax.legend(fontsize=7)
    return fig


@fill_doc
def plot_classification(results, title="n-way semantic classification", figure=None,
                        axes=None):
    """Plot n-way top-k classification accuracy as bars per method, with 95% CIs.

    One group of bars per (n, top) pair of the first method's results, one bar per method;
    accuracies in percent, chance levels marked.

    Parameters
    ----------
    results : dict {method: {(n, top): Bunch}}
        Outputs of :func:`neurodecode.metrics.n_way_classification`, by method name; every
        method has the same (n, top) pairs.
    title : str, default="n-way semantic classification"
        Title of the axes.
    %(figure)s
    %(axes)s

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn into: ``figure`` (or that of ``axes``) when given, else a new
        pyplot figure.

    See Also
    --------
    neurodecode.metrics.n_way_classification : The results plotted.

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.metrics import n_way_classification
    >>> from neurodecode.plotting import plot_classification
    >>> S = np.random.default_rng(0).random((20, 10))
    >>> res = n_way_classification(S, S.argmax(axis=1), n=(5, 10), top=(1, 5),
    ...                            n_trials=None, n_boot=100)
    >>> fig = plot_classification({"oracle": res})
    >>> len(fig.axes[0].get_xticks()), fig.axes[0].get_ylabel()  # 2 n x 2 top
    (4, 'accuracy (%)')
    """
    methods = list(results)
    keys = sorted(next(iter(results.values())))
    import textwrap

    fig, ax = _figure_axes((max(4.5, 0.9 * len(keys) + 2), 3.2), figure, axes)
    width = 0.8 / max(len(methods), 1)
    x = np.arange(len(keys))
    for i, name in enumerate(methods):
        means = np.array([results[name][k].mean for k in keys])
        ci = np.array([results[name][k].ci95 for k in keys])
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, 100 * means, width,
               yerr=100 * np.abs(ci.T - means), capsize=2, label=name)
    ax.scatter(x, [100 * results[methods[0]][k].chance for k in keys], marker="_", color="k",
               s=200, label="chance", zorder=3)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{n}-way\ntop-{t}" for n, t in keys], fontsize=7)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(textwrap.fill(title, 60), fontsize=9)
    ax.legend(fontsize=7)
    return fig


@fill_doc
def plot_training_curves(histories, keys=("L_D", "L_ED", "L_DE"), figure=None):
    """Plot the per-epoch raw loss terms of each method's phase II, one panel per term.

    A method whose term is absent or all NaN (a term that was off) draws no line in that
    panel.

    Parameters
    ----------
    histories : dict {method: dict}
        Each method's ``history_`` (``"epoch"`` and one list per loss term).
    keys : sequence of str, default=("L_D", "L_ED", "L_DE")
        The loss terms, one panel each.
    %(figure)s

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn into: ``figure`` when given, else a new pyplot figure.

    Examples
    --------
    >>> from neurodecode.plotting import plot_training_curves
    >>> history = {"epoch": [1, 2, 3], "L_D": [1.0, 0.8, 0.7], "L_ED": [1.0, 0.9, 0.85],
    ...            "L_DE": [float("nan")] * 3}
    >>> fig = plot_training_curves({"L_D + L_ED": history})
    >>> [ax.get_title() for ax in fig.axes], len(fig.axes[2].lines)
    (['L_D', 'L_ED', 'L_DE'], 0)
    """
    if not isinstance(histories, dict) or not histories:
        raise ValueError("histories must be a non-empty dict {method: history_}; got "
                         f"{histories!r:.80}.")
    fig = _figure((3.2 * len(keys), 2.8), figure)
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    colours = {name: f"C{i}" for i, name in enumerate(histories)}  # one per method, all panels
    for ax, key in zip(axes, keys):
        for name, hist in histories.items():
            values = np.asarray(hist.get(key, []), dtype=float)
            if values.size and np.isfinite(values).any():
                ax.plot(hist["epoch"], values, marker=".", color=colours[name], label=name)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].set_ylabel("loss")
    axes[-1].legend([Line2D([], [], color=c, marker=".") for c in colours.values()],
                    list(colours), fontsize=7)
    return fig
