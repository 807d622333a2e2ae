//! Where the loop's training sets come from.

use arrow::array::{Array, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;

use crate::error::{Error, Result};
use crate::registry::Lineage;
use crate::store::{AsOf, FeatureStore, HistoricalOptions};

/// A training set and where it came from.
#[derive(Debug, Clone)]
pub struct TrainingData {
    /// The rows: inputs, the target, and bookkeeping columns named in `drop_columns`.
    pub table: RecordBatch,
    /// The column ordering the rows in time (the latest rows are held out for
    /// evaluation); `None` holds out the last rows as given.
    pub time_column: Option<String>,
    /// Columns to drop before fitting (join keys, timestamps).
    pub drop_columns: Vec<String>,
    /// The data's lineage, recorded with the version.
    pub lineage: Lineage,
}

/// Gives the training set "up to now": every label known at `until_micros`, with its
/// features as they were at the label's time.
pub trait TrainingSource: Send + Sync {
    /// The training set with labels up to `until_micros` (µs since the epoch, inclusive).
    ///
    /// # Errors
    /// Whatever reading the data raises.
    fn training_set(&self, until_micros: i64) -> Result<TrainingData>;
}

/// A training source from a closure, for data that does not live in a feature store.
pub struct FnSource<F>(pub F);

impl<F> TrainingSource for FnSource<F>
where
    F: Fn(i64) -> Result<TrainingData> + Send + Sync,
{
    fn training_set(&self, until_micros: i64) -> Result<TrainingData> {
        (self.0)(until_micros)
    }
}

/// Point-in-time training sets from a feature store: labels are rows of a feature
/// view (`labels_view`, whose timestamp is the label's time); each label up to now is
/// joined with `features` as of its own time
/// ([`FeatureStore::historical_features_with`]), so no feature from after the label
/// leaks into training.
#[derive(Debug)]
pub struct StoreSource {
    store: FeatureStore,
    labels_view: String,
    features: Vec<String>,
    window_micros: Option<i64>,
}

impl StoreSource {
    /// Labels from `labels_view`, features `features` (`"view:feature"` or `"view:*"`).
    pub fn new<S: AsRef<str>>(store: FeatureStore, labels_view: &str, features: &[S]) -> StoreSource {
        StoreSource {
            store,
            labels_view: labels_view.to_string(),
            features: features.iter().map(|f| f.as_ref().to_string()).collect(),
            window_micros: None,
        }
    }

    /// Train only on labels of the last `window_micros` µs before now (a sliding
    /// window, so that a model retrained after a change in the data learns the new
    /// behaviour rather than the average of old and new). Default: every label.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless the window is positive.
    pub fn window(mut self, window_micros: i64) -> Result<StoreSource> {
        if window_micros <= 0 {
            return Err(Error::param("window_micros", window_micros, "must be > 0"));
        }
        self.window_micros = Some(window_micros);
        Ok(self)
    }
}

impl TrainingSource for StoreSource {
    fn training_set(&self, until_micros: i64) -> Result<TrainingData> {
        let view = self.store.feature_view(&self.labels_view)?;
        let labels = self.store.read(&self.labels_view, AsOf::Latest)?;
        let ts = crate::data::table::column(&labels, &view.timestamp_field)?;
        let micros = arrow::compute::cast(
            ts,
            &arrow::datatypes::DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
        )?;
        let micros = micros
            .as_any()
            .downcast_ref::<arrow::array::TimestampMicrosecondArray>()
            .ok_or_else(|| Error::column_type(&view.timestamp_field, "a timestamp", ts.data_type()))?;
        let from = self
            .window_micros
            .map_or(i64::MIN, |w| until_micros.saturating_sub(w));
        let keep: BooleanArray = micros
            .iter()
            .map(|t| Some(t.is_some_and(|t| t <= until_micros && t > from)))
            .collect();
        let mut labels = filter_record_batch(&labels, &keep)?;
        // The training rows' time column must not collide with a feature view's: rename.
        let mut drop = Vec::new();
        let mut join_keys = Vec::new();
        for entity in &view.entities {
            for key in self.store.entity(entity)?.join_keys {
                join_keys.push(key.name.clone());
            }
        }
        let schema = labels.schema();
        let mut fields = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            let name = if f.name() == &view.timestamp_field {
                "event_timestamp".to_string()
            } else {
                f.name().clone()
            };
            fields.push(f.as_ref().clone().with_name(name));
        }
        labels = RecordBatch::try_new(
            std::sync::Arc::new(arrow::datatypes::Schema::new(fields)),
            labels.columns().to_vec(),
        )?;
        drop.push("event_timestamp".to_string());
        drop.extend(join_keys);
        if let Some(created) = &view.created_timestamp_field {
            drop.push(created.clone());
        }
        let refs: Vec<&str> = self.features.iter().map(String::as_str).collect();
        let options = HistoricalOptions {
            timestamp_column: "event_timestamp".into(),
            ..HistoricalOptions::default()
        };
        let set = self.store.historical_features_with(&labels, &refs, &options)?;
        let mut lineage = Lineage::from_training_set(&set)?;
        lineage.feature_views.insert(
            0,
            crate::store::ViewVersion {
                view: self.labels_view.clone(),
                version: self.store.version(&self.labels_view)?,
            },
        );
        Ok(TrainingData {
            table: set.table,
            time_column: Some("event_timestamp".into()),
            drop_columns: drop,
            lineage,
        })
    }
}
