"""The loaders' cache: arrays and JSON only, each entry bound to its inputs and sealed.

An entry is one ``.npz`` file (read with ``allow_pickle=False``: nothing in it can run
code) holding the arrays of one computation, a table as plain columns, the JSON
description of its inputs and a SHA-256 over all of it. Its name is the SHA-256 of the
inputs: the code version, the parameters, where it comes from (dataset, subject, run), and
the SHA-256 of the *whole* content of every input file, so that an edit anywhere in a file
is a miss whatever its size and modification time. Before an entry is used, its stored
inputs must equal the ones asked for and its content must match its seal; an entry that
fails (damaged, foreign, swapped, planted, of another version) is recomputed, with a
warning, and never served.

What the cache does not do: stop someone who can write the folder from storing wrong
numbers under a correct seal (the seal is a checksum, not a signature); it is a data
folder like any other, to be kept where only its users write.
"""
import hashlib
import json
import os
from pathlib import Path

import numpy as np

#: The format of an entry; part of every key.
CACHE_FORMAT = "neurodecode-cache-2"


def file_sha256(path):
    """SHA-256 of a file's whole content (hex)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def array_sha256(a):
    """SHA-256 of an array's dtype, shape and bytes (hex)."""
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.view(np.uint8).reshape(-1))
    return h.hexdigest()


def _canonical(inputs):
    return json.dumps({"format": CACHE_FORMAT, **inputs}, sort_keys=True, default=str)


def canonical_table(table):
    """``table`` with every text (object) column as ``str`` values or NaN: the form a cache
    entry restores exactly, so that a cached load equals a fresh one cell for cell.

    Examples
    --------
    >>> import pandas as pd
    >>> from neurodecode.datasets._cache import canonical_table
    >>> canonical_table(pd.DataFrame({"a": [True, None], "b": [1, 2]}))["a"].tolist()
    ['True', nan]
    """
    import pandas as pd

    out = {}
    for name, col in table.items():
        values = col.to_numpy()
        if values.dtype == object:
            null = col.isna().to_numpy()
            values = np.array([np.nan if n else str(v) for v, n in zip(values, null)],
                              dtype=object)
        out[name] = values
    return pd.DataFrame(out, index=pd.RangeIndex(len(table)))


def _table_arrays(table):
    """A DataFrame as plain arrays (no object dtype) and a JSON spec: ``{name: array}``,
    ``spec``. Text columns go into the spec (JSON keeps every character, NUL included)."""
    arrays, spec = {}, []
    for i, (name, col) in enumerate(canonical_table(table).items()):
        values = col.to_numpy()
        if values.dtype == object:
            spec.append({"name": str(name), "kind": "str",
                         "values": [None if isinstance(v, float) else v for v in values]})
        else:
            arrays[f"table_{i}"] = values
            spec.append({"name": str(name), "kind": "array"})
    return arrays, spec


def _table_from(f, spec, n_rows):
    import pandas as pd

    columns = {}
    for i, c in enumerate(spec):
        if c["kind"] == "str":
            values = np.array([np.nan if v is None else v for v in c["values"]], dtype=object)
        else:
            values = f[f"table_{i}"]
        columns[c["name"]] = values
    return pd.DataFrame(columns, index=pd.RangeIndex(n_rows))


def _seal(key, arrays, inputs_json, spec_json):
    h = hashlib.sha256(f"{key}\n{inputs_json}\n{spec_json}".encode())
    for name in sorted(arrays):
        h.update(name.encode() + b":" + array_sha256(arrays[name]).encode())
    return h.hexdigest()


class Cache:
    """A folder of sealed entries of one kind (``<folder>/neurodecode/<kind>/<key>.npz``).

    Parameters
    ----------
    folder : path-like
        The cache folder (created when the first entry is written).
    kind : str
        The computation cached (e.g. ``"god-run-samples"``).
    """

    def __init__(self, folder, kind):
        self.folder = Path(folder) / "neurodecode" / kind

    def path(self, inputs):
        """The entry file of ``inputs`` (a JSON-able dict)."""
        return self.folder / (hashlib.sha256(_canonical(inputs).encode()).hexdigest() + ".npz")

    def get(self, inputs):
        """``(arrays, table, problem)``: the entry's arrays and table when it is present and
        sound; else None, None and what was wrong with it (None when there is no entry)."""
        path = self.path(inputs)
        if not path.is_file():
            return None, None, None
        expected = _canonical(inputs)
        try:
            with np.load(path, allow_pickle=False) as f:
                files = set(f.files)
                if not {"_inputs", "_table", "_seal", "_n_rows"} <= files:
                    return None, None, f"{path} is not a neurodecode cache entry"
                stored = str(f["_inputs"])
                if stored != expected:
                    return None, None, (f"{path} was written for other inputs (another "
                                        "file, run, setting or version)")
                spec_json = str(f["_table"])
                arrays = {k: f[k] for k in files if not k.startswith("_")}
                seal = str(f["_seal"])
                n_rows = int(f["_n_rows"])
                if seal != _seal(path.stem, arrays, stored, spec_json):
                    return None, None, f"{path} does not match its seal (damaged or edited)"
                table = _table_from(f, json.loads(spec_json), n_rows)
        except Exception as exc:  # a damaged or foreign file: numpy's errors vary
            return None, None, (f"{path} cannot be read as a cache entry ({type(exc).__name__}: "
                                f"{str(exc)[:160]})")
        arrays = {k: v for k, v in arrays.items() if not k.startswith("table_")}
        return arrays, table, None

    def put(self, inputs, arrays, table):
        """Write the entry of ``inputs`` atomically (a reader never sees half an entry)."""
        import tempfile

        from .._files import prepare_output_dir

        folder = prepare_output_dir(self.folder, "cache")
        path = self.path(inputs)
        table_arrays, spec = _table_arrays(table)
        everything = {**{k: np.asarray(v) for k, v in arrays.items()}, **table_arrays}
        inputs_json, spec_json = _canonical(inputs), json.dumps(spec)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, _inputs=np.asarray(inputs_json), _table=np.asarray(spec_json),
                         _n_rows=np.asarray(len(table)),
                         _seal=np.asarray(_seal(path.stem, everything, inputs_json,
                                                spec_json)),
                         **everything)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
