//! `ferrops::validate::split` as `_core` functions: one per splitter, each returning
//! its folds as a list of `(train, test)` int64 numpy arrays.
//!
//! Classes and groups arrive as `uintp` codes the Python layer
//! (`ferrops.model_selection`) has already encoded with `np.unique`. Splitting is
//! `O(n log n)` at worst, so it runs inline with the GIL released rather than on the
//! interruptible worker thread fits use.

use std::borrow::Cow;

use ferrops::validate::split::{
    Fold, GroupKFold, KFold, Size, Splitter, StratifiedKFold, TimeSeriesSplit, TrainTestSplit,
};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};

use crate::errors::{self, to_py};

/// A fold as numpy arrays: `(train, test)`.
type PyFold<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>);

/// Row indices as numpy's index type. A row index is below `isize::MAX` (it indexes a
/// `Vec`), so it always fits in an `i64` on the 64-bit platforms ferrops supports.
fn indices(rows: Vec<usize>) -> Vec<i64> {
    rows.into_iter()
        .map(|row| i64::try_from(row).unwrap_or(i64::MAX))
        .collect()
}

/// Run `f` without the GIL, turning a ferrops error into its Python exception and a
/// panic into a `FerropsError`.
fn compute<T: Send>(py: Python<'_>, f: impl FnOnce() -> ferrops::Result<T> + Send) -> PyResult<T> {
    let guarded = move || std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    match py.detach(guarded) {
        Ok(result) => result.map_err(to_py),
        Err(panic) => Err(errors::from_panic(panic)),
    }
}

/// The values of a 1-D array: borrowed when contiguous, copied when strided.
fn codes<'a>(array: &'a Option<PyReadonlyArray1<'_, usize>>) -> Option<Cow<'a, [usize]>> {
    array.as_ref().map(|array| match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().to_vec()),
    })
}

fn to_py_folds(py: Python<'_>, folds: Vec<(Vec<i64>, Vec<i64>)>) -> Vec<PyFold<'_>> {
    folds
        .into_iter()
        .map(|(train, test)| (train.into_pyarray(py), test.into_pyarray(py)))
        .collect()
}

fn split_with<'py>(
    py: Python<'py>,
    splitter: &dyn Splitter,
    n_rows: usize,
    y: Option<PyReadonlyArray1<'_, usize>>,
    groups: Option<PyReadonlyArray1<'_, usize>>,
) -> PyResult<Vec<PyFold<'py>>> {
    let (y, groups) = (codes(&y), codes(&groups));
    let folds = compute(py, || {
        let folds = splitter.split(n_rows, y.as_deref(), groups.as_deref())?;
        Ok(folds
            .into_iter()
            .map(|Fold { train, test }| (indices(train), indices(test)))
            .collect())
    })?;
    Ok(to_py_folds(py, folds))
}

/// `KFold` folds of `n_rows` rows; `y` and `groups` (codes) are only checked for length.
#[pyfunction]
#[pyo3(signature = (n_rows, n_splits=5, shuffle=false, seed=0, y=None, groups=None))]
fn kfold<'py>(
    py: Python<'py>,
    n_rows: usize,
    n_splits: usize,
    shuffle: bool,
    seed: u64,
    y: Option<PyReadonlyArray1<'_, usize>>,
    groups: Option<PyReadonlyArray1<'_, usize>>,
) -> PyResult<Vec<PyFold<'py>>> {
    let splitter = KFold {
        n_splits,
        shuffle,
        seed,
    };
    split_with(py, &splitter, n_rows, y, groups)
}

/// `StratifiedKFold` folds of the rows whose class codes are `y` (required).
#[pyfunction]
#[pyo3(signature = (n_rows, y, n_splits=5, shuffle=false, seed=0, groups=None))]
fn stratified_kfold<'py>(
    py: Python<'py>,
    n_rows: usize,
    y: Option<PyReadonlyArray1<'_, usize>>,
    n_splits: usize,
    shuffle: bool,
    seed: u64,
    groups: Option<PyReadonlyArray1<'_, usize>>,
) -> PyResult<Vec<PyFold<'py>>> {
    let splitter = StratifiedKFold {
        n_splits,
        shuffle,
        seed,
    };
    split_with(py, &splitter, n_rows, y, groups)
}

/// `TimeSeriesSplit` folds of `n_rows` rows in time order.
#[pyfunction]
#[pyo3(signature = (n_rows, n_splits=5, max_train_size=None, test_size=None, gap=0, y=None, groups=None))]
#[allow(clippy::too_many_arguments)]
fn time_series_split<'py>(
    py: Python<'py>,
    n_rows: usize,
    n_splits: usize,
    max_train_size: Option<usize>,
    test_size: Option<usize>,
    gap: usize,
    y: Option<PyReadonlyArray1<'_, usize>>,
    groups: Option<PyReadonlyArray1<'_, usize>>,
) -> PyResult<Vec<PyFold<'py>>> {
    let splitter = TimeSeriesSplit {
        n_splits,
        max_train_size,
        test_size,
        gap,
    };
    split_with(py, &splitter, n_rows, y, groups)
}

/// `GroupKFold` folds of the rows whose group codes are `groups` (required).
#[pyfunction]
#[pyo3(signature = (n_rows, groups, n_splits=5, y=None))]
fn group_kfold<'py>(
    py: Python<'py>,
    n_rows: usize,
    groups: Option<PyReadonlyArray1<'_, usize>>,
    n_splits: usize,
    y: Option<PyReadonlyArray1<'_, usize>>,
) -> PyResult<Vec<PyFold<'py>>> {
    let splitter = GroupKFold { n_splits };
    split_with(py, &splitter, n_rows, y, groups)
}

/// A test size: a Python float is a fraction of the rows, a Python int a number of rows.
fn size_from(test_size: &Bound<'_, PyAny>) -> PyResult<Size> {
    let invalid = |reason: &str| {
        let value = test_size
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "?".into());
        to_py(ferrops::Error::param("test_size", value, reason))
    };
    if test_size.is_instance_of::<PyBool>() {
        return Err(invalid(
            "must be a float fraction in (0, 1) or an int number of rows, not a bool",
        ));
    }
    if test_size.is_instance_of::<PyInt>() {
        return match test_size.extract::<usize>() {
            Ok(count) => Ok(Size::Count(count)),
            Err(_) => Err(invalid("a number of rows must be a positive int")),
        };
    }
    if test_size.is_instance_of::<PyFloat>() {
        return Ok(Size::Fraction(test_size.extract()?));
    }
    Err(invalid(
        "must be a float fraction in (0, 1) or an int number of rows",
    ))
}

/// One `TrainTestSplit` of `n_rows` rows: `(train, test)`. `test_size` is a float
/// fraction or an int count; `stratify` holds class codes to keep proportions.
#[pyfunction]
#[pyo3(signature = (n_rows, test_size, shuffle=true, seed=0, stratify=None))]
fn train_test_split<'py>(
    py: Python<'py>,
    n_rows: usize,
    test_size: &Bound<'py, PyAny>,
    shuffle: bool,
    seed: u64,
    stratify: Option<PyReadonlyArray1<'_, usize>>,
) -> PyResult<PyFold<'py>> {
    let splitter = TrainTestSplit {
        test_size: size_from(test_size)?,
        shuffle,
        seed,
        stratify: stratify.is_some(),
    };
    let stratify = codes(&stratify);
    let (train, test) = compute(py, || {
        let fold = splitter.split(n_rows, stratify.as_deref())?;
        Ok((indices(fold.train), indices(fold.test)))
    })?;
    Ok((train.into_pyarray(py), test.into_pyarray(py)))
}

/// Add every splitter function to `_core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kfold, m)?)?;
    m.add_function(wrap_pyfunction!(stratified_kfold, m)?)?;
    m.add_function(wrap_pyfunction!(time_series_split, m)?)?;
    m.add_function(wrap_pyfunction!(group_kfold, m)?)?;
    m.add_function(wrap_pyfunction!(train_test_split, m)?)?;
    Ok(())
}
