//! Written expectations: rules a person states beside the inferred schema.

use serde::{Deserialize, Serialize};

use super::schema::{Check, LogicalType, Schema, Severity};

/// A literal value of an `in_set` expectation.
///
/// In files it is a plain JSON/YAML scalar: `DE`, `3`, `2.5`, `true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Str(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Scalar {
    fn from(v: &str) -> Self {
        Scalar::Str(v.to_string())
    }
}
impl From<String> for Scalar {
    fn from(v: String) -> Self {
        Scalar::Str(v)
    }
}
impl From<i64> for Scalar {
    fn from(v: i64) -> Self {
        Scalar::Int(v)
    }
}
impl From<i32> for Scalar {
    fn from(v: i32) -> Self {
        Scalar::Int(i64::from(v))
    }
}
impl From<f64> for Scalar {
    fn from(v: f64) -> Self {
        Scalar::Float(v)
    }
}
impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Scalar::Bool(v)
    }
}

/// What an [`Expectation`] asserts.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Present values of a numeric column lie in `[min, max]` (a `None` bound is open).
    Between {
        /// The column.
        column: String,
        /// Smallest acceptable value.
        min: Option<f64>,
        /// Largest acceptable value.
        max: Option<f64>,
    },
    /// Present values are in `values`. Strings compare as text; numbers numerically
    /// (`1` equals `1.0`, and a numeric string such as `"1"` matches a number); bools
    /// match `true`/`false`.
    InSet {
        /// The column.
        column: String,
        /// The acceptable values.
        values: Vec<Scalar>,
    },
    /// No nulls and no NaN.
    NotNull {
        /// The column.
        column: String,
    },
    /// No present value occurs twice (every occurrence of a repeated value counts).
    Unique {
        /// The column.
        column: String,
    },
    /// Present strings contain a match of `pattern` (Rust `regex` syntax; anchor with
    /// `^...$` for a full match).
    Matches {
        /// The column.
        column: String,
        /// The regular expression.
        pattern: String,
    },
    /// The row count lies in `[min, max]`.
    RowCountBetween {
        /// Fewest rows.
        min: Option<u64>,
        /// Most rows.
        max: Option<u64>,
    },
    /// No combination of the key columns occurs in two rows (nulls equal nulls, as in
    /// pandas `duplicated`); every row of a repeated key counts.
    UniqueKey {
        /// The key columns.
        columns: Vec<String>,
    },
}

impl Rule {
    /// The check name of this rule.
    pub fn check(&self) -> Check {
        match self {
            Rule::Between { .. } => Check::Between,
            Rule::InSet { .. } => Check::InSet,
            Rule::NotNull { .. } => Check::NotNull,
            Rule::Unique { .. } => Check::Unique,
            Rule::Matches { .. } => Check::Matches,
            Rule::RowCountBetween { .. } => Check::RowCountBetween,
            Rule::UniqueKey { .. } => Check::UniqueKey,
        }
    }

    /// The single column this rule is about, if any.
    pub fn column(&self) -> Option<&str> {
        match self {
            Rule::Between { column, .. }
            | Rule::InSet { column, .. }
            | Rule::NotNull { column }
            | Rule::Unique { column }
            | Rule::Matches { column, .. } => Some(column),
            Rule::RowCountBetween { .. } | Rule::UniqueKey { .. } => None,
        }
    }
}

/// A written expectation: a [`Rule`], the fraction of rows that must pass it (`mostly`,
/// as in Great Expectations) and the [`Severity`] of its anomaly.
///
/// Build it with [`expect`]. In a schema file it is one flat record:
///
/// ```yaml
/// expectations:
/// - check: between
///   column: age
///   min: 0
///   max: 120
///   mostly: 0.99
///   severity: warning
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ExpectationRecord", try_from = "ExpectationRecord")]
pub struct Expectation {
    /// What is asserted.
    pub rule: Rule,
    /// The fraction of rows (for the value rules, of present values) that must pass, in
    /// `[0, 1]`; default 1. Unused by `row_count_between`.
    pub mostly: f64,
    /// The severity of the anomaly when it fails; default [`Severity::Error`].
    pub severity: Severity,
}

impl Expectation {
    /// An expectation of `rule` with `mostly = 1` and [`Severity::Error`].
    pub fn new(rule: Rule) -> Self {
        Expectation {
            rule,
            mostly: 1.0,
            severity: Severity::Error,
        }
    }

    /// Pass when at least this fraction of rows passes.
    pub fn mostly(mut self, fraction: f64) -> Self {
        self.mostly = fraction;
        self
    }

    /// Report a failure with `severity`.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Report a failure as a warning (the report still passes).
    pub fn warn(self) -> Self {
        self.severity(Severity::Warning)
    }

    /// The first fault of this expectation by itself.
    pub(crate) fn problem(&self) -> Option<String> {
        if !(0.0..=1.0).contains(&self.mostly) {
            return Some(format!("mostly = {} must be in [0, 1]", self.mostly));
        }
        if self.rule.column().is_some_and(str::is_empty) {
            return Some("the column name is empty".into());
        }
        match &self.rule {
            Rule::Between { min, max, .. } => {
                if min.is_none() && max.is_none() {
                    return Some("give min, max or both".into());
                }
                if min.is_some_and(f64::is_nan) || max.is_some_and(f64::is_nan) {
                    return Some("a bound is NaN".into());
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        return Some(format!("min {lo} is greater than max {hi}"));
                    }
                }
            }
            Rule::RowCountBetween { min, max } => {
                if min.is_none() && max.is_none() {
                    return Some("give min, max or both".into());
                }
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        return Some(format!("min {lo} is greater than max {hi}"));
                    }
                }
            }
            Rule::InSet { values, .. } if values.is_empty() => {
                return Some("the set of values is empty".into());
            }
            Rule::Matches { pattern, .. } => {
                if let Err(e) = regex::Regex::new(pattern) {
                    return Some(format!("invalid regular expression {pattern:?}: {e}"));
                }
            }
            Rule::UniqueKey { columns } => {
                if columns.is_empty() {
                    return Some("give at least one key column".into());
                }
                let mut sorted: Vec<&String> = columns.iter().collect();
                sorted.sort();
                if let Some(w) = sorted.windows(2).find(|w| w.first() == w.get(1)) {
                    return Some(format!(
                        "column `{}` appears twice in the key",
                        w.first().map_or("", |s| s.as_str())
                    ));
                }
            }
            _ => {}
        }
        None
    }

    /// A conflict with the schema's column types (a `between` on a `string` column).
    pub(crate) fn conflict(&self, schema: &Schema) -> Option<String> {
        let name = self.rule.column()?;
        let t = schema.column(name)?.logical_type;
        let ok = match &self.rule {
            Rule::Between { .. } => t.is_numeric(),
            Rule::Matches { .. } => t == LogicalType::String,
            Rule::InSet { .. } => matches!(
                t,
                LogicalType::String | LogicalType::Int | LogicalType::Float | LogicalType::Bool
            ),
            _ => true,
        };
        (!ok).then(|| {
            format!(
                "`{}` does not apply to column `{name}`, which the schema types as {t}",
                self.rule.check()
            )
        })
    }
}

/// Builders of [`Expectation`]s, in the style `expect::column("age").between(0.0, 120.0)`.
pub mod expect {
    use super::{ColumnExpect, Expectation, Rule, TableExpect};

    /// Expectations about the column `name`.
    pub fn column(name: impl Into<String>) -> ColumnExpect {
        ColumnExpect { column: name.into() }
    }

    /// Expectations about the whole table.
    pub fn table() -> TableExpect {
        TableExpect
    }

    /// No combination of values of `columns` occurs in two rows.
    pub fn unique_key<I, S>(columns: I) -> Expectation
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Expectation::new(Rule::UniqueKey {
            columns: columns.into_iter().map(Into::into).collect(),
        })
    }
}

/// Expectations about one column; made by [`expect::column`].
#[derive(Debug, Clone)]
pub struct ColumnExpect {
    column: String,
}

impl ColumnExpect {
    /// Present values lie in `[min, max]`.
    pub fn between(self, min: f64, max: f64) -> Expectation {
        Expectation::new(Rule::Between {
            column: self.column,
            min: Some(min),
            max: Some(max),
        })
    }

    /// Present values are at least `min`.
    pub fn at_least(self, min: f64) -> Expectation {
        Expectation::new(Rule::Between {
            column: self.column,
            min: Some(min),
            max: None,
        })
    }

    /// Present values are at most `max`.
    pub fn at_most(self, max: f64) -> Expectation {
        Expectation::new(Rule::Between {
            column: self.column,
            min: None,
            max: Some(max),
        })
    }

    /// Present values are among `values`.
    pub fn in_set<I, V>(self, values: I) -> Expectation
    where
        I: IntoIterator<Item = V>,
        V: Into<Scalar>,
    {
        Expectation::new(Rule::InSet {
            column: self.column,
            values: values.into_iter().map(Into::into).collect(),
        })
    }

    /// No nulls and no NaN.
    pub fn not_null(self) -> Expectation {
        Expectation::new(Rule::NotNull { column: self.column })
    }

    /// No present value occurs twice.
    pub fn unique(self) -> Expectation {
        Expectation::new(Rule::Unique { column: self.column })
    }

    /// Present strings contain a match of the regular expression `pattern`.
    pub fn matches(self, pattern: impl Into<String>) -> Expectation {
        Expectation::new(Rule::Matches {
            column: self.column,
            pattern: pattern.into(),
        })
    }
}

/// Expectations about the whole table; made by [`expect::table`].
#[derive(Debug, Clone, Copy)]
pub struct TableExpect;

impl TableExpect {
    /// Between `min` and `max` rows (inclusive).
    pub fn row_count_between(self, min: u64, max: u64) -> Expectation {
        Expectation::new(Rule::RowCountBetween {
            min: Some(min),
            max: Some(max),
        })
    }

    /// At least `min` rows.
    pub fn row_count_at_least(self, min: u64) -> Expectation {
        Expectation::new(Rule::RowCountBetween {
            min: Some(min),
            max: None,
        })
    }
}

/// A number in a file: integers stay integers when written back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn of(v: f64) -> Number {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Number::Int(v as i64)
        } else {
            Number::Float(v)
        }
    }
    fn float(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
    fn count(self, field: &str) -> Result<u64, String> {
        match self {
            Number::Int(i) => u64::try_from(i).map_err(|_| format!("{field} = {i} must be a row count >= 0")),
            Number::Float(f) if f.fract() == 0.0 && (0.0..1.8e19).contains(&f) => Ok(f as u64),
            Number::Float(f) => Err(format!("{field} = {f} must be a whole row count >= 0")),
        }
    }
}

fn one() -> f64 {
    1.0
}

/// The file form of an [`Expectation`]: one flat record, fields by rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectationRecord {
    check: Check,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    columns: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max: Option<Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Vec<Scalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pattern: Option<String>,
    #[serde(default = "one")]
    mostly: f64,
    #[serde(default)]
    severity: Severity,
}

impl From<Expectation> for ExpectationRecord {
    fn from(e: Expectation) -> Self {
        let mut r = ExpectationRecord {
            check: e.rule.check(),
            column: None,
            columns: None,
            min: None,
            max: None,
            values: None,
            pattern: None,
            mostly: e.mostly,
            severity: e.severity,
        };
        match e.rule {
            Rule::Between { column, min, max } => {
                r.column = Some(column);
                r.min = min.map(Number::of);
                r.max = max.map(Number::of);
            }
            Rule::InSet { column, values } => {
                r.column = Some(column);
                r.values = Some(values);
            }
            Rule::NotNull { column } | Rule::Unique { column } => r.column = Some(column),
            Rule::Matches { column, pattern } => {
                r.column = Some(column);
                r.pattern = Some(pattern);
            }
            Rule::RowCountBetween { min, max } => {
                r.min = min.map(|v| Number::Int(i64::try_from(v).unwrap_or(i64::MAX)));
                r.max = max.map(|v| Number::Int(i64::try_from(v).unwrap_or(i64::MAX)));
            }
            Rule::UniqueKey { columns } => r.columns = Some(columns),
        }
        r
    }
}

impl TryFrom<ExpectationRecord> for Expectation {
    type Error = String;

    fn try_from(r: ExpectationRecord) -> Result<Self, String> {
        let check = r.check;
        let need = |field: Option<String>, name: &str| {
            field.ok_or_else(|| format!("expectation `{check}` needs the field `{name}`"))
        };
        let mut used = vec!["check", "mostly", "severity"];
        let rule = match check {
            Check::Between => {
                used.extend(["column", "min", "max"]);
                Rule::Between {
                    column: need(r.column.clone(), "column")?,
                    min: r.min.map(Number::float),
                    max: r.max.map(Number::float),
                }
            }
            Check::InSet => {
                used.extend(["column", "values"]);
                Rule::InSet {
                    column: need(r.column.clone(), "column")?,
                    values: r.values.clone().ok_or_else(|| format!("expectation `{check}` needs the field `values`"))?,
                }
            }
            Check::NotNull => {
                used.push("column");
                Rule::NotNull { column: need(r.column.clone(), "column")? }
            }
            Check::Unique => {
                used.push("column");
                Rule::Unique { column: need(r.column.clone(), "column")? }
            }
            Check::Matches => {
                used.extend(["column", "pattern"]);
                Rule::Matches {
                    column: need(r.column.clone(), "column")?,
                    pattern: need(r.pattern.clone(), "pattern")?,
                }
            }
            Check::RowCountBetween => {
                used.extend(["min", "max"]);
                Rule::RowCountBetween {
                    min: r.min.map(|n| n.count("min")).transpose()?,
                    max: r.max.map(|n| n.count("max")).transpose()?,
                }
            }
            Check::UniqueKey => {
                used.push("columns");
                Rule::UniqueKey {
                    columns: r.columns.clone().ok_or_else(|| format!("expectation `{check}` needs the field `columns`"))?,
                }
            }
            other => {
                return Err(format!(
                    "`{other}` is a schema check, not an expectation; expectations are between, in_set, not_null, \
                     unique, matches, row_count_between and unique_key"
                ))
            }
        };
        let present = [
            ("column", r.column.is_some()),
            ("columns", r.columns.is_some()),
            ("min", r.min.is_some()),
            ("max", r.max.is_some()),
            ("values", r.values.is_some()),
            ("pattern", r.pattern.is_some()),
        ];
        if let Some((field, _)) = present.iter().find(|(f, p)| *p && !used.contains(f)) {
            return Err(format!(
                "the field `{field}` does not apply to expectation `{check}`"
            ));
        }
        Ok(Expectation {
            rule,
            mostly: r.mostly,
            severity: r.severity,
        })
    }
}
