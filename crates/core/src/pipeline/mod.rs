//! [`Pipeline`] (feature transforms + an optional trainer) and [`FittedPipeline`], the
//! deployable artifact.

mod artifact;
mod signature;

use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use artifact::{Manifest, FORMAT_VERSION};
pub use signature::{ColumnSpec, Signature};

use crate::data::table::{batch_from_row, is_bool, is_numeric, row_from_batch};
use crate::data::{into_matrix, to_matrix, ClassLabels, Dataset, TargetKind, Value};
use crate::error::{Error, Result};
use crate::features::{FeatureTransform, FittedTransform, RowTransform};
use crate::train::{Model, Predictions, RowPrediction, Trainer};

/// Feature transforms, applied in order, and optionally a trainer.
///
/// ```
/// use ferrops::prelude::*;
/// let pipeline = Pipeline::new()
///     .transform(StandardScaler::default())
///     .train(LogisticRegression::default());
/// assert_eq!(pipeline.transforms().len(), 1);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pipeline {
    transforms: Vec<Box<dyn FeatureTransform>>,
    trainer: Option<Box<dyn Trainer>>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a transform.
    pub fn transform(mut self, transform: impl FeatureTransform + 'static) -> Self {
        self.transforms.push(Box::new(transform));
        self
    }

    /// Append an already boxed transform.
    pub fn transform_boxed(mut self, transform: Box<dyn FeatureTransform>) -> Self {
        self.transforms.push(transform);
        self
    }

    /// Set the trainer.
    pub fn train(mut self, trainer: impl Trainer + 'static) -> Self {
        self.trainer = Some(Box::new(trainer));
        self
    }

    /// Set an already boxed trainer.
    pub fn train_boxed(mut self, trainer: Box<dyn Trainer>) -> Self {
        self.trainer = Some(trainer);
        self
    }

    /// The transforms, in order.
    pub fn transforms(&self) -> &[Box<dyn FeatureTransform>] {
        &self.transforms
    }

    /// The trainer, if any.
    pub fn trainer(&self) -> Option<&dyn Trainer> {
        self.trainer.as_deref()
    }

    /// Fit the transforms and the trainer on `table`, predicting column `target`.
    ///
    /// The target column is removed before the transforms see the table. After the
    /// transforms, every remaining column must be numeric or boolean: the trainer sees
    /// them all, in order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if there is no trainer (use
    /// [`fit_transforms`](Pipeline::fit_transforms)); any error of a transform or the
    /// trainer; a non-numeric column left for the trainer.
    pub fn fit(&self, table: &RecordBatch, target: &str) -> Result<FittedPipeline> {
        self.fit_weighted(table, target, None)
    }

    /// [`fit`](Pipeline::fit) with one sample weight per row.
    pub fn fit_weighted(
        &self,
        table: &RecordBatch,
        target: &str,
        weights: Option<Array1<f64>>,
    ) -> Result<FittedPipeline> {
        let trainer = self.trainer.as_ref().ok_or_else(|| {
            Error::param(
                "trainer",
                "None",
                "fit with a target needs a trainer: call .train(...) or use fit_transforms",
            )
        })?;
        let target_index = crate::data::table::index_of(table.schema_ref(), target)?;
        let mut features = table.clone();
        features.remove_column(target_index);
        let (signature, transforms, transformed) = self.fit_transform_stages(&features)?;
        drop(features);
        let feature_names = model_inputs(transformed.schema_ref())?;
        let kind = trainer.target_kind();
        let x = into_matrix(transformed)?;
        let mut dataset =
            Dataset::from_matrix(x, feature_names.clone(), target, table.column(target_index), kind)?;
        if let Some(w) = weights {
            dataset = dataset.with_weights(w)?;
        }
        let model = trainer.fit(&dataset)?;
        Ok(FittedPipeline {
            signature,
            transforms,
            model: Some(model),
            target: Some(TargetInfo {
                name: target.to_string(),
                kind,
                labels: dataset.labels().cloned(),
            }),
            feature_names,
            row_plan: OnceLock::new(),
        })
    }

    /// Fit only the transforms (no trainer, no target): a fitted feature pipeline.
    pub fn fit_transforms(&self, table: &RecordBatch) -> Result<FittedPipeline> {
        let (signature, transforms, transformed) = self.fit_transform_stages(table)?;
        Ok(FittedPipeline {
            signature,
            transforms,
            model: None,
            target: None,
            feature_names: transformed
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect(),
            row_plan: OnceLock::new(),
        })
    }

    fn fit_transform_stages(&self, table: &RecordBatch) -> Result<FittedStages> {
        if table.num_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "cannot fit a pipeline on a table with no rows".into(),
            });
        }
        let signature = Signature::of(table.schema_ref());
        let mut fitted = Vec::with_capacity(self.transforms.len());
        let mut current = table.clone();
        for transform in &self.transforms {
            let stage = transform.fit(&current)?;
            current = stage.transform(&current)?;
            fitted.push(stage);
        }
        Ok((signature, fitted, current))
    }
}

/// The input signature, the fitted transforms, and the transformed training table.
type FittedStages = (Signature, Vec<Box<dyn FittedTransform>>, RecordBatch);

/// The inputs of the model: every column left after the transforms, which must be
/// numeric or boolean.
fn model_inputs(schema: &Schema) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let dt = field.data_type();
        if !(is_numeric(dt) || is_bool(dt)) {
            return Err(Error::ColumnType {
                column: field.name().clone(),
                expected: "a numeric column for the trainer (encode strings with OneHotEncoder/OrdinalEncoder, expand dates with DatetimeParts, or drop the column)".into(),
                found: dt.to_string(),
            });
        }
        names.push(field.name().clone());
    }
    if names.is_empty() {
        return Err(Error::EmptyInput {
            context: "no feature column is left for the trainer".into(),
        });
    }
    Ok(names)
}

/// Rows per chunk when predicting or transforming large tables (see `in_chunks`).
const PREDICT_CHUNK_ROWS: usize = 4_096;

/// Make the row number of a chunk's error relative to the whole table.
fn offset_row(error: Error, start: usize) -> Error {
    match error {
        Error::InvalidValue {
            column,
            row,
            value,
            hint,
        } => Error::InvalidValue {
            column,
            row: row + start,
            value,
            hint,
        },
        other => other,
    }
}

/// Concatenate the predictions of consecutive chunks.
fn merge_predictions(parts: Vec<Predictions>) -> Result<Predictions> {
    if parts.len() == 1 {
        return parts
            .into_iter()
            .next()
            .ok_or_else(|| Error::InvalidData("no predictions".into()));
    }
    let mismatch = || Error::InvalidData("chunks predicted different kinds of output".into());
    match parts.first() {
        Some(Predictions::Values(_)) => {
            let values = parts
                .iter()
                .map(|p| match p {
                    Predictions::Values(v) => Ok(v.view()),
                    _ => Err(mismatch()),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Predictions::Values(
                ndarray::concatenate(ndarray::Axis(0), &values)
                    .map_err(|e| Error::InvalidData(e.to_string()))?,
            ))
        }
        _ => {
            let mut codes = Vec::new();
            let mut probas = Vec::new();
            for part in &parts {
                match part {
                    Predictions::Classes { codes: c, proba } => {
                        codes.extend_from_slice(c);
                        probas.push(proba.as_ref().map(|p| p.view()));
                    }
                    _ => return Err(mismatch()),
                }
            }
            let proba = match probas.into_iter().collect::<Option<Vec<_>>>() {
                Some(views) => Some(
                    ndarray::concatenate(ndarray::Axis(0), &views)
                        .map_err(|e| Error::InvalidData(e.to_string()))?,
                ),
                None => None,
            };
            Ok(Predictions::Classes { codes, proba })
        }
    }
}

/// The target a pipeline was fitted for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The target column's name.
    pub name: String,
    /// Classes or values.
    pub kind: TargetKind,
    /// The class labels, for classification.
    pub labels: Option<ClassLabels>,
}

/// A fitted pipeline: the deployable artifact.
///
/// It records its input [`Signature`]: predicting on a table with a missing or
/// mistyped column is an error naming the column; extra columns are ignored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedPipeline {
    signature: Signature,
    transforms: Vec<Box<dyn FittedTransform>>,
    model: Option<Box<dyn Model>>,
    target: Option<TargetInfo>,
    feature_names: Vec<String>,
    #[serde(skip)]
    row_plan: OnceLock<Arc<RowPlan>>,
}

#[derive(Debug)]
enum RowStep {
    Fast(Box<dyn RowTransform>),
    Batch { stage: usize, input: SchemaRef },
}

#[derive(Debug)]
struct RowPlan {
    steps: Vec<RowStep>,
    /// Positions of the model's inputs in the final row.
    model_inputs: Vec<usize>,
}

impl FittedPipeline {
    /// The input signature: column names and types seen at fit.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The fitted transforms.
    pub fn transforms(&self) -> &[Box<dyn FittedTransform>] {
        &self.transforms
    }

    /// The fitted model, if the pipeline has one.
    pub fn model(&self) -> Option<&dyn Model> {
        self.model.as_deref()
    }

    /// The target, if the pipeline was fitted with one.
    pub fn target(&self) -> Option<&TargetInfo> {
        self.target.as_ref()
    }

    /// The class labels (classification only).
    pub fn classes(&self) -> Option<&ClassLabels> {
        self.target.as_ref().and_then(|t| t.labels.as_ref())
    }

    /// The names of the columns the transforms output (the model's inputs when there
    /// is a model).
    pub fn feature_names_out(&self) -> &[String] {
        &self.feature_names
    }

    /// Run the transforms on `table` (checked against the signature first).
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] / [`Error::ColumnType`] for a column missing or of
    /// the wrong type; any error of a transform.
    pub fn transform(&self, table: &RecordBatch) -> Result<RecordBatch> {
        let conformed = self.signature.conform(table)?;
        let parts = self.in_chunks(&conformed, |part| self.run_stages(part))?;
        match parts.len() {
            1 => Ok(parts.into_iter().next().unwrap_or(conformed)),
            _ => {
                let schema = parts
                    .first()
                    .map(|p| p.schema())
                    .unwrap_or_else(|| conformed.schema());
                Ok(arrow::compute::concat_batches(&schema, &parts)?)
            }
        }
    }

    /// The transforms on a table already conformed to the signature.
    fn run_stages(&self, conformed: RecordBatch) -> Result<RecordBatch> {
        let mut current = conformed;
        for stage in &self.transforms {
            current = stage.transform(&current)?;
        }
        Ok(current)
    }

    /// Run `work` on row chunks of `table` in parallel (one chunk for small tables), in
    /// order. Large inputs use every core, and each chunk's intermediate tables and
    /// matrix stay small. A row number in an error is made relative to `table`.
    fn in_chunks<T: Send>(
        &self,
        table: &RecordBatch,
        work: impl Fn(RecordBatch) -> Result<T> + Sync,
    ) -> Result<Vec<T>> {
        let rows = table.num_rows();
        if rows <= PREDICT_CHUNK_ROWS {
            return Ok(vec![work(table.clone())?]);
        }
        let starts: Vec<usize> = (0..rows).step_by(PREDICT_CHUNK_ROWS).collect();
        let results: Vec<Result<T>> = starts
            .into_par_iter()
            .map(|start| {
                let part = table.slice(start, PREDICT_CHUNK_ROWS.min(rows - start));
                work(part).map_err(|e| offset_row(e, start))
            })
            .collect();
        // Collected in order, so the error reported is the first in the table, whichever
        // chunk failed first in time.
        results.into_iter().collect()
    }

    fn model_or_err(&self) -> Result<&dyn Model> {
        self.model.as_deref().ok_or_else(|| Error::NotFitted {
            what: "this pipeline's model (it was fitted with fit_transforms, without a trainer)".into(),
        })
    }

    /// The model's input matrix for `table`.
    pub fn transform_matrix(&self, table: &RecordBatch) -> Result<Array2<f64>> {
        let transformed = self.transform(table)?;
        to_matrix(&transformed, &self.feature_names)
    }

    fn predictions(&self, table: &RecordBatch) -> Result<Predictions> {
        let model = self.model_or_err()?;
        let conformed = self.signature.conform(table)?;
        let parts = self.in_chunks(&conformed, |part| {
            let x = into_matrix(self.select_model_inputs(self.run_stages(part)?)?)?;
            model.predict(x.view())
        })?;
        merge_predictions(parts)
    }

    /// The model's input columns of a transformed table, in order.
    fn select_model_inputs(&self, transformed: RecordBatch) -> Result<RecordBatch> {
        let schema = transformed.schema();
        let indices = self
            .feature_names
            .iter()
            .map(|n| crate::data::table::index_of(&schema, n))
            .collect::<Result<Vec<_>>>()?;
        Ok(transformed.project(&indices)?)
    }

    /// Predict labels (classification, as an array of the label type) or values
    /// (regression, `Float64`).
    pub fn predict(&self, table: &RecordBatch) -> Result<ArrayRef> {
        Ok(match self.predictions(table)? {
            Predictions::Classes { codes, .. } => {
                let labels = self
                    .classes()
                    .ok_or_else(|| Error::InvalidData("classifier without class labels".into()))?;
                labels.take(&codes)
            }
            Predictions::Values(v) => Arc::new(Float64Array::from(v.to_vec())),
        })
    }

    /// Class probabilities, `rows x classes`, columns in the order of [`classes`](FittedPipeline::classes).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a regression model or one without probabilities.
    pub fn predict_proba(&self, table: &RecordBatch) -> Result<Array2<f64>> {
        match self.predictions(table)? {
            Predictions::Classes { proba: Some(p), .. } => Ok(p),
            _ => Err(Error::param(
                "predict_proba",
                "called",
                "this model gives no class probabilities",
            )),
        }
    }

    fn row_plan(&self) -> Result<Arc<RowPlan>> {
        if let Some(plan) = self.row_plan.get() {
            return Ok(plan.clone());
        }
        let mut schema: SchemaRef = Arc::new(self.signature.schema());
        let mut steps = Vec::with_capacity(self.transforms.len());
        for (i, stage) in self.transforms.iter().enumerate() {
            let step = match stage.row_transform(&schema)? {
                Some(fast) => RowStep::Fast(fast),
                None => RowStep::Batch {
                    stage: i,
                    input: schema.clone(),
                },
            };
            steps.push(step);
            schema = Arc::new(stage.output_schema(&schema)?);
        }
        let model_inputs = self
            .feature_names
            .iter()
            .map(|n| crate::data::table::index_of(&schema, n))
            .collect::<Result<Vec<_>>>()?;
        let plan = Arc::new(RowPlan { steps, model_inputs });
        Ok(self.row_plan.get_or_init(|| plan).clone())
    }

    /// Transform one row given as values in [`signature`](FittedPipeline::signature) order.
    pub fn transform_row(&self, row: Vec<Value>) -> Result<Vec<Value>> {
        let plan = self.row_plan()?;
        self.signature.check_row(&row)?;
        let mut row = row;
        for step in &plan.steps {
            match step {
                RowStep::Fast(t) => t.apply(&mut row)?,
                RowStep::Batch { stage, input } => {
                    let batch = batch_from_row(input, &row)?;
                    row = row_from_batch(&self.transforms[*stage].transform(&batch)?)?;
                }
            }
        }
        Ok(row)
    }

    /// Predict one row given as values in [`signature`](FittedPipeline::signature) order,
    /// without building Arrow batches for the built-in stages: the serving fast path.
    ///
    /// Returns the label (or value) and, for classifiers, the class probabilities.
    pub fn predict_row(&self, row: Vec<Value>) -> Result<(Value, Option<Vec<f64>>)> {
        let model = self.model_or_err()?;
        let plan = self.row_plan()?;
        let row = self.transform_row(row)?;
        let mut x = Vec::with_capacity(plan.model_inputs.len());
        for (&i, name) in plan.model_inputs.iter().zip(&self.feature_names) {
            let v = row.get(i).and_then(Value::as_f64).filter(|v| v.is_finite());
            x.push(v.ok_or_else(|| Error::InvalidValue {
                column: name.clone(),
                row: 0,
                value: match row.get(i) {
                    None | Some(Value::Null) => "null".to_string(),
                    Some(Value::Float(f)) => f.to_string(),
                    Some(other) => format!("{other:?}"),
                },
                hint: "a model needs finite values: impute missing values (SimpleImputer) first".into(),
            })?);
        }
        Ok(match model.predict_row(&x)? {
            RowPrediction::Class { code, proba } => {
                let labels = self
                    .classes()
                    .ok_or_else(|| Error::InvalidData("classifier without class labels".into()))?;
                (labels.value(code), proba)
            }
            RowPrediction::Value(v) => (Value::Float(v), None),
        })
    }

    /// Predict one row given as `(column, value)` pairs in any order; extra columns are ignored.
    pub fn predict_named_row<'a, I>(&self, row: I) -> Result<(Value, Option<Vec<f64>>)>
    where
        I: IntoIterator<Item = (&'a str, Value)>,
    {
        let ordered = self.signature.order_row(row)?;
        self.predict_row(ordered)
    }
}
