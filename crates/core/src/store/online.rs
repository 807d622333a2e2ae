//! The online store: the latest feature values per key, for serving.
//!
//! Materialization computes, offline, the latest row per key of a feature view in a time
//! range and hands it to an [`OnlineStore`]; serving asks the online store for the values
//! of some features for some keys. [`OnlineStore`] is a trait so that other stores (Redis,
//! a key-value service) can be added; the default is [`SnapshotOnlineStore`], which keeps
//! immutable Parquet snapshots in the feature store's own storage and serves them from an
//! in-memory index.
//!
//! # Semantics
//!
//! * **Merge.** Per key, the row with the larger event timestamp wins; on equal event
//!   timestamps, the larger created timestamp (a null created timestamp is the oldest);
//!   then the newer write (within one batch, the later row). So an older write never
//!   overwrites a newer value: materializing an old range after a new one keeps the new
//!   values. This is the rule of the offline point-in-time join.
//! * **TTL.** A value is served at time `now` iff `event_ts >= now - ttl` (the bound is
//!   inclusive, as offline); a view without TTL (`None` or 0) serves values forever. A
//!   value whose event timestamp is after `now` is still served (as Feast does).
//! * **Status.** Every value comes with a [`FeatureStatus`]: [`Present`], [`NullValue`]
//!   (the stored value is null), [`NotFound`] (no row for the key, a null key in the
//!   request, a key that does not fit the key type, or a feature that was added to the
//!   view after the last materialization), or [`OutsideTtl`]. Values that are not served
//!   are null.
//!
//! # Snapshot format ([`SnapshotOnlineStore`])
//!
//! Everything of a view lives under `online/<view>/` in the store:
//!
//! * `snapshot-<seq>-<writer>.parquet`: immutable Parquet files, each holding the full
//!   latest-per-key table of the view (the view's table schema: join keys, event
//!   timestamp (µs, UTC), created timestamp if the view has one, features), one row per
//!   key. `<seq>` is the snapshot's sequence number, zero-padded to 20 digits; `<writer>`
//!   is the writing process id, a nanosecond clock and a counter, so two writers never
//!   write the same file.
//! * `log/<seq>.json`: the commit of snapshot `<seq>` (20 digits), created only if absent
//!   (so exactly one writer commits each sequence number) and never changed. It holds the
//!   pointer: `{"format": 1, "file": "snapshot-….parquet", "seq": 7, "rows": 1000,
//!   "written_at": "2026-11-26T22:30:00.000000Z", "keys": ["driver_id"],
//!   "timestamp_field": "event_ts", "created_timestamp_field": null}`.
//! * `CURRENT`: a copy of the latest pointer, replaced atomically after each commit. It
//!   saves readers a walk along the log; the log is the truth.
//!
//! The latest snapshot is found by reading `CURRENT` and then `log/<seq + 1>.json`,
//! `log/<seq + 2>.json`, … until one is missing (normally one missing entry: two small
//! reads).
//!
//! **Writing** finds the latest snapshot, loads it, merges the new rows into it, writes a
//! new snapshot file, then commits it by creating `log/<seq + 1>.json`. If another writer
//! committed that sequence number first, the writer deletes its file and merges again on
//! top of the newer snapshot (up to [`WRITE_ATTEMPTS`] times, then [`Error::Conflict`]:
//! nothing was written, retry). So concurrent writers, in this process or others, never
//! lose a merge. Then it replaces `CURRENT`, and deletes snapshots older than the
//! previous one (the current and the previous snapshot are kept, so a reader that found
//! the previous one just before the commit still finds its file) and log entries more
//! than [`LOG_KEEP`] behind. A write whose rows change nothing (every stored row is at
//! least as new) or that has no rows writes nothing.
//!
//! **Reading** keeps one loaded snapshot per view in memory with an index from key to row
//! (a hash map on a single `Int64` or string key, [`arrow::row`] encoded keys
//! otherwise). Each read looks up the latest pointer and loads the snapshot if it
//! changed, so a serving process picks up the snapshots another process writes without
//! a restart. A read uses one loaded snapshot from start to end, so it never mixes two
//! snapshots, and reads run concurrently from many threads.
//!
//! # What remains racy
//!
//! * A reader that finds a snapshot, then sleeps through two further commits before
//!   fetching its file, finds the file deleted; it then looks up the latest pointer again
//!   (up to [`LOAD_ATTEMPTS`] times) and loads the newer snapshot. A writer in the same
//!   position merges again.
//! * A writer that stalls between finding the latest snapshot and committing while more
//!   than [`LOG_KEEP`] other commits happen could commit a sequence number whose log
//!   entry was already deleted, on top of an old snapshot. Materializations of one view
//!   would have to overlap a thousand-fold for that.
//! * `CURRENT` can briefly name an older snapshot (a writer between its commit and its
//!   update of `CURRENT`, or a slow writer's update landing after a newer one); readers
//!   and writers do not depend on it, they follow the log.
//! * Deleting old files is best effort: a failed delete, or a writer that dies between
//!   writing its snapshot file and committing it, leaves a file that a later write
//!   deletes once the sequence numbers have moved past it.
//! * [`OnlineStore::drop_view`] while another process writes the same view can leave
//!   that write's files behind, or a snapshot whose sequence numbering restarted.
//!
//! [`Present`]: FeatureStatus::Present
//! [`NullValue`]: FeatureStatus::NullValue
//! [`NotFound`]: FeatureStatus::NotFound
//! [`OutsideTtl`]: FeatureStatus::OutsideTtl

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, RecordBatch, TimestampMicrosecondArray, UInt32Array,
};
use arrow::compute::{cast, concat_batches, take, take_record_batch};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef, TimestampMicrosecondType};
use arrow::row::{RowConverter, SortField};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::blob::{store_error, Blob};
use super::definitions::{FeatureView, ValueType};
use super::names::check_view_name;
use crate::error::{Error, Result};

/// How many times a write merges again after losing a race to another writer.
pub const WRITE_ATTEMPTS: usize = 5;

/// How many times a read re-reads `CURRENT` when its snapshot was deleted under it.
pub const LOAD_ATTEMPTS: usize = 5;

/// The directory of the online store under the store root.
const ONLINE_DIR: &str = "online";

/// The pointer's file name.
const POINTER: &str = "CURRENT";

/// The version of the pointer's JSON layout.
const POINTER_FORMAT: u32 = 1;

/// Log entries kept behind the latest: a writer must not be able to claim a sequence
/// number whose entry was deleted, so entries are kept far longer than any one write.
pub const LOG_KEEP: u64 = 1000;

/// The prefix of snapshot file names.
const SNAPSHOT_PREFIX: &str = "snapshot-";

/// Digits of the sequence number in snapshot file names.
const SEQ_DIGITS: usize = 20;

/// What was served for one feature of one requested key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureStatus {
    /// A value was found and is within the TTL.
    Present,
    /// The key was found within the TTL, but the stored value of this feature is null.
    NullValue,
    /// No value: the key is not in the online store (or has a null), or the feature was
    /// added to the view after the last materialization.
    NotFound,
    /// The key's latest value is older than the view's TTL at the time of the request.
    OutsideTtl,
}

impl FeatureStatus {
    /// The status as written in messages and JSON: `present`, `null_value`, `not_found`,
    /// `outside_ttl`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeatureStatus::Present => "present",
            FeatureStatus::NullValue => "null_value",
            FeatureStatus::NotFound => "not_found",
            FeatureStatus::OutsideTtl => "outside_ttl",
        }
    }
}

impl std::fmt::Display for FeatureStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer of [`OnlineStore::read`].
#[derive(Debug, Clone)]
pub struct OnlineResult {
    /// One column per requested feature (named and typed as in the view), one row per
    /// requested key, null where the status is not [`FeatureStatus::Present`].
    pub values: RecordBatch,
    /// `status[feature][row]`: what was served, in the order of `values`' columns.
    pub status: Vec<Vec<FeatureStatus>>,
    /// Per requested key, the event timestamp (µs since the epoch, UTC) of the row served;
    /// `None` where nothing was served (not found, or outside the TTL).
    pub event_micros: Vec<Option<i64>>,
}

/// What a write to the online store did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineWriteSummary {
    /// Keys that were not in the online store before.
    pub inserted: usize,
    /// Keys whose stored row was replaced by a newer one.
    pub updated: usize,
    /// Keys whose stored row was newer than (or as new as and created after) the written
    /// one, and was kept.
    pub kept_newer: usize,
    /// Rows given to the write.
    pub rows: usize,
}

/// Where serving reads the latest feature values per key.
///
/// Implementations must be safe to share between threads: serving calls
/// [`read`](OnlineStore::read) concurrently.
pub trait OnlineStore: Send + Sync + std::fmt::Debug {
    /// Merge `rows` into the stored values of `view`.
    ///
    /// `rows` has the view's table schema: the join keys named by `key_columns`, the event
    /// timestamp, the created timestamp if the view has one, and the features (string
    /// columns of any layout and timestamps of any unit are accepted). One row per key is
    /// expected, but several are tolerated: per key the newest wins, by event timestamp,
    /// then created timestamp (null oldest), then the later write. A stored row newer than
    /// the written one is kept.
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] / [`Error::ColumnType`] for a missing or mistyped column,
    /// [`Error::InvalidValue`] for a null join key or event timestamp,
    /// [`Error::Conflict`] if concurrent writers kept winning, [`Error::Store`] if the
    /// storage fails or holds an unreadable snapshot.
    fn write(
        &self,
        view: &FeatureView,
        key_columns: &[String],
        rows: &RecordBatch,
    ) -> Result<OnlineWriteSummary>;

    /// The values of `features` of `view` for each row of `keys`, at time `now_micros`
    /// (µs since the epoch, UTC) for the TTL.
    ///
    /// `keys` holds the join key columns named by `key_columns` (other columns are
    /// ignored): strings of any layout for string keys, any integer type for integer keys.
    /// A row with a null key is [`FeatureStatus::NotFound`].
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] / [`Error::ColumnType`] for a missing or mistyped key
    /// column, [`Error::InvalidParameter`] for an unknown, repeated or missing feature
    /// name, [`Error::Store`] if the storage fails or holds an unreadable snapshot.
    fn read(
        &self,
        view: &FeatureView,
        key_columns: &[String],
        keys: &RecordBatch,
        features: &[String],
        now_micros: i64,
    ) -> Result<OnlineResult>;

    /// Drop everything stored online for the view named `view` (nothing stored is fine).
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a name that is not a view name, [`Error::Store`] if the
    /// storage fails.
    fn drop_view(&self, view: &str) -> Result<()>;
}

/// The default online store: Parquet snapshots in the store's storage, served from an
/// in-memory index (see the [module documentation](self) for the format).
pub struct SnapshotOnlineStore {
    /// The store's storage.
    blob: Blob,
    /// The loaded snapshot of each view read or written by this process.
    cache: RwLock<HashMap<String, Arc<Loaded>>>,
}

impl std::fmt::Debug for SnapshotOnlineStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
        let mut loaded: Vec<(&String, &String, usize)> = cache
            .iter()
            .map(|(view, l)| (view, &l.pointer.file, l.batch.num_rows()))
            .collect();
        loaded.sort();
        f.debug_struct("SnapshotOnlineStore")
            .field("blob", &self.blob)
            .field("loaded", &loaded)
            .finish()
    }
}

/// The JSON in `online/<view>/CURRENT` and `online/<view>/log/<seq>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pointer {
    /// [`POINTER_FORMAT`].
    format: u32,
    /// The snapshot's file name (in the same directory).
    file: String,
    /// Its sequence number.
    seq: u64,
    /// Its row count (one per key).
    rows: usize,
    /// When it was written (RFC 3339, UTC).
    written_at: String,
    /// The join key columns, in order.
    keys: Vec<String>,
    /// The event-timestamp column.
    timestamp_field: String,
    /// The created-timestamp column, if any.
    created_timestamp_field: Option<String>,
}

/// A snapshot in memory, with its key index.
struct Loaded {
    /// The pointer that named it.
    pointer: Pointer,
    /// The snapshot: one row per key, keys first, event timestamps as µs UTC.
    batch: RecordBatch,
    /// Key → row.
    index: KeyIndex,
    /// The event timestamps.
    event: TimestampMicrosecondArray,
}

/// A hash index from key to group (for a snapshot: to row).
enum KeyIndex {
    /// A single `Int64` key.
    Int64(FxHashMap<i64, u32>),
    /// A single `Utf8` key.
    Utf8(FxHashMap<Box<str>, u32>),
    /// Any other key set, row-encoded.
    Rows {
        /// The encoder (same key types as the snapshot).
        converter: RowConverter,
        /// Encoded key → group.
        map: FxHashMap<Box<[u8]>, u32>,
    },
}

impl KeyIndex {
    /// Group the rows of `keys` (no nulls allowed): the index, each row's group (groups
    /// numbered by first appearance), and the number of groups.
    fn build(keys: &[ArrayRef]) -> Result<(KeyIndex, Vec<u32>)> {
        let n = keys.first().map_or(0, |k| k.len());
        if n >= u32::MAX as usize {
            return Err(Error::InvalidData(format!(
                "the online store holds at most {} keys per view, got {n} rows",
                u32::MAX - 1
            )));
        }
        if let Some((i, key)) = keys.iter().enumerate().find(|(_, k)| k.null_count() > 0) {
            return Err(Error::InvalidData(format!(
                "join key #{i} has {} null values; keys stored online may not be null",
                key.null_count()
            )));
        }
        let mut groups = Vec::with_capacity(n);
        fn group_of<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, u32>, key: K) -> u32 {
            let next = u32::try_from(map.len()).unwrap_or(u32::MAX);
            *map.entry(key).or_insert(next)
        }
        let index = match keys {
            [key] if key.data_type() == &DataType::Int64 => {
                let mut map = FxHashMap::default();
                for v in key.as_primitive::<Int64Type>().values().iter() {
                    groups.push(group_of(&mut map, *v));
                }
                KeyIndex::Int64(map)
            }
            [key] if key.data_type() == &DataType::Utf8 => {
                let mut map: FxHashMap<Box<str>, u32> = FxHashMap::default();
                for v in key.as_string::<i32>().iter() {
                    let v = v.unwrap_or_default();
                    let next = u32::try_from(map.len()).unwrap_or(u32::MAX);
                    let group = match map.get(v) {
                        Some(&g) => g,
                        None => {
                            map.insert(v.into(), next);
                            next
                        }
                    };
                    groups.push(group);
                }
                KeyIndex::Utf8(map)
            }
            _ => {
                let converter = row_converter(keys)?;
                let rows = converter.convert_columns(keys)?;
                let mut map: FxHashMap<Box<[u8]>, u32> = FxHashMap::default();
                for row in rows.iter() {
                    let bytes: &[u8] = row.as_ref();
                    let next = u32::try_from(map.len()).unwrap_or(u32::MAX);
                    let group = match map.get(bytes) {
                        Some(&g) => g,
                        None => {
                            map.insert(bytes.into(), next);
                            next
                        }
                    };
                    groups.push(group);
                }
                KeyIndex::Rows { converter, map }
            }
        };
        Ok((index, groups))
    }

    /// The number of distinct keys.
    fn len(&self) -> usize {
        match self {
            KeyIndex::Int64(map) => map.len(),
            KeyIndex::Utf8(map) => map.len(),
            KeyIndex::Rows { map, .. } => map.len(),
        }
    }

    /// The group of each row of `keys` (of the index's key types); `None` where a key is
    /// null or unknown.
    fn lookup(&self, keys: &[ArrayRef]) -> Result<Vec<Option<u32>>> {
        Ok(match (self, keys) {
            (KeyIndex::Int64(map), [key]) => key
                .as_primitive_opt::<Int64Type>()
                .ok_or_else(|| internal("an Int64 key is not an Int64 array"))?
                .iter()
                .map(|v| v.and_then(|v| map.get(&v).copied()))
                .collect(),
            (KeyIndex::Utf8(map), [key]) => key
                .as_string_opt::<i32>()
                .ok_or_else(|| internal("a Utf8 key is not a string array"))?
                .iter()
                .map(|v| v.and_then(|v| map.get(v).copied()))
                .collect(),
            (KeyIndex::Rows { converter, map }, keys) => {
                let rows = converter.convert_columns(keys)?;
                let nulls = keys.iter().fold(None, |acc, k| {
                    arrow::buffer::NullBuffer::union(acc.as_ref(), k.logical_nulls().as_ref())
                });
                rows.iter()
                    .enumerate()
                    .map(|(i, row)| {
                        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                            None
                        } else {
                            map.get(row.as_ref()).copied()
                        }
                    })
                    .collect()
            }
            _ => return Err(internal("key columns do not match the index")),
        })
    }
}

/// A row encoder for these key columns.
fn row_converter(keys: &[ArrayRef]) -> Result<RowConverter> {
    Ok(RowConverter::new(
        keys.iter()
            .map(|k| SortField::new(k.data_type().clone()))
            .collect(),
    )?)
}

/// An error for a state the checks should make impossible.
fn internal(what: &str) -> Error {
    Error::InvalidData(format!("online store: internal inconsistency ({what})"))
}

/// `online/<view>`.
fn view_dir(view: &str) -> String {
    format!("{ONLINE_DIR}/{view}")
}

/// `online/<view>/<file>`.
fn file_path(view: &str, file: &str) -> String {
    format!("{ONLINE_DIR}/{view}/{file}")
}

/// `online/<view>/log`.
fn log_dir(view: &str) -> String {
    format!("{ONLINE_DIR}/{view}/log")
}

/// `online/<view>/log/<seq>.json`.
fn log_path(view: &str, seq: u64) -> String {
    format!("{ONLINE_DIR}/{view}/log/{seq:0width$}.json", width = SEQ_DIGITS)
}

/// The sequence number of a snapshot file name, `None` if it is not one.
fn snapshot_seq(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(SNAPSHOT_PREFIX)?;
    if !name.ends_with(".parquet")
        || name.contains("..")
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return None;
    }
    let digits = rest.get(..SEQ_DIGITS)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A fresh snapshot file name for `seq`, unique to this process and moment.
fn snapshot_name(seq: u64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{SNAPSHOT_PREFIX}{seq:0width$}-{pid}-{nanos}-{count}.parquet",
        width = SEQ_DIGITS,
        pid = std::process::id()
    )
}

/// A store error about an online snapshot file.
fn snapshot_error(location: &str, reason: impl std::fmt::Display) -> Error {
    Error::Store {
        location: location.to_string(),
        reason: format!(
            "{reason}; the online snapshot is unreadable: drop the view's online data and materialize again"
        ),
    }
}

/// Cast `array` to `target`, or [`Error::ColumnType`] if the cast is not supported.
fn cast_column(name: &str, array: &ArrayRef, target: &DataType) -> Result<ArrayRef> {
    if array.data_type() == target {
        return Ok(array.clone());
    }
    cast(array, target).map_err(|e| Error::column_type(name, format!("{target} ({e})"), array.data_type()))
}

/// The first null row of `array`, as an [`Error::InvalidValue`].
fn refuse_nulls(name: &str, array: &ArrayRef, hint: &str) -> Result<()> {
    if array.null_count() == 0 {
        return Ok(());
    }
    let row = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or(0);
    Err(Error::InvalidValue {
        column: name.to_string(),
        row,
        value: "null".into(),
        hint: hint.to_string(),
    })
}

/// The stored type of a join key given as `data_type` (strings as `Utf8`, timestamps as
/// µs UTC), or [`Error::ColumnType`].
fn key_type(name: &str, data_type: &DataType) -> Result<DataType> {
    match ValueType::from_arrow(data_type) {
        Some(ValueType::Float32 | ValueType::Float64) | None => Err(Error::column_type(
            name,
            "a join key type (bool, int32, int64, string, timestamp or date)",
            data_type,
        )),
        Some(vt) => Ok(vt.arrow_type()),
    }
}

/// Validate `key_columns`: at least one, no repeats.
fn check_key_columns(key_columns: &[String]) -> Result<()> {
    if key_columns.is_empty() {
        return Err(Error::param(
            "key_columns",
            "[]",
            "name the view's join key columns (at least one)",
        ));
    }
    let mut seen = BTreeSet::new();
    for key in key_columns {
        if !seen.insert(key.as_str()) {
            return Err(Error::param(
                "key_columns",
                format!("{key_columns:?}"),
                format!("`{key}` is listed twice"),
            ));
        }
    }
    Ok(())
}

/// `rows` in the stored layout: keys, event timestamp (µs UTC), created timestamp (if
/// the view has one), features (the view's types), checked.
fn normalize(view: &FeatureView, key_columns: &[String], rows: &RecordBatch) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    let column = |name: &str| crate::data::table::column(rows, name);
    for key in key_columns {
        let array = column(key)?;
        let target = key_type(key, array.data_type())?;
        let array = cast_column(key, array, &target)?;
        refuse_nulls(
            key,
            &array,
            "a join key may not be null: drop or fill those rows before materializing",
        )?;
        fields.push(Field::new(key, target, false));
        columns.push(array);
    }
    let ts_type = ValueType::Timestamp.arrow_type();
    let timestamp = |name: &str, array: &ArrayRef| -> Result<ArrayRef> {
        if !matches!(array.data_type(), DataType::Timestamp(_, _)) {
            return Err(Error::column_type(name, "a timestamp", array.data_type()));
        }
        cast_column(name, array, &ts_type)
    };
    let event = timestamp(&view.timestamp_field, column(&view.timestamp_field)?)?;
    refuse_nulls(
        &view.timestamp_field,
        &event,
        "an event timestamp may not be null: drop or fill those rows before materializing",
    )?;
    fields.push(Field::new(&view.timestamp_field, ts_type.clone(), false));
    columns.push(event);
    if let Some(created) = &view.created_timestamp_field {
        fields.push(Field::new(created, ts_type.clone(), true));
        columns.push(timestamp(created, column(created)?)?);
    }
    for feature in &view.features {
        let array = column(&feature.name)?;
        if ValueType::from_arrow(array.data_type()) != Some(feature.dtype) {
            return Err(Error::column_type(
                &feature.name,
                format!("{} (its type in feature view `{}`)", feature.dtype, view.name),
                array.data_type(),
            ));
        }
        let target = feature.dtype.arrow_type();
        fields.push(Field::new(&feature.name, target.clone(), true));
        columns.push(cast_column(&feature.name, array, &target)?);
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

/// `batch` (a stored snapshot) in the layout of `schema` (a newer write): columns matched
/// by name and cast, features missing from the snapshot filled with nulls, columns no
/// longer in the view dropped.
fn align(batch: &RecordBatch, schema: &SchemaRef, n_required: usize, location: &str) -> Result<RecordBatch> {
    let n = batch.num_rows();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (i, field) in schema.fields().iter().enumerate() {
        let column = match batch.column_by_name(field.name()) {
            Some(old) if old.data_type() == field.data_type() => old.clone(),
            Some(old) => cast(old, field.data_type()).map_err(|e| Error::Store {
                location: location.to_string(),
                reason: format!(
                    "column `{}` is stored as {} and cannot become {} ({e}); drop the view's online data and materialize again",
                    field.name(),
                    old.data_type(),
                    field.data_type()
                ),
            })?,
            None if i < n_required => {
                return Err(Error::Store {
                    location: location.to_string(),
                    reason: format!(
                        "the online snapshot has no column `{}` (the view's keys or timestamps changed); drop the view's online data and materialize again",
                        field.name()
                    ),
                })
            }
            None => new_null_array(field.data_type(), n),
        };
        columns.push(column);
    }
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Merge `new` into `old` (same schema, keys first, event at `n_keys`, created at
/// `n_keys + 1` if `has_created`): per key the newest row by (event, created, write).
fn merge(
    old: Option<&RecordBatch>,
    new: &RecordBatch,
    n_keys: usize,
    has_created: bool,
) -> Result<(RecordBatch, OnlineWriteSummary)> {
    let n_old = old.map_or(0, RecordBatch::num_rows);
    let all = match old {
        Some(old) => concat_batches(&new.schema(), [old, new])?,
        None => new.clone(),
    };
    let keys: Vec<ArrayRef> = all.columns().iter().take(n_keys).cloned().collect();
    let (index, groups) = KeyIndex::build(&keys)?;
    let timestamps = |i: usize| -> Result<&TimestampMicrosecondArray> {
        all.columns()
            .get(i)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .ok_or_else(|| internal("a timestamp column is not µs"))
    };
    let event = timestamps(n_keys)?;
    let created: Vec<Option<i64>> = if has_created {
        timestamps(n_keys + 1)?.iter().collect()
    } else {
        vec![None; all.num_rows()]
    };
    let n_groups = index.len();
    // Rows are old-then-new, and in write order within the new batch, so the row number
    // is the write order.
    let mut best: Vec<Option<(i64, Option<i64>, u32)>> = vec![None; n_groups];
    let mut has_old = vec![false; n_groups];
    let mut has_new = vec![false; n_groups];
    let rows = groups.iter().zip(event.values().iter()).zip(&created);
    for (row, ((&group, &event), &created)) in (0u32..).zip(rows) {
        let g = group as usize;
        let candidate = (event, created, row);
        if let Some(slot) = best.get_mut(g) {
            if slot.is_none_or(|b| candidate > b) {
                *slot = Some(candidate);
            }
        }
        let seen = if (row as usize) < n_old {
            has_old.get_mut(g)
        } else {
            has_new.get_mut(g)
        };
        if let Some(seen) = seen {
            *seen = true;
        }
    }
    let mut summary = OnlineWriteSummary {
        rows: new.num_rows(),
        ..OnlineWriteSummary::default()
    };
    let mut winners = Vec::with_capacity(n_groups);
    for ((slot, &old_key), &new_key) in best.iter().zip(&has_old).zip(&has_new) {
        let Some((_, _, row)) = *slot else { continue };
        let from_new = row as usize >= n_old;
        match (old_key, new_key, from_new) {
            (false, _, _) => summary.inserted += 1,
            (true, true, true) => summary.updated += 1,
            (true, true, false) => summary.kept_newer += 1,
            (true, false, _) => {}
        }
        winners.push(row);
    }
    winners.sort_unstable();
    let merged = take_record_batch(&all, &UInt32Array::from(winners))?;
    Ok((merged, summary))
}

/// `batch` as Parquet bytes.
fn to_parquet(batch: &RecordBatch, location: &str) -> Result<Bytes> {
    let fail =
        |e: parquet::errors::ParquetError| store_error(location, format!("cannot encode the snapshot: {e}"));
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut buffer = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), Some(props)).map_err(fail)?;
    writer.write(batch).map_err(fail)?;
    writer.close().map_err(fail)?;
    Ok(Bytes::from(buffer))
}

/// The Parquet bytes of a snapshot file as one batch.
fn from_parquet(bytes: Bytes, location: &str) -> Result<RecordBatch> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| snapshot_error(location, format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let reader = builder
        .build()
        .map_err(|e| snapshot_error(location, format!("not a readable Parquet file: {e}")))?;
    let mut batches = Vec::new();
    for batch in reader {
        batches
            .push(batch.map_err(|e| snapshot_error(location, format!("cannot decode Parquet data: {e}")))?);
    }
    concat_batches(&schema, &batches).map_err(|e| snapshot_error(location, e))
}

impl Loaded {
    /// Index a snapshot `batch` named by `pointer` (read from `location`).
    fn new(pointer: Pointer, batch: RecordBatch, location: &str) -> Result<Loaded> {
        if batch.num_rows() != pointer.rows {
            return Err(snapshot_error(
                location,
                format!(
                    "it has {} rows but CURRENT says {}",
                    batch.num_rows(),
                    pointer.rows
                ),
            ));
        }
        let column = |name: &str| {
            batch
                .column_by_name(name)
                .cloned()
                .ok_or_else(|| snapshot_error(location, format!("it has no column `{name}`")))
        };
        let keys = pointer
            .keys
            .iter()
            .map(|k| column(k))
            .collect::<Result<Vec<_>>>()?;
        let event = column(&pointer.timestamp_field)?;
        let event = event
            .as_primitive_opt::<TimestampMicrosecondType>()
            .filter(|e| e.null_count() == 0)
            .cloned()
            .ok_or_else(|| {
                snapshot_error(
                    location,
                    format!(
                        "its event timestamps `{}` are not non-null µs timestamps ({})",
                        pointer.timestamp_field,
                        event.data_type()
                    ),
                )
            })?;
        if let Some(created) = &pointer.created_timestamp_field {
            column(created)?;
        }
        let (index, _) = KeyIndex::build(&keys).map_err(|e| snapshot_error(location, e))?;
        if index.len() != batch.num_rows() {
            return Err(snapshot_error(
                location,
                format!(
                    "it has {} rows but {} distinct keys",
                    batch.num_rows(),
                    index.len()
                ),
            ));
        }
        Ok(Loaded {
            pointer,
            batch,
            index,
            event,
        })
    }

    /// Check that the snapshot is keyed by `key_columns`.
    fn check_keys(&self, view: &str, key_columns: &[String]) -> Result<()> {
        if self.pointer.keys == key_columns {
            return Ok(());
        }
        Err(Error::Store {
            location: file_path(view, &self.pointer.file),
            reason: format!(
                "the online snapshot is keyed by {:?} but the view is now keyed by {key_columns:?}; drop the view's online data and materialize again",
                self.pointer.keys
            ),
        })
    }
}

impl SnapshotOnlineStore {
    /// An online store keeping its snapshots under `online/` in `blob`.
    pub(crate) fn new(blob: Blob) -> Self {
        SnapshotOnlineStore {
            blob,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The cached snapshot of `view`, if any.
    fn cached(&self, view: &str) -> Option<Arc<Loaded>> {
        self.cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(view)
            .cloned()
    }

    /// Cache `loaded` as the snapshot of `view` (or forget it).
    fn remember(&self, view: &str, loaded: Option<Arc<Loaded>>) {
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        match loaded {
            Some(loaded) => cache.insert(view.to_string(), loaded),
            None => cache.remove(view),
        };
    }

    /// The pointer stored at `relative` (`CURRENT` or a log entry), `None` if absent.
    fn read_pointer(&self, relative: &str, seq: Option<u64>) -> Result<Option<Pointer>> {
        let Some(raw) = self.blob.get(relative)? else {
            return Ok(None);
        };
        let pointer: Pointer = serde_json::from_slice(&raw).map_err(|e| Error::Store {
            location: relative.to_string(),
            reason: format!(
                "not a valid online snapshot pointer ({e}); drop the view's online data and materialize again"
            ),
        })?;
        let seq_ok = seq.is_none_or(|s| s == pointer.seq);
        if pointer.format != POINTER_FORMAT || snapshot_seq(&pointer.file) != Some(pointer.seq) || !seq_ok {
            return Err(Error::Store {
                location: relative.to_string(),
                reason: format!(
                    "pointer (format {}, seq {}, file `{}`) is not one this version reads (format {POINTER_FORMAT}, a snapshot file of the same sequence number); drop the view's online data and materialize again",
                    pointer.format, pointer.seq, pointer.file
                ),
            });
        }
        Ok(Some(pointer))
    }

    /// The latest committed pointer of `view`: `CURRENT`, then any log entries committed
    /// after it (a writer between its commit and its update of `CURRENT`, or one that
    /// died there). `None` if the view has no snapshot.
    fn latest(&self, view: &str) -> Result<Option<Pointer>> {
        let mut latest = self.read_pointer(&file_path(view, POINTER), None)?;
        loop {
            let next = latest.as_ref().map_or(1, |p| p.seq.saturating_add(1));
            match self.read_pointer(&log_path(view, next), Some(next))? {
                Some(pointer) => latest = Some(pointer),
                None => return Ok(latest),
            }
        }
    }

    /// Load the snapshot `pointer` names; `None` if its file is gone (replaced since).
    fn load(&self, view: &str, pointer: &Pointer) -> Result<Option<Arc<Loaded>>> {
        if let Some(cached) = self.cached(view) {
            if cached.pointer == *pointer {
                return Ok(Some(cached));
            }
        }
        let location = file_path(view, &pointer.file);
        let Some(bytes) = self.blob.get(&location)? else {
            return Ok(None);
        };
        let batch = from_parquet(bytes, &location)?;
        let loaded = Arc::new(Loaded::new(pointer.clone(), batch, &location)?);
        self.remember(view, Some(loaded.clone()));
        Ok(Some(loaded))
    }

    /// The current snapshot of `view` (reloaded if a newer one was committed), `None` if
    /// the view has none.
    fn current(&self, view: &str) -> Result<Option<Arc<Loaded>>> {
        for _ in 0..LOAD_ATTEMPTS {
            let Some(pointer) = self.latest(view)? else {
                self.remember(view, None);
                return Ok(None);
            };
            if let Some(loaded) = self.load(view, &pointer)? {
                return Ok(Some(loaded));
            }
        }
        Err(Error::Store {
            location: file_path(view, POINTER),
            reason: format!(
                "the snapshot it names was deleted before it could be read, {LOAD_ATTEMPTS} times in a row: writers are replacing snapshots faster than they can be loaded; retry"
            ),
        })
    }

    /// Delete the snapshots of `view` older than `previous_seq`, and log entries more than
    /// [`LOG_KEEP`] behind `seq` (best effort: a failed delete leaves garbage that a later
    /// write removes).
    fn clean(&self, view: &str, seq: u64, previous_seq: u64) {
        if let Ok(names) = self.blob.list_names(&view_dir(view)) {
            for name in names {
                if snapshot_seq(&name).is_some_and(|s| s < previous_seq) {
                    let _ = self.blob.delete(&file_path(view, &name));
                }
            }
        }
        if let Ok(names) = self.blob.list_names(&log_dir(view)) {
            for name in names {
                let entry_seq = name.strip_suffix(".json").and_then(|n| n.parse::<u64>().ok());
                if entry_seq.is_some_and(|s| s.saturating_add(LOG_KEEP) < seq) {
                    let _ = self.blob.delete(&format!("{}/{name}", log_dir(view)));
                }
            }
        }
    }
}

impl OnlineStore for SnapshotOnlineStore {
    fn write(
        &self,
        view: &FeatureView,
        key_columns: &[String],
        rows: &RecordBatch,
    ) -> Result<OnlineWriteSummary> {
        check_view_name(&view.name)?;
        check_key_columns(key_columns)?;
        let new = normalize(view, key_columns, rows)?;
        if new.num_rows() == 0 {
            return Ok(OnlineWriteSummary::default());
        }
        let schema = new.schema();
        // Keys and the event timestamp must be in the stored snapshot; a created timestamp
        // or features added to the view since are filled with nulls (null created = oldest).
        let n_required = key_columns.len() + 1;
        let mut last_reason = String::new();
        for attempt in 1..=WRITE_ATTEMPTS {
            let latest = self.latest(&view.name)?;
            let base = match &latest {
                None => None,
                Some(pointer) => match self.load(&view.name, pointer)? {
                    Some(loaded) => Some(loaded),
                    None => {
                        last_reason = format!("snapshot `{}` was deleted while being read", pointer.file);
                        continue;
                    }
                },
            };
            let old = match &base {
                Some(loaded) => {
                    loaded.check_keys(&view.name, key_columns)?;
                    let location = file_path(&view.name, &loaded.pointer.file);
                    Some(align(&loaded.batch, &schema, n_required, &location)?)
                }
                None => None,
            };
            let (merged, summary) = merge(
                old.as_ref(),
                &new,
                key_columns.len(),
                view.created_timestamp_field.is_some(),
            )?;
            if summary.inserted == 0 && summary.updated == 0 {
                // Every stored row is at least as new: the snapshot stays as it is.
                return Ok(summary);
            }
            let seq = latest.as_ref().map_or(1, |p| p.seq.saturating_add(1));
            let file = snapshot_name(seq);
            let location = file_path(&view.name, &file);
            self.blob.put(&location, to_parquet(&merged, &location)?)?;
            let pointer = Pointer {
                format: POINTER_FORMAT,
                file,
                seq,
                rows: merged.num_rows(),
                written_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                keys: key_columns.to_vec(),
                timestamp_field: view.timestamp_field.clone(),
                created_timestamp_field: view.created_timestamp_field.clone(),
            };
            let json = serde_json::to_vec_pretty(&pointer).map_err(|e| store_error(&location, e))?;
            let json = Bytes::from(json);
            // The commit: exactly one writer creates the log entry of a sequence number.
            if !self
                .blob
                .put_if_absent(&log_path(&view.name, seq), json.clone())?
            {
                self.blob.delete(&location)?;
                last_reason = format!("another writer committed snapshot {seq} first (attempt {attempt})");
                continue;
            }
            // Committed. `CURRENT` only saves readers the walk along the log: if this put
            // fails, or a slower writer puts an older pointer after it, readers still
            // find this snapshot through the log.
            let _ = self.blob.put(&file_path(&view.name, POINTER), json);
            // Indexing the snapshot here saves the next read a reload.
            if let Ok(loaded) = Loaded::new(pointer, merged, &location) {
                self.remember(&view.name, Some(Arc::new(loaded)));
            }
            if let Some(previous) = &latest {
                self.clean(&view.name, seq, previous.seq);
            }
            return Ok(summary);
        }
        Err(Error::Conflict {
            view: view.name.clone(),
            reason: format!(
                "other writers committed a snapshot first {WRITE_ATTEMPTS} times during this write; last: {last_reason}"
            ),
        })
    }

    fn read(
        &self,
        view: &FeatureView,
        key_columns: &[String],
        keys: &RecordBatch,
        features: &[String],
        now_micros: i64,
    ) -> Result<OnlineResult> {
        check_view_name(&view.name)?;
        check_key_columns(key_columns)?;
        if features.is_empty() {
            return Err(Error::param(
                "features",
                "[]",
                format!("name at least one feature of view `{}`", view.name),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut out_fields = Vec::with_capacity(features.len());
        for name in features {
            let feature = view.feature(name).ok_or_else(|| {
                Error::param(
                    "features",
                    name,
                    format!(
                        "view `{}` has no such feature; it has {:?}",
                        view.name,
                        view.features.iter().map(|f| f.name.as_str()).collect::<Vec<_>>()
                    ),
                )
            })?;
            if !seen.insert(name.as_str()) {
                return Err(Error::param("features", name, "the feature is requested twice"));
            }
            out_fields.push(Field::new(name, feature.dtype.arrow_type(), true));
        }
        let request: Vec<&ArrayRef> = key_columns
            .iter()
            .map(|k| crate::data::table::column(keys, k))
            .collect::<Result<_>>()?;
        let n = keys.num_rows();
        let schema = Arc::new(Schema::new(out_fields));
        let Some(loaded) = self.current(&view.name)? else {
            let columns = schema
                .fields()
                .iter()
                .map(|f| new_null_array(f.data_type(), n))
                .collect();
            return Ok(OnlineResult {
                values: RecordBatch::try_new(schema, columns)?,
                status: vec![vec![FeatureStatus::NotFound; n]; features.len()],
                event_micros: vec![None; n],
            });
        };
        loaded.check_keys(&view.name, key_columns)?;
        let mut probe = Vec::with_capacity(key_columns.len());
        for (name, array) in key_columns.iter().zip(request) {
            let stored = loaded
                .batch
                .column_by_name(name)
                .ok_or_else(|| internal("a checked key column is missing"))?
                .data_type();
            probe.push(request_key(name, array, stored)?);
        }
        let rows = loaded.index.lookup(&probe)?;
        let cutoff = view.ttl_micros().map(|ttl| now_micros.saturating_sub(ttl));
        // Per requested key: the row served, or the status of all its features.
        let mut served: Vec<Option<u32>> = Vec::with_capacity(n);
        let mut row_status = Vec::with_capacity(n);
        let mut event_micros = Vec::with_capacity(n);
        for row in rows {
            let event = row.and_then(|r| loaded.event.values().get(r as usize).copied());
            match (row, event) {
                (Some(r), Some(event)) if cutoff.is_none_or(|c| event >= c) => {
                    served.push(Some(r));
                    row_status.push(FeatureStatus::Present);
                    event_micros.push(Some(event));
                }
                (Some(_), Some(_)) => {
                    served.push(None);
                    row_status.push(FeatureStatus::OutsideTtl);
                    event_micros.push(None);
                }
                _ => {
                    served.push(None);
                    row_status.push(FeatureStatus::NotFound);
                    event_micros.push(None);
                }
            }
        }
        let indices = UInt32Array::from(served);
        let mut columns = Vec::with_capacity(features.len());
        let mut status = Vec::with_capacity(features.len());
        for field in schema.fields() {
            let (column, stored) = match loaded.batch.column_by_name(field.name()) {
                Some(stored) => {
                    let taken = take(stored.as_ref(), &indices, None)?;
                    let location = file_path(&view.name, &loaded.pointer.file);
                    let taken = if taken.data_type() == field.data_type() {
                        taken
                    } else {
                        cast(&taken, field.data_type()).map_err(|e| Error::Store {
                            location,
                            reason: format!(
                                "feature `{}` is stored as {} and cannot be served as {} ({e}); materialize the view again",
                                field.name(),
                                taken.data_type(),
                                field.data_type()
                            ),
                        })?
                    };
                    (taken, true)
                }
                None => (new_null_array(field.data_type(), n), false),
            };
            let feature_status = row_status
                .iter()
                .enumerate()
                .map(|(i, &s)| match s {
                    FeatureStatus::Present if !stored => FeatureStatus::NotFound,
                    FeatureStatus::Present if column.is_null(i) => FeatureStatus::NullValue,
                    other => other,
                })
                .collect();
            columns.push(column);
            status.push(feature_status);
        }
        Ok(OnlineResult {
            values: RecordBatch::try_new(schema, columns)?,
            status,
            event_micros,
        })
    }

    fn drop_view(&self, view: &str) -> Result<()> {
        check_view_name(view)?;
        self.blob.delete(&file_path(view, POINTER))?;
        self.blob.delete_prefix(&view_dir(view))?;
        self.remember(view, None);
        Ok(())
    }
}

/// A requested key column cast to the stored key type, or [`Error::ColumnType`].
///
/// String keys accept every string layout; integer keys every integer type (a value that
/// does not fit the stored type cannot be stored, and becomes null: not found); other
/// types their own kind (timestamps of any unit).
fn request_key(name: &str, array: &ArrayRef, stored: &DataType) -> Result<ArrayRef> {
    let given = array.data_type();
    let accepted = match stored {
        _ if given == &DataType::Null => true,
        DataType::Int32 | DataType::Int64 => given.is_integer(),
        _ => {
            ValueType::from_arrow(given).is_some()
                && ValueType::from_arrow(given) == ValueType::from_arrow(stored)
        }
    };
    if !accepted {
        let what = ValueType::from_arrow(stored).map_or_else(|| stored.to_string(), |v| v.to_string());
        return Err(Error::column_type(
            name,
            format!("{what} (the join key's type in the online store; string keys take any string layout, integer keys any integer type)"),
            given,
        ));
    }
    if given == stored {
        return Ok(array.clone());
    }
    cast(array, stored).map_err(|e| Error::column_type(name, format!("{stored} ({e})"), given))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::definitions::Feature;
    use arrow::array::{
        DictionaryArray, Float64Array, Int32Array, Int64Array, LargeStringArray, StringArray,
        StringViewArray, TimestampNanosecondArray,
    };
    use arrow::datatypes::Int32Type;
    use std::sync::atomic::AtomicBool;

    const T0: i64 = 1_700_000_000_000_000;

    fn store() -> (tempfile::TempDir, SnapshotOnlineStore) {
        let dir = tempfile::tempdir().unwrap();
        let blob = Blob::open(dir.path().to_str().unwrap()).unwrap();
        (dir, SnapshotOnlineStore::new(blob))
    }

    fn reopen(dir: &tempfile::TempDir) -> SnapshotOnlineStore {
        SnapshotOnlineStore::new(Blob::open(dir.path().to_str().unwrap()).unwrap())
    }

    fn view() -> FeatureView {
        FeatureView::new(
            "driver_stats",
            ["driver"],
            "event_ts",
            vec![
                Feature::new("rate", ValueType::Float64),
                Feature::new("trips", ValueType::Int64),
            ],
        )
        .with_created_timestamp("created_ts")
    }

    fn keys() -> Vec<String> {
        vec!["driver_id".to_string()]
    }

    fn features() -> Vec<String> {
        vec!["rate".to_string(), "trips".to_string()]
    }

    fn ts(values: Vec<Option<i64>>) -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
    }

    /// A row of `view()`: (driver_id, event, created, rate, trips).
    type Row = (i64, i64, Option<i64>, Option<f64>, Option<i64>);

    /// Rows of `view()`.
    fn rows(data: &[Row]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("driver_id", DataType::Int64, false),
            Field::new("event_ts", ValueType::Timestamp.arrow_type(), false),
            Field::new("created_ts", ValueType::Timestamp.arrow_type(), true),
            Field::new("rate", DataType::Float64, true),
            Field::new("trips", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from_iter_values(data.iter().map(|r| r.0))),
                ts(data.iter().map(|r| Some(r.1)).collect()),
                ts(data.iter().map(|r| r.2).collect()),
                Arc::new(Float64Array::from_iter(data.iter().map(|r| r.3))),
                Arc::new(Int64Array::from_iter(data.iter().map(|r| r.4))),
            ],
        )
        .unwrap()
    }

    fn request(ids: Vec<Option<i64>>) -> RecordBatch {
        RecordBatch::try_from_iter([("driver_id", Arc::new(Int64Array::from(ids)) as ArrayRef)]).unwrap()
    }

    fn rates(result: &OnlineResult) -> Vec<Option<f64>> {
        result
            .values
            .column(0)
            .as_primitive::<arrow::datatypes::Float64Type>()
            .iter()
            .collect()
    }

    fn read_ids(
        store: &SnapshotOnlineStore,
        view: &FeatureView,
        ids: Vec<Option<i64>>,
        now: i64,
    ) -> OnlineResult {
        store
            .read(view, &keys(), &request(ids), &features(), now)
            .unwrap()
    }

    fn snapshot_files(dir: &tempfile::TempDir) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("online/driver_stats"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(SNAPSHOT_PREFIX))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn status_names_match_display_and_serde() {
        for (status, name) in [
            (FeatureStatus::Present, "present"),
            (FeatureStatus::NullValue, "null_value"),
            (FeatureStatus::NotFound, "not_found"),
            (FeatureStatus::OutsideTtl, "outside_ttl"),
        ] {
            assert_eq!(status.to_string(), name);
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{name}\""));
        }
    }

    #[test]
    fn an_older_write_never_overwrites_a_newer_value() {
        let (_dir, store) = store();
        let v = view();
        let first = store
            .write(
                &v,
                &keys(),
                &rows(&[
                    (1, T0 + 100, None, Some(1.0), Some(10)),
                    (2, T0 + 100, None, Some(2.0), Some(20)),
                ]),
            )
            .unwrap();
        assert_eq!(
            first,
            OnlineWriteSummary {
                inserted: 2,
                updated: 0,
                kept_newer: 0,
                rows: 2
            }
        );
        // Key 1: older event (kept); key 2: newer event (updated); key 3: new.
        let second = store
            .write(
                &v,
                &keys(),
                &rows(&[
                    (1, T0 + 50, Some(T0 + 999), Some(9.0), Some(90)),
                    (2, T0 + 200, None, Some(2.5), None),
                    (3, T0 + 10, None, Some(3.0), Some(30)),
                ]),
            )
            .unwrap();
        assert_eq!(
            second,
            OnlineWriteSummary {
                inserted: 1,
                updated: 1,
                kept_newer: 1,
                rows: 3
            }
        );
        let r = read_ids(&store, &v, vec![Some(1), Some(2), Some(3)], T0 + 1000);
        assert_eq!(rates(&r), vec![Some(1.0), Some(2.5), Some(3.0)]);
        assert_eq!(
            r.event_micros,
            vec![Some(T0 + 100), Some(T0 + 200), Some(T0 + 10)]
        );
        // The whole row is replaced, nulls included: key 2's trips are now null.
        assert_eq!(
            r.status[1],
            vec![
                FeatureStatus::Present,
                FeatureStatus::NullValue,
                FeatureStatus::Present
            ]
        );
    }

    #[test]
    fn equal_event_times_are_decided_by_created_then_write_order() {
        let (_dir, store) = store();
        let v = view();
        let e = T0;
        store
            .write(
                &v,
                &keys(),
                &rows(&[
                    (1, e, Some(T0 + 20), Some(1.0), None),
                    (2, e, Some(T0 + 20), Some(2.0), None),
                    (3, e, None, Some(3.0), None),
                    (4, e, Some(T0 + 20), Some(4.0), None),
                    (5, e, None, Some(5.0), None),
                ]),
            )
            .unwrap();
        let s = store
            .write(
                &v,
                &keys(),
                &rows(&[
                    (1, e, Some(T0 + 10), Some(-1.0), None), // created earlier: kept
                    (2, e, Some(T0 + 30), Some(-2.0), None), // created later: updated
                    (3, e, Some(T0), Some(-3.0), None),      // null created is the oldest: updated
                    (4, e, None, Some(-4.0), None),          // null created loses: kept
                    (5, e, None, Some(-5.0), None),          // full tie: the newer write wins
                ]),
            )
            .unwrap();
        assert_eq!(
            s,
            OnlineWriteSummary {
                inserted: 0,
                updated: 3,
                kept_newer: 2,
                rows: 5
            }
        );
        let r = read_ids(&store, &v, (1..=5).map(Some).collect(), e);
        assert_eq!(
            rates(&r),
            vec![Some(1.0), Some(-2.0), Some(-3.0), Some(4.0), Some(-5.0)]
        );
    }

    #[test]
    fn several_rows_of_one_key_in_a_write_keep_the_newest() {
        let (_dir, store) = store();
        let v = view();
        let s = store
            .write(
                &v,
                &keys(),
                &rows(&[
                    (1, T0 + 5, None, Some(5.0), None),
                    (1, T0 + 9, None, Some(9.0), None),
                    (1, T0 + 7, None, Some(7.0), None),
                    (2, T0, None, Some(1.0), None),
                    (2, T0, None, Some(2.0), None), // tie: the later row wins
                ]),
            )
            .unwrap();
        assert_eq!(
            s,
            OnlineWriteSummary {
                inserted: 2,
                updated: 0,
                kept_newer: 0,
                rows: 5
            }
        );
        let r = read_ids(&store, &v, vec![Some(1), Some(2)], T0);
        assert_eq!(rates(&r), vec![Some(9.0), Some(2.0)]);
    }

    #[test]
    fn ttl_bound_is_inclusive_and_future_values_are_served() {
        let (_dir, store) = store();
        let v = view().with_ttl_seconds(10);
        store
            .write(&v, &keys(), &rows(&[(1, T0, None, Some(1.0), Some(1))]))
            .unwrap();
        let at = |now: i64| read_ids(&store, &v, vec![Some(1)], now);
        let edge = at(T0 + 10_000_000);
        assert_eq!(
            edge.status,
            vec![vec![FeatureStatus::Present], vec![FeatureStatus::Present]]
        );
        assert_eq!(edge.event_micros, vec![Some(T0)]);
        let late = at(T0 + 10_000_001);
        assert_eq!(
            late.status,
            vec![vec![FeatureStatus::OutsideTtl], vec![FeatureStatus::OutsideTtl]]
        );
        assert_eq!(rates(&late), vec![None]);
        assert_eq!(late.event_micros, vec![None]);
        let future = at(T0 - 5_000_000_000);
        assert_eq!(future.status[0], vec![FeatureStatus::Present]);
        // No TTL (None or 0): forever.
        for forever in [view(), view().with_ttl_seconds(0)] {
            let r = read_ids(&store, &forever, vec![Some(1)], T0 + 1_000_000_000_000_000);
            assert_eq!(r.status[0], vec![FeatureStatus::Present]);
        }
    }

    #[test]
    fn missing_keys_null_keys_and_null_values_have_their_status() {
        let (_dir, store) = store();
        let v = view();
        // Nothing materialized yet: everything not found, typed columns.
        let empty = read_ids(&store, &v, vec![Some(1), None], T0);
        assert_eq!(empty.status, vec![vec![FeatureStatus::NotFound; 2]; 2]);
        assert_eq!(empty.values.schema().field(1).data_type(), &DataType::Int64);
        assert_eq!(empty.values.num_rows(), 2);
        store
            .write(
                &v,
                &keys(),
                &rows(&[(1, T0, None, Some(1.0), None), (2, T0, None, None, Some(7))]),
            )
            .unwrap();
        let r = read_ids(&store, &v, vec![Some(2), Some(99), None, Some(1)], T0);
        use FeatureStatus::*;
        assert_eq!(r.status[0], vec![NullValue, NotFound, NotFound, Present]);
        assert_eq!(r.status[1], vec![Present, NotFound, NotFound, NullValue]);
        assert_eq!(rates(&r), vec![None, None, None, Some(1.0)]);
        let trips: Vec<Option<i64>> = r.values.column(1).as_primitive::<Int64Type>().iter().collect();
        assert_eq!(trips, vec![Some(7), None, None, None]);
        assert_eq!(r.event_micros, vec![Some(T0), None, None, Some(T0)]);
        // No keys: no rows.
        let none = read_ids(&store, &v, vec![], T0);
        assert_eq!((none.values.num_rows(), none.status.len()), (0, 2));
        assert!(none.status.iter().all(Vec::is_empty) && none.event_micros.is_empty());
        // One feature, in any order.
        let one = store
            .read(&v, &keys(), &request(vec![Some(2)]), &["trips".to_string()], T0)
            .unwrap();
        assert_eq!(one.values.num_columns(), 1);
        assert_eq!(one.values.schema().field(0).name(), "trips");
    }

    #[test]
    fn multi_column_and_string_keys_accept_other_layouts() {
        let (_dir, store) = store();
        let v = FeatureView::new(
            "trips",
            ["city_driver"],
            "ts",
            vec![Feature::new("n", ValueType::Int32)],
        );
        let key_cols = vec!["city".to_string(), "driver".to_string()];
        let data = RecordBatch::try_from_iter([
            (
                "city",
                Arc::new(StringArray::from(vec!["paris", "paris", "oslo"])) as ArrayRef,
            ),
            ("driver", Arc::new(Int32Array::from(vec![1, 2, 1])) as ArrayRef),
            // Naive nanoseconds are converted to µs UTC on write.
            (
                "ts",
                Arc::new(TimestampNanosecondArray::from(vec![T0 * 1000; 3])) as ArrayRef,
            ),
            ("n", Arc::new(Int32Array::from(vec![10, 20, 30])) as ArrayRef),
        ])
        .unwrap();
        assert_eq!(store.write(&v, &key_cols, &data).unwrap().inserted, 3);
        let req = RecordBatch::try_from_iter([
            (
                "driver",
                Arc::new(Int64Array::from(vec![
                    Some(1),
                    Some(2),
                    Some(2),
                    None,
                    Some(1 << 40),
                ])) as ArrayRef,
            ),
            (
                "city",
                Arc::new(LargeStringArray::from(vec![
                    Some("oslo"),
                    Some("paris"),
                    Some("oslo"),
                    Some("paris"),
                    Some("paris"),
                ])) as ArrayRef,
            ),
        ])
        .unwrap();
        let r = store.read(&v, &key_cols, &req, &["n".to_string()], T0).unwrap();
        let n: Vec<Option<i32>> = r.values.column(0).as_primitive::<Int32Type>().iter().collect();
        assert_eq!(n, vec![Some(30), Some(20), None, None, None]);
        use FeatureStatus::*;
        assert_eq!(r.status[0], vec![Present, Present, NotFound, NotFound, NotFound]);
        assert_eq!(r.event_micros[0], Some(T0));

        // A single string key, requested as a view and as a dictionary.
        let sv = FeatureView::new(
            "by_name",
            ["person"],
            "ts",
            vec![Feature::new("n", ValueType::Int32)],
        );
        let name_key = vec!["name".to_string()];
        let data = RecordBatch::try_from_iter([
            (
                "name",
                Arc::new(StringViewArray::from(vec!["ann", "bob"])) as ArrayRef,
            ),
            ("ts", ts(vec![Some(T0), Some(T0)])),
            ("n", Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef),
        ])
        .unwrap();
        store.write(&sv, &name_key, &data).unwrap();
        let dict: DictionaryArray<Int32Type> = vec!["bob", "zed", "ann"].into_iter().collect();
        let req = RecordBatch::try_from_iter([("name", Arc::new(dict) as ArrayRef)]).unwrap();
        let r = store.read(&sv, &name_key, &req, &["n".to_string()], T0).unwrap();
        let n: Vec<Option<i32>> = r.values.column(0).as_primitive::<Int32Type>().iter().collect();
        assert_eq!(n, vec![Some(2), None, Some(1)]);
    }

    #[test]
    fn bad_requests_and_rows_get_clear_errors() {
        let (_dir, store) = store();
        let v = view();
        store
            .write(&v, &keys(), &rows(&[(1, T0, None, Some(1.0), None)]))
            .unwrap();
        let wrong =
            RecordBatch::try_from_iter([("driver_id", Arc::new(StringArray::from(vec!["1"])) as ArrayRef)])
                .unwrap();
        let e = store.read(&v, &keys(), &wrong, &features(), T0).unwrap_err();
        assert!(
            matches!(e, Error::ColumnType { ref column, .. } if column == "driver_id"),
            "{e}"
        );
        let missing =
            RecordBatch::try_from_iter([("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]).unwrap();
        let e = store.read(&v, &keys(), &missing, &features(), T0).unwrap_err();
        assert!(
            matches!(e, Error::ColumnNotFound { ref column, .. } if column == "driver_id"),
            "{e}"
        );
        let e = store
            .read(&v, &keys(), &request(vec![Some(1)]), &["speed".to_string()], T0)
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidParameter { .. }) && e.to_string().contains("speed"),
            "{e}"
        );
        assert!(matches!(
            store.read(&v, &keys(), &request(vec![Some(1)]), &[], T0),
            Err(Error::InvalidParameter { .. })
        ));
        let twice = vec!["rate".to_string(), "rate".to_string()];
        assert!(matches!(
            store.read(&v, &keys(), &request(vec![Some(1)]), &twice, T0),
            Err(Error::InvalidParameter { .. })
        ));
        // A view now keyed differently than its snapshot.
        let e = store.read(
            &v,
            &["other".to_string()],
            &request(vec![Some(1)]),
            &features(),
            T0,
        );
        assert!(matches!(e, Err(Error::ColumnNotFound { .. })));
        let rekeyed =
            RecordBatch::try_from_iter([("other", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]).unwrap();
        let e = store
            .read(&v, &["other".to_string()], &rekeyed, &features(), T0)
            .unwrap_err();
        assert!(
            matches!(e, Error::Store { .. }) && e.to_string().contains("drop"),
            "{e}"
        );

        // Writes: null key, missing feature, wrong feature type, bad view name.
        let mut with_null = rows(&[(1, T0, None, Some(1.0), None), (2, T0, None, None, None)])
            .columns()
            .to_vec();
        with_null[0] = Arc::new(Int64Array::from(vec![Some(1), None]));
        let schema = Arc::new(Schema::new(
            rows(&[])
                .schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        ));
        let with_null = RecordBatch::try_new(schema, with_null).unwrap();
        let e = store.write(&v, &keys(), &with_null).unwrap_err();
        assert!(matches!(e, Error::InvalidValue { row: 1, .. }), "{e}");
        let dropped = rows(&[(1, T0, None, Some(1.0), None)])
            .project(&[0, 1, 2, 3])
            .unwrap();
        assert!(
            matches!(store.write(&v, &keys(), &dropped), Err(Error::ColumnNotFound { ref column, .. }) if column == "trips")
        );
        let float_trips = FeatureView::new(
            "driver_stats",
            ["driver"],
            "event_ts",
            vec![Feature::new("trips", ValueType::Float64)],
        );
        assert!(matches!(
            store.write(&float_trips, &keys(), &rows(&[(1, T0, None, None, None)])),
            Err(Error::ColumnType { .. })
        ));
        let hostile = FeatureView {
            name: "../x".into(),
            ..view()
        };
        assert!(matches!(
            store.write(&hostile, &keys(), &rows(&[])),
            Err(Error::InvalidName { .. })
        ));
        assert!(matches!(store.drop_view("../x"), Err(Error::InvalidName { .. })));
    }

    #[test]
    fn another_process_sees_new_snapshots_without_restart() {
        let (dir, writer) = store();
        let v = view();
        writer
            .write(&v, &keys(), &rows(&[(1, T0, None, Some(1.0), None)]))
            .unwrap();
        let server = reopen(&dir);
        assert_eq!(
            rates(&read_ids(&server, &v, vec![Some(1), Some(2)], T0)),
            vec![Some(1.0), None]
        );
        writer
            .write(
                &v,
                &keys(),
                &rows(&[(1, T0 + 1, None, Some(1.5), None), (2, T0, None, Some(2.0), None)]),
            )
            .unwrap();
        assert_eq!(
            rates(&read_ids(&server, &v, vec![Some(1), Some(2)], T0)),
            vec![Some(1.5), Some(2.0)]
        );
        // The server writes too; the first store picks it up and merges into it.
        server
            .write(&v, &keys(), &rows(&[(3, T0, None, Some(3.0), None)]))
            .unwrap();
        let s = writer
            .write(&v, &keys(), &rows(&[(4, T0, None, Some(4.0), None)]))
            .unwrap();
        assert_eq!(s.inserted, 1);
        assert_eq!(
            rates(&read_ids(&server, &v, (1..=4).map(Some).collect(), T0)),
            vec![Some(1.5), Some(2.0), Some(3.0), Some(4.0)]
        );
        // Four writes: the current and the previous snapshot are kept.
        let files = snapshot_files(&dir);
        assert_eq!(files.len(), 2, "{files:?}");
        let pointer: Pointer =
            serde_json::from_slice(&std::fs::read(dir.path().join("online/driver_stats/CURRENT")).unwrap())
                .unwrap();
        assert_eq!((pointer.seq, pointer.rows), (4, 4));
        assert_eq!(files.last(), Some(&pointer.file));
        assert_eq!(snapshot_seq(&pointer.file), Some(4));

        // Dropping removes everything; other stores see it on their next read.
        writer.drop_view("driver_stats").unwrap();
        assert!(!dir
            .path()
            .join("online/driver_stats")
            .join(&pointer.file)
            .exists());
        assert_eq!(
            read_ids(&server, &v, vec![Some(1)], T0).status[0],
            vec![FeatureStatus::NotFound]
        );
        let s = writer
            .write(&v, &keys(), &rows(&[(1, T0, None, Some(1.0), None)]))
            .unwrap();
        assert_eq!(s.inserted, 1);
        assert_eq!(rates(&read_ids(&server, &v, vec![Some(1)], T0)), vec![Some(1.0)]);
    }

    #[test]
    fn a_feature_added_to_the_view_is_not_found_until_materialized() {
        let (_dir, store) = store();
        let narrow = FeatureView::new(
            "driver_stats",
            ["driver"],
            "event_ts",
            vec![Feature::new("rate", ValueType::Float64)],
        );
        let data = rows(&[(1, T0, None, Some(1.0), None)])
            .project(&[0, 1, 3])
            .unwrap();
        store.write(&narrow, &keys(), &data).unwrap();
        let wide = view();
        let r = read_ids(&store, &wide, vec![Some(1)], T0);
        assert_eq!(
            r.status,
            vec![vec![FeatureStatus::Present], vec![FeatureStatus::NotFound]]
        );
        // The next write of the wider view keeps key 1 (its new feature null) and adds key 2.
        let s = store
            .write(&wide, &keys(), &rows(&[(2, T0, None, Some(2.0), Some(2))]))
            .unwrap();
        assert_eq!((s.inserted, s.updated), (1, 0));
        let r = read_ids(&store, &wide, vec![Some(1), Some(2)], T0);
        assert_eq!(
            r.status[1],
            vec![FeatureStatus::NullValue, FeatureStatus::Present]
        );
        assert_eq!(rates(&r), vec![Some(1.0), Some(2.0)]);
    }

    #[test]
    fn a_corrupted_snapshot_or_pointer_is_an_error_naming_the_file() {
        let (dir, store) = store();
        let v = view();
        store
            .write(&v, &keys(), &rows(&[(1, T0, None, Some(1.0), None)]))
            .unwrap();
        let file = snapshot_files(&dir).pop().unwrap();
        std::fs::write(
            dir.path().join("online/driver_stats").join(&file),
            b"PAR1 not really",
        )
        .unwrap();
        let fresh = reopen(&dir);
        let e = fresh
            .read(&v, &keys(), &request(vec![Some(1)]), &features(), T0)
            .unwrap_err();
        assert!(matches!(e, Error::Store { .. }), "{e}");
        assert!(e.to_string().contains(&file), "{e}");
        let e = fresh
            .write(&v, &keys(), &rows(&[(2, T0, None, None, None)]))
            .unwrap_err();
        assert!(e.to_string().contains(&file), "{e}");
        std::fs::write(dir.path().join("online/driver_stats/CURRENT"), b"{not json").unwrap();
        let e = fresh
            .read(&v, &keys(), &request(vec![Some(1)]), &features(), T0)
            .unwrap_err();
        assert!(
            matches!(e, Error::Store { .. }) && e.to_string().contains("CURRENT"),
            "{e}"
        );
        // drop_view clears the damage.
        fresh.drop_view("driver_stats").unwrap();
        fresh
            .write(&v, &keys(), &rows(&[(2, T0, None, None, None)]))
            .unwrap();
    }

    #[test]
    fn nothing_is_written_when_nothing_changes() {
        let (dir, store) = store();
        let v = view();
        assert_eq!(
            store.write(&v, &keys(), &rows(&[])).unwrap(),
            OnlineWriteSummary::default()
        );
        assert!(!dir.path().join("online/driver_stats").exists());
        store
            .write(&v, &keys(), &rows(&[(1, T0, None, Some(1.0), None)]))
            .unwrap();
        let before = snapshot_files(&dir);
        let s = store
            .write(&v, &keys(), &rows(&[(1, T0 - 1, None, Some(0.0), None)]))
            .unwrap();
        assert_eq!(
            s,
            OnlineWriteSummary {
                inserted: 0,
                updated: 0,
                kept_newer: 1,
                rows: 1
            }
        );
        assert_eq!(snapshot_files(&dir), before);
    }

    #[test]
    fn concurrent_writers_never_lose_a_merge() {
        // Four "processes" (stores on one directory) write distinct keys at once; a write
        // that keeps losing the commit race reports a conflict and is retried, as the
        // error says. Every key must be in the final snapshot.
        let (dir, _) = store();
        let v = view();
        let writers: Vec<_> = (0..4_i64)
            .map(|t| {
                let store = reopen(&dir);
                let v = v.clone();
                std::thread::spawn(move || {
                    let mut conflicts = 0;
                    for b in 0..5_i64 {
                        let key = t * 100 + b;
                        let data = rows(&[(key, T0, None, Some(key as f64), Some(key))]);
                        loop {
                            match store.write(&v, &keys(), &data) {
                                Ok(s) => {
                                    assert_eq!(s.inserted, 1);
                                    break;
                                }
                                Err(Error::Conflict { .. }) => conflicts += 1,
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                    conflicts
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let ids: Vec<Option<i64>> = (0..4)
            .flat_map(|t| (0..5).map(move |b| Some(t * 100 + b)))
            .collect();
        let r = read_ids(&reopen(&dir), &v, ids.clone(), T0);
        let expected: Vec<Option<f64>> = ids.iter().map(|id| id.map(|k| k as f64)).collect();
        assert_eq!(rates(&r), expected);
        let pointer: Pointer =
            serde_json::from_slice(&std::fs::read(dir.path().join("online/driver_stats/CURRENT")).unwrap())
                .unwrap();
        assert_eq!(pointer.rows, 20);
    }

    #[test]
    fn a_commit_whose_current_was_not_updated_is_still_found() {
        // A writer that died (or stalled) between its log commit and its update of CURRENT.
        let (dir, store) = store();
        let v = view();
        store
            .write(&v, &keys(), &rows(&[(1, T0, None, Some(1.0), None)]))
            .unwrap();
        let current = dir.path().join("online/driver_stats/CURRENT");
        let first = std::fs::read(&current).unwrap();
        store
            .write(&v, &keys(), &rows(&[(1, T0 + 1, None, Some(2.0), None)]))
            .unwrap();
        std::fs::write(&current, &first).unwrap();
        let server = reopen(&dir);
        assert_eq!(rates(&read_ids(&server, &v, vec![Some(1)], T0)), vec![Some(2.0)]);
        // A third write builds on the newest commit, not on the stale CURRENT.
        let s = server
            .write(&v, &keys(), &rows(&[(2, T0, None, Some(3.0), None)]))
            .unwrap();
        assert_eq!(s.inserted, 1);
        let pointer: Pointer = serde_json::from_slice(&std::fs::read(&current).unwrap()).unwrap();
        assert_eq!((pointer.seq, pointer.rows), (3, 2));
        assert_eq!(
            rates(&read_ids(&store, &v, vec![Some(1), Some(2)], T0)),
            vec![Some(2.0), Some(3.0)]
        );
        assert!(dir
            .path()
            .join("online/driver_stats/log/00000000000000000003.json")
            .exists());
    }

    #[test]
    fn concurrent_reads_never_see_a_torn_snapshot() {
        let (dir, store) = store();
        let store = Arc::new(store);
        let other = Arc::new(reopen(&dir));
        let v = view();
        let n_keys = 40_i64;
        let version = |ver: i64| {
            let data: Vec<_> = (0..n_keys)
                .map(|k| (k, T0 + ver, None, Some(ver as f64), Some(ver)))
                .collect();
            rows(&data)
        };
        store.write(&v, &keys(), &version(0)).unwrap();
        let done = Arc::new(AtomicBool::new(false));
        // Every reader has read once before the writes start, so reads overlap the writes.
        let started = Arc::new(std::sync::Barrier::new(5));
        let readers: Vec<_> = (0..4)
            .map(|i| {
                let reader = if i % 2 == 0 { store.clone() } else { other.clone() };
                let done = done.clone();
                let started = started.clone();
                let v = v.clone();
                std::thread::spawn(move || {
                    let mut seen = BTreeSet::new();
                    let mut reads = 0;
                    while !done.load(Ordering::SeqCst) || reads == 0 {
                        let r = read_ids(&reader, &v, (0..n_keys).map(Some).collect(), T0);
                        let values = rates(&r);
                        let first = values[0].unwrap();
                        assert!(values.iter().all(|x| *x == Some(first)), "torn read: {values:?}");
                        assert!(r.event_micros.iter().all(|e| *e == Some(T0 + first as i64)));
                        // A later read never serves an older snapshot.
                        assert!(
                            seen.last().is_none_or(|&last| first as i64 >= last),
                            "{seen:?} then {first}"
                        );
                        seen.insert(first as i64);
                        reads += 1;
                        if reads == 1 {
                            started.wait();
                        }
                    }
                    seen
                })
            })
            .collect();
        started.wait();
        for ver in 1..=12 {
            store.write(&v, &keys(), &version(ver)).unwrap();
        }
        done.store(true, Ordering::SeqCst);
        for reader in readers {
            let seen = reader.join().unwrap();
            assert!(seen.iter().all(|s| (0..=12).contains(s)), "{seen:?}");
        }
        assert_eq!(rates(&read_ids(&other, &v, vec![Some(0)], T0)), vec![Some(12.0)]);
    }
}
