"""The scikit-learn contract, declared and tested.

scikit-learn's own estimator checks run on the decoder, with an explicit list of expected
failures and the reason for each (as nilearn keeps one); the checks that cannot run (the
encoder's input is images, the decoder's target is images) are re-done below with image
data, so that every property those checks guard is enforced.
"""
import inspect
import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import KFold, cross_val_score
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_estimators_unfitted,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
    check_valid_tag_types,
    parametrize_with_checks,
)

from neurodecode import ImageEncoder, SelfSupervisedDecoder, Unpaired

DEC = dict(weights=None, perceptual_net="efficientnet_lite0", n_epochs=1,
           batch_sizes=(4, 4, 4), device="cpu", random_state=0)
ENC = dict(weights=None, n_epochs=1, batch_size=8, device="cpu", random_state=0)

_IMAGES = ("the target is images of shape (n, H, W, 3); the check passes a (n,) or (n, k) "
           "target, which fit refuses (the same property is tested with images below)")

#: Every scikit-learn check the decoder fails, and why. Everything else must pass.
EXPECTED_FAILED_CHECKS = {
    name: _IMAGES for name in (
        "check_fit_score_takes_y",
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_estimators_dtypes",
        "check_dtype_object",
        "check_pipeline_consistency",
        "check_estimators_nan_inf",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_regressors_train",
        "check_regressor_data_not_an_array",
        "check_regressor_multioutput",
        "check_regressors_no_decision_function",
        "check_regressors_int",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_1feature",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_fit2d_predict1d",
    )
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks([SelfSupervisedDecoder(**DEC)],
                         expected_failed_checks=_expected_failed_checks,  # reason= per check above
                         xfail_strict=True)  # reason= of each: EXPECTED_FAILED_CHECKS
def test_sklearn_checks_on_the_decoder(estimator, check):
    check(estimator)


@pytest.mark.parametrize("check", [
    check_estimator_cloneable, check_estimator_repr, check_no_attributes_set_in_init,
    check_parameters_default_constructible, check_get_params_invariance, check_set_params,
    check_valid_tag_types, check_do_not_raise_errors_in_init_or_set_params,
    check_estimators_unfitted,
], ids=lambda c: c.__name__)
def test_data_free_sklearn_checks_on_the_encoder(check):
    # parametrize_with_checks skips the encoder entirely (its X is images, not 2D): run
    # the checks that need no data (or only predict before fit) explicitly.
    check("ImageEncoder", ImageEncoder(**ENC))


def test_tags_declare_targets_and_inputs():
    enc, dec = get_tags(ImageEncoder()), get_tags(SelfSupervisedDecoder())
    assert enc.target_tags.required and dec.target_tags.required
    assert not enc.input_tags.two_d_array and enc.input_tags.three_d_array  # images
    assert dec.input_tags.two_d_array
    assert dec.target_tags.multi_output and not dec.target_tags.single_output
    assert enc.estimator_type == dec.estimator_type == "regressor"


@pytest.mark.parametrize("cls, first", [(ImageEncoder, "backbone"),
                                        (SelfSupervisedDecoder, "encoder")])
def test_hyper_parameters_are_keyword_only_after_the_first(cls, first):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert params[0].name == first
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    with pytest.raises(TypeError, match="positional"):
        cls(None, "vgg16")


# -- fMRI validation through scikit-learn's check_array ---------------------------------------
@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 20)).astype(np.float32)
    images = rng.random((12, 32, 32, 3), dtype=np.float32)
    return X, images


def test_complex_fmri_is_refused(small):
    X, images = small
    with pytest.raises(ValueError, match="Complex data not supported"):
        SelfSupervisedDecoder(**DEC).fit(X + 1j, images)


def test_sparse_fmri_is_refused_by_name(small):
    X, images = small
    with pytest.raises(TypeError, match="Sparse data was passed for X_paired"):
        SelfSupervisedDecoder(**DEC).fit(scipy.sparse.csr_matrix(X), images)


def test_object_arrays_of_numbers_are_accepted(small):
    X, images = small
    a = SelfSupervisedDecoder(**DEC).fit(X.astype(object), images)
    b = SelfSupervisedDecoder(**DEC).fit(X, images)
    assert np.array_equal(a.predict(X.astype(object)), b.predict(X))


def test_dataframe_columns_are_remembered(small):
    pd = pytest.importorskip("pandas")
    X, images = small
    df = pd.DataFrame(X, columns=[f"voxel{i}" for i in range(X.shape[1])])
    dec = SelfSupervisedDecoder(**DEC).fit(df, images)
    assert list(dec.feature_names_in_) == list(df.columns)
    with pytest.raises(ValueError, match="feature names"):
        dec.predict(df[df.columns[::-1]])


# -- the properties of the failing checks, with image targets ---------------------------------
@pytest.fixture(scope="module")
def fitted(small):
    X, images = small
    return SelfSupervisedDecoder(**DEC).fit(X, images)


def test_fit_returns_self_and_keeps_parameters(small):
    X, images = small
    dec = SelfSupervisedDecoder(**DEC)
    before = joblib.hash(dec.get_params())
    assert dec.fit(X, images) is dec
    assert joblib.hash(dec.get_params()) == before
    assert not [k for k in vars(dec) if k.endswith("_") and not k.startswith("_")
                and k not in SelfSupervisedDecoder._fitted_attributes]


def test_predict_leaves_the_estimator_unchanged(fitted, small):
    X, _ = small
    before = joblib.hash({k: v for k, v in vars(fitted).items() if k != "decoder_module_"})
    fitted.predict(X)
    assert joblib.hash({k: v for k, v in vars(fitted).items()
                        if k != "decoder_module_"}) == before


def test_fit_is_idempotent(small):
    X, images = small
    dec = SelfSupervisedDecoder(**DEC)
    first = dec.fit(X, images).predict(X)
    assert np.array_equal(dec.fit(X, images).predict(X), first)


def test_predict_is_invariant_to_sample_order_and_batching(fitted, small):
    X, _ = small
    full = fitted.predict(X)
    order = np.random.default_rng(1).permutation(len(X))
    # float32 GEMMs round differently with other batch shapes: equal up to ~1 ulp of [0, 1]
    np.testing.assert_allclose(fitted.predict(X[order]), full[order], rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.concatenate([fitted.predict(X[:5]), fitted.predict(X[5:])]),
                               full, rtol=0, atol=1e-5)


@pytest.mark.parametrize("convert", [
    lambda X: np.asfortranarray(X), lambda X: X.astype(np.float64), lambda X: X.tolist(),
], ids=["fortran", "float64", "list"])
def test_input_layouts_and_dtypes(fitted, small, convert):
    X, _ = small
    np.testing.assert_allclose(fitted.predict(convert(X)),
                               fitted.predict(np.asarray(convert(X), dtype=np.float32)),
                               atol=1e-6)


def test_readonly_memmap_input(small, tmp_path):
    X, images = small
    Xm = joblib.load(joblib.dump(X, tmp_path / "X.joblib")[0], mmap_mode="r")
    Im = joblib.load(joblib.dump(images, tmp_path / "im.joblib")[0], mmap_mode="r")
    a = SelfSupervisedDecoder(**DEC).fit(Xm, Im).predict(Xm)
    assert np.array_equal(a, SelfSupervisedDecoder(**DEC).fit(X, images).predict(X))


def test_n_features_in_and_one_dimensional_input(fitted, small):
    X, _ = small
    assert fitted.n_features_in_ == X.shape[1]
    with pytest.raises(ValueError, match="X has 19 features, but SelfSupervisedDecoder is "
                                         "expecting 20 features as input"):
        fitted.predict(X[:, :19])
    with pytest.raises(ValueError, match="Expected 2D array"):
        fitted.predict(X[0])
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict(np.where(np.eye(len(X), X.shape[1]) > 0, np.nan, X))


def test_pickle_round_trip(fitted, small):
    X, _ = small
    assert np.array_equal(pickle.loads(pickle.dumps(fitted)).predict(X), fitted.predict(X))


def test_requires_images(small):
    X, _ = small
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        SelfSupervisedDecoder(**DEC).fit(X, None)


def test_not_fitted(small):
    X, _ = small
    with pytest.raises(NotFittedError):
        SelfSupervisedDecoder(**DEC).predict(X)


# -- a pre-fitted encoder through clone and cross-validation ----------------------------------
@pytest.fixture
def encoder_fits(small, monkeypatch):
    """A fitted encoder, and the list of encoder fits made after it (every fit, public or
    the decoder's inner one, trains through ImageEncoder._fit_checked)."""
    X, images = small
    encoder = ImageEncoder(**ENC).fit(images, X)
    calls = []
    original = ImageEncoder._fit_checked
    monkeypatch.setattr(ImageEncoder, "_fit_checked",
                        lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    return encoder, calls


def test_frozen_encoder_survives_clone_and_cross_validation(small, encoder_fits):
    X, images = small
    encoder, calls = encoder_fits
    dec = SelfSupervisedDecoder(encoder=FrozenEstimator(encoder), **DEC)
    copy = clone(dec)
    assert copy.encoder.estimator is encoder  # clone keeps a frozen estimator as is
    scores = cross_val_score(dec, X, images, cv=KFold(3),
                             params={"X_unpaired_fmri": Unpaired(X)})
    assert np.all(np.isfinite(scores)) and len(scores) == 3
    assert calls == []  # phase I never refitted
    fitted = clone(dec).fit(X, images, X_unpaired_fmri=Unpaired(X))
    for p, q in zip(fitted.encoder_.module_.parameters(), encoder.module_.parameters()):
        assert torch_equal(p, q)


def test_an_unfrozen_encoder_is_refitted_in_each_fold(small, encoder_fits):
    X, images = small
    encoder, calls = encoder_fits
    cross_val_score(SelfSupervisedDecoder(encoder=encoder, **DEC), X, images, cv=KFold(3),
                    params={"X_unpaired_fmri": Unpaired(X)})
    assert len(calls) == 3  # documented: clone() unfits it, so each fold refits phase I


def test_frozen_wrapper_must_hold_a_fitted_encoder(small):
    X, images = small
    with pytest.raises(TypeError, match="must wrap a fitted neurodecode.ImageEncoder"):
        SelfSupervisedDecoder(encoder=FrozenEstimator(ImageEncoder()), **DEC).fit(X, images)


def torch_equal(p, q):
    import torch

    return torch.equal(p.detach().cpu(), q.detach().cpu())
