"""A hostile-input probe of the array-level public functions (issue 23): every case must
end in a clear error (the expected type, naming the argument or what is wrong) or a correct
result; a silent wrong result, a crash (an exception of another type) or a raw error fails.
Each case runs in milliseconds.
"""
import numpy as np
import pytest

from neurodecode.analysis import (
    noise_ceiling,
    prf_from_maps,
    noise_corrected_accuracy,
    prediction_accuracy,
    snr,
)
from neurodecode.metrics import (
    bootstrap_ci,
    bootstrap_se,
    pairwise_identification,
    class_ranks,
    edge_correlation,
    n_way_identification,
    paired_tests,
    pixel_correlation,
    sem,
    ssim,
    summarize,
    wilcoxon,
)

from ._probe import check_case

rng = np.random.default_rng(0)
IMG = rng.random((6, 8, 8, 3))
TRIALS = rng.standard_normal((6, 4, 5))
_yy, _xx = np.mgrid[0:32, 0:32]
MAPS = np.exp(-((_xx - 24) ** 2 + (_yy - 8) ** 2) / 8.0)[None]  # at (+8.5, +7.5) of 32 deg
CASES = [
    # (id, call, expected exception type or None, words in the message / a check)
    ("pixcorr: length mismatch", lambda: pixel_correlation(IMG, IMG[:5]), ValueError,
     "paired one to one"),
    ("pixcorr: channels first", lambda: pixel_correlation(IMG.transpose(0, 3, 1, 2), IMG),
     ValueError, "channels-first"),
    ("pixcorr: NaN", lambda: pixel_correlation(np.full_like(IMG, np.nan), IMG), ValueError,
     "NaN"),
    ("pixcorr: out of range", lambda: pixel_correlation(IMG * 2, IMG), ValueError, "[0, 1]"),
    ("pixcorr: complex", lambda: pixel_correlation(IMG + 0j, IMG), ValueError, "complex"),
    ("pixcorr: strings", lambda: pixel_correlation(np.full(IMG.shape, "a"), IMG), TypeError,
     "numeric"),
    ("pixcorr: 3D", lambda: pixel_correlation(IMG[0], IMG[0]), ValueError, "sample axis"),
    ("pixcorr: constant image gives 0", lambda: pixel_correlation(np.zeros_like(IMG), IMG),
     None, lambda r: np.all(r == 0)),
    ("pixcorr: identical gives 1", lambda: pixel_correlation(IMG, IMG), None,
     lambda r: np.allclose(r, 1)),
    ("pixcorr: uint8 ground truth", lambda: pixel_correlation(IMG, (IMG * 255).round().astype(
        np.uint8)), None, lambda r: np.all(r > 0.99)),
    ("ssim: identical gives 1", lambda: ssim(IMG.repeat(2, 1).repeat(2, 2),
                                             IMG.repeat(2, 1).repeat(2, 2)), None,
     lambda r: np.allclose(r, 1)),
    ("ssim: smaller than its window", lambda: ssim(IMG, IMG), ValueError, "at least 11"),
    ("ssim: length mismatch", lambda: ssim(IMG, IMG[:2]), ValueError, "paired one to one"),
    ("ssim: uint8 input", lambda: ssim((IMG.repeat(2, 1).repeat(2, 2) * 255).astype(np.uint8),
                                       IMG.repeat(2, 1).repeat(2, 2)), None,
     lambda r: np.all(r > 0.95)),
    ("edge r: inverted gives 1", lambda: edge_correlation(IMG, 1 - IMG), None,
     lambda r: np.allclose(r, 1)),
    ("edge r: grey input", lambda: edge_correlation(IMG[..., :1], IMG[..., :1]), None,
     lambda r: np.allclose(r, 1)),
    ("n-way: n larger than the pool", lambda: n_way_identification(
        IMG, IMG, n=10, pool="others", distance="pixel_correlation", n_trials=None),
     ValueError, "n"),
    ("n-way: n = 1", lambda: n_way_identification(IMG, IMG, n=1, pool="others",
                                                  distance="pixel_correlation"), ValueError,
     "n"),
    ("n-way: bool n", lambda: n_way_identification(IMG, IMG, n=True, pool="others",
                                                   distance="pixel_correlation"), ValueError,
     "integers >= 2"),
    ("class_ranks: index out of range", lambda: class_ranks(rng.random((3, 4)), [0, 1, 9]),
     ValueError, "true_index"),
    ("class_ranks: NaN similarity", lambda: class_ranks(np.full((3, 4), np.nan), [0, 1, 2]),
     ValueError, "NaN"),
    ("class_ranks: perfect gives 1", lambda: class_ranks(np.eye(4), [0, 1, 2, 3]), None,
     lambda r: np.all(r == 1)),
    ("noise_ceiling: 2D", lambda: noise_ceiling(TRIALS[:, 0]), ValueError, "shape"),
    ("noise_ceiling: one repeat", lambda: noise_ceiling(TRIALS[:, :1]), ValueError,
     "repeats"),
    ("noise_ceiling: NaN", lambda: noise_ceiling(np.full_like(TRIALS, np.nan)), ValueError,
     "NaN"),
    ("noise_ceiling: repeats first", lambda: noise_ceiling(np.moveaxis(TRIALS, 0, 1)[:, :, :]
                                                           .repeat(2, axis=1)), ValueError,
     "repeats first"),
    ("noise_ceiling: bad n_splits", lambda: noise_ceiling(TRIALS, n_splits=0), ValueError,
     "n_splits"),
    ("noise_ceiling: n_splits True", lambda: noise_ceiling(TRIALS, n_splits=True),
     ValueError, "n_splits must be a positive int"),
    ("noise_ceiling: bad method", lambda: noise_ceiling(TRIALS, method="ncsnr"), ValueError,
     "method"),
    ("noise_ceiling: noiseless repeats give 1", lambda: noise_ceiling(
        np.repeat(TRIALS[:, :1], 4, axis=1), n_splits=5), None, lambda r: np.allclose(r, 1)),
    ("snr: 2D", lambda: snr(TRIALS[:, 0]), ValueError, "shape"),
    ("snr: inf", lambda: snr(np.full_like(TRIALS, np.inf)), ValueError, "NaN or infinite"),
    ("prediction_accuracy: shape mismatch", lambda: prediction_accuracy(
        np.zeros((4, 3)), np.zeros((4, 2))), ValueError, "shape"),
    ("prediction_accuracy: perfect", lambda: prediction_accuracy(
        TRIALS[:, 0], TRIALS[:, 0]), None, lambda r: np.allclose(r, 1)),
    ("noise_corrected: length mismatch", lambda: noise_corrected_accuracy(
        np.ones(3), np.ones(4)), ValueError, "length"),
    ("wilcoxon: length mismatch", lambda: wilcoxon([1, 2, 3], [1, 2]), ValueError,
     "same images"),
    ("wilcoxon: NaN", lambda: wilcoxon([1, np.nan, 3], [1, 2, 3]), ValueError, "NaN"),
    ("wilcoxon: all tied gives p = 1", lambda: wilcoxon([1, 2, 3], [1, 2, 3]), None,
     lambda r: r["pvalue"] == 1.0),
    ("summarize: empty", lambda: summarize([]), ValueError, "empty"),
    ("summarize: 2D", lambda: summarize(np.ones((2, 2))), ValueError, "1D"),
    ("sem: one value gives 0", lambda: sem([3.0]), None, lambda r: r == 0.0),
    ("bootstrap_ci: NaN", lambda: bootstrap_ci([1.0, np.nan]), ValueError, "NaN"),
    ("paired_tests: no shared column", lambda: paired_tests({"a": [1, 2]}, {"b": [1, 2]}),
     ValueError, "share no column"),
    ("snr: identical repeats give inf", lambda: snr(np.repeat(TRIALS[:, :1], 4, axis=1)),
     None, lambda r: np.all(np.isinf(r))),
    ("snr: a constant voxel gives 0", lambda: snr(np.zeros((6, 4, 2))), None,
     lambda r: np.all(r == 0)),
    ("noise_ceiling: n_images 'abc'", lambda: noise_ceiling(TRIALS, n_images="abc"),
     TypeError, "n_images must be an int"),
    ("noise_ceiling: text trials", lambda: noise_ceiling(np.full((6, 4, 2), "a")),
     ValueError, "real numbers"),
    ("prf_from_maps: negative degrees", lambda: prf_from_maps(MAPS, stimulus_degrees=-12),
     ValueError, "stimulus_degrees must be in (0, inf)"),
    ("prf_from_maps: NaN degrees", lambda: prf_from_maps(MAPS, stimulus_degrees=np.nan),
     ValueError, "stimulus_degrees must be a finite"),
    ("prf_from_maps: power 0", lambda: prf_from_maps(MAPS, 12.0, power=0), ValueError,
     "power must be in (0, inf)"),
    ("prf_from_maps: sigma inf", lambda: prf_from_maps(MAPS, 12.0, sigma=np.inf),
     ValueError, "sigma must be a finite"),
    ("prf_from_maps: empty maps", lambda: prf_from_maps(np.zeros((1, 0, 16)), 12.0),
     ValueError, "h, w >= 1"),
    ("prf_from_maps: text maps", lambda: prf_from_maps(np.full((1, 4, 4), "a"), 12.0),
     ValueError, "real numbers"),
    ("prf_from_maps: degrees as text", lambda: prf_from_maps(MAPS, "wide"), TypeError,
     "stimulus_degrees must be a number"),
    ("prf_from_maps: the blob's centre", lambda: prf_from_maps(MAPS, 32.0), None,
     lambda r: np.allclose(r[["x", "y"]].to_numpy(float), [[8.5, 7.5]], atol=0.05)),
    ("bootstrap_ci: n_boot 0", lambda: bootstrap_ci([1.0, 2.0], n_boot=0), ValueError,
     "n_boot must be in [1, inf)"),
    ("bootstrap_ci: n_boot 2.5", lambda: bootstrap_ci([1.0, 2.0], n_boot=2.5), TypeError,
     "n_boot must be an int"),
    ("bootstrap_se: n_boot 1", lambda: bootstrap_se([1.0, 2.0], n_boot=1), ValueError,
     "n_boot must be in [2, inf)"),
    ("summarize: n_boot -5", lambda: summarize([1.0, 2.0], n_boot=-5), ValueError,
     "n_boot must be in [1, inf)"),
    ("pairwise: unknown metric", lambda: pairwise_identification(
        rng.random((4, 5)), rng.random((4, 5)), metric="bogus"), ValueError,
     "metric='bogus'"),
    ("paired_tests: bad alternative", lambda: paired_tests({"a": [1, 2]}, {"a": [1, 2]},
                                                           alternative="up"), ValueError,
     "alternative"),
]


ANALYSIS = ("noise_ceiling", "snr", "prediction_accuracy", "noise_corrected")


def _param(case):
    category = "analyses" if case[0].startswith(ANALYSIS) else "metrics"
    return pytest.param(*case, id=case[0], marks=pytest.mark.hostile(category))


@pytest.mark.parametrize("name, call, error, expected", [_param(c) for c in CASES])
def test_hostile_array_input(name, call, error, expected):
    check_case(name, call, error, expected)
