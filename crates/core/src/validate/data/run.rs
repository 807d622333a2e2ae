//! The validation engine: one pass over each column, columns and expectations in parallel.

use std::hash::Hash;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Int64Type, UInt64Type};
use arrow::record_batch::RecordBatch;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::expectation::{Expectation, Rule, Scalar};
use super::report::{Anomaly, ValidationReport};
use super::schema::{Check, ColumnSchema, LogicalType, Schema, Severity};
use super::stats::decoded;
use crate::data::table::{as_f64_array, str_values, value_at};
use crate::data::Value;
use crate::error::Result;

/// How many offending values an anomaly shows.
const EXAMPLES: usize = 5;
/// How many values of a set or domain an `expected` text lists.
const LISTED: usize = 10;

pub(crate) fn validate(schema: &Schema, table: &RecordBatch) -> Result<ValidationReport> {
    schema.check()?;
    let n = table.num_rows();
    let per_column = schema
        .columns
        .par_iter()
        .map(|column| check_column(schema, column, table))
        .collect::<Result<Vec<_>>>()?;
    let mut anomalies: Vec<Anomaly> = per_column.into_iter().flatten().collect();

    let extra = schema.severity_of(Check::ExtraColumn, None);
    if !schema.columns.is_empty() && extra != Severity::Ignore {
        for field in table.schema().fields() {
            if schema.column(field.name()).is_none() {
                anomalies.push(anomaly(
                    Some(field.name().clone()),
                    Check::ExtraColumn,
                    extra,
                    format!("present ({})", describe_type(field.data_type())),
                    "not in the schema".into(),
                ));
            }
        }
    }

    let rows = schema.severity_of(Check::RowCount, None);
    let (lo, hi) = (schema.row_count.min, schema.row_count.max);
    if rows != Severity::Ignore && outside_count(n as u64, lo, hi) {
        anomalies.push(anomaly(
            None,
            Check::RowCount,
            rows,
            format!("{n} rows"),
            count_bounds(lo, hi),
        ));
    }

    let per_expectation = schema
        .expectations
        .par_iter()
        .filter(|e| e.severity != Severity::Ignore)
        .map(|e| evaluate(e, table))
        .collect::<Result<Vec<_>>>()?;
    anomalies.extend(per_expectation.into_iter().flatten());

    Ok(ValidationReport {
        n_rows: n,
        n_columns: table.num_columns(),
        anomalies,
    })
}

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

fn anomaly(
    column: Option<String>,
    check: Check,
    severity: Severity,
    observed: String,
    expected: String,
) -> Anomaly {
    Anomaly {
        column,
        check,
        severity,
        observed,
        expected,
        unexpected_count: None,
        unexpected_fraction: None,
        examples: Vec::new(),
    }
}

fn counted(mut a: Anomaly, count: u64, of: u64, examples: Vec<String>) -> Anomaly {
    a.unexpected_count = Some(count);
    a.unexpected_fraction = (of > 0).then(|| count as f64 / of as f64);
    a.examples = examples;
    a
}

/// A fraction to at most 4 decimals, without trailing zeros.
fn frac(f: f64) -> String {
    if f != 0.0 && f.abs() < 5e-5 {
        return format!("{f:.1e}");
    }
    let s = format!("{f:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn bounds(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("[{a}, {b}]"),
        (Some(a), None) => format!(">= {a}"),
        (None, Some(b)) => format!("<= {b}"),
        (None, None) => "any value".into(),
    }
}

fn count_bounds(min: Option<u64>, max: Option<u64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("between {a} and {b} rows"),
        (Some(a), None) => format!(">= {a} rows"),
        (None, Some(b)) => format!("<= {b} rows"),
        (None, None) => "any number of rows".into(),
    }
}

fn outside_count(n: u64, min: Option<u64>, max: Option<u64>) -> bool {
    min.is_some_and(|lo| n < lo) || max.is_some_and(|hi| n > hi)
}

fn listed<T: std::fmt::Display>(values: &[T]) -> String {
    let mut parts: Vec<String> = values.iter().take(LISTED).map(|v| v.to_string()).collect();
    if values.len() > LISTED {
        parts.push(format!("... ({} in all)", values.len()));
    }
    parts.join(", ")
}

fn describe_type(dt: &DataType) -> String {
    match LogicalType::of(dt) {
        Some(t) => format!("{t}, Arrow {dt}"),
        None => format!("Arrow {dt}"),
    }
}

/// Row `row` of `array` as text, for examples.
fn cell_text(array: &ArrayRef, row: usize) -> String {
    match value_at(array, row) {
        Ok(Value::Null) => "null".into(),
        Ok(Value::Bool(b)) => b.to_string(),
        Ok(Value::Int(i)) => i.to_string(),
        Ok(Value::Float(f)) => f.to_string(),
        Ok(Value::Str(s)) => s,
        Ok(Value::Timestamp(t)) => {
            chrono::DateTime::from_timestamp_micros(t).map_or_else(|| t.to_string(), |d| d.to_rfc3339())
        }
        Err(_) => "?".into(),
    }
}

fn mostly_text(mostly: f64) -> String {
    if mostly < 1.0 {
        format!(" for at least {} of values", frac(mostly))
    } else {
        String::new()
    }
}

// ---------------------------------------------------------------------------------------
// Schema columns
// ---------------------------------------------------------------------------------------

fn check_column(schema: &Schema, column: &ColumnSchema, table: &RecordBatch) -> Result<Vec<Anomaly>> {
    let severity = |check| schema.severity_of(check, Some(column));
    let name = || Some(column.name.clone());
    let mut out = Vec::new();
    let Some(raw) = table.column_by_name(&column.name) else {
        let s = severity(Check::MissingColumn);
        if column.required && s != Severity::Ignore {
            out.push(anomaly(
                name(),
                Check::MissingColumn,
                s,
                "absent".into(),
                format!("present ({})", column.logical_type),
            ));
        }
        return Ok(out);
    };
    let n = raw.len();

    let s = severity(Check::Nulls);
    if let (Some(limit), true, true) = (column.max_null_fraction, s != Severity::Ignore, n > 0) {
        let nulls = raw.logical_null_count();
        let f = nulls as f64 / n as f64;
        if f > limit {
            out.push(counted(
                anomaly(
                    name(),
                    Check::Nulls,
                    s,
                    format!("{} ({nulls} of {n} rows)", frac(f)),
                    format!("<= {}", frac(limit)),
                ),
                nulls as u64,
                n as u64,
                Vec::new(),
            ));
        }
    }

    if !column.logical_type.accepts(raw.data_type()) {
        let s = severity(Check::Type);
        if s != Severity::Ignore {
            let expected = match column.logical_type {
                LogicalType::Float => "float (or int)".to_string(),
                t => t.to_string(),
            };
            out.push(anomaly(
                name(),
                Check::Type,
                s,
                describe_type(raw.data_type()),
                expected,
            ));
        }
        return Ok(out);
    }
    if matches!(raw.data_type(), DataType::Null) {
        return Ok(out);
    }

    match column.logical_type {
        LogicalType::Int | LogicalType::Float => check_numeric(column, &decoded(raw)?, &severity, &mut out)?,
        LogicalType::String => {
            let s = severity(Check::Domain);
            if let (Some(domain), true) = (&column.domain, s != Severity::Ignore) {
                check_domain(column, raw, domain, s, &mut out)?;
            }
        }
        LogicalType::Bool | LogicalType::Timestamp | LogicalType::Date => {}
    }
    Ok(out)
}

fn check_numeric(
    column: &ColumnSchema,
    raw: &ArrayRef,
    severity: &dyn Fn(Check) -> Severity,
    out: &mut Vec<Anomaly>,
) -> Result<()> {
    let range = severity(Check::Range);
    let nan_severity = severity(Check::Nan);
    let check_range = (column.min.is_some() || column.max.is_some()) && range != Severity::Ignore;
    let check_nan = column.max_nan_fraction.is_some()
        && nan_severity != Severity::Ignore
        && raw.data_type().is_floating();
    if !(check_range || check_nan) {
        return Ok(());
    }
    let floats = as_f64_array(&column.name, raw)?;
    let (lo, hi) = (
        column.min.unwrap_or(f64::NEG_INFINITY),
        column.max.unwrap_or(f64::INFINITY),
    );
    let (mut nan, mut present, mut outside) = (0u64, 0u64, 0u64);
    let (mut seen_min, mut seen_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut examples = Vec::new();
    let mut visit = |v: f64| {
        if v.is_nan() {
            nan += 1;
            return;
        }
        present += 1;
        seen_min = seen_min.min(v);
        seen_max = seen_max.max(v);
        if v < lo || v > hi {
            outside += 1;
            if examples.len() < EXAMPLES {
                examples.push(v.to_string());
            }
        }
    };
    if floats.null_count() == 0 {
        floats.values().iter().for_each(|&v| visit(v));
    } else {
        floats.iter().flatten().for_each(visit);
    }
    let n = raw.len() as u64;
    if check_nan {
        if let Some(limit) = column.max_nan_fraction {
            let f = if n > 0 { nan as f64 / n as f64 } else { 0.0 };
            if f > limit {
                out.push(counted(
                    anomaly(
                        Some(column.name.clone()),
                        Check::Nan,
                        nan_severity,
                        format!("{} ({nan} of {n} rows)", frac(f)),
                        format!("<= {}", frac(limit)),
                    ),
                    nan,
                    n,
                    Vec::new(),
                ));
            }
        }
    }
    if check_range && outside > 0 {
        out.push(counted(
            anomaly(
                Some(column.name.clone()),
                Check::Range,
                range,
                format!("min {seen_min}, max {seen_max}"),
                bounds(column.min, column.max),
            ),
            outside,
            present,
            examples,
        ));
    }
    Ok(())
}

fn check_domain(
    column: &ColumnSchema,
    raw: &ArrayRef,
    domain: &[String],
    severity: Severity,
    out: &mut Vec<Anomaly>,
) -> Result<()> {
    let array = decoded(raw)?;
    let strings = str_values(&column.name, &array)?;
    let allowed: FxHashSet<&str> = domain.iter().map(String::as_str).collect();
    let mut unseen: FxHashMap<&str, u64> = FxHashMap::default();
    let mut present = 0u64;
    for s in strings.iter().flatten() {
        present += 1;
        if !allowed.contains(s) {
            *unseen.entry(s).or_insert(0) += 1;
        }
    }
    if unseen.is_empty() {
        return Ok(());
    }
    let count: u64 = unseen.values().sum();
    let mut ranked: Vec<(&str, u64)> = unseen.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let examples = ranked.iter().take(EXAMPLES).map(|(s, _)| s.to_string()).collect();
    out.push(counted(
        anomaly(
            Some(column.name.clone()),
            Check::Domain,
            severity,
            format!("{} unseen value(s) in {count} rows", ranked.len()),
            format!("one of {} values: {}", domain.len(), listed(domain)),
        ),
        count,
        present,
        examples,
    ));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------------------

fn expected_text(e: &Expectation) -> String {
    let base = match &e.rule {
        Rule::Between { min, max, .. } => bounds(*min, *max),
        Rule::InSet { values, .. } => format!("in {{{}}}", listed(values)),
        Rule::NotNull { .. } => "no nulls".into(),
        Rule::Unique { .. } => "unique values".into(),
        Rule::Matches { pattern, .. } => format!("matches {pattern:?}"),
        Rule::RowCountBetween { min, max } => return count_bounds(*min, *max),
        Rule::UniqueKey { columns } => format!("unique ({})", columns.join(", ")),
    };
    format!("{base}{}", mostly_text(e.mostly))
}

/// Does a failing fraction `bad / of` still pass `mostly`?
fn passes(bad: u64, of: u64, mostly: f64) -> bool {
    of == 0 || (of - bad.min(of)) as f64 / of as f64 >= mostly
}

fn evaluate(e: &Expectation, table: &RecordBatch) -> Result<Option<Anomaly>> {
    let check = e.rule.check();
    let make = |column: Option<String>, observed: String| {
        anomaly(column, check, e.severity, observed, expected_text(e))
    };
    if let Rule::RowCountBetween { min, max } = &e.rule {
        let n = table.num_rows() as u64;
        return Ok(outside_count(n, *min, *max).then(|| make(None, format!("{n} rows"))));
    }
    if let Rule::UniqueKey { columns } = &e.rule {
        let label = Some(columns.join(", "));
        let mut arrays = Vec::with_capacity(columns.len());
        for c in columns {
            match table.column_by_name(c) {
                Some(a) => arrays.push(a.clone()),
                None => return Ok(Some(make(label, format!("column `{c}` absent")))),
            }
        }
        let mut combined: Option<Vec<u64>> = None;
        for (c, array) in columns.iter().zip(&arrays) {
            let Some(codes) = codes(array)? else {
                return Ok(Some(make(
                    label,
                    format!(
                        "column `{c}` of unsupported type {}",
                        describe_type(array.data_type())
                    ),
                )));
            };
            combined = Some(match combined {
                None => codes,
                Some(prev) => {
                    let mut pairs: FxHashMap<(u64, u64), u64> = FxHashMap::default();
                    prev.into_iter()
                        .zip(codes)
                        .map(|key| {
                            let next = pairs.len() as u64;
                            *pairs.entry(key).or_insert(next)
                        })
                        .collect()
                }
            });
        }
        let keys = combined.unwrap_or_default();
        let (bad, rows) = duplicated(&keys, |_| true);
        let n = keys.len() as u64;
        if passes(bad, n, e.mostly) {
            return Ok(None);
        }
        let examples = rows
            .iter()
            .map(|&r| {
                arrays
                    .iter()
                    .map(|a| cell_text(a, r))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .map(|t| format!("({t})"))
            .collect();
        return Ok(Some(counted(
            make(label, format!("{bad} of {n} rows share a key")),
            bad,
            n,
            examples,
        )));
    }

    let Some(name) = e.rule.column() else {
        return Ok(None);
    };
    let label = || Some(name.to_string());
    let Some(raw) = table.column_by_name(name) else {
        return Ok(Some(make(label(), "column absent".into())));
    };
    if matches!(raw.data_type(), DataType::Null) {
        // Every value is missing.
        return Ok(match &e.rule {
            Rule::NotNull { .. } if !passes(raw.len() as u64, raw.len() as u64, e.mostly) => {
                let n = raw.len() as u64;
                Some(counted(
                    make(label(), format!("{n} of {n} rows missing")),
                    n,
                    n,
                    Vec::new(),
                ))
            }
            _ => None,
        });
    }
    let array = decoded(raw)?;
    let dt = array.data_type().clone();
    let logical = LogicalType::of(&dt);
    let wrong_type = |wanted: &str| Some(make(label(), format!("{}, not {wanted}", describe_type(&dt))));

    match &e.rule {
        Rule::Between { min, max, .. } => {
            if !logical.is_some_and(LogicalType::is_numeric) {
                return Ok(wrong_type("numeric"));
            }
            let (lo, hi) = (min.unwrap_or(f64::NEG_INFINITY), max.unwrap_or(f64::INFINITY));
            let floats = as_f64_array(name, &array)?;
            let (mut present, mut bad) = (0u64, 0u64);
            let mut examples = Vec::new();
            for v in floats.iter().flatten().filter(|v| !v.is_nan()) {
                present += 1;
                if v < lo || v > hi {
                    bad += 1;
                    if examples.len() < EXAMPLES {
                        examples.push(v.to_string());
                    }
                }
            }
            Ok(value_result(
                make(label(), String::new()),
                bad,
                present,
                e.mostly,
                examples,
                "outside",
            ))
        }
        Rule::InSet { values, .. } => {
            in_set(e, &array, logical, values, make(label(), String::new())).map(|r| match r {
                InSetResult::Done(a) => a,
                InSetResult::WrongType => wrong_type("a string, number or bool"),
            })
        }
        Rule::NotNull { .. } => {
            let n = array.len() as u64;
            let mut missing = array.logical_null_count() as u64;
            if dt.is_floating() {
                let floats = as_f64_array(name, &array)?;
                missing += floats.iter().flatten().filter(|v| v.is_nan()).count() as u64;
            }
            if passes(missing, n, e.mostly) {
                return Ok(None);
            }
            Ok(Some(counted(
                make(label(), format!("{missing} of {n} rows missing")),
                missing,
                n,
                Vec::new(),
            )))
        }
        Rule::Unique { .. } => {
            let Some(keys) = codes(&array)? else {
                return Ok(wrong_type("a column of comparable values"));
            };
            let (bad, rows) = duplicated(&keys, |k| k >= FIRST_CODE);
            let present = keys.iter().filter(|&&k| k >= FIRST_CODE).count() as u64;
            let examples = rows.iter().map(|&r| cell_text(&array, r)).collect();
            Ok(value_result(
                make(label(), String::new()),
                bad,
                present,
                e.mostly,
                examples,
                "repeated",
            ))
        }
        Rule::Matches { pattern, .. } => {
            if logical != Some(LogicalType::String) {
                return Ok(wrong_type("string"));
            }
            let regex = regex::Regex::new(pattern)
                .map_err(|err| crate::Error::param("pattern", pattern, err.to_string()))?;
            let strings = str_values(name, &array)?;
            let (mut present, mut bad) = (0u64, 0u64);
            let mut examples = Vec::new();
            for s in strings.iter().flatten() {
                present += 1;
                if !regex.is_match(s) {
                    bad += 1;
                    if examples.len() < EXAMPLES {
                        examples.push(s.to_string());
                    }
                }
            }
            Ok(value_result(
                make(label(), String::new()),
                bad,
                present,
                e.mostly,
                examples,
                "not matching",
            ))
        }
        Rule::RowCountBetween { .. } | Rule::UniqueKey { .. } => Ok(None),
    }
}

fn value_result(
    mut a: Anomaly,
    bad: u64,
    present: u64,
    mostly: f64,
    examples: Vec<String>,
    what: &str,
) -> Option<Anomaly> {
    if passes(bad, present, mostly) {
        return None;
    }
    a.observed = format!(
        "{bad} of {present} values {what} ({})",
        frac(bad as f64 / present as f64)
    );
    Some(counted(a, bad, present, examples))
}

enum InSetResult {
    Done(Option<Anomaly>),
    WrongType,
}

fn canonical(v: f64) -> u64 {
    if v == 0.0 {
        0.0f64.to_bits()
    } else {
        v.to_bits()
    }
}

fn in_set(
    e: &Expectation,
    array: &ArrayRef,
    logical: Option<LogicalType>,
    values: &[Scalar],
    base: Anomaly,
) -> Result<InSetResult> {
    let name = base.column.clone().unwrap_or_default();
    let (mut present, mut bad) = (0u64, 0u64);
    let mut examples: Vec<String> = Vec::new();
    let note = |text: String, examples: &mut Vec<String>| {
        if examples.len() < EXAMPLES && !examples.contains(&text) {
            examples.push(text);
        }
    };
    match logical {
        Some(LogicalType::String) => {
            let allowed: FxHashSet<String> = values.iter().map(Scalar::to_string).collect();
            for s in str_values(&name, array)?.iter().flatten() {
                present += 1;
                if !allowed.contains(s) {
                    bad += 1;
                    note(s.to_string(), &mut examples);
                }
            }
        }
        Some(LogicalType::Int) => {
            // Exact, not through f64: ids beyond 2^53 must not match their neighbours.
            let allowed: FxHashSet<i128> = values.iter().filter_map(int_scalar).collect();
            for v in int_values(array)?.into_iter().flatten() {
                present += 1;
                if !allowed.contains(&v) {
                    bad += 1;
                    note(v.to_string(), &mut examples);
                }
            }
        }
        Some(LogicalType::Float) => {
            let allowed: FxHashSet<u64> = values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Int(i) => Some(*i as f64),
                    Scalar::Float(f) => Some(*f),
                    Scalar::Str(s) => s.trim().parse::<f64>().ok(),
                    Scalar::Bool(_) => None,
                })
                .map(canonical)
                .collect();
            for v in as_f64_array(&name, array)?
                .iter()
                .flatten()
                .filter(|v| !v.is_nan())
            {
                present += 1;
                if !allowed.contains(&canonical(v)) {
                    bad += 1;
                    note(v.to_string(), &mut examples);
                }
            }
        }
        Some(LogicalType::Bool) => {
            let allowed: Vec<bool> = values
                .iter()
                .filter_map(|v| match v {
                    Scalar::Bool(b) => Some(*b),
                    Scalar::Int(1) => Some(true),
                    Scalar::Int(0) => Some(false),
                    Scalar::Str(s) if s == "true" => Some(true),
                    Scalar::Str(s) if s == "false" => Some(false),
                    _ => None,
                })
                .collect();
            for b in array.as_boolean().iter().flatten() {
                present += 1;
                if !allowed.contains(&b) {
                    bad += 1;
                    note(b.to_string(), &mut examples);
                }
            }
        }
        _ => return Ok(InSetResult::WrongType),
    }
    Ok(InSetResult::Done(value_result(
        base,
        bad,
        present,
        e.mostly,
        examples,
        "outside the set",
    )))
}

/// A whole `f64` as an exact integer.
fn whole(f: f64) -> Option<i128> {
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38).then_some(f as i128)
}

/// An `in_set` value as an integer, when it is one (`3`, `3.0`, `"3"`).
fn int_scalar(v: &Scalar) -> Option<i128> {
    match v {
        Scalar::Int(i) => Some(i128::from(*i)),
        Scalar::Float(f) => whole(*f),
        Scalar::Str(s) => {
            let s = s.trim();
            s.parse::<i128>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(whole))
        }
        Scalar::Bool(_) => None,
    }
}

/// The values of an integer column, exactly (unsigned 64-bit included).
fn int_values(array: &ArrayRef) -> Result<Vec<Option<i128>>> {
    if matches!(array.data_type(), DataType::UInt64) {
        return Ok(array
            .as_primitive::<UInt64Type>()
            .iter()
            .map(|v| v.map(i128::from))
            .collect());
    }
    let ints = cast_with_options(array, &DataType::Int64, &CastOptions::default())?;
    Ok(ints
        .as_primitive::<Int64Type>()
        .iter()
        .map(|v| v.map(i128::from))
        .collect())
}

// ---------------------------------------------------------------------------------------
// Dense codes, for uniqueness
// ---------------------------------------------------------------------------------------

const NULL_CODE: u64 = 0;
const NAN_CODE: u64 = 1;
const FIRST_CODE: u64 = 2;

enum Key<K> {
    Null,
    Nan,
    Value(K),
}

fn dense<K: Hash + Eq>(keys: impl Iterator<Item = Key<K>>) -> Vec<u64> {
    let mut seen: FxHashMap<K, u64> = FxHashMap::default();
    keys.map(|k| match k {
        Key::Null => NULL_CODE,
        Key::Nan => NAN_CODE,
        Key::Value(v) => {
            let next = FIRST_CODE + seen.len() as u64;
            *seen.entry(v).or_insert(next)
        }
    })
    .collect()
}

fn opt<K>(v: Option<K>) -> Key<K> {
    v.map_or(Key::Null, Key::Value)
}

/// One code per row, equal for equal values: `NULL_CODE` for null, `NAN_CODE` for NaN,
/// `FIRST_CODE..` for values. `None` for types without equality here (nested, binary).
fn codes(array: &ArrayRef) -> Result<Option<Vec<u64>>> {
    let array = decoded(array)?;
    let dt = array.data_type();
    Ok(Some(match dt {
        DataType::Null => vec![NULL_CODE; array.len()],
        DataType::Boolean => dense(array.as_boolean().iter().map(opt)),
        DataType::UInt64 => dense(array.as_primitive::<UInt64Type>().iter().map(opt)),
        dt if dt.is_integer() || matches!(dt, DataType::Timestamp(_, _) | DataType::Date64) => {
            let ints = cast_with_options(&array, &DataType::Int64, &CastOptions::default())?;
            dense(ints.as_primitive::<Int64Type>().iter().map(opt))
        }
        DataType::Date32 => dense(
            array
                .as_primitive::<arrow::datatypes::Date32Type>()
                .iter()
                .map(opt),
        ),
        dt if LogicalType::of(dt) == Some(LogicalType::Float) => {
            let floats = as_f64_array("", &array)?;
            dense(floats.iter().map(|v| match v {
                None => Key::Null,
                Some(f) if f.is_nan() => Key::Nan,
                Some(f) => Key::Value(canonical(f)),
            }))
        }
        dt if LogicalType::of(dt) == Some(LogicalType::String) => {
            let strings = str_values("", &array)?;
            dense(strings.iter().map(opt))
        }
        _ => return Ok(None),
    }))
}

/// Rows whose code (among codes passing `counted`) occurs more than once: their number,
/// and the first row of up to [`EXAMPLES`] such codes.
fn duplicated(keys: &[u64], counted: impl Fn(u64) -> bool) -> (u64, Vec<usize>) {
    let mut counts: FxHashMap<u64, u64> = FxHashMap::default();
    for &k in keys.iter().filter(|&&k| counted(k)) {
        *counts.entry(k).or_insert(0) += 1;
    }
    let bad = counts.values().filter(|&&c| c > 1).sum();
    let mut shown: FxHashSet<u64> = FxHashSet::default();
    let mut rows = Vec::new();
    for (row, &k) in keys.iter().enumerate() {
        if rows.len() >= EXAMPLES {
            break;
        }
        if counted(k) && counts.get(&k).is_some_and(|&c| c > 1) && shown.insert(k) {
            rows.push(row);
        }
    }
    (bad, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_read_naturally() {
        assert_eq!(frac(0.25), "0.25");
        assert_eq!(frac(0.0), "0");
        assert_eq!(frac(1.0), "1");
        assert_eq!(frac(1.0 / 3.0), "0.3333");
        assert_eq!(frac(1e-6), "1.0e-6");
        assert_eq!(bounds(Some(0.0), None), ">= 0");
        assert_eq!(count_bounds(None, Some(5)), "<= 5 rows");
    }

    #[test]
    fn passes_respects_mostly() {
        assert!(passes(0, 0, 1.0));
        assert!(passes(1, 10, 0.9));
        assert!(!passes(2, 10, 0.9));
        assert!(!passes(1, 10, 1.0));
    }
}
