"""Persistence: one registry of estimator classes, fitted attributes declared once per class."""
import ast
import os
import sys
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


def test_a_fitted_encoder_hyper_parameter_comes_back_as_a_specification(fitted, tmp_path):
    # as sklearn.base.clone sees it: the fitted copy the decoder trained with is encoder_
    enc, dec, X, S = fitted
    spec = SelfSupervisedDecoder(**DEC).set_params(encoder=enc)  # fitted, not frozen
    for key in type(dec)._fitted_attributes:
        if hasattr(dec, key):
            setattr(spec, key, getattr(dec, key))
    spec.save(tmp_path / "d.nd")
    again = load(tmp_path / "d.nd")
    assert isinstance(again.encoder, ImageEncoder) and not hasattr(again.encoder, "module_")
    assert again.encoder.get_params() == enc.get_params()
    assert np.array_equal(again.predict(X), dec.predict(X))


def test_save_without_a_masker_needs_neither_nilearn_nor_nibabel(fitted, tmp_path,
                                                                 monkeypatch):
    enc, dec, X, S = fitted
    for module in ("nilearn", "nilearn.maskers", "nibabel", "nibabel.spatialimages"):
        monkeypatch.setitem(sys.modules, module, None)  # any import of them now fails
    enc.save(tmp_path / "e.nd")
    assert np.array_equal(load(tmp_path / "e.nd").predict(S), enc.predict(S))


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
    _resign(payload)  # as a hostile writer would: the checksum is integrity, not a signature
    torch.save(payload, tmp_path / "evil.nd")
    with pytest.raises(ValueError, match="unknown estimator class 'os.system'"):
        load(tmp_path / "evil.nd")


# -- damaged, edited and hostile files (each gives a ModelFileError naming the file) ---------
def _resign(payload):
    payload["sha256"] = _io._digest(payload["estimator"]).hexdigest()
    return payload


@pytest.fixture
def saved(fitted, tmp_path):
    path = tmp_path / "model.nd"
    fitted[0].save(path)
    return path


def _refused(path, match):
    with pytest.raises(neurodecode.ModelFileError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)
    return info.value


@pytest.mark.parametrize("cut", ["half", "300 bytes"])
def test_truncated_files_are_refused(saved, cut):
    raw = saved.read_bytes()
    saved.write_bytes(raw[: len(raw) // 2] if cut == "half" else raw[:300])
    _refused(saved, "is truncated or not a neurodecode model file")


def test_empty_json_and_npy_files_are_refused(tmp_path):
    (tmp_path / "empty.nd").write_bytes(b"")
    _refused(tmp_path / "empty.nd", r"is empty \(0 bytes\): not a neurodecode model file")
    (tmp_path / "m.json").write_text('{"format": "neurodecode.estimator"}')
    _refused(tmp_path / "m.json", "is truncated or not a neurodecode model file")
    np.save(tmp_path / "m.npy", np.zeros(10))
    _refused(tmp_path / "m.npy", "is truncated or not a neurodecode model file")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    _refused(tmp_path / "other.pt", "not a neurodecode model file .no neurodecode header")
    with pytest.raises(FileNotFoundError, match="no such neurodecode model file"):
        load(tmp_path / "missing.nd")


def _weight_offset(path):
    """File offset of the middle of the largest tensor's bytes (stored uncompressed)."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as z:
        big = max(z.infolist(), key=lambda i: i.file_size)
    assert big.compress_type == zipfile.ZIP_STORED and big.file_size > 1000
    raw = path.read_bytes()
    n, e = struct.unpack("<HH", raw[big.header_offset + 26: big.header_offset + 30])
    return big.header_offset + 30 + n + e + big.file_size // 2


@pytest.mark.parametrize("bit", [0, 5])
def test_a_flipped_bit_in_the_weights_is_detected(saved, bit):
    raw = bytearray(saved.read_bytes())
    raw[_weight_offset(saved)] ^= 1 << bit
    saved.write_bytes(bytes(raw))
    _refused(saved, "does not match the checksum stored in it: it was damaged")


def test_edited_hyper_parameters_are_detected(saved):
    payload = torch.load(saved, weights_only=True)
    payload["estimator"]["params"] = payload["estimator"]["params"].replace(
        '"learning_rate": 0.001', '"learning_rate": 0.01')
    assert '"learning_rate": 0.01' in payload["estimator"]["params"]
    torch.save(payload, saved)
    _refused(saved, "does not match the checksum stored in it")


@pytest.mark.parametrize("entry", ["estimator", "params", "fitted", "tensors"])
def test_missing_entries_are_named(saved, entry):
    payload = torch.load(saved, weights_only=True)
    if entry == "estimator":
        del payload[entry]
    else:
        del payload["estimator"][entry]
    torch.save(payload, saved)
    _refused(saved, f"lacks (its|the) '{entry}'")


def test_a_missing_fitted_field_is_named(saved):
    import json

    payload = torch.load(saved, weights_only=True)
    fitted = json.loads(payload["estimator"]["fitted"])
    del fitted["image_shape_"]
    payload["estimator"]["fitted"] = json.dumps(fitted)
    torch.save(_resign(payload), saved)
    _refused(saved, r"its fitted state lacks \['image_shape_'\]")


def test_weights_of_another_architecture_are_refused(saved, tmp_path):
    payload = torch.load(saved, weights_only=True)
    tensors = payload["estimator"]["tensors"]
    key = next(k for k in tensors if k.startswith("fitted/module_/readout"))
    gone = dict(payload, estimator=dict(payload["estimator"],
                                        tensors={k: v for k, v in tensors.items() if k != key}))
    torch.save(_resign(gone), tmp_path / "gone.nd")
    _refused(tmp_path / "gone.nd", "missing weights .*written for another architecture")
    tensors[key] = torch.zeros(tuple(tensors[key].shape) + (2,))
    torch.save(_resign(payload), saved)
    _refused(saved, "weights of the wrong shape or type: .*written for another architecture")


def test_a_small_file_declaring_a_huge_network_is_refused_before_allocating(saved):
    import json
    import resource
    import time

    payload = torch.load(saved, weights_only=True)
    fitted = json.loads(payload["estimator"]["fitted"])
    fitted["module_"]["config"]["n_voxels"] = 10**8  # ~400 GB of readout weights
    payload["estimator"]["fitted"] = json.dumps(fitted)
    torch.save(_resign(payload), saved)
    assert saved.stat().st_size < 100e6  # the 1e8-voxel readout alone would be ~400 GB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    _refused(saved, "do not fit the network it describes")
    assert time.perf_counter() - t < 30
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 2e6  # well under 2 GB, let alone 400


def test_load_reads_no_masker_cache(tmp_path):
    """A model file names no cache folder, and load() + predict never read one: a hostile
    pickle planted in the masker's cache is never executed."""
    import pickle

    import nibabel
    from nilearn.maskers import NiftiMasker

    from tests.estimators.conftest_data import make

    X, S, _, _, _ = make()
    rng = np.random.default_rng(0)
    mask = np.zeros((6, 6, 6), np.int8)
    mask[1:5, 1:5, 1:4] = 1  # 48 voxels
    vol = rng.standard_normal((6, 6, 6, len(X))).astype(np.float32)
    vol[mask.astype(bool)] = np.repeat(X, 2, axis=1)[:, :48].T
    img, mask_img = nibabel.Nifti1Image(vol, np.eye(4)), nibabel.Nifti1Image(mask, np.eye(4))
    cache = tmp_path / "cache"
    masker = NiftiMasker(mask_img=mask_img, memory=str(cache), memory_level=5,
                         standardize=None)
    dec = SelfSupervisedDecoder(mask=masker, **DEC).fit(img, S)
    expected = dec.predict(img)
    pickles = list(cache.rglob("output.pkl"))
    assert pickles, "the masker did not cache anything: the test would prove nothing"
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for p in pickles:
        p.write_bytes(pickle.dumps(Evil()))
    dec.save(tmp_path / "d.nd")
    assert str(cache).encode() not in (tmp_path / "d.nd").read_bytes()
    again = load(tmp_path / "d.nd")
    assert again.masker_.memory is None and again.mask.memory is None
    assert np.array_equal(again.predict(img), expected)
    assert not marker.exists()
    # a hostile writer who puts the folder back into the file (and re-signs it) gains nothing
    payload = torch.load(tmp_path / "d.nd", weights_only=True)
    payload["estimator"]["params"] = payload["estimator"]["params"].replace(
        '"mask_strategy"', f'"memory": "{cache}", "memory_level": 5, "mask_strategy"')
    payload["estimator"]["fitted"] = payload["estimator"]["fitted"].replace(
        '"mask_strategy"', f'"memory": "{cache}", "memory_level": 5, "mask_strategy"')
    assert str(cache) in payload["estimator"]["fitted"]
    torch.save(_resign(payload), tmp_path / "evil.nd")
    load(tmp_path / "evil.nd").predict(img)
    assert not marker.exists()
    # nor can it make load() resample the stored mask onto a grid of its choosing
    assert '"target_shape": null' in payload["estimator"]["fitted"]
    payload["estimator"]["fitted"] = payload["estimator"]["fitted"].replace(
        '"target_shape": null', '"target_shape": {"__tuple__": [600, 600, 600]}')
    torch.save(_resign(payload), tmp_path / "grid.nd")
    _refused(tmp_path / "grid.nd", r"targets a grid of shape \(600, 600, 600\)")


def test_a_failed_save_leaves_no_temporary_and_keeps_the_old_file(fitted, tmp_path,
                                                                  monkeypatch):
    path = tmp_path / "m.nd"
    fitted[0].save(path)
    before = path.read_bytes()

    def broken(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="No space left"):
        fitted[0].save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nd"]
    assert path.read_bytes() == before


def test_save_to_a_folder_that_cannot_be_written(fitted, tmp_path, read_only_dir):
    with pytest.raises(PermissionError, match="cannot write in .*pass a path in a folder you "
                                              "can write to"):
        fitted[0].save(read_only_dir / "m.nd")
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        fitted[0].save(tmp_path / "no" / "m.nd")
    with pytest.raises(IsADirectoryError, match="is a folder; pass a file path"):
        fitted[0].save(tmp_path)


def test_paths_that_are_not_files_are_named(tmp_path):
    _refused(tmp_path, "is a folder, not a neurodecode model file")
    if os.path.exists("/dev/null"):
        with pytest.raises(neurodecode.ModelFileError, match="not a regular file"):
            load("/dev/null")


def test_compressed_members_are_refused_before_they_are_expanded(saved, tmp_path):
    import zipfile

    packed = tmp_path / "packed.nd"
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(packed, "w",
                                                        zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("archive/data/huge", b"\0" * (50 * 1024**2))  # 50 MB -> ~50 kB
    assert packed.stat().st_size < saved.stat().st_size
    _refused(packed, "not a neurodecode model file as torch.save writes it: compressed")


def test_weights_of_another_dtype_are_refused(saved):
    payload = torch.load(saved, weights_only=True)
    tensors = payload["estimator"]["tensors"]
    key = next(k for k in tensors if k.startswith("fitted/module_/readout"))
    tensors[key] = tensors[key].to(torch.complex64)
    torch.save(_resign(payload), saved)
    _refused(saved, "wrong shape or type: .*complex64 .*float32")


@pytest.mark.parametrize("field, value, words", [
    ("n_features_in_", 999, "n_features_in_=999, but its network reads 40 voxels"),
    ("image_shape_", [512, 512, 3], r"image_shape_=\(512, 512, 3\), but its network works on "
                                    "32 px"),
    ("n_features_in_", float("inf"), "cannot be rebuilt from the file"),
    ("module_", {"__absent__": True}, "fitted network module_ is marked absent"),
])
def test_fitted_state_that_contradicts_the_network_is_refused(saved, field, value, words):
    import json

    payload = torch.load(saved, weights_only=True)
    fitted = json.loads(payload["estimator"]["fitted"])
    fitted[field] = value
    payload["estimator"]["fitted"] = json.dumps(fitted)
    torch.save(_resign(payload), saved)
    _refused(saved, words)


def test_a_decoder_whose_encoder_reads_other_voxels_is_refused(fitted, tmp_path):
    import json

    fitted[1].save(tmp_path / "d.nd")
    payload = torch.load(tmp_path / "d.nd", weights_only=True)
    child = payload["estimator"]["children"]["encoder_"]
    f = json.loads(child["fitted"])
    f["n_features_in_"] += 1
    f["module_"]["config"]["n_voxels"] += 1
    child["fitted"] = json.dumps(f)
    torch.save(_resign(payload), tmp_path / "d.nd")
    _refused(tmp_path / "d.nd", "(encoder_ predicts 41 voxels|do not fit the network)")


def test_a_nested_frozen_value_is_refused(saved):
    payload = torch.load(saved, weights_only=True)
    payload["estimator"]["params"] = payload["estimator"]["params"].replace(
        '"lr_milestones": {"__tuple__": [20, 30, 35]}',
        '"lr_milestones": [{"__frozen__": 1}]')
    assert "__frozen__" in payload["estimator"]["params"]
    torch.save(_resign(payload), saved)
    _refused(saved, "frozen")


def test_saving_keeps_the_permissions_of_the_file_it_replaces(fitted, tmp_path):
    path = tmp_path / "m.nd"
    fitted[0].save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() creates files
    path.chmod(0o640)
    fitted[0].save(path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_a_huge_declared_image_size_costs_no_forward_pass():
    """Building an encoder network never runs the backbone on real images: its taps'
    sizes come from a pass on the meta device (a file cannot make load compute)."""
    import time

    from neurodecode.models import BACKBONES, EncoderNet, build_feature_extractor

    fx = build_feature_extractor("vgg19", BACKBONES["vgg19"].encoder_taps)
    t = time.perf_counter()
    net = EncoderNet(fx, 1, 4096)
    assert time.perf_counter() - t < 5  # a real 4096 px VGG19 pass takes minutes
    assert net.tap_sizes == (4096, 2048, 1024, 512)


def test_a_masker_subclass_is_refused_not_stored_as_another_class():
    from nilearn.maskers import MultiNiftiMasker, NiftiMasker

    with pytest.raises(TypeError, match="cannot save hyper-parameter mask=.* MultiNiftiMasker"):
        _io._encode(MultiNiftiMasker(), {}, "params/mask")
    assert "__niftimasker__" in _io._encode(NiftiMasker(), {}, "params/mask")
