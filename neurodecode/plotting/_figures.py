"""Matplotlib figures for reconstructions and their evaluation (no pyplot state kept)."""
import numpy as np


def _figure(figsize, figure=None):
    """A new pyplot-free figure, or the caller's ``figure`` (e.g. ``plt.figure()``) resized."""
    if figure is None:
        from matplotlib.figure import Figure

        return Figure(figsize=figsize, layout="constrained")
    figure.set_size_inches(figsize)
    figure.set_layout_engine("constrained")
    return figure


def plot_reconstructions(images, reconstructions, n_columns=10, titles=None, figure=None):
    """Grid of ground truths (first row) and each method's reconstructions (one row each).

    Parameters
    ----------
    images : array of shape (n, H, W, 3)
    reconstructions : dict {name: array of shape (n, H', W', 3)}
    n_columns : int, default=10
        How many images to show (the first ones).
    titles : sequence of str or None
        Column titles (e.g. class names).
    figure : matplotlib.figure.Figure or None
        Draw into this (empty) figure, e.g. ``plt.figure()`` so that pyplot shows it; by
        default a new figure not registered with pyplot.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from neurodecode.plotting import plot_reconstructions
    >>> imgs = np.random.default_rng(0).random((3, 8, 8, 3))
    >>> fig = plot_reconstructions(imgs, {"method": imgs})
    >>> len(fig.axes)
    6
    """
    rows = [("ground truth", images)] + list(reconstructions.items())
    n = min(n_columns, len(images))
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


def plot_identification(results, title="n-way identification", figure=None):
    """Accuracy versus n with 95% CIs, one line per method.

    Parameters
    ----------
    results : dict {method: {n: Bunch}}
        Outputs of :func:`neurodecode.metrics.n_way_identification`.
    figure : matplotlib.figure.Figure or None
        Draw into this (empty) figure, e.g. ``plt.figure()`` so that pyplot shows it; by
        default a new figure not registered with pyplot.
    """
    fig = _figure((4.5, 3.2), figure)
    ax = fig.subplots()
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
        ax.set_xticks(ns)
        ax.set_xticklabels([str(k) for k in ns])
    ax.set_xlabel("n (candidates)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return fig


def plot_classification(results, title="n-way semantic classification", figure=None):
    """Bars of n-way top-1 and top-5 accuracy per method, with 95% CIs.

    Parameters
    ----------
    results : dict {method: {(n, top): Bunch}}
        Outputs of :func:`neurodecode.metrics.n_way_classification`.
    figure : matplotlib.figure.Figure or None
        Draw into this (empty) figure, e.g. ``plt.figure()`` so that pyplot shows it; by
        default a new figure not registered with pyplot.
    """
    methods = list(results)
    keys = sorted(next(iter(results.values())))
    fig = _figure((max(4.5, 0.9 * len(keys) + 2), 3.2), figure)
    ax = fig.subplots()
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
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return fig


def plot_training_curves(histories, keys=("L_D", "L_ED", "L_DE"), figure=None):
    """Per-epoch raw loss terms of each method's phase II (NaN terms are skipped).

    Parameters
    ----------
    histories : dict {method: dict}
        Each method's ``history_`` (``"epoch"`` and one list per loss term).
    keys : sequence of str
        The loss terms, one panel each.
    figure : matplotlib.figure.Figure or None
        Draw into this (empty) figure, e.g. ``plt.figure()`` so that pyplot shows it; by
        default a new figure not registered with pyplot.
    """
    fig = _figure((3.2 * len(keys), 2.8), figure)
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        for name, hist in histories.items():
            values = np.asarray(hist.get(key, []), dtype=float)
            if values.size and np.isfinite(values).any():
                ax.plot(hist["epoch"], values, marker=".", label=name)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].legend(fontsize=7)
    return fig
