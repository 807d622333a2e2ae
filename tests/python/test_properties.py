"""Property tests (hypothesis): shapes, persistence, scaling invariants, single-row serving."""

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ferrops as fo

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_counter = itertools.count()


@st.composite
def float_tables(
    draw,
    min_rows: int = 2,
    max_rows: int = 25,
    max_cols: int = 4,
    nan: bool = True,
    low: float = -1e4,
    high: float = 1e4,
):
    """A pandas frame of float64 columns x0.., each with at least one finite value (NaN elsewhere at random)."""
    n_rows = draw(st.integers(min_rows, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    finite = st.floats(low, high, allow_nan=False, allow_infinity=False)
    columns = {}
    for j in range(n_cols):
        values = draw(st.lists(st.one_of(finite, st.just(np.nan)) if nan else finite, min_size=n_rows, max_size=n_rows))
        anchor = draw(st.integers(0, n_rows - 1))
        if np.isnan(values[anchor]):
            values[anchor] = draw(finite)
        columns[f"x{j}"] = np.array(values, dtype=np.float64)
    return pd.DataFrame(columns)


@st.composite
def string_tables(draw, max_rows: int = 25):
    """A frame of 1-2 string columns over a small alphabet, with None (each column has one string at least,
    else Arrow would type it null rather than string)."""
    n_rows = draw(st.integers(1, max_rows))
    text = st.sampled_from(["a", "b", "c", "dd", "é", ""])
    columns = {}
    for j in range(draw(st.integers(1, 2))):
        values = draw(st.lists(st.one_of(text, st.none()), min_size=n_rows, max_size=n_rows))
        anchor = draw(st.integers(0, n_rows - 1))
        if values[anchor] is None:
            values[anchor] = draw(text)
        columns[f"s{j}"] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns)


@st.composite
def labelled_tables(draw):
    """A float table with NaN and binary labels holding both classes."""
    X = draw(float_tables(min_rows=4, max_rows=30, max_cols=3, low=-100.0, high=100.0))
    y = draw(st.lists(st.sampled_from(["no", "yes"]), min_size=len(X), max_size=len(X)))
    assume(len(set(y)) == 2)
    return X, np.array(y, dtype=object)


NUMERIC_TRANSFORMS = [
    fo.StandardScaler(),
    fo.StandardScaler(with_mean=False),
    fo.MinMaxScaler(feature_range=(-3.0, 2.0), clip=True),
    fo.RobustScaler(quantile_range=(10.0, 90.0)),
    fo.MaxAbsScaler(),
    fo.SimpleImputer(strategy="median", add_indicator=True),
    fo.SimpleImputer(strategy="most_frequent"),
    fo.SimpleImputer(strategy="constant", fill_value=-1.0, add_indicator=True),
    fo.KBinsDiscretizer(n_bins=3, strategy="uniform"),
    fo.KBinsDiscretizer(n_bins=4, strategy="quantile", quantile_method="linear"),
    fo.Log1p(),
    fo.PowerTransformer(),
]
STRING_TRANSFORMS = [
    fo.OneHotEncoder(handle_unknown="ignore"),
    fo.OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=2, drop="if_binary"),
    fo.OrdinalEncoder(),
    fo.FeatureHasher(n_features=5),
]


def fresh(est):
    return type(est)(**est.get_params())


def prepare(est, X: pd.DataFrame) -> pd.DataFrame:
    return X.abs() if isinstance(est, fo.Log1p) else X  # log1p needs values > -1


@pytest.mark.parametrize("est", NUMERIC_TRANSFORMS, ids=repr)
@SETTINGS
@given(X=float_tables())
def test_numeric_transforms_preserve_rows_and_name_every_column(est, X):
    X = prepare(est, X)
    fitted = fresh(est).fit(X)
    out = fitted.transform(X)
    names = fitted.get_feature_names_out()
    assert out.shape == (len(X), len(names))
    assert len(set(names)) == len(names)
    as_pandas = fitted.set_output(transform="pandas").transform(X)
    assert list(as_pandas.columns) == list(names)
    # Rows are independent: transforming a slice gives the slice of the output.
    np.testing.assert_array_equal(fitted.set_output(transform="default").transform(X.iloc[::2]), out[::2])


@pytest.mark.parametrize("est", STRING_TRANSFORMS, ids=repr)
@SETTINGS
@given(X=string_tables())
def test_string_transforms_preserve_rows_and_name_every_column(est, X):
    fitted = fresh(est).fit(X)
    out = fitted.transform(X)
    assert out.shape == (len(X), len(fitted.get_feature_names_out()))
    assert not np.isnan(out).any() or isinstance(est, fo.OrdinalEncoder)


@pytest.mark.parametrize("est", NUMERIC_TRANSFORMS + STRING_TRANSFORMS, ids=repr)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_pickle_round_trip_of_fitted_transforms(est, data):
    X = data.draw(string_tables() if est in STRING_TRANSFORMS else float_tables())
    X = prepare(est, X)
    fitted = fresh(est).fit(X)
    back = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(back.transform(X), fitted.transform(X))
    assert list(back.get_feature_names_out()) == list(fitted.get_feature_names_out())
    assert back.get_params() == fitted.get_params()


def make_pipeline() -> fo.Pipeline:
    return fo.Pipeline([fo.SimpleImputer(), fo.StandardScaler()], trainer=fo.LogisticRegression())


@SETTINGS
@given(data=labelled_tables())
def test_pickle_round_trip_of_fitted_pipeline(data):
    X, y = data
    pipe = make_pipeline().fit(X, y)
    back = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(back.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(back.predict(X), pipe.predict(X))
    np.testing.assert_array_equal(back.transform(X), pipe.transform(X))


@SETTINGS
@given(data=labelled_tables())
def test_save_load_round_trip(tmp_path, data):
    X, y = data
    pipe = make_pipeline().fit(X, y)
    path = tmp_path / f"model-{next(_counter)}"
    pipe.save(path)
    loaded = fo.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), pipe.predict(X))
    assert list(loaded.classes_) == list(pipe.classes_) == ["no", "yes"]


@SETTINGS
@given(X=float_tables(min_rows=2, max_rows=40, nan=True))
def test_standard_scaler_centres_and_scales(X):
    """On the training data: mean 0 and (population) std 1 per non-constant column, NaN ignored."""
    out = fo.StandardScaler().fit_transform(X)
    for j, col in enumerate(X.columns):
        x = X[col].dropna().to_numpy()
        z = out[:, j][~np.isnan(out[:, j])]
        assert len(z) == len(x)
        spread = np.ptp(x)
        # "Non-constant" beyond rounding (a spread of a few ulps is scale-1, as scikit-learn's near-constant rule).
        if spread <= 1e-6 * max(1.0, np.abs(x).max()):
            continue
        assert abs(z.mean()) <= 1e-9, (col, z.mean())
        assert abs(z.std() - 1.0) <= 1e-9, (col, z.std())


@SETTINGS
@given(
    X=float_tables(max_rows=40),
    low=st.floats(-100, 100),
    width=st.floats(1e-3, 1e3),
)
def test_min_max_scaler_stays_in_range_on_training_data(X, low, width):
    feature_range = (low, low + width)
    out = fo.MinMaxScaler(feature_range=feature_range).fit_transform(X)
    finite = out[~np.isnan(out)]
    slack = 1e-9 * max(1.0, abs(low), abs(low + width))  # rounding of (x - min) * scale + min
    assert (finite >= feature_range[0] - slack).all(), (finite.min(), feature_range)
    assert (finite <= feature_range[1] + slack).all(), (finite.max(), feature_range)
    assert np.isnan(out).sum() == X.isna().sum().sum()


@SETTINGS
@given(data=labelled_tables())
def test_predict_row_equals_predict(data):
    X, y = data
    pipe = make_pipeline().fit(X, y)
    pred, proba = pipe.predict(X), pipe.predict_proba(X)
    for i, row in enumerate(X.to_dict(orient="records")):
        assert pipe.predict_row(row) == pred[i]
        np.testing.assert_allclose(pipe.predict_row_proba(row), proba[i], rtol=0, atol=1e-12)
