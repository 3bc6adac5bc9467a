"""The check of one hostile-input case, shared by the probe modules."""
import pytest


def check_case(name, call, error, expected):
    """``error`` None: ``expected(call())`` must hold. Otherwise ``call()`` must raise
    ``error`` with ``expected`` in its message; another exception type is a crash, no
    exception a silent result."""
    if error is None:
        assert expected(call()), name
        return
    try:
        call()
    except error as exc:
        assert expected.lower() in str(exc).lower(), f"{name}: unclear message: {exc}"
    except Exception as exc:  # a crash: any other exception type
        pytest.fail(f"{name}: {type(exc).__name__} instead of {error.__name__}: {exc}")
    else:
        pytest.fail(f"{name}: no error (a silent result)")
