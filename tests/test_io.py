"""Persistence: one registry of estimator classes, fitted attributes declared once per class."""
import ast
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator

import neurodecode
from neurodecode import ImageEncoder, SelfSupervisedDecoder, _io, load

ROOT = Path(neurodecode.__file__).parent
ENC = dict(weights=None, n_epochs=1, batch_size=8, random_state=0)
DEC = dict(weights=None, n_epochs=1, batch_sizes=(8, 8, 8), random_state=0)


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)


def test_io_imports_no_estimator():
    assert not [m for m in _imports(ROOT / "_io.py") if "estimators" in m]


def test_every_estimator_is_registered():
    assert _io.ESTIMATORS["ImageEncoder"] is ImageEncoder
    assert _io.ESTIMATORS["SelfSupervisedDecoder"] is SelfSupervisedDecoder


@pytest.fixture(scope="module")
def fitted():
    from tests.estimators.conftest_data import make

    X, S, Xu, U, _ = make()
    enc = ImageEncoder(**ENC).fit(S, X)
    dec = SelfSupervisedDecoder(encoder=FrozenEstimator(enc), **DEC).fit(
        X, S, X_unpaired_fmri=Xu, unpaired_images=U)
    return enc, dec, X, S


def _same(a, b):
    if isinstance(a, torch.nn.Module):
        sa, sb = a.state_dict(), b.state_dict()
        return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, neurodecode.estimators._base.NeuralEstimator):
        return all(_same(getattr(a, k), getattr(b, k)) for k in type(a)._fitted_attributes
                   if hasattr(a, k))
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("which", ["encoder", "decoder"])
def test_every_declared_attribute_round_trips(fitted, tmp_path, which):
    est = fitted[0] if which == "encoder" else fitted[1]
    est.save(tmp_path / "m.nd")
    again = load(tmp_path / "m.nd")
    for key in type(est)._fitted_attributes:
        assert hasattr(again, key) == hasattr(est, key), key
        if hasattr(est, key):
            assert _same(getattr(est, key), getattr(again, key)), key


@pytest.mark.parametrize("which", ["encoder", "decoder"])
def test_fit_sets_only_declared_attributes(fitted, which):
    est = fitted[0] if which == "encoder" else fitted[1]
    set_by_fit = {k for k in vars(est) if k.endswith("_") and not k.startswith("_")}
    assert set_by_fit <= set(type(est)._fitted_attributes)


def test_a_frozen_encoder_comes_back_frozen_and_fitted(fitted, tmp_path):
    enc, dec, X, S = fitted
    dec.save(tmp_path / "d.nd")
    again = load(tmp_path / "d.nd")
    assert isinstance(again.encoder, FrozenEstimator)
    assert np.array_equal(again.encoder.estimator.predict(S), enc.predict(S))
    assert np.array_equal(again.predict(X), dec.predict(X))


def test_old_format_and_unknown_classes_are_refused(fitted, tmp_path):
    enc = fitted[0]
    enc.save(tmp_path / "m.nd")
    payload = torch.load(tmp_path / "m.nd", weights_only=True)
    payload["format_version"] = 1
    torch.save(payload, tmp_path / "old.nd")
    with pytest.raises(ValueError, match="in format 1, which this neurodecode .* no longer "
                                         "reads; refit"):
        load(tmp_path / "old.nd")
    payload["format_version"] = _io.FORMAT_VERSION
    payload["estimator"]["class"] = "os.system"
    torch.save(payload, tmp_path / "evil.nd")
    with pytest.raises(ValueError, match="unknown estimator class 'os.system'"):
        load(tmp_path / "evil.nd")
