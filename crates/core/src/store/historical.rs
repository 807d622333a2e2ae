//! Point-in-time training sets and entity-less retrieval.
//!
//! For each entity row and each requested feature view, the feature row with the same
//! join keys and the latest event timestamp at or before the entity row's (and within
//! the view's TTL). Only files whose event-time statistics overlap the entity rows'
//! time span are read, and of those only the rows whose keys occur among the entity
//! rows are kept, so memory follows the rows that can match, never a many-to-many join.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::{Field, Schema};
use arrow::row::{RowConverter, SortField};
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::pit::{latest_per_key, point_in_time_match, EntitySide, FeatureSide, PitOptions};
use super::table::{read_file, DataFile, EventFilter, ViewTable};
use super::{key_to_stored, to_micros, FeatureStore, FeatureView};
use crate::error::{Error, Result};

/// Options of [`FeatureStore::historical_features_with`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoricalOptions {
    /// The entity rows' timestamp column. Default `event_timestamp`.
    pub timestamp_column: String,
    /// Name output columns `view__feature` instead of `feature`.
    pub full_feature_names: bool,
    /// Ignore feature rows created after the entity row's timestamp (needs the view's
    /// created-timestamp column; views without one are unaffected).
    pub as_of_created: bool,
    /// Read these views at these table versions instead of the latest (reproducible
    /// training sets; see [`TrainingSet::lineage`]).
    pub versions: BTreeMap<String, u64>,
}

impl Default for HistoricalOptions {
    fn default() -> Self {
        HistoricalOptions {
            timestamp_column: "event_timestamp".into(),
            full_feature_names: false,
            as_of_created: false,
            versions: BTreeMap::new(),
        }
    }
}

/// A view and the table version a training set read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewVersion {
    /// The feature view.
    pub view: String,
    /// Its table version.
    pub version: u64,
}

/// A point-in-time training set and where it came from.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    /// The entity rows (all their columns, in input order) with the features appended.
    pub table: RecordBatch,
    /// The feature views and versions read: pass them as
    /// [`HistoricalOptions::versions`] to rebuild the same table.
    pub lineage: Vec<ViewVersion>,
}

/// Requested features of one view, in request order.
struct ViewRequest {
    view: String,
    features: Vec<String>,
}

/// Parse `view:feature` references (also `view:*`), grouped by view in first-seen order.
pub(crate) fn parse_refs(store: &FeatureStore, refs: &[&str]) -> Result<Vec<(FeatureView, Vec<String>)>> {
    parse_refs_with(|name| store.feature_view(name), refs)
}

/// [`parse_refs`] with views looked up by `lookup` (e.g. from a cache).
pub(crate) fn parse_refs_with(
    lookup: impl Fn(&str) -> Result<FeatureView>,
    refs: &[&str],
) -> Result<Vec<(FeatureView, Vec<String>)>> {
    if refs.is_empty() {
        return Err(Error::param(
            "features",
            "[]",
            "name at least one feature as \"view:feature\"",
        ));
    }
    let mut requests: Vec<ViewRequest> = Vec::new();
    for reference in refs {
        let (view, feature) = reference.split_once(':').ok_or_else(|| {
            Error::param(
                "features",
                reference,
                "a feature reference is \"view:feature\" (or \"view:*\" for all of a view's features)",
            )
        })?;
        let position = match requests.iter().position(|r| r.view == view) {
            Some(p) => p,
            None => {
                requests.push(ViewRequest {
                    view: view.to_string(),
                    features: Vec::new(),
                });
                requests.len() - 1
            }
        };
        if let Some(request) = requests.get_mut(position) {
            request.features.push(feature.to_string());
        }
    }
    let mut out = Vec::new();
    for request in requests {
        let definition = lookup(&request.view)?;
        let mut features = Vec::new();
        for feature in request.features {
            if feature == "*" {
                features.extend(definition.features.iter().map(|f| f.name.clone()));
            } else if definition.feature(&feature).is_some() {
                features.push(feature);
            } else {
                return Err(Error::ColumnNotFound {
                    column: format!("{}:{feature}", definition.name),
                    available: definition
                        .features
                        .iter()
                        .map(|f| format!("{}:{}", definition.name, f.name))
                        .collect(),
                });
            }
        }
        let mut seen = FxHashSet::default();
        features.retain(|f| seen.insert(f.clone()));
        out.push((definition, features));
    }
    Ok(out)
}

/// The rows of a view that can match, with their write order.
struct Candidates {
    batch: RecordBatch,
    write_order: Vec<u64>,
}

impl FeatureStore {
    /// A point-in-time-correct training set: `entity_rows` (join keys, an
    /// `event_timestamp` column, and any other columns such as labels, passed through)
    /// with the requested features (`"view:feature"` or `"view:*"`) appended.
    ///
    /// See [`FeatureStore::historical_features_with`] for the rules and options.
    ///
    /// # Errors
    /// As [`FeatureStore::historical_features_with`].
    pub fn historical_features(&self, entity_rows: &RecordBatch, features: &[&str]) -> Result<RecordBatch> {
        Ok(self
            .historical_features_with(entity_rows, features, &HistoricalOptions::default())?
            .table)
    }

    /// A point-in-time-correct training set, with options and lineage.
    ///
    /// For each entity row and each view: the view's row with the same join keys and the
    /// latest event timestamp `<=` the entity row's timestamp; with a TTL, also `>=`
    /// timestamp − TTL (inclusive; TTL 0 or none is unbounded). Ties on the event
    /// timestamp go to the latest created timestamp, then to the latest write. No match
    /// (or a null key or timestamp in the entity row): nulls. The output has exactly one
    /// row per entity row, in input order, duplicates kept. Entity timestamps may be
    /// timezone-aware or naive (naive = UTC), of any unit, or dates (midnight UTC).
    ///
    /// # Errors
    /// [`Error::ColumnNotFound`] for a missing join key or timestamp column or an unknown
    /// feature, [`Error::ColumnType`] for a key of the wrong type, [`Error::InvalidData`]
    /// for a name collision (pass `full_feature_names`), [`Error::NotRegistered`],
    /// [`Error::Store`].
    pub fn historical_features_with(
        &self,
        entity_rows: &RecordBatch,
        features: &[&str],
        options: &HistoricalOptions,
    ) -> Result<TrainingSet> {
        let requests = parse_refs(self, features)?;
        let entities = self.entity_map()?;
        let ts_column = crate::data::table::column(entity_rows, &options.timestamp_column)?;
        let entity_micros = to_micros(ts_column, &options.timestamp_column)?;

        let mut fields: Vec<Arc<Field>> = entity_rows.schema().fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = entity_rows.columns().to_vec();
        let mut taken: BTreeMap<String, String> = fields
            .iter()
            .map(|f| (f.name().clone(), "an entity-row column".to_string()))
            .collect();
        let mut lineage = Vec::new();
        for (view, wanted) in &requests {
            let keys = view.join_keys(&entities)?;
            let entity_keys: Vec<ArrayRef> = keys
                .iter()
                .map(|k| {
                    let column = crate::data::table::column(entity_rows, &k.name)?;
                    key_to_stored(column, k)
                })
                .collect::<Result<_>>()?;
            let table = ViewTable::new(&self.blob, &view.name)?;
            let pinned = options.versions.get(&view.name).copied();
            let (version, candidates) = self
                .blob
                .block_on(async {
                    let loaded = table.load(pinned).await?;
                    let version = loaded.version().unwrap_or(0) as u64;
                    let files = table.files_of(&loaded, Some(&view.timestamp_field)).await?;
                    Ok::<_, Error>((version, loaded, files))
                })
                .and_then(|(version, loaded, files)| {
                    let candidates = self.candidates(
                        &table,
                        &loaded,
                        &files,
                        view,
                        &keys,
                        &entity_keys,
                        &entity_micros,
                        wanted,
                    )?;
                    Ok((version, candidates))
                })?;
            lineage.push(ViewVersion {
                view: view.name.clone(),
                version,
            });
            let batch = &candidates.batch;
            let feature_keys: Vec<ArrayRef> = keys
                .iter()
                .map(|k| crate::data::table::column(batch, &k.name).cloned())
                .collect::<Result<_>>()?;
            let event: Vec<i64> = to_micros(
                crate::data::table::column(batch, &view.timestamp_field)?,
                &view.timestamp_field,
            )?
            .into_iter()
            .map(|t| t.unwrap_or(i64::MIN))
            .collect();
            let created = match &view.created_timestamp_field {
                Some(c) => Some(to_micros(crate::data::table::column(batch, c)?, c)?),
                None => None,
            };
            let matches = point_in_time_match(
                &EntitySide {
                    keys: &entity_keys,
                    event_micros: &entity_micros,
                },
                &FeatureSide {
                    keys: &feature_keys,
                    event_micros: &event,
                    created_micros: created.as_deref(),
                    write_order: &candidates.write_order,
                },
                &PitOptions {
                    ttl_micros: view.ttl_micros(),
                    as_of_created: options.as_of_created,
                },
            )?;
            let indices = UInt32Array::from(matches);
            for feature in wanted {
                let source = crate::data::table::column(batch, feature)?;
                let values = take(source.as_ref(), &indices, None)?;
                let name = if options.full_feature_names {
                    format!("{}__{feature}", view.name)
                } else {
                    feature.clone()
                };
                let owner = format!("feature `{feature}` of view `{}`", view.name);
                if let Some(first) = taken.insert(name.clone(), owner.clone()) {
                    return Err(Error::InvalidData(format!(
                        "output column `{name}` would be both {first} and {owner}; pass full_feature_names=True to name features `view__feature`, or rename the entity-row column"
                    )));
                }
                fields.push(Arc::new(Field::new(&name, values.data_type().clone(), true)));
                columns.push(values);
            }
        }
        let options_rows =
            arrow::array::RecordBatchOptions::new().with_row_count(Some(entity_rows.num_rows()));
        let table = RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options_rows)?;
        Ok(TrainingSet { table, lineage })
    }

    /// The rows of `view` that can match the entity rows: files overlapping their time
    /// span (widened by the TTL), rows with one of their keys and an event time in it.
    #[allow(clippy::too_many_arguments)]
    fn candidates(
        &self,
        table: &ViewTable,
        loaded: &deltalake_core::DeltaTable,
        files: &[DataFile],
        view: &FeatureView,
        keys: &[super::Feature],
        entity_keys: &[ArrayRef],
        entity_micros: &[Option<i64>],
        wanted: &[String],
    ) -> Result<Candidates> {
        let max = entity_micros.iter().flatten().copied().max();
        let min = entity_micros.iter().flatten().copied().min();
        let lower = match (min, view.ttl_micros()) {
            (Some(min), Some(ttl)) => Some(min.saturating_sub(ttl)),
            _ => None,
        };
        let mut columns: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
        columns.push(view.timestamp_field.clone());
        if let Some(c) = &view.created_timestamp_field {
            columns.push(c.clone());
        }
        columns.extend(wanted.iter().cloned());

        let converter = RowConverter::new(
            keys.iter()
                .map(|k| SortField::new(k.dtype.arrow_type()))
                .collect(),
        )?;
        let entity_rows = converter.convert_columns(entity_keys)?;
        let key_set: FxHashSet<&[u8]> = (0..entity_rows.num_rows())
            .filter(|&i| entity_keys.iter().all(|a| a.is_valid(i)))
            .map(|i| entity_rows.row(i).data())
            .collect();
        let Some(max) = max else {
            return self.empty_candidates(loaded, &columns);
        };
        let in_range = |file: &DataFile| match file.event_range {
            Some((lo, hi)) => lo <= max && lower.is_none_or(|l| hi >= l),
            None => true,
        };
        let delta_schema = loaded
            .snapshot()
            .map_err(|e| super::table::delta_error(&view.name, e))?
            .schema();
        let store = loaded.object_store();
        let selected: Vec<(usize, &DataFile)> =
            files.iter().enumerate().filter(|(_, f)| in_range(f)).collect();
        let parts: Vec<(RecordBatch, Vec<u64>)> = selected
            .par_iter()
            .map(|(rank, file)| {
                let data = self.blob.block_on(read_file(
                    &store,
                    &table.view,
                    &file.path,
                    delta_schema.as_ref(),
                    Some(&columns),
                    Some(&EventFilter {
                        column: &view.timestamp_field,
                        lower,
                        upper: Some(max),
                    }),
                ))?;
                let key_arrays: Vec<ArrayRef> = keys
                    .iter()
                    .map(|k| crate::data::table::column(&data, &k.name).cloned())
                    .collect::<Result<_>>()?;
                let rows = converter.convert_columns(&key_arrays)?;
                let event = to_micros(
                    crate::data::table::column(&data, &view.timestamp_field)?,
                    &view.timestamp_field,
                )?;
                let mask: BooleanArray = (0..data.num_rows())
                    .map(|i| {
                        let t = event.get(i).copied().flatten();
                        let time_ok = t.is_some_and(|t| t <= max && lower.is_none_or(|l| t >= l));
                        Some(time_ok && key_set.contains(rows.row(i).data()))
                    })
                    .collect();
                let order: Vec<u64> = mask
                    .iter()
                    .enumerate()
                    .filter(|(_, keep)| keep.unwrap_or(false))
                    .map(|(i, _)| ((*rank as u64) << 32) | i as u64)
                    .collect();
                let kept = arrow::compute::filter_record_batch(&data, &mask)?;
                Ok((kept, order))
            })
            .collect::<Result<_>>()?;
        let schema = match parts.first() {
            Some((b, _)) => b.schema(),
            None => return self.empty_candidates(loaded, &columns),
        };
        let batches: Vec<RecordBatch> = parts.iter().map(|(b, _)| b.clone()).collect();
        let batch = arrow::compute::concat_batches(&schema, &batches)?;
        let write_order = parts.into_iter().flat_map(|(_, o)| o).collect();
        Ok(Candidates { batch, write_order })
    }

    fn empty_candidates(
        &self,
        loaded: &deltalake_core::DeltaTable,
        columns: &[String],
    ) -> Result<Candidates> {
        use deltalake_core::kernel::engine::arrow_conversion::TryIntoArrow;
        let schema = loaded
            .snapshot()
            .map_err(|e| Error::Store {
                location: "feature view".into(),
                reason: e.to_string(),
            })?
            .schema();
        let arrow_schema: Schema = schema.as_ref().try_into_arrow().map_err(|e| Error::Store {
            location: "feature view".into(),
            reason: format!("table schema has no Arrow form: {e}"),
        })?;
        let fields: Vec<Field> = columns
            .iter()
            .filter_map(|c| arrow_schema.field_with_name(c).ok().cloned())
            .collect();
        Ok(Candidates {
            batch: RecordBatch::new_empty(Arc::new(Schema::new(fields))),
            write_order: Vec::new(),
        })
    }

    /// Entity-less retrieval: the latest row per key of `view` with an event time in
    /// `[start, end]` (µs since the epoch, either bound optional, inclusive), ties as in
    /// [`FeatureStore::historical_features_with`]. Columns: join keys, event timestamp,
    /// created timestamp (if any), then `features` (all when `None`).
    ///
    /// # Errors
    /// [`Error::NotRegistered`], [`Error::ColumnNotFound`] for an unknown feature,
    /// [`Error::InvalidParameter`] if `start > end`, [`Error::Store`].
    pub fn latest_features(
        &self,
        view: &str,
        features: Option<&[&str]>,
        start_micros: Option<i64>,
        end_micros: Option<i64>,
    ) -> Result<RecordBatch> {
        Ok(self.latest_rows(view, features, start_micros, end_micros)?.1)
    }

    /// [`FeatureStore::latest_features`] and the version read.
    pub(crate) fn latest_rows(
        &self,
        view: &str,
        features: Option<&[&str]>,
        start_micros: Option<i64>,
        end_micros: Option<i64>,
    ) -> Result<(u64, RecordBatch)> {
        let definition = self.feature_view(view)?;
        let entities = self.entity_map()?;
        let keys = definition.join_keys(&entities)?;
        let wanted: Vec<String> = match features {
            Some(list) => {
                let refs: Vec<String> = list.iter().map(|f| format!("{view}:{f}")).collect();
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                parse_refs(self, &refs)?
                    .into_iter()
                    .flat_map(|(_, f)| f)
                    .collect()
            }
            None => definition.features.iter().map(|f| f.name.clone()).collect(),
        };
        if let (Some(s), Some(e)) = (start_micros, end_micros) {
            if s > e {
                return Err(Error::param(
                    "start",
                    s,
                    format!("the start is after the end ({e}); pass start <= end"),
                ));
            }
        }
        let table = ViewTable::new(&self.blob, view)?;
        let (version, loaded, files) = self.blob.block_on(async {
            let loaded = table.load(None).await?;
            let version = loaded.version().unwrap_or(0) as u64;
            let files = table.files_of(&loaded, Some(&definition.timestamp_field)).await?;
            Ok::<_, Error>((version, loaded, files))
        })?;
        let mut columns: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
        columns.push(definition.timestamp_field.clone());
        if let Some(c) = &definition.created_timestamp_field {
            columns.push(c.clone());
        }
        columns.extend(wanted.iter().cloned());
        let in_range = |file: &DataFile| match file.event_range {
            Some((lo, hi)) => end_micros.is_none_or(|e| lo <= e) && start_micros.is_none_or(|s| hi >= s),
            None => true,
        };
        let delta_schema = loaded
            .snapshot()
            .map_err(|e| super::table::delta_error(view, e))?
            .schema();
        let store = loaded.object_store();
        let selected: Vec<(usize, &DataFile)> =
            files.iter().enumerate().filter(|(_, f)| in_range(f)).collect();
        let parts: Vec<(RecordBatch, Vec<u64>)> = selected
            .par_iter()
            .map(|(rank, file)| {
                let data = self.blob.block_on(read_file(
                    &store,
                    view,
                    &file.path,
                    delta_schema.as_ref(),
                    Some(&columns),
                    Some(&EventFilter {
                        column: &definition.timestamp_field,
                        lower: start_micros,
                        upper: end_micros,
                    }),
                ))?;
                let order = (0..data.num_rows())
                    .map(|i| ((*rank as u64) << 32) | i as u64)
                    .collect();
                Ok((data, order))
            })
            .collect::<Result<_>>()?;
        let Some((first, _)) = parts.first() else {
            let empty = self.empty_candidates(&loaded, &columns)?;
            return Ok((version, empty.batch));
        };
        let schema = first.schema();
        let batches: Vec<RecordBatch> = parts.iter().map(|(b, _)| b.clone()).collect();
        let batch = arrow::compute::concat_batches(&schema, &batches)?;
        let write_order: Vec<u64> = parts.into_iter().flat_map(|(_, o)| o).collect();
        let feature_keys: Vec<ArrayRef> = keys
            .iter()
            .map(|k| crate::data::table::column(&batch, &k.name).cloned())
            .collect::<Result<_>>()?;
        let event: Vec<i64> = to_micros(
            crate::data::table::column(&batch, &definition.timestamp_field)?,
            &definition.timestamp_field,
        )?
        .into_iter()
        .map(|t| t.unwrap_or(i64::MIN))
        .collect();
        let created = match &definition.created_timestamp_field {
            Some(c) => Some(to_micros(crate::data::table::column(&batch, c)?, c)?),
            None => None,
        };
        let winners = latest_per_key(
            &FeatureSide {
                keys: &feature_keys,
                event_micros: &event,
                created_micros: created.as_deref(),
                write_order: &write_order,
            },
            start_micros,
            end_micros,
        )?;
        let indices = UInt32Array::from(winners);
        let taken: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| take(c.as_ref(), &indices, None))
            .collect::<std::result::Result<_, _>>()?;
        Ok((version, RecordBatch::try_new(schema, taken)?))
    }
}
