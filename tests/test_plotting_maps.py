"""Brain maps (nilearn), pycortex flatmaps and retinotopy figures."""
import os
import shutil
import sys

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.maskers import NiftiMasker

from neurodecode.analysis import circular_correlation
from neurodecode.plotting import plot_prf_maps, plot_voxel_map, values_to_img
from neurodecode._validation import mask_masker
from neurodecode.plotting._maps import _volume


def _masker(img):
    return mask_masker(img)


@pytest.fixture(scope="module")
def mask_img():
    rng = np.random.default_rng(0)
    mask = (rng.random((5, 6, 4)) > 0.4).astype(np.int8)
    return nib.Nifti1Image(mask, np.diag([2.0, 2.0, 3.0, 1.0]))


def test_values_to_img_inverts_the_maskers_transform(mask_img):
    masker = _masker(mask_img).fit()
    n = int(np.asarray(mask_img.dataobj).sum())
    values = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    img = values_to_img(values, masker)
    assert img.shape == mask_img.shape
    np.testing.assert_allclose(np.ravel(masker.transform(img)), values, rtol=1e-6)
    np.testing.assert_array_equal(img.affine, mask_img.affine)
    # a mask image, a dataset Bunch and an estimator holding a masker resolve the same way
    for source in (mask_img, {"masker": masker}):
        np.testing.assert_array_equal(values_to_img(values, source).get_fdata(),
                                      img.get_fdata())
    assert not np.asarray(img.dataobj)[np.asarray(mask_img.dataobj) == 0].any()


def test_maps_refuse_mismatched_or_missing_maskers(mask_img):
    from sklearn.base import BaseEstimator

    masker = _masker(mask_img).fit()
    n = int(np.asarray(mask_img.dataobj).sum())
    with pytest.raises(ValueError, match=rf"has {n + 1} values but the masker's mask has {n}"):
        values_to_img(np.zeros(n + 1), masker)
    with pytest.raises(ValueError, match="1D real array"):
        values_to_img(np.zeros((2, n)), masker)
    with pytest.raises(ValueError, match="not fitted"):
        values_to_img(np.zeros(n), _masker(mask_img))
    with pytest.raises(ValueError, match="fitted on arrays"):
        est = BaseEstimator()
        est.masker_ = None
        values_to_img(np.zeros(n), est)
    with pytest.raises(ValueError, match="could not use"):
        values_to_img(np.zeros(n), "/nonexistent/mask.nii.gz")
    with pytest.raises(ValueError, match="kind"):
        plot_voxel_map(np.zeros(n), masker, kind="surface")
    with pytest.raises(ValueError, match="no finite"):
        plot_voxel_map(np.full(n, np.nan), masker)


@pytest.mark.parametrize("kind", ["stat_map", "glass_brain"])
def test_plot_voxel_map_draws_the_values(mask_img, kind):
    masker = _masker(mask_img).fit()
    n = int(np.asarray(mask_img.dataobj).sum())
    values = np.linspace(-1, 2, n)
    values[:3] = np.nan  # e.g. below the noise-ceiling threshold: blank
    display = plot_voxel_map(values, masker, kind=kind, title="r", cmap="cold_hot")
    fig = display.frame_axes.figure
    assert len(fig.axes) >= 3  # the cuts, plus the colour bar
    # the drawn image is the masked values, with NaN and out-of-mask voxels at 0
    drawn = np.asarray(values_to_img(np.nan_to_num(values), masker).dataobj)
    assert np.isclose(drawn.max(), 2.0) and (drawn == 0).sum() >= 3


def test_volume_places_each_voxel_where_the_mask_has_it(mask_img):
    masker = _masker(mask_img).fit()
    mask = np.asarray(mask_img.dataobj) != 0
    values = np.arange(mask.sum(), dtype=float)
    vol = _volume(values, masker, mask.shape[::-1])  # pycortex order (z, y, x)
    assert vol.shape == mask.shape[::-1]
    ref = masker.inverse_transform(values[None]).get_fdata()[..., 0]
    np.testing.assert_array_equal(vol.T[mask], ref[mask])
    assert np.isnan(vol.T[~mask]).all()
    # a NIfTI image in the same space gives the same volume (outside the mask: its zeros)
    np.testing.assert_array_equal(_volume(values_to_img(values, masker), None,
                                          mask.shape[::-1]).T[mask], ref[mask])
    with pytest.raises(ValueError, match="reference volume has shape"):
        _volume(values, masker, (1, 2, 3))
    with pytest.raises(ValueError, match="pass masker"):
        _volume(values, None, mask.shape[::-1])


def _prf_table(rng, n):
    x, y = rng.uniform(-5, 5, (2, n))
    return pd.DataFrame({"x": x, "y": y, "eccentricity": np.hypot(x, y),
                         "polar_angle": np.rad2deg(np.arctan2(y, x)) % 360,
                         "confined": rng.random(n) > 0.2})


def test_plot_prf_maps_places_confined_centres_and_scores_them_against_truth():
    rng = np.random.default_rng(0)
    prf = _prf_table(rng, 60)
    roi = np.array(["V1"] * 30 + ["V2"] * 20 + ["V3"] * 10)
    truth = prf[["x", "y"]] + rng.normal(0, 0.5, (60, 2))
    fig = plot_prf_maps(prf, roi=roi, truth=truth)
    axes = [ax for ax in fig.axes if ax.collections]
    first = axes[0]  # V1, coloured by polar angle
    keep = prf.confined.to_numpy() & (roi == "V1")
    np.testing.assert_allclose(first.collections[0].get_offsets(),
                               prf[["x", "y"]].to_numpy()[keep])
    np.testing.assert_allclose(first.collections[0].get_array(),
                               prf.polar_angle.to_numpy()[keep])
    assert first.get_title() == f"V1 (n = {keep.sum()})"
    titles = [ax.get_title() for ax in fig.axes]
    c = prf.confined.to_numpy()
    t_ecc = np.hypot(truth.x, truth.y).to_numpy()
    r = np.corrcoef(prf.eccentricity.to_numpy()[c], t_ecc[c])[0, 1]
    assert f"r = {r:.2f} (n = {c.sum()})" in titles
    rho = circular_correlation(prf.polar_angle.to_numpy()[c],
                               (np.rad2deg(np.arctan2(truth.y, truth.x)) % 360).to_numpy()[c])
    assert f"circ. r = {rho:.2f} (n = {c.sum()})" in titles
    fig = plot_prf_maps(prf, roi=roi, confined_only=False, max_rois=2)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["V1 (n = 30)", "V2 (n = 20)"]


def test_plot_prf_maps_errors():
    prf = _prf_table(np.random.default_rng(0), 10)
    with pytest.raises(ValueError, match="columns"):
        plot_prf_maps(prf.drop(columns="x"))
    with pytest.raises(ValueError, match="one name per voxel"):
        plot_prf_maps(prf, roi=["V1"] * 3)
    with pytest.raises(ValueError, match="truth"):
        plot_prf_maps(prf, truth=prf[["x"]])
    with pytest.raises(ValueError, match="confined_only=False"):
        plot_prf_maps(prf.assign(confined=False))


# --------------------------------------------------------------------------- pycortex
@pytest.fixture(scope="module")
def pycortex_s1(tmp_path_factory):
    """pycortex on a temporary copy of its demo database, with a temporary user config.

    pycortex reads (and on first import writes) ``$XDG_CONFIG_HOME/pycortex/options.cfg``;
    the test points it at a copy of the demo subject S1 so that neither the user's
    configuration nor the installed database (flatmap caches) is touched.
    """
    if "cortex" in sys.modules:
        pytest.skip("pycortex was imported before this fixture could configure it")
    import importlib.util

    spec = importlib.util.find_spec("cortex")
    if spec is None:
        pytest.skip("pycortex is not installed (extra 'viz')")
    share = os.path.join(sys.prefix, "share", "pycortex", "db")
    if not os.path.isdir(os.path.join(share, "S1")):
        pytest.skip("pycortex's demo subject S1 is not installed")
    root = tmp_path_factory.mktemp("pycortex")
    shutil.copytree(os.path.join(share, "S1"), root / "db" / "S1",
                    ignore=shutil.ignore_patterns("cache"))
    (root / "config" / "pycortex").mkdir(parents=True)
    (root / "config" / "pycortex" / "options.cfg").write_text(
        f"[basic]\nfilestore = {root / 'db'}\n")
    old = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(root / "config")
    try:
        import cortex

        assert cortex.options.config.get("basic", "filestore") == str(root / "db")
        yield cortex
    finally:
        if old is None:
            os.environ.pop("XDG_CONFIG_HOME", None)
        else:
            os.environ["XDG_CONFIG_HOME"] = old


def _pixels(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(int)


def test_plot_flatmap_renders_offline_with_opacity(pycortex_s1):
    from neurodecode.plotting import plot_flatmap

    shape = pycortex_s1.db.get_xfm("S1", "fullhead").shape
    rng = np.random.default_rng(0)
    vol = rng.random(shape)
    kw = dict(with_curvature=False, colorbar=False, height=200)
    seen = _pixels(plot_flatmap(vol, "S1", "fullhead", **kw))
    hidden = _pixels(plot_flatmap(vol, "S1", "fullhead", opacity=np.zeros(shape), **kw))
    hidden2 = _pixels(plot_flatmap(1 - vol, "S1", "fullhead", opacity=np.zeros(shape), **kw))
    assert np.abs(seen - hidden).mean() > 5  # the data layer is drawn...
    np.testing.assert_array_equal(hidden, hidden2)  # ...and opacity 0 hides it entirely
    # 1D values through a mask in the transform's reference space
    mask = np.zeros(shape[::-1], np.int8)
    mask[40:60, 40:60, 10:20] = 1
    masker = _masker(nib.Nifti1Image(mask, np.eye(4))).fit()
    fig = plot_flatmap(np.ones(int(mask.sum())), "S1", "fullhead", masker=masker, **kw)
    assert fig.axes[0].images
    with pytest.raises(ValueError, match="has no transform"):
        plot_flatmap(vol, "S1", "nope", **kw)
    with pytest.raises(ValueError, match="reference volume has shape"):
        plot_flatmap(np.ones((3, 3, 3)), "S1", "fullhead", **kw)


def _s1_masker(shape):
    mask = np.zeros(shape[::-1], np.int8)
    mask[40:60, 40:60, 10:20] = 1
    return _masker(nib.Nifti1Image(mask, np.eye(4))).fit(), int(mask.sum())


FLATMAP_ERRORS = [
    # (id, call(plot_flatmap, shape), exception type, words in the message)
    ("unknown subject", lambda f, s: f(np.ones(s), "S9", "fullhead"), ValueError,
     "no transform 'fullhead' for subject 'S9'"),
    ("values of another grid", lambda f, s: f(np.ones((4, 4, 4)), "S1", "fullhead"),
     ValueError, "values give a volume of shape (4, 4, 4)"),
    ("1D values without a masker", lambda f, s: f(np.ones(10), "S1", "fullhead"),
     ValueError, "pass masker"),
    ("1D values of the wrong length", lambda f, s: f(np.ones(7), "S1", "fullhead",
                                                     masker=_s1_masker(s)[0]), ValueError,
     "values has 7 values but the masker's mask has 4000"),
    ("all values NaN", lambda f, s: f(np.full(s, np.nan), "S1", "fullhead"), ValueError,
     "no finite entry"),
    ("1D opacity for a volume", lambda f, s: f(np.ones(s), "S1", "fullhead",
                                               opacity=np.ones(5)), ValueError,
     "opacity must be shaped like values"),
    ("opacity of another grid", lambda f, s: f(np.ones(s), "S1", "fullhead",
                                               opacity=np.ones((4, 4, 4))), ValueError,
     "opacity give a volume of shape (4, 4, 4)"),
    ("vmax below vmin", lambda f, s: f(np.ones(s), "S1", "fullhead", vmin=1, vmax=0),
     ValueError, "vmax=0 must be larger than vmin=1"),
    ("vmin above every value", lambda f, s: f(np.random.default_rng(0).random(s), "S1",
                                              "fullhead", vmin=5), ValueError,
     "the colour range is empty"),
    ("vmin NaN", lambda f, s: f(np.ones(s), "S1", "fullhead", vmin=np.nan), ValueError,
     "vmin must be a finite number"),
    ("unknown colormap", lambda f, s: f(np.ones(s), "S1", "fullhead", cmap="nope"),
     ValueError, "cmap='nope' is not a matplotlib colormap"),
    ("height 0", lambda f, s: f(np.ones(s), "S1", "fullhead", height=0), ValueError,
     "height must be in [16, inf)"),
    ("ROI outlines without Inkscape", lambda f, s: f(np.ones(s), "S1", "fullhead",
                                                     with_rois=True), ValueError,
     "with_rois=True draws the ROI outlines with Inkscape"),
    ("values file missing", lambda f, s: f("/nonexistent/map.nii.gz", "S1", "fullhead"),
     FileNotFoundError, "/nonexistent/map.nii.gz"),
]


@pytest.mark.hostile("plotting: pycortex flatmaps")
@pytest.mark.parametrize("name, call, error, words", FLATMAP_ERRORS,
                         ids=[c[0] for c in FLATMAP_ERRORS])
def test_plot_flatmap_refuses_bad_input_clearly(pycortex_s1, monkeypatch, name, call, error,
                                                words):
    from neurodecode.plotting import _maps, plot_flatmap

    if "Inkscape" in name:
        monkeypatch.setattr(_maps, "_inkscape_available", lambda: False)
    shape = pycortex_s1.db.get_xfm("S1", "fullhead").shape
    with pytest.raises(error) as info:
        call(plot_flatmap, shape)
    assert words in str(info.value), f"{name}: unclear message: {info.value}"


@pytest.mark.hostile("plotting: pycortex flatmaps", cases={"correct": 3})
def test_plot_flatmap_clips_opacity_and_draws_constant_values(pycortex_s1):
    from neurodecode.plotting import plot_flatmap

    shape = pycortex_s1.db.get_xfm("S1", "fullhead").shape
    vol = np.random.default_rng(1).random(shape)
    kw = dict(with_curvature=False, colorbar=False, height=120, with_rois=False)
    opaque = _pixels(plot_flatmap(vol, "S1", "fullhead", opacity=np.ones(shape), **kw))
    # opacities above 1 are clipped to 1 (documented), NaN opacities are transparent
    np.testing.assert_array_equal(
        _pixels(plot_flatmap(vol, "S1", "fullhead", opacity=np.full(shape, 7.0), **kw)), opaque)
    np.testing.assert_array_equal(
        _pixels(plot_flatmap(vol, "S1", "fullhead", opacity=np.full(shape, np.nan), **kw)),
        _pixels(plot_flatmap(vol, "S1", "fullhead", opacity=np.zeros(shape), **kw)))
    import matplotlib.pyplot as plt

    assert plt.get_fignums()  # drawn on pyplot figures (issue 24)
    # constant values (an empty automatic range) are drawn in one colour, not refused
    flat = _pixels(plot_flatmap(np.full(shape, 0.3), "S1", "fullhead", **kw))
    assert np.abs(flat - _pixels(plot_flatmap(vol, "S1", "fullhead", opacity=np.zeros(shape),
                                              **kw))).mean() > 5
