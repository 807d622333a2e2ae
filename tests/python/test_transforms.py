"""Every transform of ``ferrops.transforms`` against its scikit-learn (or numpy/pandas) reference.

Data are drawn from a seeded ``numpy.random.Generator``, with NaN in numeric columns and
None in string columns; ferrops is fitted on one table and applied to another (new
values, unseen categories). ferrops transforms replace the selected columns in place and
pass the others through, so the comparison is made on the selected columns.

Tolerances: 1e-9 (relative, plus a tiny absolute floor near zero) for closed-form
numbers, 1e-6 relative for ``PowerTransformer`` (scipy's Brent stops at xtol 1.48e-8),
exact equality for encoders and feature names.
"""

import inspect
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import sklearn
import sklearn.preprocessing as skp
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction import FeatureHasher as SkFeatureHasher
from sklearn.impute import SimpleImputer as SkSimpleImputer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.pipeline import Pipeline as SkPipeline

import ferrops as fo

RTOL, ATOL = 1e-9, 1e-12
NUMERIC = ["a", "b", "c", "d"]
STRINGS = ["s", "t"]


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


def make_frame(seed: int, n: int = 300, shift: float = 0.0, nan_frac: float = 0.1) -> pd.DataFrame:
    """Numeric a (normal), b (skewed, >= 0), c (uniform, both signs), d (integers: ties);
    strings s (3 values + None), t (skewed frequencies: rare categories + None).

    ``shift`` widens the ranges (so a test table goes beyond the training min/max) and
    adds categories never seen in a seed-0 training table.
    """
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "a": rng.normal(10, 3, n) * (1 + shift),
            "b": rng.exponential(2.0, n) * (1 + shift),
            "c": rng.uniform(-5, 5, n) * (1 + shift),
            "d": rng.integers(0, 6, n).astype(float),
        }
    )
    for col in NUMERIC:
        df.loc[rng.random(n) < nan_frac, col] = np.nan
    s_values = ["paris", "lyon", "nice"] + (["brest"] if shift else [])
    s = rng.choice(s_values, n).astype(object)
    s[rng.random(n) < nan_frac] = None
    t_values = np.array(["a", "b", "c", "d", "e", "f", "g"] + (["zz"] if shift else []))
    weights = np.array([40, 25, 15, 8, 5, 2, 1] + ([4] if shift else []), dtype=float)
    t = rng.choice(t_values, n, p=weights / weights.sum()).astype(object)
    t[rng.random(n) < nan_frac] = None
    df["s"] = s
    df["t"] = t
    return df


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return make_frame(0)


@pytest.fixture(scope="module")
def test() -> pd.DataFrame:
    """Other draws, wider ranges, with unseen categories ("brest", "zz")."""
    return make_frame(1, n=120, shift=0.5)


def sk_strings(df: pd.DataFrame, cols=STRINGS) -> np.ndarray:
    """String columns as scikit-learn wants them: object array, missing as np.nan."""
    return df[cols].astype(object).where(df[cols].notna(), np.nan).to_numpy(dtype=object)


def ours(est, fit_frame: pd.DataFrame, apply_frame: pd.DataFrame) -> pd.DataFrame:
    """Fit on one table, transform another, as a pandas frame."""
    return est.fit(fit_frame).set_output(transform="pandas").transform(apply_frame)


def close(actual, expected, rtol=RTOL, atol=ATOL) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)


def check_in_place(out: pd.DataFrame, frame: pd.DataFrame, selected: list[str]) -> None:
    """Unselected columns pass through unchanged and keep their position."""
    assert list(out.columns) == list(frame.columns)
    for col in frame.columns:
        if col not in selected:
            pd.testing.assert_series_equal(
                out[col], frame[col].reset_index(drop=True), check_names=False, check_dtype=False
            )


# ---------------------------------------------------------------------------
# scalers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("with_mean", [True, False])
@pytest.mark.parametrize("with_std", [True, False])
def test_standard_scaler(train, test, with_mean, with_std):
    """reference: sklearn.preprocessing.StandardScaler (NaN ignored at fit, kept at transform)."""
    est = fo.StandardScaler(with_mean=with_mean, with_std=with_std)
    ref = skp.StandardScaler(with_mean=with_mean, with_std=with_std).fit(train[NUMERIC])
    out = ours(est, train, test)
    close(out[NUMERIC], ref.transform(test[NUMERIC]))
    check_in_place(out, test, NUMERIC)
    if with_mean:
        close(est.mean_, ref.mean_)
    if with_std:
        close(est.scale_, ref.scale_)
        close(est.var_, ref.var_)
    assert list(est.get_feature_names_out()) == list(train.columns)


def test_standard_scaler_moderate_offset():
    """reference: sklearn.preprocessing.StandardScaler, offset 1e3 and 1e5 (well within 1e-9)."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"k": 1e3 + rng.normal(0, 1, 10_000), "h": 1e5 + rng.normal(0, 1, 10_000)})
    ref = skp.StandardScaler().fit(X)
    close(fo.StandardScaler().fit_transform(X), ref.transform(X), rtol=1e-9, atol=1e-9)


def test_standard_scaler_large_offset():
    """reference: sklearn.preprocessing.StandardScaler and math.fsum for the exact mean."""
    import math

    rng = np.random.default_rng(1)
    x = 1e6 + rng.normal(0, 1, 10_000)
    X = pd.DataFrame({"x": x})
    est, ref = fo.StandardScaler().fit(X), skp.StandardScaler().fit(X)
    close(est.transform(X), ref.transform(X), rtol=1e-9, atol=1e-9)
    assert abs(est.mean_[0] - math.fsum(x) / len(x)) <= abs(ref.mean_[0] - math.fsum(x) / len(x))


@pytest.mark.parametrize("feature_range", [(0.0, 1.0), (-2.0, 3.5)])
@pytest.mark.parametrize("clip", [False, True])
def test_min_max_scaler(train, test, feature_range, clip):
    """reference: sklearn.preprocessing.MinMaxScaler (test data exceeds the fitted range, so clip matters)."""
    est = fo.MinMaxScaler(feature_range=feature_range, clip=clip)
    ref = skp.MinMaxScaler(feature_range=feature_range, clip=clip).fit(train[NUMERIC])
    out = ours(est, train, test)
    close(out[NUMERIC], ref.transform(test[NUMERIC]))
    check_in_place(out, test, NUMERIC)
    close(est.data_min_, ref.data_min_)
    close(est.data_max_, ref.data_max_)
    close(est.scale_, ref.scale_)
    close(est.min_, ref.min_)


@pytest.mark.parametrize("with_centering", [True, False])
@pytest.mark.parametrize("with_scaling", [True, False])
@pytest.mark.parametrize("quantile_range", [(25.0, 75.0), (10.0, 90.0), (0.0, 100.0)])
def test_robust_scaler(train, test, with_centering, with_scaling, quantile_range):
    """reference: sklearn.preprocessing.RobustScaler (nanpercentile, linear interpolation)."""
    kw = dict(with_centering=with_centering, with_scaling=with_scaling, quantile_range=quantile_range)
    est = fo.RobustScaler(**kw)
    ref = skp.RobustScaler(**kw).fit(train[NUMERIC])
    out = ours(est, train, test)
    close(out[NUMERIC], ref.transform(test[NUMERIC]))
    check_in_place(out, test, NUMERIC)
    if with_centering:
        close(est.center_, ref.center_)
    if with_scaling:
        close(est.scale_, ref.scale_)


def test_max_abs_scaler(train, test):
    """reference: sklearn.preprocessing.MaxAbsScaler."""
    est = fo.MaxAbsScaler()
    ref = skp.MaxAbsScaler().fit(train[NUMERIC])
    out = ours(est, train, test)
    close(out[NUMERIC], ref.transform(test[NUMERIC]))
    check_in_place(out, test, NUMERIC)
    close(est.max_abs_, ref.max_abs_)
    close(est.scale_, ref.scale_)


def test_max_abs_scaler_clip(train, test):
    """reference: numpy.clip(sklearn.preprocessing.MaxAbsScaler output, -1, 1) (scikit-learn has no clip here)."""
    ref = skp.MaxAbsScaler().fit(train[NUMERIC])
    out = ours(fo.MaxAbsScaler(clip=True), train, test)
    close(out[NUMERIC], np.clip(ref.transform(test[NUMERIC]), -1.0, 1.0))
    assert np.nanmax(np.abs(out[NUMERIC].to_numpy())) <= 1.0


@pytest.mark.parametrize(
    "est, ref",
    [
        (fo.StandardScaler(), skp.StandardScaler()),
        (fo.MinMaxScaler(), skp.MinMaxScaler()),
        (fo.RobustScaler(), skp.RobustScaler()),
        (fo.MaxAbsScaler(), skp.MaxAbsScaler()),
    ],
    ids=["standard", "minmax", "robust", "maxabs"],
)
def test_scalers_on_constant_and_zero_columns(est, ref):
    """reference: the matching sklearn.preprocessing scaler: constant (and all-zero) columns get scale 1."""
    rng = np.random.default_rng(7)
    X = pd.DataFrame({"const": np.full(50, 3.7), "zero": np.zeros(50), "x": rng.normal(size=50)})
    X.loc[::6, "const"] = np.nan
    close(clone(est).fit_transform(X), clone(ref).fit_transform(X))


# ---------------------------------------------------------------------------
# imputer
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
@pytest.mark.parametrize("add_indicator", [False, True])
def test_simple_imputer(train, test, strategy, add_indicator):
    """reference: sklearn.impute.SimpleImputer (ties in most_frequent: the smallest value).

    scikit-learn appends the indicator columns at the end; ferrops puts each right after
    its column, so names and values are compared by name, and the ferrops order checked.
    """
    kw = dict(strategy=strategy, add_indicator=add_indicator)
    if strategy == "constant":
        kw["fill_value"] = -7.5
    est = fo.SimpleImputer(**kw)
    ref = SkSimpleImputer(**kw).set_output(transform="pandas").fit(train[NUMERIC])
    out = ours(est, train, test)
    expected = ref.transform(test[NUMERIC])
    close(out[NUMERIC], expected[NUMERIC])
    close(est.statistics_, ref.statistics_)
    ours_names = list(est.get_feature_names_out())
    indicator_names = [n for n in ref.get_feature_names_out() if n.startswith("missingindicator_")]
    assert sorted(ours_names) == sorted(list(ref.get_feature_names_out()) + STRINGS)
    for name in indicator_names:
        close(out[name], expected[name])
        column = name.removeprefix("missingindicator_")
        assert ours_names.index(name) == ours_names.index(column) + 1
    assert bool(indicator_names) == add_indicator
    assert not out[NUMERIC].isna().any().any()
    pd.testing.assert_frame_equal(out[STRINGS], test[STRINGS].reset_index(drop=True))


@pytest.mark.parametrize("strategy", ["most_frequent", "constant"])
@pytest.mark.parametrize("fill_value", [None, "unknown"])
def test_simple_imputer_on_strings(strategy, fill_value):
    """reference: sklearn.impute.SimpleImputer on an object column (missing_values=np.nan
    covers None); ties in most_frequent go to the smallest string; constant's default
    fill for strings is "missing_value"."""
    rng = np.random.default_rng(3)
    city = rng.choice(["paris", "lyon", "nice"], 300).astype(object)
    city[rng.random(300) < 0.2] = None
    fit = pd.DataFrame({"city": city, "x": rng.normal(size=300)})
    apply = pd.DataFrame({"city": ["nice", None, "brest", None], "x": [1.0, 2.0, 3.0, 4.0]})
    est = fo.SimpleImputer(["city"], strategy=strategy, fill_value=fill_value, add_indicator=True).fit(fit)
    # scikit-learn's missing marker for object columns is NaN (ours: Arrow null, from None).
    ref = SkSimpleImputer(strategy=strategy, fill_value=fill_value, add_indicator=True).fit(
        fit[["city"]].replace({None: np.nan})
    )
    out = est.set_output(transform="pandas").transform(apply)
    expected = ref.transform(apply[["city"]].replace({None: np.nan}))
    assert out["city"].tolist() == list(expected[:, 0])
    assert out["missingindicator_city"].tolist() == list(expected[:, 1].astype(float))
    assert list(est.statistics_) == list(ref.statistics_)
    np.testing.assert_array_equal(out["x"], apply["x"])


def test_simple_imputer_string_ties_and_errors():
    """reference: scikit-learn's most_frequent on objects: the smallest of the tied modes."""
    tied = pd.DataFrame({"c": ["b", "a", None, "b", "a"]})
    assert fo.SimpleImputer("string", strategy="most_frequent").fit(tied).statistics_.tolist() == ["a"]
    sk_tied = tied.replace({None: np.nan})
    assert SkSimpleImputer(strategy="most_frequent").fit(sk_tied).statistics_.tolist() == ["a"]
    with pytest.raises(fo.SchemaError, match="most_frequent or constant"):
        fo.SimpleImputer("string", strategy="mean").fit(tied)
    with pytest.raises(fo.DataError, match="no non-missing value"):
        fo.SimpleImputer(["c"], strategy="most_frequent").fit(pa.table({"c": pa.array([None, None], pa.string())}))
    fitted = fo.SimpleImputer("string", strategy="most_frequent").fit(tied)
    with pytest.raises(fo.SchemaError, match="`c`"):
        fitted.transform(pd.DataFrame({"c": [1.0, 2.0]}))


def test_simple_imputer_indicator_only_for_columns_missing_at_fit():
    """reference: sklearn.impute.SimpleImputer(add_indicator=True) (MissingIndicator features="missing-only")."""
    fit = pd.DataFrame({"p": [1.0, np.nan, 3.0, 4.0], "q": [1.0, 2.0, 3.0, 5.0]})
    apply = pd.DataFrame({"p": [np.nan, 2.0], "q": [np.nan, 1.0]})
    est = fo.SimpleImputer(add_indicator=True).fit(fit)
    ref = SkSimpleImputer(add_indicator=True).fit(fit)
    assert list(est.get_feature_names_out()) == ["p", "missingindicator_p", "q"]
    assert list(ref.get_feature_names_out()) == ["p", "q", "missingindicator_p"]
    close(est.transform(apply), ref.transform(apply)[:, [0, 2, 1]])


# ---------------------------------------------------------------------------
# discretizer, log1p, power transform
# ---------------------------------------------------------------------------

QUANTILE_METHODS = ["averaged_inverted_cdf", "linear"]
SK_HAS_QUANTILE_METHOD = "quantile_method" in inspect.signature(skp.KBinsDiscretizer).parameters


def sk_kbins(n_bins, strategy, quantile_method):
    kw = dict(n_bins=n_bins, encode="ordinal", strategy=strategy, subsample=None)
    if strategy == "quantile":
        if SK_HAS_QUANTILE_METHOD:  # scikit-learn >= 1.7
            kw["quantile_method"] = quantile_method
        elif quantile_method != "linear":  # before 1.7: numpy.percentile's "linear", no choice
            pytest.skip(f"scikit-learn {sklearn.__version__} has no KBinsDiscretizer(quantile_method=)")
    return skp.KBinsDiscretizer(**kw)


@pytest.mark.parametrize(
    "strategy, quantile_method",
    [("uniform", "averaged_inverted_cdf"), *[("quantile", m) for m in QUANTILE_METHODS]],
)
@pytest.mark.parametrize("n_bins", [2, 5, 7])
def test_kbins_discretizer(train, test, strategy, quantile_method, n_bins):
    """reference: sklearn.preprocessing.KBinsDiscretizer(encode="ordinal", subsample=None).

    scikit-learn rejects NaN, so it is fitted on the rows without NaN (a, b, c continuous);
    ferrops keeps NaN as NaN.
    """
    cols = ["a", "b", "c"]
    fit, apply = train.dropna(subset=cols), test.dropna(subset=cols)
    est = fo.KBinsDiscretizer(n_bins=n_bins, strategy=strategy, quantile_method=quantile_method)
    ref = sk_kbins(n_bins, strategy, quantile_method).fit(fit[cols])
    out = ours(est.set_params(columns=cols), fit, apply)
    np.testing.assert_array_equal(out[cols].to_numpy(), ref.transform(apply[cols]))
    for ours_edges, ref_edges in zip(est.bin_edges_, ref.bin_edges_, strict=True):
        close(ours_edges, ref_edges)
    assert list(est.n_bins_) == list(ref.n_bins_)
    # NaN rows: NaN out, the others as fitted on the complete rows.
    nan_out = est.set_output(transform="default").transform(test[cols])
    nan_mask = test[cols].isna().to_numpy()
    assert np.isnan(nan_out[nan_mask]).all() and not np.isnan(nan_out[~nan_mask]).any()


@pytest.mark.parametrize("quantile_method", QUANTILE_METHODS)
def test_kbins_quantile_removes_tiny_bins_like_sklearn(quantile_method):
    """reference: sklearn.preprocessing.KBinsDiscretizer: repeated quantile edges are removed (with a warning there)."""
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"d": rng.integers(0, 4, 200).astype(float), "e": np.r_[np.zeros(150), rng.normal(size=50)]})
    est = fo.KBinsDiscretizer(n_bins=6, strategy="quantile", quantile_method=quantile_method).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = sk_kbins(6, "quantile", quantile_method).fit(X)
    assert list(est.n_bins_) == list(ref.n_bins_)
    for ours_edges, ref_edges in zip(est.bin_edges_, ref.bin_edges_, strict=True):
        close(ours_edges, ref_edges)
    np.testing.assert_array_equal(est.transform(X), ref.transform(X))


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_kbins_constant_column(strategy):
    """reference: sklearn.preprocessing.KBinsDiscretizer: a constant column is one bin, every value -> 0."""
    X = pd.DataFrame({"c": np.full(20, 2.0), "x": np.arange(20.0)})
    apply = pd.DataFrame({"c": [1.0, 2.0, 5.0], "x": [-1.0, 7.0, 30.0]})
    est = fo.KBinsDiscretizer(n_bins=3, strategy=strategy).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = sk_kbins(3, strategy, "averaged_inverted_cdf").fit(X)
    assert list(est.n_bins_) == list(ref.n_bins_)
    np.testing.assert_array_equal(est.transform(apply), ref.transform(apply))


def test_kbins_constant_column_bin_edges():
    """reference: sklearn.preprocessing.KBinsDiscretizer(strategy="uniform").bin_edges_."""
    X = pd.DataFrame({"c": np.full(20, 2.0)})
    est = fo.KBinsDiscretizer(n_bins=3, strategy="uniform").fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = sk_kbins(3, "uniform", None).fit(X)
    np.testing.assert_array_equal(est.bin_edges_[0], ref.bin_edges_[0])


def test_log1p(train):
    """reference: numpy.log1p (NaN stays NaN; values in (-1, 0) allowed)."""
    frame = train.assign(c=train["c"] / 5.01)  # c in (-1, 1)
    out = ours(fo.Log1p(), frame, frame)
    close(out[NUMERIC], np.log1p(frame[NUMERIC].to_numpy()))
    check_in_place(out, frame, NUMERIC)
    assert list(fo.Log1p().fit(frame).get_feature_names_out()) == list(frame.columns)


def power_close(actual, expected) -> None:
    """The documented PowerTransformer tolerance: 1e-6 relative, with the column's spread as the scale
    near zero (a standardized value near 0 has no meaningful relative error)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    for j in range(expected.shape[1]):
        scale = np.nanstd(expected[:, j]) or 1.0
        np.testing.assert_allclose(actual[:, j], expected[:, j], rtol=1e-6, atol=1e-6 * scale, err_msg=f"column {j}")


@pytest.mark.parametrize("standardize", [True, False])
def test_power_transformer(train, test, standardize):
    """reference: sklearn.preprocessing.PowerTransformer(method="yeo-johnson").

    Documented tolerance 1e-6 relative: both maximise the same likelihood but scipy's
    Brent stops at xtol 1.48e-8, so lambdas differ in the last digits.
    """
    frame = train.assign(e=np.random.default_rng(5).lognormal(0, 1, len(train)) - 1.0)
    apply = test.assign(e=np.random.default_rng(6).lognormal(0, 1, len(test)) - 1.0)
    cols = [*NUMERIC, "e"]
    ref = skp.PowerTransformer(method="yeo-johnson", standardize=standardize).fit(frame[cols])
    est = fo.PowerTransformer(standardize=standardize)
    out = ours(est, frame, apply)
    close(est.lambdas_, ref.lambdas_, rtol=1e-6, atol=1e-6)
    power_close(out[cols], ref.transform(apply[cols]))
    check_in_place(out, apply, cols)


@pytest.mark.parametrize("seed", range(4))
def test_power_transformer_flat_likelihoods(seed):
    """reference: sklearn.preprocessing.PowerTransformer and scipy.stats.yeojohnson_llf.

    Heavy skew, all-negative, heavy tails, and normal(100, 1) (a very flat likelihood in
    lambda, where the two optimisers stop ~1e-6 apart in lambda): ferrops' lambda is at
    least as likely as scikit-learn's, and outputs agree within the documented tolerance.
    """
    from scipy import stats

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "ln": rng.lognormal(0, 2, 400),
            "neg": -rng.exponential(3, 400),
            "n": rng.normal(100, 1, 400),
            "t": rng.standard_t(2, 400),
        }
    )
    X.loc[::17, "ln"] = np.nan
    est, ref = fo.PowerTransformer().fit(X), skp.PowerTransformer().fit(X)
    power_close(est.transform(X), ref.transform(X))
    for j, col in enumerate(X.columns):
        x = X[col].dropna().to_numpy()
        ours_llf, ref_llf = stats.yeojohnson_llf(est.lambdas_[j], x), stats.yeojohnson_llf(ref.lambdas_[j], x)
        assert ours_llf >= ref_llf - 1e-9 * abs(ref_llf), (col, est.lambdas_[j], ref.lambdas_[j])
        assert abs(est.lambdas_[j] - ref.lambdas_[j]) <= 1e-5 * max(1.0, abs(ref.lambdas_[j])), col


# ---------------------------------------------------------------------------
# encoders
# ---------------------------------------------------------------------------


def sk_onehot(**kw):
    return skp.OneHotEncoder(sparse_output=False, **kw)


@pytest.mark.parametrize(
    "kw",
    [
        dict(handle_unknown="ignore"),
        dict(handle_unknown="ignore", drop="first"),
        dict(handle_unknown="ignore", drop="if_binary"),
        dict(handle_unknown="infrequent_if_exist", min_frequency=10),
        dict(handle_unknown="infrequent_if_exist", min_frequency=0.05),
        dict(handle_unknown="infrequent_if_exist", max_categories=4),
        dict(handle_unknown="infrequent_if_exist", min_frequency=20, max_categories=3),
        dict(handle_unknown="infrequent_if_exist", min_frequency=10, drop="first"),
    ],
    ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()),
)
def test_one_hot_encoder(train, test, kw):
    """reference: sklearn.preprocessing.OneHotEncoder(sparse_output=False): names, categories and values exactly.

    The test table has unseen categories ("brest" in s, "zz" in t) and None.
    """
    est = fo.OneHotEncoder(**kw)
    with warnings.catch_warnings():  # "unknown categories ... encoded as all zeros" with drop
        warnings.simplefilter("ignore", UserWarning)
        ref = sk_onehot(**kw).fit(sk_strings(train))
        expected = ref.transform(sk_strings(test))
    out = ours(est, train, test)
    names = list(ref.get_feature_names_out(STRINGS))
    ours_names = list(est.get_feature_names_out())
    assert ours_names == NUMERIC + names
    np.testing.assert_array_equal(out[names].to_numpy(), expected)
    pd.testing.assert_frame_equal(out[NUMERIC], test[NUMERIC].reset_index(drop=True))


def test_one_hot_encoder_binary_column_with_if_binary():
    """reference: sklearn.preprocessing.OneHotEncoder(drop="if_binary"): a two-category column keeps one output."""
    rng = np.random.default_rng(11)
    df = pd.DataFrame({"yes": rng.choice(["no", "yes"], 60), "tri": rng.choice(["u", "v", "w"], 60)})
    for drop in ["if_binary", "first"]:
        est = fo.OneHotEncoder(drop=drop).fit(df)
        ref = sk_onehot(drop=drop).fit(df)
        assert list(est.get_feature_names_out()) == list(ref.get_feature_names_out())
        np.testing.assert_array_equal(est.transform(df), ref.transform(df))


@pytest.mark.parametrize("max_categories", [2, 3, 4])
@pytest.mark.parametrize("min_frequency", [None, 3])
def test_one_hot_encoder_infrequent_ties(max_categories, min_frequency):
    """reference: sklearn.preprocessing.OneHotEncoder(handle_unknown="infrequent_if_exist"): equal counts at the
    max_categories cut, and a missing value that is itself infrequent."""
    values = ["q"] * 6 + ["p"] * 6 + ["r"] * 4 + ["o"] * 4 + ["n"] * 2 + [None] * 2 + ["m"]
    order = np.random.default_rng(4).permutation(len(values))
    df = pd.DataFrame({"k": pd.Series(values, dtype=object).iloc[order].reset_index(drop=True)})
    kw = dict(handle_unknown="infrequent_if_exist", max_categories=max_categories, min_frequency=min_frequency)
    est = fo.OneHotEncoder(**kw).fit(df)
    ref = sk_onehot(**kw).fit(sk_strings(df, ["k"]))
    apply = pd.DataFrame({"k": ["q", "p", "r", "o", "n", None, "m", "unseen"]})
    assert list(est.get_feature_names_out()) == list(ref.get_feature_names_out(["k"]))
    np.testing.assert_array_equal(est.transform(apply), ref.transform(sk_strings(apply, ["k"])))


@pytest.mark.parametrize("handle_unknown", ["error", "ignore"])
@pytest.mark.parametrize("kw", [dict(min_frequency=5), dict(max_categories=3)], ids=["min_frequency", "max_categories"])
def test_one_hot_encoder_infrequent_with_error_or_ignore(handle_unknown, kw):
    """reference: sklearn.preprocessing.OneHotEncoder: rare categories are grouped whatever handle_unknown is;
    an unknown category raises (error: DataError here) or is all zeros (ignore)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"s": rng.choice(list("abcdefg"), 100, p=[0.4, 0.3, 0.1, 0.1, 0.05, 0.03, 0.02])})
    known = pd.DataFrame({"s": list("abcdefg")})
    unknown = pd.DataFrame({"s": ["zzz"]})
    est = fo.OneHotEncoder(handle_unknown=handle_unknown, **kw).fit(df)
    ref = sk_onehot(handle_unknown=handle_unknown, **kw).fit(df)
    assert list(est.get_feature_names_out()) == list(ref.get_feature_names_out())
    np.testing.assert_array_equal(est.transform(known), ref.transform(known))
    if handle_unknown == "error":
        with pytest.raises(fo.DataError, match="zzz"):
            est.transform(unknown)
    else:
        np.testing.assert_array_equal(est.transform(unknown), ref.transform(unknown))


def test_one_hot_encoder_unknown_error(train, test):
    """reference: sklearn.preprocessing.OneHotEncoder(handle_unknown="error") raises on "brest"; ferrops raises DataError."""
    est = fo.OneHotEncoder().fit(train)
    ref = sk_onehot().fit(sk_strings(train))
    with pytest.raises(ValueError, match="unknown categor"):
        ref.transform(sk_strings(test))
    with pytest.raises(fo.DataError, match="brest"):
        est.transform(test)
    seen = np.logical_and.reduce([test[c].isna() | test[c].isin(train[c].dropna()) for c in STRINGS])
    known = test[seen]
    assert 0 < len(known) < len(test)
    np.testing.assert_array_equal(
        est.set_output(transform="pandas").transform(known)[list(ref.get_feature_names_out(STRINGS))].to_numpy(),
        ref.transform(sk_strings(known)),
    )


@pytest.mark.parametrize(
    "kw",
    [
        dict(handle_unknown="use_encoded_value"),
        dict(handle_unknown="use_encoded_value", unknown_value=-1),
        dict(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2),
        dict(handle_unknown="use_encoded_value", unknown_value=99, encoded_missing_value=7),
    ],
    ids=["nan-nan", "m1-nan", "m1-m2", "99-7"],
)
def test_ordinal_encoder(train, test, kw):
    """reference: sklearn.preprocessing.OrdinalEncoder (unknown_value None in ferrops = np.nan there)."""
    sk_kw = dict(kw)
    sk_kw["unknown_value"] = np.nan if kw.get("unknown_value") is None else kw["unknown_value"]
    sk_kw["encoded_missing_value"] = np.nan if kw.get("encoded_missing_value") is None else kw["encoded_missing_value"]
    est = fo.OrdinalEncoder(**kw)
    ref = skp.OrdinalEncoder(**sk_kw).fit(sk_strings(train))
    out = ours(est, train, test)
    np.testing.assert_array_equal(out[STRINGS].to_numpy(dtype=float), ref.transform(sk_strings(test)))
    assert list(est.get_feature_names_out()) == list(train.columns)
    pd.testing.assert_frame_equal(out[NUMERIC], test[NUMERIC].reset_index(drop=True))


def test_ordinal_encoder_unknown_error(train, test):
    """reference: sklearn.preprocessing.OrdinalEncoder(handle_unknown="error"); ferrops raises DataError."""
    est = fo.OrdinalEncoder().fit(train)
    ref = skp.OrdinalEncoder().fit(sk_strings(train))
    with pytest.raises(ValueError):
        ref.transform(sk_strings(test))
    with pytest.raises(fo.DataError, match="brest"):
        est.transform(test)
    np.testing.assert_array_equal(est.transform(train[STRINGS]), ref.transform(sk_strings(train)))


def test_ordinal_encoder_unknown_value_clashing_with_a_code():
    """reference: sklearn.preprocessing.OrdinalEncoder raises ValueError; ferrops raises InvalidParameterError."""
    df = pd.DataFrame({"s": ["a", "b", "c"]})
    with pytest.raises(ValueError):
        skp.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=1).fit(df)
    with pytest.raises(fo.InvalidParameterError, match="unknown_value"):
        fo.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=1).fit(df)


def test_ordinal_encoder_unknown_value_without_use_encoded_value():
    """reference: sklearn.preprocessing.OrdinalEncoder parameter validation."""
    df = pd.DataFrame({"s": ["a", "b", "c"]})
    with pytest.raises(TypeError):
        skp.OrdinalEncoder(unknown_value=-1).fit(df)
    with pytest.raises(fo.InvalidParameterError):
        fo.OrdinalEncoder(unknown_value=-1).fit(df)


# ---------------------------------------------------------------------------
# datetime parts, feature hasher
# ---------------------------------------------------------------------------


def timestamps(seed: int, n: int = 200, tz: str | None = None) -> pd.Series:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(pd.Timestamp("1969-06-01").timestamp(), pd.Timestamp("2038-06-01").timestamp(), n)
    ts = pd.Series(pd.to_datetime(seconds, unit="s"))
    ts[rng.random(n) < 0.1] = pd.NaT
    return ts.dt.tz_localize("UTC").dt.tz_convert(tz) if tz else ts


PARTS = {"year": "year", "month": "month", "day": "day", "weekday": "day_of_week", "hour": "hour"}


@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Kolkata", "America/New_York"])
def test_datetime_parts(tz):
    """reference: pandas Series.dt.year/.month/.day/.weekday/.hour (in the column's timezone; NaT -> NaN)."""
    df = pd.DataFrame({"when": timestamps(0, tz=tz), "x": np.arange(200.0)})
    est = fo.DatetimeParts()
    out = est.fit(df).set_output(transform="pandas").transform(df)
    assert list(est.get_feature_names_out()) == [f"when_{p}" for p in PARTS] + ["x"]
    for part, attr in PARTS.items():
        np.testing.assert_array_equal(
            out[f"when_{part}"].to_numpy(dtype=float), getattr(df["when"].dt, attr).to_numpy(dtype=float)
        )
    np.testing.assert_array_equal(out["x"], df["x"])


def test_datetime_parts_options_and_dates():
    """reference: pandas .dt accessors; ``parts`` order is kept, ``drop_original=False`` keeps the column first."""
    ts = timestamps(1, n=50, tz="Europe/Paris")
    df = pd.DataFrame({"when": ts})
    est = fo.DatetimeParts(parts=("hour", "year"), drop_original=False).fit(df)
    assert list(est.get_feature_names_out()) == ["when", "when_hour", "when_year"]
    out = est.set_output(transform="pandas").transform(df)
    np.testing.assert_array_equal(out["when_hour"].to_numpy(dtype=float), ts.dt.hour.to_numpy(dtype=float))
    np.testing.assert_array_equal(out["when_year"].to_numpy(dtype=float), ts.dt.year.to_numpy(dtype=float))
    # date32 columns: hour 0.
    dates = ts.dt.tz_localize(None).dt.normalize()
    table = pa.table({"day": pa.array([None if pd.isna(d) else d.date() for d in dates], type=pa.date32())})
    got = fo.DatetimeParts().fit(table).transform(table)
    expected = np.column_stack([getattr(dates.dt, a).to_numpy(dtype=float) for a in PARTS.values()])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("n_features", [1, 8, 32])
@pytest.mark.parametrize("alternate_sign", [True, False])
def test_feature_hasher(train, test, n_features, alternate_sign):
    """reference: sklearn.feature_extraction.FeatureHasher(input_type="string") on ``[[v] for v in col]``
    (None: the empty list, an all-zero row)."""
    est = fo.FeatureHasher(n_features=n_features, alternate_sign=alternate_sign)
    ref = SkFeatureHasher(n_features=n_features, input_type="string", alternate_sign=alternate_sign)
    out = ours(est, train, test)
    for col in STRINGS:
        expected = ref.transform([[] if pd.isna(v) else [v] for v in test[col]]).toarray()
        names = [f"{col}_hash_{i}" for i in range(n_features)]
        np.testing.assert_array_equal(out[names].to_numpy(), expected)
    assert list(est.get_feature_names_out()) == NUMERIC + [f"{c}_hash_{i}" for c in STRINGS for i in range(n_features)]


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------

NUMERIC_TRANSFORMS = [
    fo.StandardScaler,
    fo.MinMaxScaler,
    fo.RobustScaler,
    fo.MaxAbsScaler,
    fo.SimpleImputer,
    fo.KBinsDiscretizer,
    fo.Log1p,
    fo.PowerTransformer,
]
ALL_TRANSFORMS = [*NUMERIC_TRANSFORMS, fo.OneHotEncoder, fo.OrdinalEncoder, fo.FeatureHasher, fo.DatetimeParts]


@pytest.mark.parametrize("cls", NUMERIC_TRANSFORMS)
def test_numeric_transform_errors(cls, train):
    """SchemaError: string column selected / missing column; DataError: empty table; NotFittedError before fit."""
    with pytest.raises(fo.SchemaError, match="`s`"):
        cls(columns=["s"]).fit(train)
    with pytest.raises(fo.SchemaError, match="`nope`"):
        cls(columns=["nope"]).fit(train)
    if cls is fo.Log1p:  # stateless: nothing to learn, an empty table is fine
        assert cls().fit(train[NUMERIC].iloc[:0]).transform(train[NUMERIC].iloc[:0]).shape == (0, len(NUMERIC))
    else:
        with pytest.raises(fo.DataError, match="empty|no non-missing"):
            cls().fit(train[NUMERIC].iloc[:0])
    with pytest.raises(fo.NotFittedError):
        cls().transform(train)
    fitted = cls().fit(train)
    with pytest.raises(fo.SchemaError, match="`a`"):
        fitted.transform(train.drop(columns=["a"]))
    with pytest.raises(fo.SchemaError, match="`a`"):
        fitted.transform(train.assign(a="text"))


@pytest.mark.parametrize(
    "cls",
    [fo.StandardScaler, fo.MinMaxScaler, fo.RobustScaler, fo.MaxAbsScaler, fo.PowerTransformer, fo.KBinsDiscretizer],
)
def test_infinite_values_raise_data_error(cls, train):
    """inf cannot be fitted on (scikit-learn raises ValueError too); the message names the column."""
    with pytest.raises(fo.DataError, match="`b`"):
        cls().fit(train.assign(b=train["b"].where(train.index != 3, np.inf)))


def test_specific_data_errors(train):
    with pytest.raises(fo.DataError, match="`c`.*row 2"):
        fo.Log1p().fit_transform(pd.DataFrame({"c": [0.0, 1.0, -1.0]}))
    with pytest.raises(fo.DataError, match="`a`"):
        fo.SimpleImputer().fit(pd.DataFrame({"a": [np.nan, np.nan]}))
    with pytest.raises(fo.DataError, match="no non-missing"):
        fo.StandardScaler().fit(pd.DataFrame({"a": [np.nan, np.nan]}))
    with pytest.raises(fo.DataError):
        fo.OneHotEncoder().fit(train[STRINGS].iloc[:0])
    with pytest.raises(fo.SchemaError, match="`a`"):
        fo.OneHotEncoder(columns=["a"]).fit(train)
    with pytest.raises(fo.SchemaError, match="`a`"):
        fo.DatetimeParts(columns=["a"]).fit(train)


@pytest.mark.parametrize(
    "est",
    [
        fo.MinMaxScaler(feature_range=(1, 0)),
        fo.MinMaxScaler(feature_range=(0, np.inf)),
        fo.RobustScaler(quantile_range=(80, 20)),
        fo.RobustScaler(quantile_range=(-1, 50)),
        fo.SimpleImputer(strategy="mode"),
        fo.KBinsDiscretizer(n_bins=1),
        fo.KBinsDiscretizer(strategy="kmeans"),
        fo.KBinsDiscretizer(quantile_method="hazen-ish"),
        fo.OneHotEncoder(handle_unknown="explode"),
        fo.OneHotEncoder(drop="last"),
        fo.OrdinalEncoder(handle_unknown="ignore"),
        fo.FeatureHasher(n_features=0),
        fo.DatetimeParts(parts=("century",)),
    ],
    ids=repr,
)
def test_invalid_parameters(est, train):
    with pytest.raises(fo.InvalidParameterError):
        est.fit(train.assign(when=timestamps(0, n=len(train))))


def test_exception_hierarchy():
    for exc in (fo.DataError, fo.SchemaError, fo.InvalidParameterError, fo.NotFittedError):
        assert issubclass(exc, fo.FerropsError)


# ---------------------------------------------------------------------------
# scikit-learn protocol: params, clone, Pipeline, ColumnTransformer
# ---------------------------------------------------------------------------

NON_DEFAULT = {
    fo.StandardScaler: dict(with_mean=False),
    fo.MinMaxScaler: dict(feature_range=(-1.0, 1.0), clip=True),
    fo.RobustScaler: dict(quantile_range=(10.0, 90.0)),
    fo.MaxAbsScaler: dict(clip=True),
    fo.SimpleImputer: dict(strategy="median", add_indicator=True),
    fo.KBinsDiscretizer: dict(n_bins=3, strategy="uniform"),
    fo.Log1p: dict(columns=["b"]),
    fo.PowerTransformer: dict(standardize=False),
    fo.OneHotEncoder: dict(handle_unknown="infrequent_if_exist", min_frequency=5),
    fo.OrdinalEncoder: dict(handle_unknown="use_encoded_value", unknown_value=-1),
    fo.FeatureHasher: dict(n_features=4, alternate_sign=False),
    fo.DatetimeParts: dict(parts=("year",), drop_original=False),
}


@pytest.mark.parametrize("cls", ALL_TRANSFORMS)
def test_get_set_params_and_clone(cls, train):
    kw = NON_DEFAULT[cls]
    est = cls(**kw)
    params = est.get_params()
    assert set(params) == set(inspect.signature(cls).parameters)
    for key, value in kw.items():
        assert params[key] == value
    cloned = clone(est)
    assert cloned is not est and cloned.get_params() == params
    # set_params round-trip: back to the defaults gives a default estimator's params.
    defaults = cls().get_params()
    assert est.set_params(**{k: defaults[k] for k in kw}).get_params() == defaults
    with pytest.raises(ValueError):
        est.set_params(not_a_parameter=1)
    # A clone of a fitted transform is unfitted.
    frame = train.assign(when=timestamps(0, n=len(train)))
    fitted = cls(**kw).fit(frame)
    with pytest.raises(fo.NotFittedError):
        clone(fitted).transform(frame)
    np.testing.assert_array_equal(
        clone(fitted).fit(frame).set_output(transform="pandas").transform(frame).to_numpy(dtype=object).astype(str),
        fitted.set_output(transform="pandas").transform(frame).to_numpy(dtype=object).astype(str),
    )


def test_set_params_changes_the_fit(train):
    """reference: sklearn.preprocessing.StandardScaler(with_mean=False) after set_params."""
    est = fo.StandardScaler().set_params(with_mean=False, columns=["a"])
    ref = skp.StandardScaler(with_mean=False).fit(train[["a"]])
    close(est.fit(train).set_output(transform="pandas").transform(train)[["a"]], ref.transform(train[["a"]]))


def test_inside_sklearn_pipeline(train, test):
    """reference: sklearn.pipeline.Pipeline(SimpleImputer(median), RobustScaler, LogisticRegression)."""
    X_train, X_test = train[NUMERIC].to_numpy(), test[NUMERIC].to_numpy()
    y = (np.nan_to_num(X_train[:, 0], nan=10) + np.nan_to_num(X_train[:, 2]) > 10).astype(int)
    ours_pipe = SkPipeline(
        [
            ("impute", fo.SimpleImputer(strategy="median")),
            ("scale", fo.RobustScaler()),
            ("model", SkLogisticRegression()),
        ]
    ).fit(X_train, y)
    ref_pipe = SkPipeline(
        [
            ("impute", SkSimpleImputer(strategy="median")),
            ("scale", skp.RobustScaler()),
            ("model", SkLogisticRegression()),
        ]
    ).fit(X_train, y)
    close(ours_pipe[:-1].transform(X_test), ref_pipe[:-1].transform(X_test))
    np.testing.assert_allclose(ours_pipe.predict_proba(X_test), ref_pipe.predict_proba(X_test), rtol=0, atol=1e-8)
    np.testing.assert_array_equal(ours_pipe.predict(X_test), ref_pipe.predict(X_test))
    assert list(ours_pipe[:-1].get_feature_names_out()) == ["x0", "x1", "x2", "x3"]
    # Pipeline-level params reach the ferrops step.
    ours_pipe.set_params(scale__quantile_range=(10.0, 90.0))
    assert ours_pipe.named_steps["scale"].quantile_range == (10.0, 90.0)
    assert clone(ours_pipe).get_params()["scale__quantile_range"] == (10.0, 90.0)


@pytest.mark.parametrize("output", ["default", "pandas"])
def test_inside_column_transformer(train, test, output):
    """reference: sklearn.compose.ColumnTransformer with the scikit-learn equivalents (names num__a, cat__s_paris, ...)."""
    ours_ct = ColumnTransformer(
        [
            ("num", fo.SimpleImputer(strategy="mean"), ["a", "b"]),
            ("scale", fo.StandardScaler(), ["c"]),
            ("cat", fo.OneHotEncoder(handle_unknown="ignore"), STRINGS),
        ]
    )
    ref_ct = ColumnTransformer(
        [
            ("num", SkSimpleImputer(strategy="mean"), ["a", "b"]),
            ("scale", skp.StandardScaler(), ["c"]),
            ("cat", sk_onehot(handle_unknown="ignore"), STRINGS),
        ]
    )
    sk_train = train.assign(**{c: train[c].where(train[c].notna(), np.nan) for c in STRINGS})
    sk_test = test.assign(**{c: test[c].where(test[c].notna(), np.nan) for c in STRINGS})
    if output == "pandas":
        ours_ct.set_output(transform="pandas")
        ref_ct.set_output(transform="pandas")
    got = ours_ct.fit(train).transform(test)
    expected = ref_ct.fit(sk_train).transform(sk_test)
    assert list(ours_ct.get_feature_names_out()) == list(ref_ct.get_feature_names_out())
    close(got, expected)
    if output == "pandas":
        assert isinstance(got, pd.DataFrame) and list(got.columns) == list(expected.columns)


# ---------------------------------------------------------------------------
# input kinds and output containers
# ---------------------------------------------------------------------------

INPUTS = {
    "pandas": lambda df: df,
    "polars": pl.from_pandas,
    "pyarrow": lambda df: pa.Table.from_pandas(df, preserve_index=False),
}
CASES = [
    (fo.StandardScaler, NUMERIC),
    (fo.MinMaxScaler, NUMERIC),
    (fo.RobustScaler, NUMERIC),
    (fo.MaxAbsScaler, NUMERIC),
    (fo.SimpleImputer, NUMERIC),
    (fo.KBinsDiscretizer, NUMERIC),
    (fo.Log1p, ["a", "b"]),
    (fo.PowerTransformer, NUMERIC),
    (fo.OneHotEncoder, STRINGS),
    (fo.OrdinalEncoder, STRINGS),
    (fo.FeatureHasher, STRINGS),
]


@pytest.mark.parametrize("cls, cols", CASES, ids=[c.__name__ for c, _ in CASES])
@pytest.mark.parametrize("kind", ["polars", "pyarrow", "numpy"])
def test_input_kinds_give_identical_results(train, test, cls, cols, kind):
    """pandas (the reference here), polars, pyarrow and (numeric only) numpy inputs: bit-identical output."""
    kw = dict(NON_DEFAULT[cls])
    kw.pop("columns", None)
    if cls is fo.OneHotEncoder:
        kw["handle_unknown"] = "ignore"
    if cls is fo.OrdinalEncoder:
        kw["handle_unknown"] = "use_encoded_value"
    fit_df, apply_df = train[cols], test[cols]
    expected = cls(**kw).fit(fit_df).transform(apply_df)
    if kind == "numpy":
        if cols == STRINGS:
            pytest.skip("numpy input is for numeric arrays")
        got_est = cls(**kw).fit(fit_df.to_numpy())
        got = got_est.transform(apply_df.to_numpy())
    else:
        got_est = cls(**kw).fit(INPUTS[kind](fit_df))
        got = got_est.transform(INPUTS[kind](apply_df))
        assert list(got_est.get_feature_names_out()) == list(cls(**kw).fit(fit_df).get_feature_names_out())
    np.testing.assert_array_equal(got, expected)


def test_datetime_parts_input_kinds():
    """pandas (reference), polars and pyarrow timestamp columns (naive and tz-aware) give identical parts."""
    df = pd.DataFrame({"n": timestamps(2), "z": timestamps(3, tz="America/New_York")})
    expected = fo.DatetimeParts().fit_transform(df)
    for kind, convert in INPUTS.items():
        np.testing.assert_array_equal(fo.DatetimeParts().fit_transform(convert(df)), expected, err_msg=kind)


@pytest.mark.parametrize("cls", [fo.StandardScaler, fo.SimpleImputer, fo.OneHotEncoder, fo.FeatureHasher])
def test_set_output_containers(train, cls):
    est = cls(**{k: v for k, v in NON_DEFAULT[cls].items() if k != "columns"}).fit(train)
    names = list(est.get_feature_names_out())
    default = est.set_output(transform="default").transform(train)
    assert isinstance(default, np.ndarray) and default.shape == (len(train), len(names))
    as_pandas = est.set_output(transform="pandas").transform(train)
    as_polars = est.set_output(transform="polars").transform(train)
    as_arrow = est.set_output(transform="pyarrow").transform(train)
    assert isinstance(as_pandas, pd.DataFrame) and list(as_pandas.columns) == names
    assert isinstance(as_polars, pl.DataFrame) and as_polars.columns == names
    assert isinstance(as_arrow, pa.Table) and as_arrow.column_names == names
    pd.testing.assert_frame_equal(as_polars.to_pandas(), as_pandas)
    pd.testing.assert_frame_equal(as_arrow.to_pandas(), as_pandas)
    if cls in (fo.OneHotEncoder, fo.FeatureHasher):  # all-numeric output: the default is a float matrix
        assert default.dtype == np.float64
        np.testing.assert_array_equal(default, as_pandas.to_numpy(dtype=float))
    with pytest.raises(fo.InvalidParameterError):
        est.set_output(transform="excel")
    assert est.set_output(transform="numpy").transform(train).shape == default.shape
