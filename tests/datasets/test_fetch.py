"""fetch_god against a local server that speaks S3's ListObjectsV2 and HTTP Range, serving a
small ds001246-layout tree (the real events files of sub-01 in tests/data, with
simulate_bids BOLD and masks): a full download, a resume after an interruption, a damaged
file detected and fetched again, then load_god on the result (issue 24)."""
from pathlib import Path

import numpy as np
import pytest

from neurodecode.datasets import fetch_god, get_data_dir, load_god, simulate_bids

from .._s3 import Bucket, serve

EVENTS = Path(__file__).parent.parent / "data" / "ds001246"
SMALL = {"V1": 12, "V2": 8, "V3": 8, "hV4": 4, "LOC": 8, "FFA": 4, "PPA": 4}


@pytest.fixture(scope="module")
def bucket(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bucket")
    ds = folder / "ds001246"
    simulate_bids(ds, "01", events_from=EVENTS, n_voxels=SMALL, grid=(16, 16, 10),
                  stimuli=False, random_state=0)
    simulate_bids(ds, "02", n_voxels=SMALL, grid=(16, 16, 10), stimuli=False,  # not asked for
                  n_runs={"perceptionTraining": 1, "perceptionTest": 2, "imageryTest": 0},
                  random_state=1)
    (ds / ".gitattributes").write_text("* annex")
    url, server = serve(folder)
    yield url, ds
    server.shutdown()


def test_a_full_download_resume_and_repair_then_load_god(bucket, tmp_path, monkeypatch):
    url, source = bucket
    monkeypatch.setenv("NEURODECODE_DATA", str(tmp_path / "data"))
    assert get_data_dir() == tmp_path / "data"
    # an interrupted first call: the connection drops half-way through one BOLD file
    big = "ds001246/derivatives/preproc-spm/output/sub-01/ses-perceptionTest01/func/" \
          "sub-01_ses-perceptionTest01_task-perception_run-01_bold_preproc.nii.gz"
    size = (source.parent / big).stat().st_size
    Bucket.cut[big] = size // 2
    with pytest.raises(OSError, match="run fetch_god again to resume"):
        fetch_god(subjects=["01"], url=url, retries=1, verbose=0)
    part = tmp_path / "data" / (big + ".part")
    assert part.stat().st_size == size // 2  # kept for the resume
    # the second call resumes that file from its .part (HTTP Range) and finishes
    Bucket.log.clear()
    data = fetch_god(subjects=["01"], url=url, verbose=0)
    assert (big, f"bytes={size // 2}-") in Bucket.log
    assert not part.exists()
    expected = sorted(p.relative_to(source).as_posix() for p in source.rglob("*")
                      if p.is_file() and not p.name.startswith(".")
                      and "sub-02" not in p.as_posix()
                      and not (p.name.endswith("_bold.nii.gz")))  # raw BOLD: include_raw
    got = sorted(p.relative_to(data.root).as_posix() for p in data.files)
    assert got == expected
    for p in data.files:
        assert p.read_bytes() == (source / p.relative_to(data.root)).read_bytes()
    assert "stimulus images" in data.description and data.root.name == "ds001246"
    # nothing to do the third time: no file requested again
    Bucket.log.clear()
    again = fetch_god(subjects=["01"], url=url, verbose=0)
    assert again.n_downloaded == 0 and Bucket.log == []
    # a damaged file (same size, other bytes) is detected by its MD5 and fetched again
    events = next(p for p in data.files if p.name.endswith("run-01_events.tsv"))
    original = events.read_bytes()
    events.write_bytes(original[:-3] + b"xyz")
    with pytest.warns(UserWarning, match="differs from OpenNeuro's copy"):
        repaired = fetch_god(subjects=["01"], url=url, verbose=0)
    assert repaired.n_downloaded == 1 and events.read_bytes() == original
    # a truncated one by its size
    events.write_bytes(original[:10])
    with pytest.warns(UserWarning, match=r"size 10 != "):
        fetch_god(subjects=["01"], url=url, verbose=0)
    assert events.read_bytes() == original
    # the result is a dataset load_god reads, equal to the source tree
    god = load_god(data.root, "01", verbose=0)
    ref = load_god(source, "01", verbose=0)
    np.testing.assert_array_equal(god.X_train, ref.X_train)
    assert god.X_test_trials.shape == ref.X_test_trials.shape


def test_raw_files_come_with_include_raw(bucket, tmp_path):
    url, source = bucket
    data = fetch_god(tmp_path, subjects="1", derivatives=(), include_raw=True, url=url,
                     verbose=0)
    names = {p.name for p in data.files}
    assert any(n.endswith("_bold.nii.gz") for n in names)
    assert not any("derivatives" in p.as_posix() for p in data.files)
    assert load_god(data.root, "01", source="raw", verbose=0).X_train.shape[0] == 1200


@pytest.mark.hostile("loaders: fetch_god", cases={"error": 5})
def test_bad_arguments_and_an_unreachable_server(bucket, tmp_path):
    url, _ = bucket
    with pytest.raises(ValueError, match=r"subjects: \['07'\] not in ds001246"):
        fetch_god(tmp_path, subjects=["07"], url=url)
    with pytest.raises(ValueError, match="derivatives: unknown"):
        fetch_god(tmp_path, derivatives=("fmriprep",), url=url)
    with pytest.raises(ValueError, match="nothing to load"):
        fetch_god(tmp_path, derivatives=(), url=url)
    with pytest.raises(OSError, match="HTTP 404"):
        fetch_god(tmp_path, url=url + "/nobucket", verbose=0)
    with pytest.raises(OSError, match="no internet access"):
        fetch_god(tmp_path, url="http://127.0.0.1:9", timeout=2, verbose=0)


@pytest.mark.hostile("loaders: fetch_god", cases={"error": 1, "correct": 2})
def test_hostile_listings(bucket, tmp_path, monkeypatch):
    """Review of issue 24: a listed key with '..' wrote outside the data folder; a
    zero-byte file crashed every run; a manifest that is JSON but not an object crashed."""
    url, _ = bucket
    monkeypatch.setattr(Bucket, "extra", {"ds001246/sub-01/../../../escape.json": b"x"})
    with pytest.raises(OSError, match="a path that would leave"):
        fetch_god(tmp_path / "data", url=url, verbose=0)
    assert not any(tmp_path.rglob("escape.json"))
    monkeypatch.setattr(Bucket, "extra", {"ds001246/sub-01/empty.json": b""})
    data = fetch_god(tmp_path / "data", url=url, verbose=0)
    assert (data.root / "sub-01" / "empty.json").read_bytes() == b""
    (data.root / ".neurodecode_fetch.json").write_text("[]")
    assert fetch_god(tmp_path / "data", url=url, verbose=0).n_downloaded == 0
