"""numpy values in JSON: the one conversion behind every ``results.json`` the package writes."""
import numpy as np


def json_default(obj):
    """``json.dump(..., default=json_default)``: arrays as lists, numpy scalars as Python
    numbers, tuples as lists; anything else is refused.

    Examples
    --------
    >>> import json
    >>> import numpy as np
    >>> from neurodecode._utils import json_default
    >>> json.dumps({"r": np.float32(0.5), "n": np.arange(2)}, default=json_default)
    '{"r": 0.5, "n": [0, 1]}'
    """
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def jsonable(mapping):
    """A mapping (e.g. a result Bunch) as a dict whose numpy values are plain Python ones."""
    return {k: json_default(v) if isinstance(v, (np.ndarray, np.generic)) else v
            for k, v in mapping.items()}
