"""GOD sample construction from one run (Horikawa & Kamitani 2017).

Pure numpy on a (n_volumes, n_voxels) array and the run's events table: linear detrend,
percent signal change relative to the initial rest, a shift of ``shift`` volumes for the
haemodynamic delay, one sample per block (the mean of its shifted volumes), one-back
repeats dropped, z-score per voxel over the run's samples.
"""
import difflib

import numpy as np
import pandas as pd
from scipy import signal

from .._utils import zscore_runs

#: The event types of ds001246's events files (others are ignored unless they look like
#: a mistyped one or carry a stimulus or category).
EVENT_TYPES = frozenset({"rest", "stimulus", "cue", "imagery", "evaluation", "inter_rest"})
PERCEPTION_COLUMNS = ("onset", "duration", "event_type", "stimulus_name", "category_index")
IMAGERY_COLUMNS = ("onset", "duration", "event_type", "category_index")


def check_events(events, task, path="events"):
    """Refuse an events table without the columns the sample construction reads.

    Parameters
    ----------
    events : pandas.DataFrame
        One run's events.tsv, as read by :func:`read_events`.
    task : {"perception", "imagery"}
        The run's task.
    path : str, default="events"
        Named in the error.

    Returns
    -------
    events : pandas.DataFrame
        The same table.

    Raises
    ------
    ValueError
        When a required column is missing, naming the file and the columns.
    """
    required = PERCEPTION_COLUMNS if task == "perception" else IMAGERY_COLUMNS
    missing = [c for c in required if c not in events.columns]
    if missing:
        raise ValueError(f"{path}: events of task '{task}' lack the column(s) {missing}; "
                         f"found {list(events.columns)}. neurodecode reads {list(required)} "
                         "(the ds001246 events.tsv format)."
                         + (" Is the file comma-separated? BIDS events files are "
                            "tab-separated." if len(events.columns) == 1
                            and "," in str(events.columns[0]) else ""))
    types = events["event_type"]
    for i in np.flatnonzero(~types.isin(EVENT_TYPES).to_numpy()):
        value = types.iloc[i]
        near = bool(difflib.get_close_matches(str(value).strip().lower(), EVENT_TYPES,
                                              n=1, cutoff=0.8))
        labelled = any(c in events and pd.notna(events[c].iloc[i])
                       for c in ("stimulus_name", "category_index"))
        if near or labelled:
            raise ValueError(f"{_where(path, i)}: event_type is {_shown(value)}, not one of "
                             f"ds001246's {sorted(EVENT_TYPES)}; the row "
                             f"{'has a stimulus or category' if labelled else 'looks like one'}"
                             ", so it would be dropped silently: fix its event_type.")
    return events


def read_events(path, task):
    """Read one run's events.tsv (``n/a`` as missing), checking its columns.

    Parameters
    ----------
    path : path-like
        The events.tsv file.
    task : {"perception", "imagery"}
        The run's task.

    Returns
    -------
    events : pandas.DataFrame
        The table; ``stimulus_name`` and ``category_name`` as strings.
    """
    try:
        events = pd.read_csv(path, sep="\t", na_values="n/a", keep_default_na=False,
                             dtype={"stimulus_name": str, "category_name": str})
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read this events file as a tab-separated table "
                         f"with a header row ({type(exc).__name__}: {exc}); BIDS events "
                         "files are TSV with the columns onset, duration, ...") from exc
    return check_events(events, task, str(path))


def _shown(value):
    """A cell of an events file as written (``n/a`` for missing)."""
    if pd.isna(value):
        return "'n/a'"
    return repr(value.item() if isinstance(value, np.generic) else value)


def _where(path, i):
    """A row of an events file, for messages (row 1 is the first after the header)."""
    return f"{path}, row {i + 1} (line {i + 2})"


def check_blocks(events, keep, task, path="events"):
    """Refuse blocks that would give wrong samples silently.

    Every row needs a finite ``onset`` and a finite positive ``duration`` (BIDS: seconds);
    the blocks kept as samples need a ``category_index`` that is an integer (``n/a`` there
    has no label) and, in perception runs, a ``stimulus_name`` (``n/a`` there has no
    image); no two blocks of the task (one-back repeats included) may overlap (a
    duplicated row would give two images the same volumes).

    Parameters
    ----------
    events : pandas.DataFrame
        The run's events, in file order (the messages name the file's rows).
    keep : ndarray of bool
        The rows that become samples.
    task : {"perception", "imagery"}
        The run's task.
    path : str, default="events"
        Named in the errors.

    Raises
    ------
    ValueError
        Naming the file, the row (and its line) and the column.
    """
    for column in ("onset", "duration"):
        values = pd.to_numeric(events[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{_where(path, i)}: {column} is {_shown(events[column].iloc[i])}, not a "
                             f"number of seconds ({int(bad.sum())} such row(s)); every event "
                             f"needs a numeric {column}.")
    duration = events["duration"].to_numpy(dtype=float)
    if (duration <= 0).any():
        i = int(np.flatnonzero(duration <= 0)[0])
        raise ValueError(f"{_where(path, i)}: duration {duration[i]:g} s; a block needs a "
                         "positive duration.")
    kept = np.flatnonzero(keep)
    category = pd.to_numeric(events["category_index"], errors="coerce").to_numpy(dtype=float)
    bad = [i for i in kept if not (np.isfinite(category[i]) and category[i] == round(category[i]))]
    if bad:
        article = "an" if task[0] in "aeiou" else "a"
        raise ValueError(f"{_where(path, bad[0])}: category_index is "
                         f"{_shown(events['category_index'].iloc[bad[0]])}; {article} {task} "
                         "block needs an "
                         f"integer category ({len(bad)} such block(s)). BIDS 'n/a' means "
                         "missing: fix the row or mark it as another event_type.")
    if task == "perception":
        names = events["stimulus_name"]
        bad = [i for i in kept if pd.isna(names.iloc[i]) or str(names.iloc[i]).strip() == ""]
        if bad:
            raise ValueError(f"{_where(path, bad[0])}: stimulus_name is missing ('n/a'); a "
                             f"stimulus block needs the name of its image ({len(bad)} such "
                             "block(s)).")
    onset = events["onset"].to_numpy(dtype=float)
    blocks = np.flatnonzero((events["event_type"] == (
        "stimulus" if task == "perception" else "imagery")).to_numpy())  # repeats included
    order = blocks[np.argsort(onset[blocks], kind="stable")]
    for a, b in zip(order[:-1], order[1:]):
        if onset[b] < onset[a] + duration[a] - 1e-6:
            raise ValueError(f"{path}: the {task} blocks of rows {a + 1} and {b + 1} (lines "
                             f"{a + 2} and {b + 2}) overlap (onsets {onset[a]:g} s and "
                             f"{onset[b]:g} s, the first lasting {duration[a]:g} s): two "
                             "samples would share volumes. Remove the duplicated row.")


def _block_volumes(onset, duration, tr, shift, n_volumes, path):
    """Volumes acquired during [onset, onset + duration), shifted by ``shift`` volumes."""
    first = int(np.ceil(onset / tr - 1e-6))
    last = int(np.ceil((onset + duration) / tr - 1e-6))  # exclusive
    idx = np.arange(first, last) + shift
    if len(idx) and idx[0] < 0:
        raise ValueError(f"{path}: the block at onset {onset:g} s starts before the run "
                         "(negative onset or shift).")
    if len(idx) == 0 or idx[-1] >= n_volumes:
        raise ValueError(f"{path}: the block at onset {onset:g} s (duration {duration:g} s) "
                         f"needs volumes up to {int(idx[-1]) if len(idx) else first} (with the "
                         f"{shift}-volume shift) but the run has {n_volumes} volumes of "
                         f"{tr:g} s. Is the repetition time right, or the run truncated?")
    return idx


def one_back_repeats(events):
    """Mask of the stimulus blocks that repeat the previous stimulus block (one-back task).

    Parameters
    ----------
    events : pandas.DataFrame
        A perception run's events (``event_type``, ``stimulus_name``).

    Returns
    -------
    repeats : ndarray of bool, one per row of ``events``
        True for a stimulus row whose ``stimulus_name`` equals that of the stimulus row just
        before it.

    Examples
    --------
    >>> import pandas as pd
    >>> from neurodecode.datasets._god_samples import one_back_repeats
    >>> ev = pd.DataFrame({"event_type": ["rest", "stimulus", "stimulus", "stimulus"],
    ...                    "stimulus_name": [None, "a", "a", "b"]})
    >>> one_back_repeats(ev).tolist()
    [False, False, True, False]
    """
    names = events["stimulus_name"].to_numpy(dtype=object)
    is_stim = (events["event_type"] == "stimulus").to_numpy()
    out = np.zeros(len(events), bool)
    previous = None
    for i in range(len(events)):
        if is_stim[i]:
            out[i] = previous is not None and names[i] == previous
            previous = names[i]
    return out


def run_samples(data, events, tr, *, task="perception", shift=1, drop_repeats=True,
                zscore=True, path="run"):
    """Samples of one run: one per stimulus (or imagery) block.

    Parameters
    ----------
    data : ndarray of shape (n_volumes, n_voxels)
        The run's BOLD time series of the voxels kept.
    events : pandas.DataFrame
        The run's events (ds001246 format).
    tr : float
        Repetition time, seconds.
    task : {"perception", "imagery"}, default="perception"
        Perception runs give one sample per ``stimulus`` block; imagery runs one per
        ``imagery`` period (15 s).
    shift : int, default=1
        Volumes of haemodynamic delay (GOD: 1 volume, 3 s).
    drop_repeats : bool, default=True
        Leave out the one-back repeat blocks (the second of two identical adjacent
        stimuli), so that every image gives one sample per run.
    zscore : bool, default=True
        Z-score each voxel over the run's samples (after the blocks are averaged).
    path : str, default="run"
        Named in errors.

    Returns
    -------
    samples : ndarray of shape (n_blocks, n_voxels), float32
        One row per kept block, in the order of the events.
    rows : pandas.DataFrame
        The events rows of the kept blocks.

    Notes
    -----
    Each voxel is linearly detrended (its mean kept), then expressed in percent signal
    change relative to its mean over the volumes of the run's first ``rest`` event; a
    block's sample is the mean of the volumes acquired during the block, shifted by
    ``shift`` volumes. A volume ``k`` counts as acquired at ``k * tr``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from neurodecode.datasets._god_samples import run_samples
    >>> ev = pd.DataFrame({"onset": [0, 6, 15, 24], "duration": [6, 9, 9, 6],
    ...                    "event_type": ["rest", "stimulus", "stimulus", "rest"],
    ...                    "stimulus_name": [None, "a", "b", None],
    ...                    "category_index": [None, 1, 2, None]})
    >>> X, rows = run_samples(np.random.rand(10, 4) + 100, ev, tr=3.0)
    >>> X.shape, rows["stimulus_name"].tolist()
    ((2, 4), ['a', 'b'])
    """
    data = np.asarray(data, dtype=np.float64)
    n_volumes = data.shape[0]
    check_events(events, task, path)
    kind = "stimulus" if task == "perception" else "imagery"
    is_kind = (events["event_type"] == kind).to_numpy()
    if task == "perception" and drop_repeats:  # (in time order, as below)
        by_time = events.sort_values(
            "onset", kind="stable", key=lambda c: pd.to_numeric(c, errors="coerce"))
        repeats = pd.Series(one_back_repeats(by_time), index=by_time.index)
        is_kind = is_kind & ~repeats.sort_index().to_numpy()
    check_blocks(events.reset_index(drop=True), is_kind, task, path)
    # in time order (a table edited out of order must not change the samples)
    events = events.sort_values("onset", kind="stable").reset_index(drop=True)
    rest = events.index[events["event_type"] == "rest"]
    if len(rest) == 0:
        raise ValueError(f"{path}: no 'rest' event to normalise to (the ds001246 runs start "
                         "with 33 s of rest).")
    detrended = signal.detrend(data, axis=0, type="linear") + data.mean(axis=0)
    r = events.loc[rest[0]]
    rest_idx = _block_volumes(float(r["onset"]), float(r["duration"]), tr, 0, n_volumes, path)
    baseline = detrended[rest_idx].mean(axis=0)
    bad = ~(baseline > 0)
    if bad.any():
        raise ValueError(f"{path}: {int(bad.sum())} voxel(s) (first at column "
                         f"{int(np.flatnonzero(bad)[0])}) have a non-positive mean over the "
                         "initial rest, so percent signal change is undefined; restrict the "
                         "mask to brain voxels.")
    psc = 100.0 * (detrended / baseline - 1.0)
    keep = (events["event_type"] == kind).to_numpy().copy()
    if task == "perception" and drop_repeats:
        keep &= ~one_back_repeats(events)
    rows = events.loc[keep]
    if len(rows) == 0:
        raise ValueError(f"{path}: no '{kind}' events.")
    samples = np.stack([
        psc[_block_volumes(float(o), float(d), tr, shift, n_volumes, path)].mean(axis=0)
        for o, d in zip(rows["onset"], rows["duration"])])
    if zscore:
        samples = zscore_runs(samples)
    return samples.astype(np.float32), rows.reset_index(drop=True)
