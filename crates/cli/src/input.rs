//! Reading the command line's input files: tables, metrics, gates.

use std::path::Path;

use arrow::record_batch::RecordBatch;
use ferrops::data::{read_csv, read_parquet, CsvOptions};
use ferrops::validate::gate::{MetricSet, SlicedMetrics};

use crate::Failure;

/// The lower-cased extension of `path`, or `""`.
pub(crate) fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// Read a table from a `.parquet` (`.pq`) or `.csv` file.
pub(crate) fn read_table(path: &Path) -> Result<RecordBatch, Failure> {
    match extension(path).as_str() {
        "parquet" | "pq" => Ok(read_parquet(path)?),
        "csv" => Ok(read_csv(path, &CsvOptions::default())?),
        other => Err(Failure::usage(format!(
            "cannot read `{}` as a table: the extension {} is neither .parquet nor .csv; \
             convert the file or rename it",
            path.display(),
            if other.is_empty() {
                "(none)".to_string()
            } else {
                format!(".{other}")
            }
        ))),
    }
}

/// The text of `path`.
pub(crate) fn read_text(path: &Path, what: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read the {what} file `{}`: {e}", path.display())))
}

/// Metrics from a JSON file: either a flat object `{"accuracy": 0.9, ...}` or sliced
/// metrics `{"overall": {"metrics": {...}}, "slices": {"country=FR": {...}}}` (the JSON
/// form of [`SlicedMetrics`]).
pub(crate) fn read_metrics(path: &Path) -> Result<SlicedMetrics, Failure> {
    let text = read_text(path, "metrics")?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Failure::usage(format!(
            "metrics file `{}` is not valid JSON: {e}",
            path.display()
        ))
    })?;
    let object = value.as_object().ok_or_else(|| {
        Failure::usage(format!(
            "metrics file `{}` must hold a JSON object such as {{\"accuracy\": 0.9}}",
            path.display()
        ))
    })?;
    let sliced = object.get("overall").is_some_and(serde_json::Value::is_object);
    let parsed = if sliced {
        serde_json::from_value::<SlicedMetrics>(value)
    } else {
        serde_json::from_value::<MetricSet>(value).map(SlicedMetrics::from)
    };
    parsed.map_err(|e| {
        Failure::usage(format!(
            "metrics file `{}`: {e}; write an object of metric names to numbers \
             (null for NaN, \"inf\", \"-inf\")",
            path.display()
        ))
    })
}
