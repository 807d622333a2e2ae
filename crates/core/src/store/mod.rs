//! The feature store: features kept versioned in one place, so training and serving
//! see the same values.
//!
//! Embedded (a directory by default, no server) and on open formats:
//! - definitions ([`Entity`], [`FeatureView`]) are readable JSON files in the store,
//!   validated on registration;
//! - each feature view's rows are a Delta Lake table: every write is an atomic commit
//!   and a version, readable as of a version or a time, and readable and writable by
//!   Spark, DuckDB, Polars and the `deltalake` Python package;
//! - [`FeatureStore::historical_features`] builds point-in-time-correct training sets;
//! - [`FeatureStore::materialize`] fills an online snapshot that
//!   [`FeatureStore::online_features`] serves from memory, with the TTL enforced exactly
//!   as offline;
//! - every write stores per-feature statistics with its version.
//!
//! Layout of a store (a local directory or an `s3://` prefix):
//!
//! ```text
//! _ferrops/entities/<entity>.json         definitions
//! _ferrops/feature_views/<view>.json
//! _ferrops/statistics/<view>/<version>.json
//! _ferrops/materialization/<view>.json    the last materialized interval
//! views/<view>/                           the Delta Lake table (_delta_log + Parquet)
//! online/<view>/                          the online snapshot
//! ```
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Array, Float64Array, Int64Array, TimestampMicrosecondArray};
//! use arrow::record_batch::RecordBatch;
//! use ferrops::store::{Entity, Feature, FeatureStore, FeatureView, ValueType, WriteMode};
//!
//! # fn main() -> ferrops::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let store = FeatureStore::open(dir.path().to_str().unwrap())?;
//! store.register_entity(&Entity::new("driver", "driver_id", ValueType::Int64))?;
//! store.register_feature_view(&FeatureView::new(
//!     "driver_stats",
//!     ["driver"],
//!     "event_timestamp",
//!     vec![Feature::new("conv_rate", ValueType::Float64)],
//! ))?;
//! let day = 86_400_000_000_i64; // µs
//! let rows = RecordBatch::try_from_iter([
//!     ("driver_id", Arc::new(Int64Array::from(vec![1, 1, 2])) as _),
//!     ("event_timestamp", Arc::new(TimestampMicrosecondArray::from(vec![day, 3 * day, day]).with_timezone("UTC")) as _),
//!     ("conv_rate", Arc::new(Float64Array::from(vec![0.1, 0.3, 0.5])) as _),
//! ])?;
//! store.write("driver_stats", &rows, WriteMode::Append)?;
//!
//! // Labels at day 2: driver 1 sees its day-1 value, not the later one.
//! let labels = RecordBatch::try_from_iter([
//!     ("driver_id", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
//!     ("event_timestamp", Arc::new(TimestampMicrosecondArray::from(vec![2 * day; 3]).with_timezone("UTC")) as _),
//! ])?;
//! let training = store.historical_features(&labels, &["driver_stats:conv_rate"])?;
//! let rate = training.column_by_name("conv_rate").unwrap();
//! let rate = rate.as_any().downcast_ref::<Float64Array>().unwrap();
//! assert_eq!(rate.value(0), 0.1);
//! assert_eq!(rate.value(1), 0.5);
//! assert!(rate.is_null(2)); // no row for driver 3
//! # Ok(()) }
//! ```

pub(crate) mod blob;
pub mod definitions;
mod historical;
pub mod names;
pub mod online;
pub(crate) mod pit;
mod table;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use definitions::{Entity, Feature, FeatureView, ValueType};
pub use historical::{HistoricalOptions, TrainingSet, ViewVersion};
pub use online::{FeatureStatus, OnlineResult, OnlineStore, OnlineWriteSummary, SnapshotOnlineStore};

pub use table::{HistoryEntry, WriteMode};

use self::blob::Blob;
use self::names::{check_name, check_view_name};
use self::table::ViewTable;
use crate::data::profile::TableProfile;
use crate::error::{Error, Result};

/// Which version of a feature view's table to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AsOf {
    /// The latest version.
    #[default]
    Latest,
    /// A table version (see [`FeatureStore::history`]).
    Version(u64),
    /// The version current at this time (ms since the epoch, UTC).
    TimestampMillis(i64),
}

/// What a write committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteResult {
    /// The view.
    pub view: String,
    /// The table version the write created.
    pub version: u64,
    /// Rows written.
    pub rows: usize,
    /// The mode.
    pub mode: WriteMode,
}

/// What a materialization wrote to the online store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterializeResult {
    /// The view.
    pub view: String,
    /// The table version read.
    pub version: u64,
    /// Start of the event-time interval (µs, inclusive); `None`: from the beginning.
    pub start_micros: Option<i64>,
    /// End of the event-time interval (µs, inclusive).
    pub end_micros: i64,
    /// Keys whose latest row in the interval was offered to the online store.
    pub keys: usize,
    /// Keys inserted into the online store.
    pub inserted: usize,
    /// Keys whose online value was replaced by a newer one.
    pub updated: usize,
    /// Keys whose online value was newer and was kept.
    pub kept_newer: usize,
}

/// Values served by [`FeatureStore::online_features`].
#[derive(Debug, Clone)]
pub struct OnlineFeatures {
    /// The request's columns, then one column per requested feature.
    pub table: RecordBatch,
    /// Per feature column (in the order of `table`'s feature columns): its output name
    /// and one status per row.
    pub status: Vec<(String, Vec<FeatureStatus>)>,
}

/// An embedded feature store on a directory or object storage. Cheap to share
/// between threads (`&self` everywhere).
#[derive(Debug)]
pub struct FeatureStore {
    blob: Blob,
    uri: String,
    online: Arc<dyn OnlineStore>,
    /// Definitions as the serving path last read them, and when.
    serving_definitions: std::sync::RwLock<Option<(std::time::Instant, Arc<Definitions>)>>,
}

/// Every definition of a store, read at once.
#[derive(Debug)]
struct Definitions {
    entities: BTreeMap<String, Entity>,
    views: BTreeMap<String, FeatureView>,
}

/// How long the serving path trusts the definitions it read: another process's
/// registration is seen by `online_features` after at most this long (this process's
/// own registrations at once).
pub const SERVING_DEFINITIONS_TTL: std::time::Duration = std::time::Duration::from_secs(1);

const ENTITIES: &str = "_ferrops/entities";
const VIEWS: &str = "_ferrops/feature_views";
const STATISTICS: &str = "_ferrops/statistics";
const MATERIALIZATION: &str = "_ferrops/materialization";

fn to_json<T: Serialize>(value: &T) -> Result<Bytes> {
    serde_json::to_vec_pretty(value)
        .map(Bytes::from)
        .map_err(|e| Error::Serialization(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(location: &str, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Store {
        location: location.to_string(),
        reason: format!("not a valid definition ({e}); fix or remove the file"),
    })
}

/// The current time in µs since the epoch.
pub(crate) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

impl FeatureStore {
    /// Open (creating if needed) the store at `uri`: a local directory, a `file://` URL,
    /// or `s3://bucket/prefix` (endpoint, region and credentials from the usual
    /// `AWS_*` environment variables, e.g. `AWS_ENDPOINT_URL` for S3-compatible
    /// servers, `AWS_ALLOW_HTTP=true` for plain-HTTP ones).
    ///
    /// # Errors
    /// [`Error::Io`] if a local directory cannot be created, [`Error::Store`] for an
    /// unsupported scheme or an unusable S3 configuration.
    pub fn open(uri: &str) -> Result<FeatureStore> {
        let blob = Blob::open(uri)?;
        let online: Arc<dyn OnlineStore> = Arc::new(SnapshotOnlineStore::new(blob.clone()));
        Ok(FeatureStore {
            blob,
            uri: uri.to_string(),
            online,
            serving_definitions: std::sync::RwLock::new(None),
        })
    }

    /// Serve online features from another [`OnlineStore`] (Redis, a key-value
    /// service) instead of the in-process snapshot.
    pub fn with_online_store(mut self, online: Arc<dyn OnlineStore>) -> Self {
        self.online = online;
        self
    }

    /// The URI the store was opened with.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    // ---------------------------------------------------------------- definitions

    /// Register an entity, or re-register it with new description, tags or owner.
    /// Changing the join keys of an entity that a feature view uses is refused.
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::Definition`].
    pub fn register_entity(&self, entity: &Entity) -> Result<()> {
        entity.validate()?;
        let path = format!("{ENTITIES}/{}.json", entity.name);
        if let Some(existing) = self.blob.get(&path)? {
            let existing: Entity = from_json(&path, &existing)?;
            if existing.join_keys != entity.join_keys {
                let users: Vec<String> = self
                    .feature_views()?
                    .into_iter()
                    .filter(|v| v.entities.contains(&entity.name))
                    .map(|v| v.name)
                    .collect();
                if !users.is_empty() {
                    return Err(Error::Definition {
                        what: "entity",
                        name: entity.name.clone(),
                        reason: format!(
                            "its join keys cannot change while feature views {users:?} use it; register a new entity"
                        ),
                    });
                }
            }
        }
        self.blob.put(&path, to_json(entity)?)?;
        self.forget_serving_definitions();
        Ok(())
    }

    fn forget_serving_definitions(&self) {
        if let Ok(mut cached) = self.serving_definitions.write() {
            *cached = None;
        }
    }

    /// The definitions for the serving path: cached for [`SERVING_DEFINITIONS_TTL`], so
    /// that a request costs no definition reads.
    fn serving_definitions(&self) -> Result<Arc<Definitions>> {
        if let Ok(cached) = self.serving_definitions.read() {
            if let Some((at, definitions)) = cached.as_ref() {
                if at.elapsed() < SERVING_DEFINITIONS_TTL {
                    return Ok(definitions.clone());
                }
            }
        }
        let definitions = Arc::new(Definitions {
            entities: self.entity_map()?,
            views: self
                .feature_views()?
                .into_iter()
                .map(|v| (v.name.clone(), v))
                .collect(),
        });
        if let Ok(mut cached) = self.serving_definitions.write() {
            *cached = Some((std::time::Instant::now(), definitions.clone()));
        }
        Ok(definitions)
    }

    /// Register a feature view and create its (empty) table. Re-registering the same
    /// view is a no-op; description, tags, owner and TTL may change; a change of keys,
    /// timestamps or features is refused (add nullable features with
    /// [`FeatureStore::add_features`]).
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::NotRegistered`] (unknown entity),
    /// [`Error::Definition`], [`Error::Store`].
    pub fn register_feature_view(&self, view: &FeatureView) -> Result<()> {
        let entities = self.entity_map()?;
        view.validate(&entities)?;
        let path = format!("{VIEWS}/{}.json", view.name);
        let table = ViewTable::new(&self.blob, &view.name)?;
        if let Some(existing) = self.blob.get(&path)? {
            let existing: FeatureView = from_json(&path, &existing)?;
            let same_shape = existing.entities == view.entities
                && existing.timestamp_field == view.timestamp_field
                && existing.created_timestamp_field == view.created_timestamp_field
                && existing.features == view.features;
            if !same_shape {
                return Err(Error::Definition {
                    what: "feature view",
                    name: view.name.clone(),
                    reason: "it is registered with other entities, timestamps or features; its data has that shape. \
                             Add nullable features with add_features, or register the new shape under a new name"
                        .into(),
                });
            }
        }
        if !self.blob.block_on(table.exists())? {
            let schema = view.table_schema(&entities)?;
            self.blob
                .block_on(table.create(&schema, view.description.as_deref()))?;
        }
        self.blob.put(&path, to_json(view)?)?;
        self.forget_serving_definitions();
        Ok(())
    }

    /// Add nullable features to a registered view (schema evolution, explicit): the
    /// definition and the table schema gain the columns; earlier rows read as null.
    /// Returns the new table version.
    ///
    /// # Errors
    /// [`Error::Definition`] if a name is taken, [`Error::Store`].
    pub fn add_features(&self, view: &str, features: Vec<Feature>) -> Result<u64> {
        let mut definition = self.feature_view(view)?;
        let entities = self.entity_map()?;
        let mut extended = definition.clone();
        extended.features.extend(features.iter().cloned());
        extended.validate(&entities)?;
        let table = ViewTable::new(&self.blob, view)?;
        let version = self.blob.block_on(table.add_columns(&features))?;
        definition.features = extended.features;
        self.blob
            .put(&format!("{VIEWS}/{view}.json"), to_json(&definition)?)?;
        self.forget_serving_definitions();
        Ok(version)
    }

    /// The registered entities, by name.
    ///
    /// # Errors
    /// [`Error::Store`] if a definition file is unreadable.
    pub fn entities(&self) -> Result<Vec<Entity>> {
        Ok(self.entity_map()?.into_values().collect())
    }

    fn entity_map(&self) -> Result<BTreeMap<String, Entity>> {
        let mut out = BTreeMap::new();
        for file in self.blob.list_names(ENTITIES)? {
            let Some(name) = file.strip_suffix(".json") else {
                continue;
            };
            if check_name("entity", name).is_err() {
                continue;
            }
            let path = format!("{ENTITIES}/{file}");
            if let Some(bytes) = self.blob.get(&path)? {
                let entity: Entity = from_json(&path, &bytes)?;
                out.insert(entity.name.clone(), entity);
            }
        }
        Ok(out)
    }

    /// One registered entity.
    ///
    /// # Errors
    /// [`Error::NotRegistered`].
    pub fn entity(&self, name: &str) -> Result<Entity> {
        check_name("entity", name)?;
        let mut map = self.entity_map()?;
        map.remove(name).ok_or_else(|| Error::NotRegistered {
            what: "entity",
            name: name.to_string(),
            available: map.keys().cloned().collect(),
        })
    }

    /// The registered feature views, by name.
    ///
    /// # Errors
    /// [`Error::Store`] if a definition file is unreadable.
    pub fn feature_views(&self) -> Result<Vec<FeatureView>> {
        let mut out = Vec::new();
        for file in self.blob.list_names(VIEWS)? {
            let Some(name) = file.strip_suffix(".json") else {
                continue;
            };
            if check_view_name(name).is_err() {
                continue;
            }
            let path = format!("{VIEWS}/{file}");
            if let Some(bytes) = self.blob.get(&path)? {
                out.push(from_json(&path, &bytes)?);
            }
        }
        Ok(out)
    }

    /// One registered feature view.
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::NotRegistered`].
    pub fn feature_view(&self, name: &str) -> Result<FeatureView> {
        check_view_name(name)?;
        let path = format!("{VIEWS}/{name}.json");
        match self.blob.get(&path)? {
            Some(bytes) => from_json(&path, &bytes),
            None => Err(Error::NotRegistered {
                what: "feature view",
                name: name.to_string(),
                available: self.feature_views()?.into_iter().map(|v| v.name).collect(),
            }),
        }
    }

    // ---------------------------------------------------------------- offline data

    /// Write rows to a feature view as one atomic commit (a new table version).
    ///
    /// The batch must hold exactly the view's columns: its join keys and event
    /// timestamp (no nulls), the created timestamp if the view has one, and every
    /// feature, each of its declared type. Strings of any Arrow layout and timestamps
    /// of any unit and zone are accepted (naive timestamps are UTC; stored as µs UTC).
    /// [`WriteMode::Upsert`] replaces stored rows with the same keys and event
    /// timestamp. Concurrent appends both land; a concurrent overwrite or upsert that
    /// loses gets [`Error::Conflict`] and writes nothing.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] / [`Error::ColumnType`] naming the column (nothing is
    /// written), [`Error::InvalidValue`] for a null key or timestamp,
    /// [`Error::Definition`] for a column the view does not have, [`Error::Conflict`],
    /// [`Error::Store`].
    pub fn write(&self, view: &str, batch: &RecordBatch, mode: WriteMode) -> Result<WriteResult> {
        let definition = self.feature_view(view)?;
        let entities = self.entity_map()?;
        let schema = definition.table_schema(&entities)?;
        let batch = conform_input(&definition, &schema, batch)?;
        let keys: Vec<String> = definition
            .join_keys(&entities)?
            .into_iter()
            .map(|k| k.name)
            .collect();
        let table = ViewTable::new(&self.blob, view)?;
        let version = self
            .blob
            .block_on(table.write(&batch, mode, &keys, &definition.timestamp_field))?;
        // The commit has landed: a failure to store its statistics must not turn it into
        // an error (a retry would write the rows twice); `statistics` recomputes them.
        self.record_statistics(view, version, &batch, mode).ok();
        Ok(WriteResult {
            view: view.to_string(),
            version,
            rows: batch.num_rows(),
            mode,
        })
    }

    /// Every row of a view as of a version or time (upserted rows resolved: the table
    /// holds no superseded rows). Rows are in write order.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], [`Error::Store`] (unknown version, corrupted file).
    pub fn read(&self, view: &str, as_of: AsOf) -> Result<RecordBatch> {
        let definition = self.feature_view(view)?;
        let table = ViewTable::new(&self.blob, view)?;
        self.blob.block_on(async {
            let loaded = table.load_as_of(as_of).await?;
            table.read_all(&loaded, Some(&definition.timestamp_field)).await
        })
    }

    /// The latest table version of a view.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], [`Error::Store`].
    pub fn version(&self, view: &str) -> Result<u64> {
        self.feature_view(view)?;
        let table = ViewTable::new(&self.blob, view)?;
        self.blob
            .block_on(async { Ok(table.load(None).await?.version().unwrap_or(0) as u64) })
    }

    /// The commits of a view's table, oldest first: version, time, operation, rows.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], [`Error::Store`].
    pub fn history(&self, view: &str) -> Result<Vec<HistoryEntry>> {
        self.feature_view(view)?;
        let table = ViewTable::new(&self.blob, view)?;
        self.blob.block_on(table.history())
    }

    // ---------------------------------------------------------------- statistics

    fn statistics_path(view: &str, version: u64) -> String {
        format!("{STATISTICS}/{view}/{version:020}.json")
    }

    /// Store the statistics of `version` after a write: an append merges the batch's
    /// profile into the previous version's (when it is stored), anything else profiles
    /// the table at `version`.
    fn record_statistics(
        &self,
        view: &str,
        version: u64,
        batch: &RecordBatch,
        mode: WriteMode,
    ) -> Result<()> {
        let previous = match (mode, version.checked_sub(1)) {
            (WriteMode::Append, Some(prev)) => {
                self.blob
                    .get(&Self::statistics_path(view, prev))?
                    .and_then(|bytes| {
                        std::str::from_utf8(&bytes)
                            .ok()
                            .and_then(|t| TableProfile::from_json(t).ok())
                    })
            }
            _ => None,
        };
        let profile = match (mode, previous) {
            (WriteMode::Append, Some(mut previous)) => {
                previous.merge(&TableProfile::from_batch(batch)?)?;
                previous
            }
            (WriteMode::Overwrite, _) => TableProfile::from_batch(batch)?,
            _ => TableProfile::from_batch(&self.read(view, AsOf::Version(version))?)?,
        };
        self.blob.put(
            &Self::statistics_path(view, version),
            Bytes::from(profile.to_json()?),
        )
    }

    /// Per-column statistics of a view's table at `version` (latest when `None`):
    /// count, nulls, NaN/inf, min, max, mean, std, a quantile sketch (KLL) and category
    /// counts, for every column (keys and timestamps too). Computed on every write and
    /// stored with the version; for versions written by other engines they are computed
    /// on first request and stored. Profiles are compact and mergeable (see
    /// [`TableProfile`]): the drift layer uses them as reference profiles.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], [`Error::Store`] (unknown version, unreadable file).
    pub fn statistics(&self, view: &str, version: Option<u64>) -> Result<TableProfile> {
        let version = match version {
            Some(v) => v,
            None => self.version(view)?,
        };
        self.feature_view(view)?;
        let path = Self::statistics_path(view, version);
        if let Some(bytes) = self.blob.get(&path)? {
            let text = std::str::from_utf8(&bytes).map_err(|e| Error::Store {
                location: path.clone(),
                reason: format!("not UTF-8 ({e}); delete the file to recompute it"),
            })?;
            return TableProfile::from_json(text).map_err(|e| Error::Store {
                location: path.clone(),
                reason: format!("{e}; delete the file to recompute it"),
            });
        }
        let profile = TableProfile::from_batch(&self.read(view, AsOf::Version(version))?)?;
        self.blob.put(&path, Bytes::from(profile.to_json()?))?;
        Ok(profile)
    }

    // ---------------------------------------------------------------- online

    /// Write the latest row per key of `view` with an event time in `[start, end]` (µs
    /// since the epoch, inclusive; `start` `None` = from the beginning) to the online
    /// store. An older row never replaces a newer one already online (by event time,
    /// then created time), so materializing ranges out of order is safe.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], [`Error::InvalidParameter`] if `start > end`,
    /// [`Error::Conflict`] if concurrent materializations kept winning, [`Error::Store`].
    pub fn materialize(
        &self,
        view: &str,
        start_micros: Option<i64>,
        end_micros: i64,
    ) -> Result<MaterializeResult> {
        let definition = self.feature_view(view)?;
        let entities = self.entity_map()?;
        let keys: Vec<String> = definition
            .join_keys(&entities)?
            .into_iter()
            .map(|k| k.name)
            .collect();
        let (version, rows) = self.latest_rows(view, None, start_micros, Some(end_micros))?;
        let summary = self.online.write(&definition, &keys, &rows)?;
        let result = MaterializeResult {
            view: view.to_string(),
            version,
            start_micros,
            end_micros,
            keys: rows.num_rows(),
            inserted: summary.inserted,
            updated: summary.updated,
            kept_newer: summary.kept_newer,
        };
        self.blob
            .put(&format!("{MATERIALIZATION}/{view}.json"), to_json(&result)?)?;
        Ok(result)
    }

    /// [`FeatureStore::materialize`] from the end of the last materialization of `view`
    /// (or from the beginning) to `end`. Like Feast, rows written later with an event
    /// time before the last end (late backfills) are not picked up: run
    /// [`FeatureStore::materialize`] over their range.
    ///
    /// # Errors
    /// As [`FeatureStore::materialize`]; [`Error::InvalidParameter`] if `end` is before
    /// the last materialized end.
    pub fn materialize_incremental(&self, view: &str, end_micros: i64) -> Result<MaterializeResult> {
        self.feature_view(view)?;
        let path = format!("{MATERIALIZATION}/{view}.json");
        let start = match self.blob.get(&path)? {
            Some(bytes) => Some(from_json::<MaterializeResult>(&path, &bytes)?.end_micros),
            None => None,
        };
        if let Some(start) = start {
            if end_micros < start {
                return Err(Error::param(
                    "end",
                    end_micros,
                    format!(
                        "it is before the end of the last materialization ({start} µs); pass a later end"
                    ),
                ));
            }
        }
        self.materialize(view, start, end_micros)
    }

    /// The last materialization of `view`, if any.
    ///
    /// # Errors
    /// [`Error::NotRegistered`], [`Error::Store`].
    pub fn last_materialization(&self, view: &str) -> Result<Option<MaterializeResult>> {
        self.feature_view(view)?;
        let path = format!("{MATERIALIZATION}/{view}.json");
        match self.blob.get(&path)? {
            Some(bytes) => Ok(Some(from_json(&path, &bytes)?)),
            None => Ok(None),
        }
    }

    /// Serve features (`"view:feature"`, `"view:*"`) for the keys in `keys` (one row
    /// per request, with the join keys of every view asked for), now.
    ///
    /// # Errors
    /// As [`FeatureStore::online_features_with`].
    pub fn online_features(&self, keys: &RecordBatch, features: &[&str]) -> Result<OnlineFeatures> {
        self.online_features_with(keys, features, false, None)
    }

    /// Serve features at time `now_micros` (default: now): values plus a status per
    /// value (present, null value, not found, outside TTL: the TTL is enforced as in
    /// [`FeatureStore::historical_features_with`]). A newer snapshot written by another
    /// process is picked up without restart.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] / [`Error::ColumnType`] for a missing or mistyped key
    /// column or an unknown feature, [`Error::InvalidData`] for an output name
    /// collision (use `full_feature_names`), [`Error::Store`].
    pub fn online_features_with(
        &self,
        keys: &RecordBatch,
        features: &[&str],
        full_feature_names: bool,
        now_micros: Option<i64>,
    ) -> Result<OnlineFeatures> {
        let now = now_micros.unwrap_or_else(self::now_micros);
        let definitions = self.serving_definitions()?;
        let requests = historical::parse_refs_with(
            |name| {
                check_view_name(name)?;
                definitions
                    .views
                    .get(name)
                    .cloned()
                    .ok_or_else(|| Error::NotRegistered {
                        what: "feature view",
                        name: name.to_string(),
                        available: definitions.views.keys().cloned().collect(),
                    })
            },
            features,
        )?;
        let entities = &definitions.entities;
        let mut fields: Vec<arrow::datatypes::FieldRef> = keys.schema().fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = keys.columns().to_vec();
        let mut taken: BTreeMap<String, String> = fields
            .iter()
            .map(|f| (f.name().clone(), "a request column".to_string()))
            .collect();
        let mut status = Vec::new();
        for (view, wanted) in &requests {
            let key_columns: Vec<String> = view.join_keys(entities)?.into_iter().map(|k| k.name).collect();
            let result = self.online.read(view, &key_columns, keys, wanted, now)?;
            for ((feature, values), statuses) in wanted.iter().zip(result.values.columns()).zip(result.status)
            {
                let name = if full_feature_names {
                    format!("{}__{feature}", view.name)
                } else {
                    feature.clone()
                };
                let owner = format!("feature `{feature}` of view `{}`", view.name);
                if let Some(first) = taken.insert(name.clone(), owner.clone()) {
                    return Err(Error::InvalidData(format!(
                        "output column `{name}` would be both {first} and {owner}; pass full_feature_names to name features `view__feature`"
                    )));
                }
                fields.push(Arc::new(arrow::datatypes::Field::new(
                    &name,
                    values.data_type().clone(),
                    true,
                )));
                columns.push(values.clone());
                status.push((name, statuses));
            }
        }
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(keys.num_rows()));
        let table = RecordBatch::try_new_with_options(
            Arc::new(arrow::datatypes::Schema::new(fields)),
            columns,
            &options,
        )?;
        Ok(OnlineFeatures { table, status })
    }
}

/// Check `batch` against the view's table schema and convert it to that schema.
fn conform_input(view: &FeatureView, schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch> {
    let input = batch.schema();
    for field in input.fields() {
        if schema.field_with_name(field.name()).is_err() {
            return Err(Error::Definition {
                what: "feature view",
                name: view.name.clone(),
                reason: format!(
                    "the batch has column `{}` that the view does not have (columns: {:?}); drop it, or add it with add_features",
                    field.name(),
                    schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>()
                ),
            });
        }
    }
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for field in schema.fields() {
        let array = crate::data::table::column(batch, field.name())?;
        let expected = ValueType::from_arrow(field.data_type());
        let found = ValueType::from_arrow(array.data_type());
        if found != expected {
            return Err(Error::column_type(
                field.name(),
                expected.map(|t| t.name()).unwrap_or("?"),
                array.data_type(),
            ));
        }
        let converted = to_stored(array, field.data_type(), field.name())?;
        if !field.is_nullable() && converted.null_count() > 0 {
            let row = (0..converted.len()).find(|&i| converted.is_null(i)).unwrap_or(0);
            return Err(Error::InvalidValue {
                column: field.name().clone(),
                row,
                value: "null".into(),
                hint: "join keys and the event timestamp may not be null; drop or fill those rows".into(),
            });
        }
        columns.push(converted);
    }
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &options,
    )?)
}

/// Convert an array to the stored type (strings to Utf8, timestamps to µs UTC; naive
/// timestamps are taken as UTC; nanoseconds are floored to microseconds, so that a
/// time never moves later, also before 1970).
pub(crate) fn to_stored(array: &ArrayRef, target: &DataType, name: &str) -> Result<ArrayRef> {
    if array.data_type() == target {
        return Ok(array.clone());
    }
    if let (DataType::Timestamp(unit, _), DataType::Timestamp(TimeUnit::Microsecond, zone)) =
        (array.data_type(), target)
    {
        use arrow::array::{
            TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray,
            TimestampSecondArray,
        };
        let overflow = |row: usize| Error::InvalidValue {
            column: name.to_string(),
            row,
            value: "a timestamp".into(),
            hint: "it is outside the range of microsecond timestamps (years 1677-2262 are safe)".into(),
        };
        let scale = |values: Vec<Option<i64>>, factor: i64| -> Result<Vec<Option<i64>>> {
            values
                .into_iter()
                .enumerate()
                .map(|(row, v)| {
                    v.map(|v| v.checked_mul(factor).ok_or_else(|| overflow(row)))
                        .transpose()
                })
                .collect()
        };
        let any = array.as_any();
        let micros: Vec<Option<i64>> = match unit {
            TimeUnit::Second => scale(
                any.downcast_ref::<TimestampSecondArray>()
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
                1_000_000,
            )?,
            TimeUnit::Millisecond => scale(
                any.downcast_ref::<TimestampMillisecondArray>()
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
                1_000,
            )?,
            TimeUnit::Microsecond => any
                .downcast_ref::<TimestampMicrosecondArray>()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
            TimeUnit::Nanosecond => any
                .downcast_ref::<TimestampNanosecondArray>()
                .map(|a| a.iter().map(|v| v.map(|v| v.div_euclid(1_000))).collect())
                .unwrap_or_default(),
        };
        if micros.len() != array.len() {
            return Err(Error::column_type(name, "timestamp", array.data_type()));
        }
        return Ok(Arc::new(
            TimestampMicrosecondArray::from(micros).with_timezone_opt(zone.clone()),
        ));
    }
    arrow::compute::cast(array, target)
        .map_err(|e| Error::column_type(name, format!("{target} ({e})"), array.data_type()))
}

/// An entity-row key column as the view's stored key type: the same value type, or any
/// integer for an integer key (a value out of range is an error, never wrapped). A float,
/// or a string for an integer key (or the reverse), is a [`Error::ColumnType`].
pub(crate) fn key_to_stored(array: &ArrayRef, key: &Feature) -> Result<ArrayRef> {
    let found = array.data_type();
    let integer = |t: &DataType| t.is_integer();
    let compatible = match key.dtype {
        ValueType::Int32 | ValueType::Int64 => integer(found),
        other => ValueType::from_arrow(found) == Some(other),
    };
    if !compatible {
        return Err(Error::column_type(
            &key.name,
            format!("{} (the join key's type)", key.dtype),
            found,
        ));
    }
    let target = key.dtype.arrow_type();
    if found == &target {
        return Ok(array.clone());
    }
    let options = arrow::compute::CastOptions {
        safe: false,
        ..Default::default()
    };
    arrow::compute::cast_with_options(array, &target, &options).map_err(|e| Error::InvalidValue {
        column: key.name.clone(),
        row: 0,
        value: format!("{found}"),
        hint: format!("cannot be read as the join key's type {}: {e}", key.dtype),
    })
}

/// Timestamps (any unit/zone, dates) as µs since the epoch UTC.
pub(crate) fn to_micros(array: &ArrayRef, name: &str) -> Result<Vec<Option<i64>>> {
    let target = DataType::Timestamp(TimeUnit::Microsecond, Some(definitions::UTC.into()));
    let converted = match array.data_type() {
        DataType::Timestamp(_, _) => to_stored(array, &target, name)?,
        DataType::Date32 | DataType::Date64 => {
            // Days and milliseconds convert exactly (multiplications).
            let naive = arrow::compute::cast(array, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            to_stored(&naive, &target, name)?
        }
        other => return Err(Error::column_type(name, "a timestamp or date", other)),
    };
    let micros = converted
        .as_any()
        .downcast_ref::<arrow::array::TimestampMicrosecondArray>()
        .ok_or_else(|| Error::column_type(name, "timestamp", converted.data_type()))?;
    Ok(micros.iter().collect())
}
