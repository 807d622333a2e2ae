//! A user-defined feature transform that plugs into a pipeline and persists like a
//! built-in one.
//!
//! Run: `cargo run -p ferrops --example custom_stage`.
//!
//! A stage is two serde types: the parameters (implementing [`FeatureTransform`]) and
//! the fitted state (implementing [`FittedTransform`]). `#[typetag::serde(name = ...)]`
//! registers each under a stable tag; the artifact stores that tag, and loading finds
//! the type by it. Your crate needs `serde` and `typetag` as dependencies. Loading an
//! artifact that names your tag only works in a program that links your crate: an
//! unknown tag is a clear error, never code execution.
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use ferrops::data::table::{array_f64_values, column, index_of};
use ferrops::features::RowTransform;
use ferrops::prelude::*;
use serde::{Deserialize, Serialize};

/// Adds `output = numerator / denominator`, after learning a fallback for a zero or
/// missing denominator: the median ratio seen at fit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ratio {
    /// Numerator column.
    pub numerator: String,
    /// Denominator column.
    pub denominator: String,
    /// Name of the new column.
    pub output: String,
}

/// A fitted [`Ratio`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedRatio {
    /// The parameters.
    pub params: Ratio,
    /// The value used when the ratio is undefined.
    pub fallback: f64,
}

fn ratio(n: f64, d: f64) -> Option<f64> {
    let r = n / d;
    r.is_finite().then_some(r)
}

#[typetag::serde(name = "example_ratio")]
impl FeatureTransform for Ratio {
    fn fit(&self, table: &RecordBatch) -> ferrops::Result<Box<dyn FittedTransform>> {
        let n = array_f64_values(&self.numerator, column(table, &self.numerator)?)?;
        let d = array_f64_values(&self.denominator, column(table, &self.denominator)?)?;
        let mut seen: Vec<f64> = n.iter().zip(&d).filter_map(|(n, d)| ratio(*n, *d)).collect();
        if seen.is_empty() {
            return Err(Error::EmptyInput {
                context: format!("no defined ratio for `{}`", self.output),
            });
        }
        seen.sort_by(f64::total_cmp);
        Ok(Box::new(FittedRatio {
            params: self.clone(),
            fallback: seen[seen.len() / 2],
        }))
    }
}

#[typetag::serde(name = "example_ratio")]
impl FittedTransform for FittedRatio {
    fn output_schema(&self, input: &Schema) -> ferrops::Result<Schema> {
        index_of(input, &self.params.numerator)?;
        index_of(input, &self.params.denominator)?;
        let mut fields: Vec<Arc<Field>> = input.fields().iter().cloned().collect();
        fields.push(Arc::new(Field::new(
            &self.params.output,
            DataType::Float64,
            false,
        )));
        Ok(Schema::new(fields))
    }

    fn transform(&self, table: &RecordBatch) -> ferrops::Result<RecordBatch> {
        let schema = Arc::new(self.output_schema(table.schema_ref())?);
        let n = array_f64_values(&self.params.numerator, column(table, &self.params.numerator)?)?;
        let d = array_f64_values(&self.params.denominator, column(table, &self.params.denominator)?)?;
        let out: Float64Array = n
            .iter()
            .zip(&d)
            .map(|(n, d)| ratio(*n, *d).unwrap_or(self.fallback))
            .collect();
        let mut columns = table.columns().to_vec();
        columns.push(Arc::new(out) as ArrayRef);
        Ok(RecordBatch::try_new(schema, columns)?)
    }

    // Optional: a single-row fast path. Without it, the pipeline runs `transform` on a
    // one-row table, which is correct but slower.
    fn row_transform(&self, input: &SchemaRef) -> ferrops::Result<Option<Box<dyn RowTransform>>> {
        Ok(Some(Box::new(RatioRow {
            numerator: index_of(input, &self.params.numerator)?,
            denominator: index_of(input, &self.params.denominator)?,
            fallback: self.fallback,
        })))
    }
}

#[derive(Debug)]
struct RatioRow {
    numerator: usize,
    denominator: usize,
    fallback: f64,
}

impl RowTransform for RatioRow {
    fn apply(&self, row: &mut Vec<Value>) -> ferrops::Result<()> {
        let get = |i: usize| row.get(i).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let r = ratio(get(self.numerator), get(self.denominator)).unwrap_or(self.fallback);
        row.push(Value::Float(r));
        Ok(())
    }
}

/// Fit a pipeline with the custom stage on penguin-like data, save, load, predict.
pub fn demo(dir: &std::path::Path) -> ferrops::Result<(FittedPipeline, FittedPipeline)> {
    let table = RecordBatch::try_from_iter([
        (
            "mass",
            Arc::new(Float64Array::from(vec![
                3750.0, 3800.0, 5200.0, 5400.0, 3300.0, 5700.0,
            ])) as ArrayRef,
        ),
        (
            "flipper",
            Arc::new(Float64Array::from(vec![181.0, 186.0, 220.0, 0.0, 190.0, 230.0])) as ArrayRef,
        ),
        (
            "species",
            Arc::new(arrow::array::StringArray::from(vec![
                "a", "a", "g", "g", "a", "g",
            ])) as ArrayRef,
        ),
    ])?;
    let fitted = Pipeline::new()
        .transform(Ratio {
            numerator: "mass".into(),
            denominator: "flipper".into(),
            output: "mass_per_mm".into(),
        })
        .transform(StandardScaler::new(Columns::AllNumeric))
        .train(LogisticRegression::default())
        .fit(&table, "species")?;
    fitted.save(dir)?;
    let loaded = FittedPipeline::load(dir)?;
    Ok((fitted, loaded))
}

#[allow(dead_code)]
fn main() -> ferrops::Result<()> {
    let dir = std::env::temp_dir().join(format!("ferrops-custom-stage-{}", std::process::id()));
    let (fitted, loaded) = demo(&dir)?;
    println!(
        "stages: {:?}",
        loaded
            .transforms()
            .iter()
            .map(|t| format!("{t:?}"))
            .collect::<Vec<_>>()
    );
    println!("model inputs: {:?}", fitted.feature_names_out());
    let row = vec![Value::Float(5000.0), Value::Float(0.0)]; // zero denominator -> fallback
    println!("predict_row (flipper = 0): {:?}", loaded.predict_row(row)?);
    std::fs::remove_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    Ok(())
}
