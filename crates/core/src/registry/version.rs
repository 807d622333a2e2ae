//! What a registered model version records: [`ModelVersion`], the [`ModelMetadata`]
//! given at registration, and the training data's [`Lineage`].

use std::collections::BTreeMap;

use arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::drift::Profile;
use crate::error::{Error, Result};
use crate::pipeline::artifact::sha256_hex;
use crate::pipeline::{Signature, TargetInfo};
use crate::store::{FeatureStore, TrainingSet, ViewVersion};

/// The record format this version writes.
pub(crate) const RECORD_FORMAT: &str = "ferrops.model_version";
/// The record layout version.
pub(crate) const RECORD_FORMAT_VERSION: u32 = 1;

/// One stored file: its SHA-256 (hex) and size. The bytes live in the model's
/// content-addressed `objects/` folder under the hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// A fingerprint of a training table: SHA-256 of its Arrow IPC stream encoding, with
/// its shape. Two tables with the same fingerprint hold the same schema and values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableFingerprint {
    /// SHA-256 (hex) of the Arrow IPC stream of the table.
    pub sha256: String,
    /// Rows.
    pub rows: u64,
    /// Column names, in order.
    pub columns: Vec<String>,
}

impl TableFingerprint {
    /// Fingerprint `table`.
    ///
    /// # Errors
    /// [`Error::Arrow`] if the table cannot be encoded.
    pub fn of(table: &RecordBatch) -> Result<TableFingerprint> {
        let mut bytes = Vec::new();
        {
            let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut bytes, &table.schema())?;
            writer.write(table)?;
            writer.finish()?;
        }
        Ok(TableFingerprint {
            sha256: sha256_hex(&bytes),
            rows: table.num_rows() as u64,
            columns: table.schema().fields().iter().map(|f| f.name().clone()).collect(),
        })
    }
}

/// Where a model's training data came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// The feature views read, with their Delta versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feature_views: Vec<ViewVersion>,
    /// A fingerprint of the training table itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_table: Option<TableFingerprint>,
}

impl Lineage {
    /// The current Delta versions of `views` in `store`: call it right after building
    /// the training set.
    ///
    /// # Errors
    /// As [`FeatureStore::version`] (an unknown view, an unreadable table).
    pub fn from_store<S: AsRef<str>>(store: &FeatureStore, views: &[S]) -> Result<Lineage> {
        let feature_views = views
            .iter()
            .map(|v| {
                Ok(ViewVersion {
                    view: v.as_ref().to_string(),
                    version: store.version(v.as_ref())?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Lineage {
            feature_views,
            training_table: None,
        })
    }

    /// The lineage of a point-in-time training set
    /// ([`FeatureStore::historical_features_with`]): its views and their versions, and
    /// the table's fingerprint.
    ///
    /// # Errors
    /// [`Error::Arrow`] if the table cannot be encoded.
    pub fn from_training_set(set: &TrainingSet) -> Result<Lineage> {
        Ok(Lineage {
            feature_views: set.lineage.clone(),
            training_table: Some(TableFingerprint::of(&set.table)?),
        })
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.feature_views.is_empty() && self.training_table.is_none()
    }
}

/// What to record with a new version, beside the fitted pipeline. A builder:
///
/// ```
/// use ferrops::registry::ModelMetadata;
/// let meta = ModelMetadata::new()
///     .description("weekly retrain")
///     .metric("accuracy", 0.93)
///     .tag("team", "risk")
///     .param("C", 1.0)
///     .seed(42);
/// assert_eq!(meta.metrics_map()["accuracy"], 0.93);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ModelMetadata {
    pub(crate) description: String,
    pub(crate) metrics: BTreeMap<String, f64>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) params: BTreeMap<String, serde_json::Value>,
    pub(crate) seed: Option<u64>,
    pub(crate) lineage: Lineage,
    pub(crate) profile: Option<Profile>,
}

impl ModelMetadata {
    /// Nothing recorded yet.
    pub fn new() -> ModelMetadata {
        ModelMetadata::default()
    }

    /// A free-text description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// A metric (e.g. held-out accuracy). Non-finite values are refused at registration.
    pub fn metric(mut self, name: impl Into<String>, value: f64) -> Self {
        self.metrics.insert(name.into(), value);
        self
    }

    /// Several metrics, e.g. a gate's [`MetricSet`](crate::validate::gate::MetricSet).
    pub fn metrics<I, K>(mut self, metrics: I) -> Self
    where
        I: IntoIterator<Item = (K, f64)>,
        K: Into<String>,
    {
        for (k, v) in metrics {
            self.metrics.insert(k.into(), v);
        }
        self
    }

    /// A tag (`team=risk`, `dataset=2026-11`): searchable.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// A training parameter (any JSON value: numbers, strings, lists).
    pub fn param(mut self, key: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(key.into(), value.into());
        self
    }

    /// The random seed the training used.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The training data's lineage.
    pub fn lineage(mut self, lineage: Lineage) -> Self {
        self.lineage = lineage;
        self
    }

    /// Record the training table's fingerprint in the lineage.
    ///
    /// # Errors
    /// [`Error::Arrow`] if the table cannot be encoded.
    pub fn training_table(mut self, table: &RecordBatch) -> Result<Self> {
        self.lineage.training_table = Some(TableFingerprint::of(table)?);
        Ok(self)
    }

    /// The reference profile that drift checks compare serving data against.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// The metrics set so far.
    pub fn metrics_map(&self) -> &BTreeMap<String, f64> {
        &self.metrics
    }

    pub(crate) fn check(&self) -> Result<()> {
        for (name, value) in &self.metrics {
            if !value.is_finite() {
                return Err(Error::param(
                    &format!("metrics[{name}]"),
                    value,
                    "metrics must be finite numbers (JSON holds no NaN or infinity); leave the metric out instead",
                ));
            }
            if name.is_empty() {
                return Err(Error::param("metrics", "\"\"", "a metric needs a name"));
            }
        }
        if self.tags.keys().any(String::is_empty) {
            return Err(Error::param("tags", "\"\"", "a tag needs a key"));
        }
        Ok(())
    }
}

/// An immutable registered version of a model: everything recorded at registration.
///
/// Its artifact files and profile are stored by SHA-256; `record_sha256` is the hash of
/// this record as stored, pinned by every alias move so that a record modified later is
/// refused when loaded through an alias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// Always `ferrops.model_version`.
    pub format: String,
    /// The record layout version.
    pub format_version: u32,
    /// The model's name.
    pub name: String,
    /// The version number: 1, 2, 3… without gaps.
    pub version: u64,
    /// When it was registered (µs since the epoch, UTC).
    pub created_micros: i64,
    /// Who registered it.
    pub created_by: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// The ferrops version that registered it.
    pub ferrops_version: String,
    /// The training seed, if given.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Training parameters.
    #[serde(default)]
    pub params: BTreeMap<String, serde_json::Value>,
    /// Metrics.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// Tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The training data's lineage.
    #[serde(default)]
    pub lineage: Lineage,
    /// The pipeline's input signature.
    pub signature: Signature,
    /// The pipeline's target, if any.
    #[serde(default)]
    pub target: Option<TargetInfo>,
    /// The artifact's files (`manifest.json`, stages, `model.json`) by relative path.
    pub files: BTreeMap<String, FileEntry>,
    /// The drift reference profile, if one was given.
    #[serde(default)]
    pub profile: Option<FileEntry>,
    /// SHA-256 of this record as stored (filled when read; not part of the record).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub record_sha256: String,
}

impl ModelVersion {
    /// The metrics as a gate's [`MetricSet`](crate::validate::gate::MetricSet).
    pub fn metric_set(&self) -> crate::validate::gate::MetricSet {
        let mut set = crate::validate::gate::MetricSet::new();
        for (k, v) in &self.metrics {
            set.insert(k.clone(), *v);
        }
        set
    }

    /// The artifact's total size in bytes (profile included).
    pub fn artifact_bytes(&self) -> u64 {
        self.files.values().map(|f| f.bytes).sum::<u64>() + self.profile.as_ref().map_or(0, |f| f.bytes)
    }

    /// Registration time as RFC 3339 text (UTC).
    pub fn created_at(&self) -> String {
        crate::registry::micros_to_rfc3339(self.created_micros)
    }

    /// An HTML summary (Jupyter's `_repr_html_`).
    pub fn to_html(&self) -> String {
        crate::registry::html::version_html(self)
    }
}
