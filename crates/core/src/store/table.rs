//! One feature view's Delta Lake table: create, commit writes (append, overwrite,
//! upsert), list the data files of a version, read them, and list the history.
//!
//! deltalake-core is used without DataFusion: it owns the transaction log, atomic
//! commits, conflict detection and time travel; the data files are written by its
//! `RecordBatchWriter` and read here with the `parquet` crate. Upserts are
//! copy-on-write: the files holding rows with an upserted (keys, event timestamp) are
//! rewritten without them in the same commit that adds the new rows, so every Delta
//! reader (Spark, DuckDB, Polars, `deltalake`) sees the upserted table.
//!
//! Every data file we add carries the Add-action tag `ferrops.write_order`: the table
//! version it was written for. Point-in-time ties (same keys, same event and created
//! timestamps) go to the later write, and a rewritten file keeps its original order.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use deltalake_core::kernel::engine::arrow_conversion::{TryIntoArrow, TryIntoKernel};
use deltalake_core::kernel::transaction::{CommitBuilder, CommitProperties, TransactionError};
use deltalake_core::kernel::{Action, Add, Remove};
use deltalake_core::protocol::{DeltaOperation, SaveMode};
use deltalake_core::writer::{DeltaWriter, RecordBatchWriter};
use deltalake_core::{DeltaTable, DeltaTableBuilder, DeltaTableError, ObjectStore};
use futures::TryStreamExt;
// `ParquetObjectReader` is deprecated in parquet 59 in favour of hand-written readers;
// it still does exactly what is needed here (ranged GETs of the footer and chunks), as
// in deltalake-core itself.
#[allow(deprecated)]
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
use parquet::arrow::ProjectionMask;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use url::Url;

use super::blob::Blob;
use crate::error::{Error, Result};

/// How many times an append is re-committed after losing to a concurrent commit.
const APPEND_RETRIES: usize = 32;

/// The Add-action tag holding a file's write order.
pub(crate) const WRITE_ORDER_TAG: &str = "ferrops.write_order";

/// How a write combines with the rows already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteMode {
    /// Add the rows; earlier rows stay.
    Append,
    /// Replace every stored row.
    Overwrite,
    /// Replace stored rows with the same join keys and event timestamp, add the rest.
    Upsert,
}

impl WriteMode {
    /// `append`, `overwrite` or `upsert`.
    pub fn name(self) -> &'static str {
        match self {
            WriteMode::Append => "append",
            WriteMode::Overwrite => "overwrite",
            WriteMode::Upsert => "upsert",
        }
    }

    /// Parse [`WriteMode::name`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`].
    pub fn parse(name: &str) -> Result<WriteMode> {
        match name {
            "append" => Ok(WriteMode::Append),
            "overwrite" => Ok(WriteMode::Overwrite),
            "upsert" => Ok(WriteMode::Upsert),
            _ => Err(Error::param(
                "mode",
                name,
                "one of \"append\", \"overwrite\", \"upsert\"",
            )),
        }
    }
}

/// One data file of a table version.
#[derive(Debug, Clone)]
pub(crate) struct DataFile {
    /// Path relative to the table root.
    pub(crate) path: String,
    /// The Remove action that drops this file from the table.
    pub(crate) remove: Remove,
    /// The write order tag (0 for files written by other engines).
    pub(crate) write_order: u64,
    /// Modification time (ms), the secondary order for untagged files.
    pub(crate) modification_time: i64,
    /// Event-timestamp range in µs from the file statistics, widened by 1 ms because
    /// Delta statistics keep timestamps at millisecond precision.
    pub(crate) event_range: Option<(i64, i64)>,
}

/// One commit of a table, as `history` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Table version.
    pub version: u64,
    /// Commit time, ms since the epoch (UTC).
    pub timestamp_ms: Option<i64>,
    /// The Delta operation (`CREATE TABLE`, `WRITE`, `MERGE`, …).
    pub operation: String,
    /// `append`, `overwrite` or `upsert` for ferrops writes; the Delta mode otherwise.
    pub mode: Option<String>,
    /// Rows in the files this commit added (when the log has statistics).
    pub rows_added: u64,
    /// Data files added.
    pub files_added: u64,
    /// Data files removed.
    pub files_removed: u64,
    /// Rows of the input batch (ferrops writes).
    pub rows_written: Option<u64>,
    /// The engine that wrote the commit.
    pub engine: Option<String>,
}

/// A deltalake error as a store error, conflicts as [`Error::Conflict`].
pub(crate) fn delta_error(view: &str, e: DeltaTableError) -> Error {
    match &e {
        DeltaTableError::Transaction {
            source:
                TransactionError::CommitConflict(_)
                | TransactionError::VersionAlreadyExists(_)
                | TransactionError::MaxCommitAttempts(_),
        }
        | DeltaTableError::VersionAlreadyExists(_) => Error::Conflict {
            view: view.to_string(),
            reason: e.to_string(),
        },
        _ => Error::Store {
            location: format!("feature view `{view}`"),
            reason: e.to_string(),
        },
    }
}

/// A feature view's table.
#[derive(Debug, Clone)]
pub(crate) struct ViewTable {
    pub(crate) view: String,
    pub(crate) url: Url,
}

impl ViewTable {
    pub(crate) fn new(blob: &Blob, view: &str) -> Result<ViewTable> {
        Ok(ViewTable {
            view: view.to_string(),
            url: blob.url_of(&format!("views/{view}"))?,
        })
    }

    fn err(&self, e: DeltaTableError) -> Error {
        delta_error(&self.view, e)
    }

    /// Load the latest version, or the one given.
    pub(crate) async fn load(&self, version: Option<u64>) -> Result<DeltaTable> {
        let builder = DeltaTableBuilder::from_url(self.url.clone()).map_err(|e| self.err(e))?;
        let Some(v) = version else {
            return builder.load().await.map_err(|e| self.err(e));
        };
        match builder.with_version(v).load().await {
            Ok(table) => Ok(table),
            Err(e) => {
                // Say which versions exist rather than the log reader's internals.
                let latest = DeltaTableBuilder::from_url(self.url.clone())
                    .map_err(|e| self.err(e))?
                    .load()
                    .await
                    .map_err(|e| self.err(e))?
                    .version()
                    .unwrap_or(0);
                if v > latest {
                    Err(Error::Store {
                        location: format!("feature view `{}`", self.view),
                        reason: format!(
                            "version {v} does not exist: the latest is {latest}; see history() for the versions"
                        ),
                    })
                } else {
                    Err(self.err(e))
                }
            }
        }
    }

    /// Load the version current at `timestamp_ms`.
    pub(crate) async fn load_at(&self, timestamp_ms: i64) -> Result<DeltaTable> {
        let mut table = self.load(None).await?;
        let datetime = chrono::DateTime::from_timestamp_millis(timestamp_ms)
            .ok_or_else(|| Error::param("timestamp", timestamp_ms, "a representable time"))?;
        let before = || Error::Store {
            location: format!("feature view `{}`", self.view),
            reason: format!("the table did not exist yet at {datetime}; see history() for commit times"),
        };
        table.load_with_datetime(datetime).await.map_err(|e| match e {
            DeltaTableError::InvalidDateTimeString { .. } | DeltaTableError::InvalidVersion(_) => before(),
            e => self.err(e),
        })?;
        // deltalake falls back to the first version for a time before it: refuse instead.
        let version = table.version().unwrap_or(0);
        if let Some(bytes) = table
            .log_store()
            .read_commit_entry(version)
            .await
            .map_err(|e| self.err(e))?
        {
            if let Ok(entry) = parse_commit(version, &bytes) {
                if entry.timestamp_ms.is_some_and(|t| t > timestamp_ms) {
                    return Err(before());
                }
            }
        }
        Ok(table)
    }

    /// Load the version `as_of` names.
    pub(crate) async fn load_as_of(&self, as_of: super::AsOf) -> Result<DeltaTable> {
        match as_of {
            super::AsOf::Latest => self.load(None).await,
            super::AsOf::Version(v) => self.load(Some(v)).await,
            super::AsOf::TimestampMillis(t) => self.load_at(t).await,
        }
    }

    /// Every row of a loaded version, files in write order.
    pub(crate) async fn read_all(&self, table: &DeltaTable, event: Option<&str>) -> Result<RecordBatch> {
        let files = self.files_of(table, event).await?;
        let delta_schema = table.snapshot().map_err(|e| self.err(e))?.schema();
        let store = table.object_store();
        let arrow_schema: arrow::datatypes::Schema =
            delta_schema.as_ref().try_into_arrow().map_err(|e| Error::Store {
                location: format!("feature view `{}`", self.view),
                reason: format!("table schema has no Arrow form: {e}"),
            })?;
        let mut parts = Vec::with_capacity(files.len());
        for file in &files {
            parts.push(read_file(&store, &self.view, &file.path, delta_schema.as_ref(), None, None).await?);
        }
        Ok(arrow::compute::concat_batches(&Arc::new(arrow_schema), &parts)?)
    }

    /// Add nullable columns (schema evolution). Returns the new version.
    pub(crate) async fn add_columns(&self, features: &[super::Feature]) -> Result<u64> {
        let table = self.load(None).await?;
        let fields: Vec<arrow::datatypes::Field> = features
            .iter()
            .map(|f| arrow::datatypes::Field::new(&f.name, f.dtype.arrow_type(), true))
            .collect();
        let schema = arrow::datatypes::Schema::new(fields);
        let delta: deltalake_core::kernel::StructType =
            (&schema).try_into_kernel().map_err(|e| Error::Store {
                location: format!("feature view `{}`", self.view),
                reason: format!("cannot express the new columns in Delta Lake: {e}"),
            })?;
        let table = table
            .add_columns()
            .with_fields(delta.fields().cloned().collect::<Vec<_>>())
            .await
            .map_err(|e| self.err(e))?;
        Ok(table.version().unwrap_or(0) as u64)
    }

    /// Whether the table has been created.
    pub(crate) async fn exists(&self) -> Result<bool> {
        let table = DeltaTableBuilder::from_url(self.url.clone())
            .map_err(|e| self.err(e))?
            .build()
            .map_err(|e| self.err(e))?;
        table.verify_deltatable_existence().await.map_err(|e| self.err(e))
    }

    /// Create the table with `schema` (version 0).
    pub(crate) async fn create(&self, schema: &SchemaRef, description: Option<&str>) -> Result<()> {
        let delta_schema: deltalake_core::kernel::StructType =
            schema.as_ref().try_into_kernel().map_err(|e| Error::Store {
                location: format!("feature view `{}`", self.view),
                reason: format!("cannot express the schema in Delta Lake: {e}"),
            })?;
        let table = DeltaTableBuilder::from_url(self.url.clone())
            .map_err(|e| self.err(e))?
            .build()
            .map_err(|e| self.err(e))?;
        let mut create = table
            .create()
            .with_table_name(&self.view)
            .with_columns(delta_schema.fields().cloned())
            .with_save_mode(SaveMode::ErrorIfExists);
        if let Some(d) = description {
            create = create.with_comment(d);
        }
        create.await.map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Commit `batch` (already in the table schema) with `mode`; `keys` are the join
    /// key columns and `event` the event-timestamp column (for upserts). Returns the new
    /// version.
    pub(crate) async fn write(
        &self,
        batch: &RecordBatch,
        mode: WriteMode,
        keys: &[String],
        event: &str,
    ) -> Result<u64> {
        let table = self.load(None).await?;
        let read_version = table.version().unwrap_or(0);
        let order = read_version + 1;
        let mut actions: Vec<Action> = Vec::new();
        let mut removed_files = 0usize;
        match mode {
            WriteMode::Append => {}
            WriteMode::Overwrite => {
                let files: Vec<_> = table
                    .get_active_add_actions_by_predicate(None)
                    .try_collect()
                    .await
                    .map_err(|e| self.err(e))?;
                for file in files {
                    actions.push(Action::Remove(file.remove_action(true)));
                    removed_files += 1;
                }
            }
            WriteMode::Upsert => {
                let (rewrite_actions, removed) = self.rewrite_without(&table, batch, keys, event).await?;
                actions.extend(rewrite_actions);
                removed_files = removed;
            }
        }
        if batch.num_rows() > 0 {
            let mut adds = write_files(&table, batch).await.map_err(|e| self.err(e))?;
            for add in &mut adds {
                tag_order(add, order);
            }
            actions.extend(adds.into_iter().map(Action::Add));
        }
        if actions.is_empty() {
            return Ok(read_version);
        }
        let operation = match mode {
            WriteMode::Append => DeltaOperation::Write {
                mode: SaveMode::Append,
                partition_by: None,
                predicate: None,
            },
            WriteMode::Overwrite => DeltaOperation::Write {
                mode: SaveMode::Overwrite,
                partition_by: None,
                predicate: None,
            },
            WriteMode::Upsert => DeltaOperation::Write {
                mode: SaveMode::Append,
                partition_by: None,
                predicate: Some(format!(
                    "upsert on ({}, {event}): {removed_files} file(s) rewritten",
                    keys.join(", ")
                )),
            },
        };
        let properties = CommitProperties::default().with_metadata([
            ("ferrops.mode".to_string(), serde_json::Value::from(mode.name())),
            (
                "ferrops.rows".to_string(),
                serde_json::Value::from(batch.num_rows() as u64),
            ),
        ]);
        // Commits never retry inside deltalake: an overwrite or upsert that lost must not
        // silently win over a concurrent commit (the caller gets `Conflict`), and an
        // append is retried here so that its files' write-order tag is re-set to the
        // version it actually lands at (ties go to the later commit).
        let mut table = table;
        for attempt in 0..=APPEND_RETRIES {
            let snapshot = table.snapshot().map_err(|e| self.err(e))?;
            let result = CommitBuilder::from(properties.clone())
                .with_actions(actions.clone())
                .with_max_retries(0)
                .build(Some(snapshot), table.log_store(), operation.clone())
                .await;
            match result {
                Ok(finalized) => return Ok(finalized.version()),
                Err(e) => match self.err(e) {
                    Error::Conflict { .. } if mode == WriteMode::Append && attempt < APPEND_RETRIES => {
                        table = self.load(None).await?;
                        let order = table.version().unwrap_or(0) + 1;
                        for action in &mut actions {
                            if let Action::Add(add) = action {
                                tag_order(add, order);
                            }
                        }
                    }
                    e => return Err(e),
                },
            }
        }
        Err(Error::Conflict {
            view: self.view.clone(),
            reason: format!("{APPEND_RETRIES} concurrent commits won in a row"),
        })
    }

    /// For an upsert: Remove actions for the files holding a row whose (keys, event)
    /// is in `batch`, and Add actions for those files rewritten without such rows.
    async fn rewrite_without(
        &self,
        table: &DeltaTable,
        batch: &RecordBatch,
        keys: &[String],
        event: &str,
    ) -> Result<(Vec<Action>, usize)> {
        let mut columns: Vec<String> = keys.to_vec();
        columns.push(event.to_string());
        let new_keys = key_rows(batch, &columns)?;
        let (converter, new_rows) = new_keys;
        let wanted: FxHashSet<&[u8]> = (0..new_rows.num_rows()).map(|i| new_rows.row(i).data()).collect();
        let (min_event, max_event) = event_bounds(batch, event)?;
        let files = self.files_of(table, Some(event)).await?;
        let store = table.object_store();
        let mut actions = Vec::new();
        let mut removed = 0usize;
        for file in files {
            if let (Some((lo, hi)), Some(min_e), Some(max_e)) = (file.event_range, min_event, max_event) {
                if hi < min_e || lo > max_e {
                    continue;
                }
            }
            let data = read_file(
                &store,
                &self.view,
                &file.path,
                table.snapshot().map_err(|e| self.err(e))?.schema().as_ref(),
                None,
                Some(&EventFilter {
                    column: event,
                    lower: min_event,
                    upper: max_event,
                }),
            )
            .await?;
            let arrays: Vec<ArrayRef> = columns
                .iter()
                .map(|c| {
                    data.column_by_name(c).cloned().ok_or_else(|| Error::Store {
                        location: file.path.clone(),
                        reason: format!("data file has no column `{c}`"),
                    })
                })
                .collect::<Result<_>>()?;
            let rows = converter.convert_columns(&arrays)?;
            let keep: BooleanArray = (0..rows.num_rows())
                .map(|i| Some(!wanted.contains(rows.row(i).as_ref())))
                .collect();
            if keep.false_count() == 0 {
                continue;
            }
            let remaining = filter_record_batch(&data, &keep)?;
            actions.push(Action::Remove(file.remove.clone()));
            removed += 1;
            if remaining.num_rows() > 0 {
                let mut adds = write_files(table, &remaining).await.map_err(|e| self.err(e))?;
                for add in &mut adds {
                    tag_order(add, file.write_order);
                    add.modification_time = file.modification_time;
                }
                actions.extend(adds.into_iter().map(Action::Add));
            }
        }
        Ok((actions, removed))
    }

    /// The data files of a loaded version, in write order.
    pub(crate) async fn files_of(&self, table: &DeltaTable, event: Option<&str>) -> Result<Vec<DataFile>> {
        let views: Vec<_> = table
            .get_active_add_actions_by_predicate(None)
            .try_collect()
            .await
            .map_err(|e| self.err(e))?;
        let mut files: Vec<DataFile> = views
            .iter()
            .map(|f| {
                #[allow(deprecated)]
                let add = f.add_action();
                let write_order = add
                    .tags
                    .as_ref()
                    .and_then(|t| t.get(WRITE_ORDER_TAG))
                    .and_then(|v| v.as_deref())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0);
                DataFile {
                    path: f.path().to_string(),
                    remove: f.remove_action(true),
                    write_order,
                    modification_time: f.modification_time(),
                    event_range: event.and_then(|e| stats_event_range(add.stats.as_deref(), e)),
                }
            })
            .collect();
        files.sort_by(|a, b| {
            (a.write_order, a.modification_time, &a.path).cmp(&(b.write_order, b.modification_time, &b.path))
        });
        Ok(files)
    }

    /// The commits of the table, oldest first, read from the log.
    pub(crate) async fn history(&self) -> Result<Vec<HistoryEntry>> {
        let table = self.load(None).await?;
        let latest = table.version().unwrap_or(0);
        let log_store = table.log_store();
        let mut out = Vec::new();
        for version in 0..=latest {
            let Some(bytes) = log_store
                .read_commit_entry(version)
                .await
                .map_err(|e| self.err(e))?
            else {
                continue; // cleaned up by log retention
            };
            out.push(parse_commit(version, &bytes).map_err(|reason| Error::Store {
                location: format!("feature view `{}` log version {version}", self.view),
                reason,
            })?);
        }
        Ok(out)
    }
}

fn tag_order(add: &mut Add, order: u64) {
    let tags = add.tags.get_or_insert_with(HashMap::new);
    tags.insert(WRITE_ORDER_TAG.to_string(), Some(order.to_string()));
}

async fn write_files(table: &DeltaTable, batch: &RecordBatch) -> Result<Vec<Add>, DeltaTableError> {
    let mut writer = RecordBatchWriter::for_table(table)?;
    writer.write(batch.clone()).await?;
    writer.flush().await
}

/// Row-encode `columns` of `batch`.
pub(crate) fn key_rows(batch: &RecordBatch, columns: &[String]) -> Result<(RowConverter, arrow::row::Rows)> {
    let arrays: Vec<ArrayRef> = columns
        .iter()
        .map(|c| crate::data::table::column(batch, c).cloned())
        .collect::<Result<_>>()?;
    let converter = RowConverter::new(
        arrays
            .iter()
            .map(|a| SortField::new(a.data_type().clone()))
            .collect(),
    )?;
    let rows = converter.convert_columns(&arrays)?;
    Ok((converter, rows))
}

fn event_bounds(batch: &RecordBatch, event: &str) -> Result<(Option<i64>, Option<i64>)> {
    let column = crate::data::table::column(batch, event)?;
    let micros = column
        .as_any()
        .downcast_ref::<arrow::array::TimestampMicrosecondArray>()
        .ok_or_else(|| Error::column_type(event, "timestamp[µs, UTC]", column.data_type()))?;
    Ok((arrow::compute::min(micros), arrow::compute::max(micros)))
}

/// The event range of a file from its Delta statistics (JSON), widened by 1 ms.
fn stats_event_range(stats: Option<&str>, event: &str) -> Option<(i64, i64)> {
    let stats: serde_json::Value = serde_json::from_str(stats?).ok()?;
    let parse = |v: &serde_json::Value| -> Option<i64> {
        let text = v.as_str()?;
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.timestamp_micros())
    };
    let lo = parse(stats.get("minValues")?.get(event)?)?;
    let hi = parse(stats.get("maxValues")?.get(event)?)?;
    Some((lo.saturating_sub(1000), hi.saturating_add(1000)))
}

/// Read one data file, cast to `schema` (the table's Delta schema as Arrow), keeping
/// only `columns` when given.
pub(crate) async fn read_file(
    store: &Arc<dyn ObjectStore>,
    view: &str,
    path: &str,
    delta_schema: &deltalake_core::kernel::StructType,
    columns: Option<&[String]>,
    events: Option<&EventFilter<'_>>,
) -> Result<RecordBatch> {
    let location = object_store::path::Path::from_url_path(path).map_err(|e| Error::Store {
        location: path.to_string(),
        reason: e.to_string(),
    })?;
    let corrupt = |e: &dyn std::fmt::Display| {
        Error::Store {
        location: format!("feature view `{view}` data file `{path}`"),
        reason: format!(
            "cannot be read as Parquet ({e}); the file is missing or corrupted: restore it, or restore the table to an earlier version"
        ),
    }
    };
    // Only the footer, then the column chunks of the row groups that can match, are
    // fetched: on object storage a scan reads what it uses.
    #[allow(deprecated)]
    let reader = ParquetObjectReader::new(store.clone(), location);
    let builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| corrupt(&e))?;
    let file_schema = builder.schema().clone();
    let mask = match columns {
        Some(columns) => {
            let indices: Vec<usize> = columns
                .iter()
                .filter_map(|c| file_schema.index_of(c).ok())
                .collect();
            ProjectionMask::roots(builder.parquet_schema(), indices)
        }
        None => ProjectionMask::all(),
    };
    let row_groups: Option<Vec<usize>> = events.map(|filter| {
        let metadata = builder.metadata();
        (0..metadata.num_row_groups())
            .filter(|&i| {
                metadata
                    .row_groups()
                    .get(i)
                    .and_then(|rg| filter.row_group_range(rg, &file_schema))
                    .is_none_or(|(lo, hi)| filter.overlaps(lo, hi))
            })
            .collect()
    });
    let mut builder = builder.with_projection(mask);
    if let Some(groups) = row_groups {
        builder = builder.with_row_groups(groups);
    }
    let stream = builder.build().map_err(|e| corrupt(&e))?;
    let batches: Vec<RecordBatch> = stream.try_collect().await.map_err(|e| corrupt(&e))?;
    let arrow_schema: arrow::datatypes::Schema = delta_schema.try_into_arrow().map_err(|e| Error::Store {
        location: format!("feature view `{view}`"),
        reason: format!("table schema has no Arrow form: {e}"),
    })?;
    let wanted: Vec<arrow::datatypes::FieldRef> = match columns {
        Some(columns) => columns
            .iter()
            .filter_map(|c| arrow_schema.field_with_name(c).ok().map(|f| Arc::new(f.clone())))
            .collect(),
        None => arrow_schema.fields().iter().cloned().collect(),
    };
    let target = Arc::new(arrow::datatypes::Schema::new(wanted));
    let mut out = Vec::with_capacity(batches.len());
    for batch in batches {
        out.push(conform(&batch, &target, view, path)?);
    }
    Ok(arrow::compute::concat_batches(&target, &out)?)
}

/// An event-time window used to skip Parquet row groups by their statistics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventFilter<'a> {
    /// The event-timestamp column.
    pub(crate) column: &'a str,
    /// Earliest event time that can match (µs), if bounded.
    pub(crate) lower: Option<i64>,
    /// Latest event time that can match (µs), if bounded.
    pub(crate) upper: Option<i64>,
}

impl EventFilter<'_> {
    fn overlaps(&self, lo: i64, hi: i64) -> bool {
        self.upper.is_none_or(|u| lo <= u) && self.lower.is_none_or(|l| hi >= l)
    }

    /// A row group's event range in µs from its statistics (`None`: unknown, keep it).
    fn row_group_range(
        &self,
        row_group: &parquet::file::metadata::RowGroupMetaData,
        schema: &arrow::datatypes::Schema,
    ) -> Option<(i64, i64)> {
        let index = row_group
            .columns()
            .iter()
            .position(|c| c.column_path().string() == self.column)?;
        let stats = row_group.column(index).statistics()?;
        let parquet::file::statistics::Statistics::Int64(values) = stats else {
            return None;
        };
        let (min, max) = (*values.min_opt()?, *values.max_opt()?);
        let unit = match schema.field_with_name(self.column).ok()?.data_type() {
            arrow::datatypes::DataType::Timestamp(unit, _) => *unit,
            _ => return None,
        };
        use arrow::datatypes::TimeUnit;
        Some(match unit {
            TimeUnit::Second => (min.saturating_mul(1_000_000), max.saturating_mul(1_000_000)),
            TimeUnit::Millisecond => (min.saturating_mul(1_000), max.saturating_mul(1_000)),
            TimeUnit::Microsecond => (min, max),
            TimeUnit::Nanosecond => (min.div_euclid(1_000), max.div_euclid(1_000).saturating_add(1)),
        })
    }
}

/// Cast a file's batch to the table schema: a column missing from an older file (added
/// later by schema evolution) is all null.
fn conform(batch: &RecordBatch, target: &SchemaRef, view: &str, path: &str) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = target
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(array) if array.data_type() == field.data_type() => Ok(array.clone()),
            Some(array) => arrow::compute::cast(array, field.data_type()).map_err(|e| Error::Store {
                location: format!("feature view `{view}` data file `{path}`"),
                reason: format!(
                    "column `{}` cannot be read as {}: {e}",
                    field.name(),
                    field.data_type()
                ),
            }),
            None => Ok(arrow::array::new_null_array(field.data_type(), batch.num_rows())),
        })
        .collect::<Result<_>>()?;
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        target.clone(),
        columns,
        &options,
    )?)
}

/// Parse one commit file (newline-delimited JSON actions) into a history entry.
fn parse_commit(version: u64, bytes: &[u8]) -> std::result::Result<HistoryEntry, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("commit is not UTF-8: {e}"))?;
    let mut entry = HistoryEntry {
        version,
        timestamp_ms: None,
        operation: String::new(),
        mode: None,
        rows_added: 0,
        files_added: 0,
        files_removed: 0,
        rows_written: None,
        engine: None,
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let action: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("commit line is not JSON: {e}"))?;
        if let Some(info) = action.get("commitInfo") {
            entry.timestamp_ms = info.get("timestamp").and_then(|v| v.as_i64());
            entry.operation = info
                .get("operation")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            entry.mode = info
                .get("ferrops.mode")
                .and_then(|v| v.as_str())
                .or_else(|| info.get("operationParameters")?.get("mode")?.as_str())
                .map(|s| s.trim_matches('"').to_lowercase());
            entry.rows_written = info.get("ferrops.rows").and_then(|v| v.as_u64());
            entry.engine = info
                .get("engineInfo")
                .or_else(|| info.get("clientVersion"))
                .and_then(|v| v.as_str())
                .map(str::to_string);
        } else if let Some(add) = action.get("add") {
            entry.files_added += 1;
            if let Some(stats) = add.get("stats").and_then(|s| s.as_str()) {
                if let Ok(stats) = serde_json::from_str::<serde_json::Value>(stats) {
                    entry.rows_added += stats.get("numRecords").and_then(|n| n.as_u64()).unwrap_or(0);
                }
            }
        } else if action.get("remove").is_some() {
            entry.files_removed += 1;
        }
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array, TimestampMicrosecondArray, TimestampNanosecondArray};
    use deltalake_core::kernel::engine::arrow_conversion::TryIntoKernel;
    use object_store::ObjectStoreExt;

    /// Row groups outside the event window are skipped, and every row inside it is
    /// read, for µs and ns files (an external engine may write ns).
    #[test]
    fn row_groups_are_pruned_by_event_statistics() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        for nanos in [false, true] {
            let event: ArrayRef = if nanos {
                Arc::new(
                    TimestampNanosecondArray::from(
                        (0..10).map(|i| i * 1_000_000_000 + 1).collect::<Vec<i64>>(),
                    )
                    .with_timezone("UTC"),
                )
            } else {
                Arc::new(
                    TimestampMicrosecondArray::from((0..10).map(|i| i * 1_000_000).collect::<Vec<i64>>())
                        .with_timezone("UTC"),
                )
            };
            let batch = RecordBatch::try_from_iter([
                ("k", Arc::new(Int64Array::from_iter_values(0..10)) as ArrayRef),
                ("ts", event),
                (
                    "x",
                    Arc::new(Float64Array::from_iter_values((0..10).map(f64::from))) as ArrayRef,
                ),
            ])
            .unwrap();
            let mut bytes = Vec::new();
            let props = parquet::file::properties::WriterProperties::builder()
                .set_max_row_group_row_count(Some(2))
                .build();
            let mut writer =
                parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props)).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
            let store: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
            runtime
                .block_on(store.put(&"f.parquet".into(), bytes.into()))
                .unwrap();
            let target = arrow::datatypes::Schema::new(vec![
                arrow::datatypes::Field::new("k", arrow::datatypes::DataType::Int64, false),
                arrow::datatypes::Field::new("ts", crate::store::ValueType::Timestamp.arrow_type(), false),
                arrow::datatypes::Field::new("x", arrow::datatypes::DataType::Float64, true),
            ]);
            let delta: deltalake_core::kernel::StructType = (&target).try_into_kernel().unwrap();
            // Seconds 3..=6: row groups [2,3], [4,5], [6,7] can match; [0,1], [8,9] cannot.
            let filter = EventFilter {
                column: "ts",
                lower: Some(3_000_000),
                upper: Some(6_000_000),
            };
            let got = runtime
                .block_on(read_file(&store, "v", "f.parquet", &delta, None, Some(&filter)))
                .unwrap();
            let keys: Vec<i64> = got
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .values()
                .to_vec();
            assert_eq!(keys, vec![2, 3, 4, 5, 6, 7], "nanos = {nanos}");
            let all = runtime
                .block_on(read_file(&store, "v", "f.parquet", &delta, None, None))
                .unwrap();
            assert_eq!(all.num_rows(), 10);
        }
    }
}
