"""load_god and simulate_bids, on simulated BIDS subjects driven by the real ds001246 events.

The events files of sub-01..03 (tests/data/ds001246, CC0) fix each subject's stimulus order
and session layout (sub-03 has five test sessions, the others four); nothing here assumes
one subject's layout.
"""
import gzip
import json
import os
import shutil
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from neurodecode.analysis import noise_ceiling
from neurodecode.datasets import check_subject, load_god, simulate_bids
from neurodecode.datasets._god_samples import one_back_repeats

EVENTS = Path(__file__).parent.parent / "data" / "ds001246"
SMALL = {"V1": 24, "V2": 16, "V3": 12, "hV4": 8, "LOC": 12, "FFA": 8, "PPA": 8}
GRID = (20, 20, 12)


def _events_order(subject, kind):
    """Stimulus names of the kept blocks, read independently from the events files."""
    names = []
    for path in sorted((EVENTS / f"sub-{subject}").glob(f"ses-{kind}*/func/*_events.tsv")):
        df = pd.read_csv(path, sep="\t", na_values="n/a", keep_default_na=False,
                         dtype={"stimulus_name": str})
        keep = (df["event_type"] == "stimulus").to_numpy() & ~one_back_repeats(df)
        names += df.loc[keep, "stimulus_name"].tolist()
    return names


@pytest.fixture(scope="module")
def sub01(tmp_path_factory):
    root = tmp_path_factory.mktemp("god01")
    truth = simulate_bids(root, "01", events_from=EVENTS, n_voxels=SMALL, grid=GRID,
                          snr=1e4, random_state=0)
    return root, truth, load_god(root, "01", stimulus_dir=root / "stimuli", verbose=0)


@pytest.fixture()
def small(tmp_path):
    """A generated (no events_from) small dataset, private to the test (may be damaged)."""
    root = tmp_path / "ds"
    truth = simulate_bids(root, "01", n_voxels=SMALL, grid=GRID, stimuli=False,
                          n_runs={"perceptionTraining": 2, "perceptionTest": 3,
                                  "imageryTest": 1}, random_state=1)
    return root, truth


def test_sub01_counts_and_the_stimulus_order_of_the_events_files(sub01):
    _, truth, god = sub01
    V = sum(SMALL.values())
    assert god.X_train.shape == (1200, V)
    assert god.X_test_trials.shape == (50, 35, V)
    assert god.X_test.shape == (50, V)
    assert check_subject(god, needs=("images_train", "images_test", "masker")) is god
    assert god.X_imagery.shape == (500, V)
    assert god.stimulus_train.tolist() == _events_order("01", "perceptionTraining")
    assert len(set(god.stimulus_train)) == 1200
    assert sorted(set(_events_order("01", "perceptionTest"))) == god.stimulus_test.tolist()
    assert god.meta["n_runs"] == {"train": 24, "test": 35, "imagery": 20}
    np.testing.assert_allclose(god.X_test, god.X_test_trials.mean(axis=1), atol=1e-5)
    # z-scored per voxel per run: every training run's samples have mean 0 and SD 1
    first = god.samples.query("split == 'train'").index[:50]
    np.testing.assert_allclose(god.X_train[first].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(god.X_train[first].std(0), 1, atol=1e-4)


def test_block_samples_follow_the_noiseless_responses_at_high_snr(sub01):
    _, truth, god = sub01
    sub = truth.subject
    row = {n: i for i, n in enumerate(truth.stimulus_train)}
    Y = sub.Y_train_clean[[row[n] for n in god.stimulus_train]][:, truth.mask_order]
    r = [np.corrcoef(god.X_train[:, v], Y[:, v])[0, 1] for v in range(Y.shape[1])]
    # single blocks: the previous block's response bleeds in (9 s blocks, no rest between)
    assert np.median(r) > 0.9
    assert np.min(r) > 0.8
    trow = {n: i for i, n in enumerate(truth.stimulus_test)}
    Yt = sub.Y_test_clean[[trow[n] for n in god.stimulus_test]][:, truth.mask_order]
    rt = [np.corrcoef(god.X_test[:, v], Yt[:, v])[0, 1] for v in range(Yt.shape[1])]
    assert np.median(rt) > 0.99


def test_rois_masker_and_images(sub01):
    root, truth, god = sub01
    sub = truth.subject
    assert god.roi.tolist() == sub.roi[truth.mask_order].tolist()
    assert set(god.roi_hemisphere) == {"LH", "RH"}
    assert (god.roi_hemisphere == truth.voxel_hemisphere[truth.mask_order]).all()
    for name in ("V1", "LVC", "HVC", "VC"):
        expected = np.isin(sub.roi, {"V1": ["V1"], "LVC": ["V1", "V2", "V3"],
                                     "HVC": ["LOC", "FFA", "PPA"],
                                     "VC": list(SMALL)}[name])[truth.mask_order]
        assert (god.roi_masks[name] == expected).all(), name
        back = god.masker.inverse_transform(god.roi_masks[name].astype(np.float32))
        np.testing.assert_array_equal(np.asarray(back.dataobj) > 0,
                                      np.asarray(god.roi_imgs[name].dataobj) > 0)
    # images: matched by stimulus_name, as written (8-bit PNG)
    row = {n: i for i, n in enumerate(truth.stimulus_train)}
    expected = sub.images_train[[row[n] for n in god.stimulus_train[:20]]]
    np.testing.assert_allclose(god.images_train[:20], expected, atol=0.5 / 255 + 1e-6)
    assert god.images_test.shape == (50, 32, 32, 3)


def test_one_hemisphere_and_unions(sub01):
    root, truth, _ = sub01
    lh = load_god(root, "01", rois=("LH_V1",), verbose=0)
    n_lh_v1 = int(((truth.subject.roi == "V1") & (truth.voxel_hemisphere == "LH")).sum())
    assert lh.X_train.shape[1] == n_lh_v1
    assert set(lh.roi) == {"V1"} and set(lh.roi_hemisphere) == {"LH"}
    union = load_god(root, "01", rois=("V1+FFA",), verbose=0)
    assert union.X_train.shape[1] == int(np.isin(truth.subject.roi, ["V1", "FFA"]).sum())
    assert sorted(set(union.roi)) == ["FFA", "V1"]


def test_raw_source_cache_and_parallel_runs(sub01, tmp_path):
    root, _, god = sub01
    raw = load_god(root, "sub-01", source="raw", cache=tmp_path / "cache", n_jobs=2, verbose=0)
    # the simulation has no motion: raw and preprocessed runs hold the same data
    np.testing.assert_array_equal(raw.X_train, god.X_train)
    np.testing.assert_array_equal(raw.X_test_trials, god.X_test_trials)
    assert any((tmp_path / "cache").rglob("*.npz")) and not any((tmp_path / "cache").rglob("*.pkl"))
    again = load_god(root, 1, source="raw", cache=tmp_path / "cache", verbose=0)
    np.testing.assert_array_equal(again.X_imagery, raw.X_imagery)


@pytest.mark.parametrize("subject, n_test_sessions", [("02", 4), ("03", 5)])
def test_other_subjects_sessions_are_discovered(tmp_path, subject, n_test_sessions):
    truth = simulate_bids(tmp_path, subject, events_from=EVENTS,
                          n_voxels={"V1": 6, "V2": 0, "V3": 0, "hV4": 0, "LOC": 4, "FFA": 0,
                                    "PPA": 0}, grid=(12, 12, 8), raw=False, stimuli=False,
                          random_state=2)
    god = load_god(tmp_path, subject, verbose=0)
    assert god.X_train.shape == (1200, 10)
    assert god.X_test_trials.shape == (50, 35, 10)
    assert god.stimulus_train.tolist() == _events_order(subject, "perceptionTraining")
    tests = [s for s in god.meta["sessions"] if s.startswith("perceptionTest")]
    assert len(tests) == n_test_sessions
    assert truth.voxel_ijk.shape == (10, 3)


def test_noise_ceiling_of_loaded_test_data_matches_the_simulators(tmp_path):
    """At the default SNR the GOD sample construction keeps the subject's noise ceiling."""
    truth = simulate_bids(tmp_path, "01", n_voxels=SMALL, grid=GRID, stimuli=False, raw=False,
                          n_runs={"perceptionTraining": 1, "perceptionTest": 35,
                                  "imageryTest": 0}, snr=0.05, random_state=3)
    god = load_god(tmp_path, "01", verbose=0)
    est = noise_ceiling(god.X_test_trials, random_state=0)
    true = truth.subject.noise_ceiling[truth.mask_order]
    assert abs(np.median(est) - np.median(true)) < 0.1
    assert np.corrcoef(est, true)[0, 1] > 0.7


def test_generated_events_follow_the_ds001246_format(small):
    root, _ = small
    path = next(root.glob("sub-01/ses-perceptionTraining01/func/*run-01_events.tsv"))
    real = next(EVENTS.glob("sub-01/ses-perceptionTraining01/func/*run-01_events.tsv"))
    assert path.read_text().splitlines()[0] == real.read_text().splitlines()[0]
    ev = pd.read_csv(path, sep="\t", na_values="n/a")
    assert ev["event_type"].iloc[0] == "rest" and ev["duration"].iloc[0] == 33
    assert (ev.loc[ev.event_type == "stimulus", "duration"] == 9).all()
    assert one_back_repeats(ev).sum() == 5


# --- errors that say what to do --------------------------------------------------------

@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_unknown_subject_lists_the_subjects(small):
    root, _ = small
    with pytest.raises(ValueError, match=r"no 'sub-07'.*subjects found: \['01'\]"):
        load_god(root, "07", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_missing_test_sessions_are_listed(small):
    root, _ = small
    for d in root.rglob("ses-perceptionTest*"):
        shutil.rmtree(d, ignore_errors=True)
    with pytest.raises(FileNotFoundError, match=r"no test runs.*sessions found: \["):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_events_without_required_columns(small):
    root, _ = small
    path = next(root.glob("sub-01/ses-perceptionTraining01/func/*run-01_events.tsv"))
    df = pd.read_csv(path, sep="\t", dtype=str).drop(columns=["stimulus_name"])
    df.to_csv(path, sep="\t", index=False)
    with pytest.raises(ValueError, match=r"run-01_events.tsv.*lack the column\(s\) "
                                         r"\['stimulus_name'\]"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_tr_mismatch_between_sidecar_and_header(small):
    root, _ = small
    (root / "task-perception_bold.json").write_text(json.dumps({"RepetitionTime": 2.0}))
    with pytest.raises(ValueError, match=r"repetition time 3 s in the NIfTI header but 2 s "
                                         r"in the JSON sidecar"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_unknown_roi_lists_the_known_ones(small):
    root, _ = small
    with pytest.raises(ValueError, match=r"unknown ROI 'V7'.*Known: \[.*'FFA'.*'VC'"):
        load_god(root, "01", rois=("V7",), verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_missing_stimulus_images_are_counted(small, tmp_path):
    root, _ = small
    (tmp_path / "stim").mkdir()
    with pytest.raises(FileNotFoundError, match=r"100 of 100 stimulus images are missing "
                                                r"\(first: \['n9000"):
        load_god(root, "01", stimulus_dir=tmp_path / "stim", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_mask_on_another_grid(small):
    root, _ = small
    path = root / "sourcedata/sub-01/anat/sub-01_mask_LH_V1d.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((10, 10, 10), np.uint8), np.eye(4)), str(path))
    with pytest.raises(ValueError, match="mask_LH_V1d.nii.gz: mask grid .* differs from the "
                                         "BOLD grid"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_truncated_bold_names_the_file(small):
    root, _ = small
    path = next(root.glob("derivatives/preproc-spm/output/sub-01/ses-perceptionTest01/"
                          "func/*run-02_bold_preproc.nii.gz"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"run-02_bold_preproc.nii.gz: .*truncated or "
                                         r"corrupt"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_unfetched_datalad_file_says_datalad_get(small):
    root, _ = small
    path = next(root.glob("derivatives/preproc-spm/output/sub-01/ses-perceptionTraining01/"
                          "func/*run-01_bold_preproc.nii.gz"))
    path.unlink()
    target = "../../../../../../.git/annex/objects/Xx/Yy/MD5E-s1--abc.nii.gz/MD5E-s1--abc.nii.gz"
    os.symlink(target, path)
    with pytest.raises(FileNotFoundError, match=r"run `datalad get .*run-01_bold_preproc"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_missing_derivatives_suggest_raw(small):
    root, _ = small
    shutil.rmtree(root / "derivatives")
    with pytest.raises(FileNotFoundError, match="source='raw'"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_not_a_bids_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a BIDS dataset root"):
        load_god(tmp_path, "01")


# --- the pybids configuration ------------------------------------------------------------

def test_pybids_config_indexes_the_real_file_list(tmp_path):
    """Every subject of the real ds001246 file list: 24/35/20 runs, by session prefix."""
    from neurodecode.datasets._bids_files import bids_layout

    for line in (EVENTS / "TREE.txt").read_text().split():
        p = tmp_path / line
        p.parent.mkdir(parents=True, exist_ok=True)
        p.touch()
    (tmp_path / "dataset_description.json").write_text(
        (EVENTS / "dataset_description.json").read_text())
    raw = bids_layout(tmp_path)
    deriv = bids_layout(tmp_path / "derivatives" / "preproc-spm" / "output", derivative=True)
    subjects = raw.get_subjects()
    assert len(subjects) >= 3
    for s in subjects:
        for layout, suffix in ((raw, "bold"), (deriv, "bold_preproc")):
            for kind, task, n in (("perceptionTraining", "perception", 24),
                                  ("perceptionTest", "perception", 35),
                                  ("imageryTest", "imagery", 20)):
                got = layout.get(subject=s, session_type=kind, task=task, suffix=suffix,
                                 extension=".nii.gz")
                assert len(got) == n, (s, kind, suffix)
        masks = raw.get(subject=s, suffix="mask")
        assert {(m.entities["hemisphere"], m.entities["roi"]) for m in masks} == {
            (h, r) for h in ("LH", "RH") for r in ("V1d", "V1v", "V2d", "V2v", "V3d", "V3v",
                                                   "hV4", "LOC", "FFA", "PPA", "HVC")}


def test_pybids_config_ships_inside_the_package(tmp_path):
    """The configuration resolves through importlib.resources, also from a built wheel
    (a non-editable install), and is the file of bids_specs/."""
    import subprocess
    import sys
    import zipfile
    from importlib.resources import files

    repo = Path(__file__).parents[2]
    installed = files("neurodecode.bids_specs") / "god.json"
    assert json.loads(installed.read_text()) == json.loads(
        (repo / "bids_specs" / "god.json").read_text())
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(repo)], check=True, cwd=tmp_path)
    wheel = next(tmp_path.glob("neurodecode-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "neurodecode/bids_specs/god.json" in names
    assert "neurodecode/bids_specs/README.md" in names


# --- found by adversarial review --------------------------------------------------------

@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"correct": 1})
def test_folders_above_the_dataset_do_not_leak_into_entities(tmp_path):
    """BIDS-like names in the path above the root (sub-99/, ses-x/, run-7_x/) are ignored."""
    ref = None
    for parent in ("plain", "sub-99/ses-x/run-7_x"):
        root = tmp_path / parent / "ds"
        simulate_bids(root, "01", n_voxels=SMALL, grid=GRID, stimuli=False, raw=False,
                      n_runs={"perceptionTraining": 2, "perceptionTest": 2,
                              "imageryTest": 0}, random_state=4)
        god = load_god(root, "01", verbose=0)
        assert len(set(god.stimulus_train)) == 100
        assert god.meta["sessions"] == ["perceptionTest01", "perceptionTraining01"]
        if ref is None:
            ref = god
        else:
            np.testing.assert_array_equal(god.X_train, ref.X_train)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_two_files_for_one_run_are_refused(small):
    root, _ = small
    path = next(root.glob("derivatives/preproc-spm/output/sub-01/ses-perceptionTraining01/"
                          "func/*run-01_bold_preproc.nii.gz"))
    nib.save(nib.load(str(path)), str(path).replace(".nii.gz", ".nii"))
    with pytest.raises(ValueError, match=r"run-01: 2 BOLD files"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"correct": 1})
def test_events_out_of_time_order_give_the_same_samples(small):
    root, _ = small
    ref = load_god(root, "01", verbose=0)
    for path in root.glob("sub-01/ses-*/func/*_events.tsv"):
        df = pd.read_csv(path, sep="\t", dtype=str)
        df.iloc[::-1].to_csv(path, sep="\t", index=False, na_rep="n/a")
    got = load_god(root, "01", verbose=0)
    np.testing.assert_allclose(got.X_train, ref.X_train, atol=1e-6)
    np.testing.assert_allclose(got.X_test_trials, ref.X_test_trials, atol=1e-6)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"correct": 1})
def test_runs_missing_from_the_derivatives_are_reported(small):
    root, _ = small
    next(root.glob("derivatives/preproc-spm/output/sub-01/ses-perceptionTest01/func/"
                   "*run-02_bold_preproc.nii.gz")).unlink()
    with pytest.warns(UserWarning, match=r"1 perceptionTest run\(s\) have events but no "
                                         r"bold_preproc file"):
        god = load_god(root, "01", verbose=0)
    assert god.X_test_trials.shape[1] == 2


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_nan_inside_the_mask_names_the_run(small):
    root, truth = small
    path = next(root.glob("derivatives/preproc-spm/output/sub-01/ses-perceptionTraining01/"
                          "func/*run-02_bold_preproc.nii.gz"))
    img = nib.load(str(path))
    data = np.asarray(img.dataobj).copy()
    i, j, k = truth.voxel_ijk[0]
    data[i, j, k, 5] = np.nan
    nib.save(nib.Nifti1Image(data, img.affine, img.header), str(path))
    with pytest.raises(ValueError, match=r"run-02_bold_preproc.nii.gz: 1 voxel\(s\) inside the "
                                         r"ROI mask have NaN"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("cache", cases={"correct": 1})
def test_cache_sees_a_same_size_edit_with_the_old_mtime(small, tmp_path):
    root, _ = small
    cache = tmp_path / "cache"
    ref = load_god(root, "01", cache=cache, verbose=0)
    path = next(root.glob("sub-01/ses-perceptionTraining01/func/*run-01_events.tsv"))
    st = path.stat()
    text = path.read_text()
    rows = text.splitlines()
    # swap two stimulus rows' names (same bytes, other order): other samples per image
    a, b = 2, 3
    fa, fb = rows[a].split("\t"), rows[b].split("\t")
    fa[4:8], fb[4:8] = fb[4:8], fa[4:8]
    rows[a], rows[b] = "\t".join(fa), "\t".join(fb)
    new = "\n".join(rows) + "\n"
    assert len(new) == len(text) and new != text
    path.write_text(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the swap may create a one-back-like duplicate
        got = load_god(root, "01", cache=cache, verbose=0)
    assert got.stimulus_train.tolist() != ref.stimulus_train.tolist()


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 1})
def test_probabilistic_mask_is_refused(small):
    root, _ = small
    path = root / "sourcedata/sub-01/anat/sub-01_mask_LH_V1d.nii.gz"
    img = nib.load(str(path))
    nib.save(nib.Nifti1Image(np.asarray(img.dataobj) * 0.5 + 0.01, img.affine), str(path))
    with pytest.raises(ValueError, match="non-integer values"):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: BIDS trees (load_god)", cases={"error": 3, "correct": 1})
def test_bad_arguments(small):
    root, _ = small
    with pytest.raises(ValueError, match="shift must be an int >= 0"):
        load_god(root, "01", shift=-1, verbose=0)
    with pytest.raises(ValueError, match="rois must name at least one ROI"):
        load_god(root, "01", rois=None, verbose=0)
    with pytest.raises(TypeError, match="subject must be a label"):
        load_god(root, True, verbose=0)
    assert load_god(root, "1", rois=("V1",), verbose=0).meta["subject"] == "01"


@pytest.mark.hostile("loaders: sidecars (JSON)")
@pytest.mark.parametrize("value, words", [
    (0, "RepetitionTime is 0; BIDS wants a positive number of seconds"),
    ("3", "RepetitionTime is '3'"),
    (-3.0, "RepetitionTime is -3.0"),
])
def test_a_bad_repetition_time_names_its_sidecar(small, value, words):
    root, _ = small
    (root / "task-perception_bold.json").write_text(json.dumps({"RepetitionTime": value}))
    with pytest.raises(ValueError, match=r"task-perception_bold.json: " + words.replace(
            "(", r"\(")):
        load_god(root, "01", verbose=0)


@pytest.mark.hostile("loaders: sidecars (JSON)", cases={"error": 1})
def test_a_sidecar_that_is_not_an_object_is_named(small):
    root, _ = small
    (root / "task-perception_bold.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="task-perception_bold.json: a sidecar must hold a "
                                         "JSON object; got list"):
        load_god(root, "01", verbose=0)
