//! [`ModelMonitor`]: a deployed pipeline watched batch by batch: feature drift against
//! its training profile, prediction drift, and windowed performance once labels arrive.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::{DriftDetector, DriftOptions, DriftProfileOptions, DriftReport, Profile};
use crate::data::TargetKind;
use crate::error::{Error, Result};
use crate::pipeline::FittedPipeline;
use crate::train::Predictions;
use crate::validate::metrics;

/// The column of the prediction table that holds the predicted label or value.
pub const PREDICTION: &str = "prediction";

/// Settings of a [`ModelMonitor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorOptions {
    /// Drift settings of the feature report (and of the prediction report, without its
    /// column selection).
    pub drift: DriftOptions,
    /// Settings of the training profiles.
    pub profile: DriftProfileOptions,
    /// The most recent labelled rows the performance window keeps (default 1,000).
    pub window: usize,
}

impl Default for MonitorOptions {
    fn default() -> Self {
        Self {
            drift: DriftOptions::default(),
            profile: DriftProfileOptions::default(),
            window: 1_000,
        }
    }
}

/// What [`ModelMonitor::check`] finds in one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorReport {
    /// Drift of the pipeline's input columns against the training profile.
    pub features: DriftReport,
    /// Drift of the model's outputs (predicted label or value, and each class
    /// probability) against those on the training rows.
    pub predictions: DriftReport,
}

impl MonitorReport {
    /// `true` if either report declares dataset drift.
    pub fn drifted(&self) -> bool {
        self.features.dataset_drifted || self.predictions.dataset_drifted
    }
}

/// Metrics over the performance window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// Labelled rows in the window.
    pub rows: usize,
    /// Labelled rows seen in all.
    pub seen: u64,
    /// Metric name to value (scikit-learn's metric names): `accuracy`,
    /// `balanced_accuracy`, `f1_macro`, and with probabilities `log_loss` (and `roc_auc`
    /// for two classes) for classifiers; `mae`, `rmse`, `r2` for regressors. A metric
    /// undefined on the window (say, `roc_auc` with one class present) is left out.
    pub metrics: BTreeMap<String, f64>,
}

#[derive(Debug, Clone)]
enum Outcome {
    Class {
        truth: usize,
        predicted: usize,
        proba: Option<Vec<f64>>,
    },
    Value {
        truth: f64,
        predicted: f64,
    },
}

/// A deployed pipeline watched batch by batch.
///
/// Built from the training rows (or from stored profiles of them), it keeps two
/// reference [`Profile`]s: the pipeline's input columns, and its outputs on the training
/// rows (the predicted label or value, and each class probability). [`check`](Self::check)
/// predicts a batch and tests both for drift; [`record`](Self::record) adds labelled rows
/// to a sliding window whose metrics [`performance`](Self::performance) reports.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Float64Array, StringArray};
/// use arrow::record_batch::RecordBatch;
/// use ferrops::drift::{ModelMonitor, MonitorOptions};
/// use ferrops::prelude::*;
///
/// # fn main() -> ferrops::Result<()> {
/// let x: Vec<f64> = (0..400).map(|i| f64::from(i % 100) / 10.0).collect();
/// let y: Vec<&str> = x.iter().map(|&v| if v > 5.0 { "high" } else { "low" }).collect();
/// let train = RecordBatch::try_from_iter([
///     ("x", Arc::new(Float64Array::from(x.clone())) as _),
///     ("y", Arc::new(StringArray::from(y)) as _),
/// ])?;
/// let fitted = Pipeline::new().train(LogisticRegression::default()).fit(&train, "y")?;
/// let mut monitor = ModelMonitor::new(Arc::new(fitted), &train, MonitorOptions::default())?;
/// let shifted = RecordBatch::try_from_iter([(
///     "x",
///     Arc::new(Float64Array::from(x.iter().map(|v| v + 4.0).collect::<Vec<_>>())) as _,
/// )])?;
/// let report = monitor.check(&shifted)?;
/// assert!(report.features.dataset_drifted && report.predictions.dataset_drifted);
/// let performance = monitor.record(&train, "y")?;
/// assert_eq!(performance.rows, 400);
/// assert!(performance.metrics["accuracy"] > 0.9);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ModelMonitor {
    pipeline: Arc<FittedPipeline>,
    feature_profile: Profile,
    prediction_profile: Profile,
    features: DriftDetector,
    predictions: DriftDetector,
    options: MonitorOptions,
    window: VecDeque<Outcome>,
    seen: u64,
}

impl ModelMonitor {
    /// A monitor of `pipeline`, profiling the `training` rows (its input columns and its
    /// predictions on them).
    ///
    /// # Errors
    ///
    /// [`Error::NotFitted`] for a pipeline without a model; as
    /// [`FittedPipeline::predict`] for a table that lacks an input column; as
    /// [`DriftDetector::from_profile`] for bad options.
    pub fn new(
        pipeline: Arc<FittedPipeline>,
        training: &RecordBatch,
        options: MonitorOptions,
    ) -> Result<Self> {
        let inputs = inputs_of(&pipeline, training)?;
        let feature_profile = Profile::from_batch_with(&inputs, &options.profile)?;
        let outputs = prediction_table(&pipeline, training)?;
        let prediction_profile = Profile::from_batch_with(&outputs, &options.profile)?;
        Self::from_profiles(pipeline, feature_profile, prediction_profile, options)
    }

    /// A monitor from stored profiles of the training inputs and of the training
    /// predictions (as [`prediction_table`] lays them out).
    ///
    /// # Errors
    ///
    /// [`Error::NotFitted`] for a pipeline without a model; as
    /// [`DriftDetector::from_profile`].
    pub fn from_profiles(
        pipeline: Arc<FittedPipeline>,
        feature_profile: Profile,
        prediction_profile: Profile,
        options: MonitorOptions,
    ) -> Result<Self> {
        if pipeline.model().is_none() {
            return Err(Error::NotFitted {
                what: "the pipeline's model (a monitor watches a pipeline fitted with a trainer)".to_string(),
            });
        }
        if options.window == 0 {
            return Err(Error::param("window", 0, "must be at least 1 labelled row"));
        }
        let features = DriftDetector::from_profile(&feature_profile, options.drift.clone())?;
        let prediction_options = DriftOptions {
            columns: None,
            tests: BTreeMap::new(),
            thresholds: BTreeMap::new(),
            ..options.drift.clone()
        };
        let predictions = DriftDetector::from_profile(&prediction_profile, prediction_options)?;
        Ok(Self {
            pipeline,
            feature_profile,
            prediction_profile,
            features,
            predictions,
            options,
            window: VecDeque::new(),
            seen: 0,
        })
    }

    /// The profile of the training inputs.
    pub fn feature_profile(&self) -> &Profile {
        &self.feature_profile
    }

    /// The profile of the training predictions.
    pub fn prediction_profile(&self) -> &Profile {
        &self.prediction_profile
    }

    /// The monitored pipeline.
    pub fn pipeline(&self) -> &Arc<FittedPipeline> {
        &self.pipeline
    }

    /// Predict `batch` and test its inputs and the predictions for drift.
    ///
    /// # Errors
    ///
    /// As [`FittedPipeline::predict`] and [`DriftDetector::run`].
    pub fn check(&self, batch: &RecordBatch) -> Result<MonitorReport> {
        let inputs = inputs_of(&self.pipeline, batch)?;
        let features = self.features.run(&inputs)?;
        let outputs = prediction_table(&self.pipeline, batch)?;
        let predictions = self.predictions.run(&outputs)?;
        Ok(MonitorReport {
            features,
            predictions,
        })
    }

    /// Predict `batch`, compare with its `target` column (the labels that arrived), add
    /// the rows to the performance window (dropping the oldest past
    /// [`MonitorOptions::window`]) and return the window's metrics.
    ///
    /// # Errors
    ///
    /// [`Error::ColumnNotFound`] for a missing target; [`Error::InvalidValue`] for a null
    /// or non-finite target; as [`FittedPipeline::predict`]. On error the window is
    /// unchanged.
    pub fn record(&mut self, batch: &RecordBatch, target: &str) -> Result<Performance> {
        let truth = crate::data::table::column(batch, target)?;
        if let Some(row) = (0..truth.len()).find(|&i| truth.is_null(i)) {
            return Err(Error::InvalidValue {
                column: target.to_string(),
                row,
                value: "null".to_string(),
                hint: "labels may not be missing: record only the rows whose label arrived".to_string(),
            });
        }
        let outcomes = match self.pipeline.predictions(batch)? {
            Predictions::Classes { codes, proba } => {
                let labels = self
                    .pipeline
                    .classes()
                    .ok_or_else(|| Error::InvalidData("classifier without class labels".to_string()))?;
                let names = labels.names();
                let truth_names = label_text(target, truth)?;
                let mut out = Vec::with_capacity(codes.len());
                for (row, (code, name)) in codes.iter().zip(&truth_names).enumerate() {
                    // A label the model never saw counts as a miss of a class of its own.
                    let truth = names.iter().position(|n| n == name).unwrap_or(names.len());
                    out.push(Outcome::Class {
                        truth,
                        predicted: *code,
                        proba: proba.as_ref().map(|p| p.row(row).to_vec()),
                    });
                }
                out
            }
            Predictions::Values(values) => {
                let truth = crate::data::table::array_f64_values(target, truth)?;
                if let Some((row, v)) = truth.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                    return Err(Error::InvalidValue {
                        column: target.to_string(),
                        row,
                        value: v.to_string(),
                        hint: "a regression target must be finite".to_string(),
                    });
                }
                truth
                    .iter()
                    .zip(values.iter())
                    .map(|(&t, &p)| Outcome::Value {
                        truth: t,
                        predicted: p,
                    })
                    .collect()
            }
        };
        self.seen += outcomes.len() as u64;
        self.window.extend(outcomes);
        while self.window.len() > self.options.window {
            self.window.pop_front();
        }
        self.performance()
    }

    /// The metrics of the performance window.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyInput`] before any labelled row was recorded.
    pub fn performance(&self) -> Result<Performance> {
        if self.window.is_empty() {
            return Err(Error::EmptyInput {
                context: "the performance window: record labelled rows first".to_string(),
            });
        }
        let mut out = BTreeMap::new();
        let kind = self.pipeline.target().map(|t| t.kind);
        match kind {
            Some(TargetKind::Classification) => {
                let n_classes = self.pipeline.classes().map_or(0, |c| c.len());
                let mut truth = Vec::with_capacity(self.window.len());
                let mut predicted = Vec::with_capacity(self.window.len());
                let mut proba_rows: Vec<f64> = Vec::new();
                let mut all_proba = true;
                for o in &self.window {
                    if let Outcome::Class {
                        truth: t,
                        predicted: p,
                        proba,
                    } = o
                    {
                        truth.push(*t);
                        predicted.push(*p);
                        match proba {
                            Some(p) if *t < n_classes => proba_rows.extend_from_slice(p),
                            _ => all_proba = false,
                        }
                    }
                }
                out.insert(
                    "accuracy".to_string(),
                    metrics::accuracy(&truth, &predicted, None)?,
                );
                if let Ok(v) = metrics::balanced_accuracy(&truth, &predicted, None) {
                    out.insert("balanced_accuracy".to_string(), v);
                }
                if let Ok(v) = metrics::f1(&truth, &predicted, metrics::Average::Macro, None) {
                    out.insert("f1_macro".to_string(), v);
                }
                if all_proba && n_classes > 0 {
                    if let Ok(proba) = Array2::from_shape_vec((truth.len(), n_classes), proba_rows) {
                        if let Ok(v) = metrics::log_loss(&truth, proba.view(), None) {
                            out.insert("log_loss".to_string(), v);
                        }
                        if n_classes == 2 {
                            let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
                            let score: Vec<f64> = proba.column(1).to_vec();
                            if let Ok(v) = metrics::roc_auc(&positive, &score, None) {
                                out.insert("roc_auc".to_string(), v);
                            }
                        }
                    }
                }
            }
            _ => {
                let (truth, predicted): (Vec<f64>, Vec<f64>) = self
                    .window
                    .iter()
                    .filter_map(|o| match o {
                        Outcome::Value { truth, predicted } => Some((*truth, *predicted)),
                        Outcome::Class { .. } => None,
                    })
                    .unzip();
                out.insert("mae".to_string(), metrics::mae(&truth, &predicted, None)?);
                out.insert("rmse".to_string(), metrics::rmse(&truth, &predicted, None)?);
                if let Ok(v) = metrics::r2(&truth, &predicted, None) {
                    out.insert("r2".to_string(), v);
                }
            }
        }
        Ok(Performance {
            rows: self.window.len(),
            seen: self.seen,
            metrics: out,
        })
    }
}

/// The pipeline's input columns of `table`, in signature order.
fn inputs_of(pipeline: &FittedPipeline, table: &RecordBatch) -> Result<RecordBatch> {
    let names = pipeline.signature().names();
    let schema = table.schema();
    let indices = names
        .iter()
        .map(|n| {
            schema.index_of(n).map_err(|_| Error::ColumnNotFound {
                column: n.to_string(),
                available: schema.fields().iter().map(|f| f.name().clone()).collect(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(table.project(&indices)?)
}

/// The outputs of `pipeline` on `table` as a table: [`PREDICTION`] (the label as text,
/// or the value) and, for classifiers with probabilities, `proba_<class>` per class.
///
/// # Errors
///
/// As [`FittedPipeline::predict`].
pub fn prediction_table(pipeline: &FittedPipeline, table: &RecordBatch) -> Result<RecordBatch> {
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    match pipeline.predictions(table)? {
        Predictions::Classes { codes, proba } => {
            let names = pipeline
                .classes()
                .ok_or_else(|| Error::InvalidData("classifier without class labels".to_string()))?
                .names();
            let labels: Vec<Option<&str>> = codes.iter().map(|&c| names.get(c).map(String::as_str)).collect();
            columns.push((PREDICTION.to_string(), Arc::new(StringArray::from(labels))));
            if let Some(p) = proba {
                for (k, name) in names.iter().enumerate() {
                    columns.push((
                        format!("proba_{name}"),
                        Arc::new(Float64Array::from(p.column(k).to_vec())),
                    ));
                }
            }
        }
        Predictions::Values(v) => {
            columns.push((PREDICTION.to_string(), Arc::new(Float64Array::from(v.to_vec()))))
        }
    }
    Ok(RecordBatch::try_from_iter(columns)?)
}

fn label_text(name: &str, column: &ArrayRef) -> Result<Vec<String>> {
    let strings = arrow::compute::cast(column, &arrow::datatypes::DataType::Utf8).map_err(|_| {
        Error::column_type(name, "labels (strings, integers or booleans)", column.data_type())
    })?;
    let strings = strings
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| Error::column_type(name, "labels", column.data_type()))?;
    Ok(strings
        .iter()
        .map(|s| s.unwrap_or_default().to_string())
        .collect())
}
