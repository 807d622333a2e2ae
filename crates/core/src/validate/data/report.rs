//! The result of a validation: every anomaly found, and a verdict.

use serde::{Deserialize, Serialize};

use super::schema::{Check, Severity};
use crate::error::{Error, Result};

/// One thing wrong with a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The column, or `None` for table-level checks (row count, extra columns are named).
    pub column: Option<String>,
    /// The check that failed.
    pub check: Check,
    /// How much it matters.
    pub severity: Severity,
    /// What the table has (`"min 3, max 150"`, `"0.25 (5 of 20 rows)"`, `"absent"`).
    pub observed: String,
    /// What the schema or expectation asks (`"[18, 90]"`, `"<= 0.05"`, `"present (int)"`).
    pub expected: String,
    /// Rows that failed, where counted.
    pub unexpected_count: Option<u64>,
    /// Those rows as a fraction of the rows checked (all rows, or the present values for
    /// value checks), where counted.
    pub unexpected_fraction: Option<f64>,
    /// A few offending values, as text (unseen categories most frequent first).
    pub examples: Vec<String>,
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.severity, self.check)?;
        if let Some(column) = &self.column {
            write!(f, " on `{column}`")?;
        }
        write!(f, ": observed {}, expected {}", self.observed, self.expected)?;
        if !self.examples.is_empty() {
            write!(f, " (e.g. {})", self.examples.join(", "))?;
        }
        Ok(())
    }
}

/// Every anomaly found in one table, with the verdict [`ValidationReport::passed`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ValidationReport {
    /// Rows of the table checked.
    pub n_rows: usize,
    /// Columns of the table checked.
    pub n_columns: usize,
    /// The anomalies, in check order: schema columns in schema order, extra columns, row
    /// count, then expectations in their order.
    pub anomalies: Vec<Anomaly>,
}

impl ValidationReport {
    /// True when no anomaly has [`Severity::Error`].
    pub fn passed(&self) -> bool {
        !self.anomalies.iter().any(|a| a.severity == Severity::Error)
    }

    /// The anomalies of [`Severity::Error`].
    pub fn errors(&self) -> impl Iterator<Item = &Anomaly> {
        self.anomalies.iter().filter(|a| a.severity == Severity::Error)
    }

    /// The anomalies of [`Severity::Warning`].
    pub fn warnings(&self) -> impl Iterator<Item = &Anomaly> {
        self.anomalies.iter().filter(|a| a.severity == Severity::Warning)
    }

    /// The anomalies of check `check` (on any column).
    pub fn of_check(&self, check: Check) -> impl Iterator<Item = &Anomaly> {
        self.anomalies.iter().filter(move |a| a.check == check)
    }

    /// Append the anomalies of `other` (a report of another validator on the same table).
    pub fn merge(&mut self, other: ValidationReport) {
        self.n_rows = self.n_rows.max(other.n_rows);
        self.n_columns = self.n_columns.max(other.n_columns);
        self.anomalies.extend(other.anomalies);
    }

    /// The report as pretty-printed JSON, with a `passed` field added.
    ///
    /// # Errors
    ///
    /// [`Error::Serialization`] (not expected).
    pub fn to_json(&self) -> Result<String> {
        let mut value = serde_json::to_value(self).map_err(|e| Error::Serialization(e.to_string()))?;
        if let Some(map) = value.as_object_mut() {
            map.insert("passed".into(), serde_json::Value::Bool(self.passed()));
        }
        serde_json::to_string_pretty(&value).map_err(|e| Error::Serialization(e.to_string()))
    }
}

impl std::fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors = self.errors().count();
        let warnings = self.warnings().count();
        writeln!(
            f,
            "validation {}: {} rows, {} columns, {errors} errors, {warnings} warnings",
            if self.passed() { "passed" } else { "FAILED" },
            self.n_rows,
            self.n_columns
        )?;
        for anomaly in &self.anomalies {
            writeln!(f, "  {anomaly}")?;
        }
        Ok(())
    }
}
