//! Multivariate drift: whether a table as a whole has moved away from a reference table,
//! including changes no single column shows (a correlation that flips, a cluster that
//! moves while every marginal distribution stays put).
//!
//! - [`PcaReconstruction`] (NannyML's *data reconstruction drift*): a PCA fitted on the
//!   standardised reference columns; the mean distance between a table's rows and their
//!   reconstruction from the kept components grows when the structure of the data
//!   changes. The reference, cut into chunks, gives the band `mean ± k·std` in which the
//!   error of an undrifted chunk falls. [`FittedPcaReconstruction`] is serde-serializable,
//!   so it can be stored next to a model and evaluated on every new batch.
//! - [`DomainClassifier`]: a classifier trained to tell reference rows from current rows;
//!   its cross-validated ROC AUC is the drift score (0.5: the tables are
//!   indistinguishable, 1.0: perfectly separable).
//!
//! Both read Arrow [`RecordBatch`]es and return
//! serde-serializable results. See `docs/multivariate_drift.md` for how they differ from
//! NannyML and Evidently.

mod domain;
mod pca;

pub use domain::{DomainClassifier, DomainClassifierResult};
pub use pca::{
    ChunkError, Chunking, Components, FittedPcaReconstruction, PcaReconstruction, ReconstructionResult,
};

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;

use crate::data::table::{is_bool, is_numeric, is_string};
use crate::error::{Error, Result};

/// The columns to use: `requested` if not empty (each must exist in `table` and pass
/// `accept`), else every column of `table` that passes `accept`.
fn select_columns(
    table: &RecordBatch,
    requested: &[String],
    accept: fn(&DataType) -> bool,
    expected: &str,
    what: &str,
) -> Result<Vec<String>> {
    let schema = table.schema();
    if requested.is_empty() {
        let found: Vec<String> = schema
            .fields()
            .iter()
            .filter(|f| accept(f.data_type()))
            .map(|f| f.name().clone())
            .collect();
        if found.is_empty() {
            return Err(Error::EmptyInput {
                context: format!(
                    "{what}: the reference table has no {expected} (columns: {:?}); pass tables with such columns or name them in `columns`",
                    schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>()
                ),
            });
        }
        return Ok(found);
    }
    let mut seen = std::collections::HashSet::new();
    for name in requested {
        if !seen.insert(name.as_str()) {
            return Err(Error::param(
                "columns",
                name,
                format!("{what}: column `{name}` is listed twice; list each column once"),
            ));
        }
        crate::data::table::index_of_type(&schema, name, accept, expected)?;
    }
    Ok(requested.to_vec())
}

/// Numeric or boolean.
fn is_number(dt: &DataType) -> bool {
    is_numeric(dt) || is_bool(dt)
}

/// Numeric, boolean or string.
fn is_feature(dt: &DataType) -> bool {
    is_number(dt) || is_string(dt)
}
