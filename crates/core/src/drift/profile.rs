//! [`Profile`]: the reference side of a drift test, kept without the raw data.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{Array, ArrayRef};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Sample;
use crate::data::profile::{ColumnKind, ColumnProfile, ProfileOptions, TableProfile};
use crate::data::table::as_f64_array;
use crate::error::{Error, Result};

/// The KLL parameter of a drift profile's sketches: normalized rank error about 0.35 %
/// for all quantiles at once, about 3,000 values kept per numeric column.
pub const DRIFT_SKETCH_K: usize = 1_024;

/// Numeric columns with at most this many finite values keep them all, so tests on
/// them are exact (scipy's `ks_2samp` computes exact p-values up to this size too).
pub const DEFAULT_EXACT_LIMIT: usize = 10_000;

/// The format version written by [`Profile::to_json`].
pub const DRIFT_PROFILE_FORMAT: u32 = 1;

/// Settings of a [`Profile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftProfileOptions {
    /// The KLL parameter of the quantile sketches (default [`DRIFT_SKETCH_K`]).
    pub sketch_k: usize,
    /// The most distinct values counted per categorical column (default 1,000); the
    /// rarest past it are folded into one "other" count.
    pub max_categories: usize,
    /// Keep the raw finite values of numeric columns that have at most this many
    /// (default [`DEFAULT_EXACT_LIMIT`]); 0 keeps none.
    pub exact_limit: usize,
}

impl Default for DriftProfileOptions {
    fn default() -> Self {
        Self {
            sketch_k: DRIFT_SKETCH_K,
            max_categories: crate::data::profile::DEFAULT_MAX_CATEGORIES,
            exact_limit: DEFAULT_EXACT_LIMIT,
        }
    }
}

impl DriftProfileOptions {
    fn table_options(&self) -> ProfileOptions {
        ProfileOptions {
            sketch_k: self.sketch_k,
            max_categories: self.max_categories,
        }
    }

    /// Check the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for a sketch size or category cap out of range, or
    /// an `exact_limit` above 10,000,000.
    pub fn validate(&self) -> Result<()> {
        self.table_options().validate()?;
        if self.exact_limit > 10_000_000 {
            return Err(Error::param(
                "exact_limit",
                self.exact_limit,
                "must be at most 10,000,000 (the values are stored in the profile); test against the reference table instead",
            ));
        }
        Ok(())
    }
}

/// A compact, mergeable summary of a reference table, enough to run every drift test
/// of [`DriftDetector`](super::DriftDetector) without the raw reference.
///
/// Per column it holds a [`ColumnProfile`] (counts, nulls, NaN and ±inf counts, moments,
/// a KLL quantile sketch for numeric columns, category counts for categorical and boolean
/// ones), and for numeric columns with at most
/// [`exact_limit`](DriftProfileOptions::exact_limit) finite values, the values
/// themselves, so that tests on small references are exact. Larger numeric columns are
/// tested against their sketch: the statistics are then within the sketch's rank error
/// of the exact ones, and the report says so for each column.
///
/// A profile is built from a table in one parallel pass (columns in parallel), merges
/// with the profile of more rows of the same table, serializes to JSON (deterministically)
/// and can be stored next to a model version. The feature store's per-version
/// [`statistics`](crate::store::FeatureStore::statistics) convert with
/// [`Profile::from_table_profile`].
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Float64Array, StringArray};
/// use arrow::record_batch::RecordBatch;
/// use ferrops::drift::Profile;
///
/// # fn main() -> ferrops::Result<()> {
/// let table = RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(vec![1.0, 2.0, f64::NAN, 4.0])) as _),
///     ("city", Arc::new(StringArray::from(vec!["a", "b", "a", "a"])) as _),
/// ])?;
/// let profile = Profile::from_batch(&table)?;
/// assert_eq!(profile.rows(), 4);
/// let x = profile.sample("x")?;
/// assert!(x.is_exact());
/// assert_eq!(x.n(), 3); // NaN is counted apart
/// let again = Profile::from_json(&profile.to_json()?)?;
/// assert_eq!(again, profile);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    format: u32,
    options: DriftProfileOptions,
    table: TableProfile,
    /// Sorted finite values of the numeric columns small enough to keep.
    exact: BTreeMap<String, Vec<f64>>,
}

impl Profile {
    /// Profile a table with the default [`DriftProfileOptions`].
    ///
    /// # Errors
    ///
    /// As [`TableProfile::from_batch`].
    pub fn from_batch(batch: &RecordBatch) -> Result<Self> {
        Self::from_batches_with(std::slice::from_ref(batch), &DriftProfileOptions::default())
    }

    /// Profile a table with explicit options.
    ///
    /// # Errors
    ///
    /// As [`TableProfile::from_batch`], and [`Error::InvalidParameter`] for options out
    /// of range.
    pub fn from_batch_with(batch: &RecordBatch, options: &DriftProfileOptions) -> Result<Self> {
        Self::from_batches_with(std::slice::from_ref(batch), options)
    }

    /// Profile the rows of several batches (of the same columns) as one table.
    ///
    /// # Errors
    ///
    /// As [`TableProfile::from_batches`], and [`Error::InvalidParameter`] for options
    /// out of range.
    pub fn from_batches_with(batches: &[RecordBatch], options: &DriftProfileOptions) -> Result<Self> {
        options.validate()?;
        let table = TableProfile::from_batches_with(batches, &options.table_options())?;
        let small: Vec<&ColumnProfile> = table
            .columns()
            .iter()
            .filter(|c| {
                c.kind() == ColumnKind::Numeric
                    && c.sketch()
                        .is_some_and(|s| s.count() as usize <= options.exact_limit)
            })
            .collect();
        let exact = small
            .par_iter()
            .map(|c| {
                let mut values = Vec::new();
                for batch in batches {
                    let Some(array) = batch.column_by_name(c.name()) else {
                        continue;
                    };
                    push_finite(c.name(), array, &mut values)?;
                }
                radsort::sort(&mut values);
                Ok((c.name().to_string(), values))
            })
            .collect::<Result<BTreeMap<_, _>>>()?;
        Ok(Self {
            format: DRIFT_PROFILE_FORMAT,
            options: *options,
            table,
            exact,
        })
    }

    /// A profile from a [`TableProfile`], such as the feature store's statistics of a
    /// table version. It keeps no raw values: numeric tests run on its sketches (whose
    /// `k` is the table profile's, 200 by default in the store: about 1.7 % rank error).
    pub fn from_table_profile(table: TableProfile) -> Self {
        let sketch_k = table
            .columns()
            .iter()
            .find_map(|c| c.sketch().map(|s| s.k()))
            .unwrap_or(DRIFT_SKETCH_K);
        let max_categories = table
            .columns()
            .iter()
            .find_map(|c| c.categories().map(|s| s.cap()))
            .unwrap_or(crate::data::profile::DEFAULT_MAX_CATEGORIES);
        Self {
            format: DRIFT_PROFILE_FORMAT,
            options: DriftProfileOptions {
                sketch_k,
                max_categories,
                exact_limit: 0,
            },
            table,
            exact: BTreeMap::new(),
        }
    }

    /// The per-column statistics.
    pub fn table(&self) -> &TableProfile {
        &self.table
    }

    /// The options the profile was built with.
    pub fn options(&self) -> &DriftProfileOptions {
        &self.options
    }

    /// The number of rows profiled.
    pub fn rows(&self) -> u64 {
        self.table.rows()
    }

    /// The profiled column names, in table order.
    pub fn column_names(&self) -> Vec<&str> {
        self.table.columns().iter().map(|c| c.name()).collect()
    }

    /// The statistics of `column`.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] if the column is not profiled.
    pub fn column(&self, column: &str) -> Result<&ColumnProfile> {
        self.table.column(column).ok_or_else(|| Error::ColumnNotFound {
            column: column.to_string(),
            available: self.column_names().iter().map(|s| s.to_string()).collect(),
        })
    }

    /// `true` if the raw finite values of numeric `column` are kept.
    pub fn is_exact(&self, column: &str) -> bool {
        self.exact.contains_key(column)
    }

    /// The finite values of numeric `column` as a [`Sample`]: exact when the profile
    /// keeps its values, else the retained items of its sketch.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] if not profiled; [`Error::ColumnType`] if not numeric.
    pub fn sample(&self, column: &str) -> Result<Sample> {
        let profile = self.column(column)?;
        if let Some(values) = self.exact.get(column) {
            return Ok(Sample::from_sorted_finite(values));
        }
        match (profile.kind(), profile.sketch()) {
            (ColumnKind::Numeric, Some(sketch)) => Ok(Sample::from_sketch(sketch)),
            (kind, _) => Err(Error::column_type(column, "a numeric column", kind)),
        }
    }

    /// Fold in the profile of more rows of the same table (see [`TableProfile::merge`]).
    /// Raw values stay kept for a numeric column while both sides keep them and their
    /// total stays within the `exact_limit` (the smaller of the two profiles').
    ///
    /// # Errors
    ///
    /// As [`TableProfile::merge`]; on error `self` is unchanged.
    pub fn merge(&mut self, other: &Profile) -> Result<()> {
        let limit = self.options.exact_limit.min(other.options.exact_limit);
        let mut table = self.table.clone();
        table.merge(&other.table)?;
        let mut exact = BTreeMap::new();
        for (name, mine) in &self.exact {
            if let Some(theirs) = other.exact.get(name) {
                if mine.len() + theirs.len() <= limit {
                    let mut all = Vec::with_capacity(mine.len() + theirs.len());
                    all.extend_from_slice(mine);
                    all.extend_from_slice(theirs);
                    all.sort_unstable_by(f64::total_cmp);
                    exact.insert(name.clone(), all);
                }
            }
        }
        self.table = table;
        self.exact = exact;
        self.options.exact_limit = limit;
        Ok(())
    }

    /// The profile as JSON; the same profile always gives the same text.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] if serde fails (not expected).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Serialization(format!("drift profile to JSON: {e}")))
    }

    /// Read a profile written by [`to_json`](Self::to_json), checking it.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] if the text is not a drift profile, is of a newer format,
    /// or is inconsistent (kept values that are unsorted, not finite, or whose count
    /// differs from the column's).
    pub fn from_json(json: &str) -> Result<Self> {
        let profile: Profile = serde_json::from_str(json)
            .map_err(|e| Error::Serialization(format!("drift profile from JSON: {e}")))?;
        if profile.format == 0 || profile.format > DRIFT_PROFILE_FORMAT {
            return Err(Error::Serialization(format!(
                "drift profile of format {} but this version of ferrops reads formats 1..={DRIFT_PROFILE_FORMAT}; upgrade ferrops",
                profile.format
            )));
        }
        // Re-check the table part through its own reader.
        let table_json = profile.table.to_json()?;
        TableProfile::from_json(&table_json)?;
        for (name, values) in &profile.exact {
            let column = profile.table.column(name).ok_or_else(|| {
                Error::Serialization(format!(
                    "drift profile keeps values of `{name}`, which it does not profile"
                ))
            })?;
            let expected = column.sketch().map_or(0, |s| s.count());
            if values.len() as u64 != expected
                || values.iter().any(|v| !v.is_finite())
                || values.windows(2).any(|w| matches!(w, [a, b] if a > b))
            {
                return Err(Error::Serialization(format!(
                    "drift profile: the kept values of `{name}` are inconsistent with its statistics (corrupted file?)"
                )));
            }
        }
        Ok(profile)
    }

    /// Write the profile as JSON to `path`, atomically (a temporary file in the same
    /// directory, then a rename): a reader never sees half a profile.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the path.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomic(path.as_ref(), self.to_json()?.as_bytes())
    }

    /// Read a profile written by [`save`](Self::save).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the path; as [`from_json`](Self::from_json).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }
}

/// Append the finite values of a numeric array to `out`.
pub(crate) fn push_finite(name: &str, array: &ArrayRef, out: &mut Vec<f64>) -> Result<(u64, u64)> {
    let array = if let DataType::Dictionary(_, value_type) = array.data_type() {
        cast_with_options(array, value_type, &CastOptions::default())?
    } else {
        array.clone()
    };
    let floats = as_f64_array(name, &array)?;
    let (mut nan, mut inf) = (0u64, 0u64);
    out.reserve(floats.len() - floats.null_count());
    let mut push = |v: f64| {
        if v.is_finite() {
            out.push(v);
        } else if v.is_nan() {
            nan += 1;
        } else {
            inf += 1;
        }
    };
    if floats.null_count() == 0 {
        floats.values().iter().for_each(|&v| push(v));
    } else {
        floats.iter().flatten().for_each(push);
    }
    Ok((nan, inf))
}

/// Write `bytes` to `path` through a temporary file in the same directory and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io { path: p, source }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "profile".to_string());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        });
    }
    Ok(())
}
