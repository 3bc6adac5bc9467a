"""The loaders' cache under hostile and damaged entries (issue 23): it holds arrays and JSON
only, binds each entry to its inputs and seal, and recomputes, with a warning, whatever it
cannot trust: a planted pickle, a foreign entry, swapped entries, a same-size edit with the
old modification time."""
import gzip
import os
import pickle
import shutil
import warnings

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from neurodecode.datasets import load_god, simulate_bids
from neurodecode.datasets._cache import Cache

# each case is an entry the cache must not trust: detected, recomputed and warned about
pytestmark = pytest.mark.hostile("cache", kind="correct")

SMALL = {"V1": 24, "V2": 16, "V3": 12, "hV4": 8, "LOC": 12, "FFA": 8, "PPA": 8}
GRID = (20, 20, 12)
RUNS = {"perceptionTraining": 2, "perceptionTest": 3, "imageryTest": 1}


def _dataset(root, seed):
    simulate_bids(root, "01", n_voxels=SMALL, grid=GRID, stimuli=False, n_runs=RUNS,
                  random_state=seed)
    return root


@pytest.fixture()
def ds(tmp_path):
    return _dataset(tmp_path / "ds", 1)


def _entries(cache):
    return sorted((cache / "neurodecode" / "god-run-samples").glob("*.npz"))


def _load(root, cache, **kw):
    return load_god(root, "01", source="raw", cache=cache, verbose=0, **kw)


def _same(a, b):
    for key in ("X_train", "X_test_trials", "X_imagery"):
        np.testing.assert_array_equal(a[key], b[key])
    pd.testing.assert_frame_equal(a.samples, b.samples)


def test_cached_load_equals_the_uncached_one_and_holds_no_pickle(ds, tmp_path):
    cache = tmp_path / "cache"
    fresh = _load(ds, None)
    first, again = _load(ds, cache), _load(ds, cache)
    _same(first, fresh)
    _same(again, fresh)  # served from the entries, table included
    assert len(_entries(cache)) == 6
    for path in _entries(cache):
        with np.load(path, allow_pickle=False) as f:  # would raise on any object array
            assert all(f[k].dtype != object for k in f.files)


class _Payload:
    def __reduce__(self):
        return (open, ("/tmp/i23_planted_pickle_ran", "w"))


def test_a_planted_pickle_is_never_run(ds, tmp_path):
    cache = tmp_path / "cache"
    ref = _load(ds, cache)
    marker = "/tmp/i23_planted_pickle_ran"
    if os.path.exists(marker):
        os.unlink(marker)
    target = _entries(cache)[0]
    target.write_bytes(pickle.dumps(_Payload()))  # the entry replaced by a pickle
    np.save(target.with_name("output.pkl"), np.array([_Payload()], dtype=object),
            allow_pickle=True)  # and one where joblib would have looked
    with pytest.warns(UserWarning, match="cannot be read as a cache entry.*recomputed"):
        got = _load(ds, cache)
    _same(got, ref)
    assert not os.path.exists(marker)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rewritten: sound again
        _same(_load(ds, cache), ref)


def test_an_object_array_in_an_entry_is_refused(ds, tmp_path):
    cache = tmp_path / "cache"
    ref = _load(ds, cache)
    target = _entries(cache)[1]
    with np.load(target, allow_pickle=False) as f:
        parts = {k: f[k] for k in f.files}
    parts["samples"] = np.array([_Payload()], dtype=object)
    with open(target, "wb") as f:
        np.savez(f, **parts)
    with pytest.warns(UserWarning, match="recomputed"):
        _same(_load(ds, cache), ref)


@pytest.mark.hostile("cache", cases={"correct": 2})
def test_a_foreign_entry_and_swapped_entries_are_recomputed(ds, tmp_path):
    cache, other_cache = tmp_path / "cache", tmp_path / "other_cache"
    ref = _load(ds, cache)
    other = _dataset(tmp_path / "other", 7)  # same layout, other data
    _load(other, other_cache)
    mine, theirs = _entries(cache), _entries(other_cache)
    shutil.copyfile(theirs[0], mine[0])  # dataset B's entry under A's name
    with pytest.warns(UserWarning, match="written for other inputs"):
        _same(_load(ds, cache), ref)
    a, b = _entries(cache)[:2]  # two runs' entries swapped
    tmp = a.with_suffix(".tmp")
    os.replace(a, tmp)
    os.replace(b, a)
    os.replace(tmp, b)
    with pytest.warns(UserWarning, match="written for other inputs") as record:
        _same(_load(ds, cache), ref)
    assert sum("written for other inputs" in str(w.message) for w in record) == 2


def test_a_same_size_edit_with_the_old_mtime_is_seen(ds, tmp_path):
    """A BOLD run rewritten uncompressed (> 1 MiB), then bytes in its middle changed in place
    (same size) and its modification time restored, as cp -p or rsync -t would."""
    cache = tmp_path / "cache"
    gz = next(ds.glob("sub-01/ses-perceptionTraining01/func/*run-01_bold.nii.gz"))
    plain = gz.with_suffix("")  # .nii
    plain.write_bytes(gzip.decompress(gz.read_bytes()))
    gz.unlink()
    assert plain.stat().st_size > 2**20
    ref = _load(ds, cache)
    img = nib.load(str(plain))
    offset = int(img.dataobj.offset)
    st = plain.stat()
    with open(plain, "r+b") as f:
        middle = offset + (st.st_size - offset) // 2
        middle -= middle % 4
        f.seek(middle)
        chunk = bytearray(f.read(4096))
        data = np.frombuffer(bytes(chunk), dtype=img.get_data_dtype()).copy()
        data = data * 2 + 1  # other values, same bytes count
        f.seek(middle)
        f.write(data.astype(img.get_data_dtype()).tobytes())
    os.utime(plain, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert plain.stat().st_size == st.st_size and plain.stat().st_mtime_ns == st.st_mtime_ns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = _load(ds, cache)
        fresh = _load(ds, None)
    _same(got, fresh)
    assert not np.array_equal(got.X_train, ref.X_train)


def test_a_damaged_entry_is_recomputed(ds, tmp_path):
    cache = tmp_path / "cache"
    ref = _load(ds, cache)
    target = _entries(cache)[2]
    raw = bytearray(target.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="recomputed"):
        _same(_load(ds, cache), ref)


def test_cache_entries_round_trip_a_table_with_missing_strings(tmp_path):
    store = Cache(tmp_path, "unit")
    table = pd.DataFrame({"name": ["a", np.nan, "c"], "x": [1.5, 2.0, np.nan],
                          "k": [1, 2, 3]})
    store.put({"i": 1}, {"samples": np.arange(6.0).reshape(3, 2)}, table)
    arrays, back, problem = store.get({"i": 1})
    assert problem is None
    np.testing.assert_array_equal(arrays["samples"], np.arange(6.0).reshape(3, 2))
    pd.testing.assert_frame_equal(back, table)
    assert store.get({"i": 2}) == (None, None, None)


def test_text_cells_come_back_from_the_cache_exactly(ds, tmp_path):
    """Review of issue 23: an events column of True / n/a came back from a cache hit as
    other objects than from a fresh load, and a trailing NUL was stripped."""
    for path in ds.glob("sub-01/ses-*/func/*_events.tsv"):
        df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        df["flag"] = ["True" if i % 2 else "n/a" for i in range(len(df))]
        df["note"] = "a\x00"
        df.to_csv(path, sep="\t", index=False)
    fresh = _load(ds, None)
    _load(ds, tmp_path / "cache")
    hit = _load(ds, tmp_path / "cache")
    pd.testing.assert_frame_equal(fresh.samples, hit.samples)
    assert hit.samples["note"].iloc[0] == "a\x00"
