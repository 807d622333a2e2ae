//! [`Pipeline`] (feature transforms + an optional trainer) and [`FittedPipeline`], the
//! deployable artifact.

pub(crate) mod artifact;
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
use crate::data::{
    into_matrix, to_matrix, ClassLabels, CodeBlock, Csr, Design, DesignDataset, TargetKind, Value,
};
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
        let (signature, transforms, last_input) = self.fit_stages(&features)?;
        drop(features);
        let output = match transforms.last() {
            Some(last) => last.output_schema(last_input.schema_ref())?,
            None => last_input.schema().as_ref().clone(),
        };
        let feature_names = model_inputs(&output)?;
        let kind = trainer.target_kind();
        let design = Design::concat(par_chunks(&last_input, |part| {
            design_of_last(transforms.last().map(|t| t.as_ref()), part, &feature_names)
        })?)?;
        drop(last_input);
        let mut dataset = DesignDataset::new(
            design,
            feature_names.clone(),
            target,
            table.column(target_index),
            kind,
        )?;
        if let Some(w) = weights {
            dataset = dataset.with_weights(w)?;
        }
        let labels = dataset.labels().cloned();
        let model = trainer.fit_design(dataset)?;
        Ok(FittedPipeline {
            signature,
            transforms,
            model: Some(model),
            target: Some(TargetInfo {
                name: target.to_string(),
                kind,
                labels,
            }),
            feature_names,
            row_plan: OnceLock::new(),
        })
    }

    /// Fit only the transforms (no trainer, no target): a fitted feature pipeline.
    pub fn fit_transforms(&self, table: &RecordBatch) -> Result<FittedPipeline> {
        let (signature, transforms, last_input) = self.fit_stages(table)?;
        let output = match transforms.last() {
            Some(last) => last.output_schema(last_input.schema_ref())?,
            None => last_input.schema().as_ref().clone(),
        };
        Ok(FittedPipeline {
            signature,
            transforms,
            model: None,
            target: None,
            feature_names: output.fields().iter().map(|f| f.name().clone()).collect(),
            row_plan: OnceLock::new(),
        })
    }

    /// Fit every stage in order, each on the output of the stages before it. Returns the
    /// input of the last stage (the table itself with no stages): the caller decides
    /// whether it needs the last stage's output dense or as a [`Design`].
    fn fit_stages(&self, table: &RecordBatch) -> Result<FittedStages> {
        if table.num_rows() == 0 {
            return Err(Error::EmptyInput {
                context: "cannot fit a pipeline on a table with no rows".into(),
            });
        }
        let signature = Signature::of(table.schema_ref());
        let mut fitted: Vec<Box<dyn FittedTransform>> = Vec::with_capacity(self.transforms.len());
        let mut current = table.clone();
        for transform in &self.transforms {
            crate::cancel::check()?;
            if let Some(previous) = fitted.last() {
                current = concat(par_chunks(&current, |part| previous.transform(&part))?)?;
            }
            fitted.push(transform.fit(&current)?);
        }
        Ok((signature, fitted, current))
    }
}

/// The input signature, the fitted transforms, and the input of the last one.
type FittedStages = (Signature, Vec<Box<dyn FittedTransform>>, RecordBatch);

/// Run `work` on row chunks of `table` in parallel (one chunk for small tables), in
/// order. Large inputs use every core, and each chunk's intermediate tables and
/// matrix stay small. A row number in an error is made relative to `table`, and the
/// error reported is the first in table order, whichever chunk failed first in time.
/// A chunk not yet started when the caller's [`CancelToken`](crate::cancel::CancelToken)
/// is cancelled is not run.
fn par_chunks<T: Send>(
    table: &RecordBatch,
    work: impl Fn(RecordBatch) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let rows = table.num_rows();
    if rows <= PREDICT_CHUNK_ROWS {
        return Ok(vec![work(table.clone())?]);
    }
    let token = crate::cancel::current();
    let starts: Vec<usize> = (0..rows).step_by(PREDICT_CHUNK_ROWS).collect();
    let results: Vec<Result<T>> = starts
        .into_par_iter()
        .map(|start| {
            if let Some(token) = &token {
                token.check()?;
            }
            let part = table.slice(start, PREDICT_CHUNK_ROWS.min(rows - start));
            work(part).map_err(|e| offset_row(e, start))
        })
        .collect();
    results.into_iter().collect()
}

/// Concatenate row chunks of one table.
fn concat(parts: Vec<RecordBatch>) -> Result<RecordBatch> {
    match parts.len() {
        1 => parts
            .into_iter()
            .next()
            .ok_or_else(|| Error::InvalidData("no chunk".into())),
        _ => {
            let schema = parts
                .first()
                .map(|p| p.schema())
                .ok_or_else(|| Error::InvalidData("no chunk".into()))?;
            Ok(arrow::compute::concat_batches(&schema, &parts)?)
        }
    }
}

/// The model's input [`Design`] for `input`, the input of the `last` stage (or the
/// transformed table itself when there is no stage). A last stage with one-hot outputs
/// gives them as code blocks; otherwise every feature is a dense column.
fn design_of_last(
    last: Option<&dyn FittedTransform>,
    input: RecordBatch,
    features: &[String],
) -> Result<Design> {
    let rows = input.num_rows();
    let sparse = match last {
        Some(stage) => stage.sparse_transform(&input)?,
        None => None,
    };
    let (dense, blocks) = match (sparse, last) {
        (Some(out), _) => (out.dense, out.blocks),
        (None, Some(stage)) => (stage.transform(&input)?, Vec::new()),
        (None, None) => (input, Vec::new()),
    };
    let position: std::collections::HashMap<&str, usize> = features
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let schema = dense.schema();
    let mut keep = Vec::new();
    let mut dense_at = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        if let Some(&at) = position.get(field.name().as_str()) {
            keep.push(i);
            dense_at.push(at);
        }
    }
    let matrix = if keep.is_empty() {
        Array2::zeros((rows, 0))
    } else {
        into_matrix(dense.project(&keep)?)?
    };
    let mut code_blocks = Vec::with_capacity(blocks.len());
    for block in blocks {
        let at: Vec<Option<usize>> = block
            .names
            .iter()
            .map(|n| position.get(n.as_str()).copied())
            .collect();
        let offset = match at.first() {
            Some(Some(offset)) => *offset,
            Some(None) => continue, // not a model input
            None => {
                // A block with no output column (every category dropped): nothing to add.
                continue;
            }
        };
        if at.iter().enumerate().any(|(k, a)| *a != Some(offset + k)) {
            return Err(Error::InvalidData(format!(
                "the one-hot outputs starting at `{}` are not contiguous model inputs",
                block.names.first().map(String::as_str).unwrap_or_default()
            )));
        }
        code_blocks.push(CodeBlock {
            offset,
            width: block.names.len(),
            codes: block.codes,
        });
    }
    let design = Design::new(matrix, dense_at, code_blocks)?;
    if design.n_features() != features.len() {
        return Err(Error::InvalidData(format!(
            "the transforms give {} of the {} model inputs: the fitted pipeline is inconsistent",
            design.n_features(),
            features.len()
        )));
    }
    Ok(design)
}

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
        concat(self.in_chunks(&conformed, |part| self.run_stages(part))?)
    }

    /// The model's input for `table` as a [`Design`]: like
    /// [`transform_matrix`](FittedPipeline::transform_matrix), but the one-hot outputs of
    /// a last [`OneHotEncoder`](crate::features::OneHotEncoder) stay as codes (see
    /// [`Design::to_csr`] for scipy's sparse layout).
    pub fn transform_design(&self, table: &RecordBatch) -> Result<Design> {
        let conformed = self.signature.conform(table)?;
        Design::concat(self.in_chunks(&conformed, |part| self.design(part))?)
    }

    /// The model's input for `table` in compressed sparse rows (scipy's layout), built
    /// chunk by chunk in parallel from [`transform_design`](FittedPipeline::transform_design)'s
    /// codes: one-hot outputs are never materialised densely.
    pub fn transform_csr(&self, table: &RecordBatch) -> Result<Csr> {
        let conformed = self.signature.conform(table)?;
        Csr::concat(self.in_chunks(&conformed, |part| self.design(part)?.to_csr())?)
    }

    /// The design of one chunk already conformed to the signature.
    fn design(&self, conformed: RecordBatch) -> Result<Design> {
        let Some((last, before)) = self.transforms.split_last() else {
            return design_of_last(None, conformed, &self.feature_names);
        };
        let mut current = conformed;
        for stage in before {
            current = stage.transform(&current)?;
        }
        design_of_last(Some(last.as_ref()), current, &self.feature_names)
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
        par_chunks(table, work)
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

    pub(crate) fn predictions(&self, table: &RecordBatch) -> Result<Predictions> {
        let model = self.model_or_err()?;
        let conformed = self.signature.conform(table)?;
        let parts = self.in_chunks(&conformed, |part| model.predict_design(&self.design(part)?))?;
        merge_predictions(parts)
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
