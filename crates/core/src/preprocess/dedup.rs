//! Deduplicate rows by key over a whole stream.

use std::collections::HashMap;

use arrow::array::{ArrayRef, UInt32Array};
use arrow::compute::{concat_batches, interleave_record_batch, take_record_batch, SortOptions};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, Rows, SortField};
use serde::{Deserialize, Serialize};

use super::Preprocessor;
use crate::data::table::{index_of, is_bool, is_string, is_temporal};
use crate::data::BatchIter;
use crate::error::{Error, Result};

/// Which row of a key [`Deduplicate`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    /// The row with the greatest `by` (ties: the later row in the stream); without `by`,
    /// the last row (pandas `keep="last"`).
    #[default]
    #[serde(alias = "last")]
    Latest,
    /// The row with the smallest `by` (ties: the earlier row); without `by`, the first
    /// row (pandas `keep="first"`).
    #[serde(alias = "earliest")]
    First,
}

/// Keep one row per key over the whole stream, as pandas
/// `df.sort_values(by, kind="stable").drop_duplicates(keys, keep="last")`, but in stream order.
///
/// | parameter | default | purpose |
/// |---|---|---|
/// | `keys` | required | the columns whose values identify a row; `[]`: every column except `by` (pandas `subset=None`) |
/// | `by` | `None` | an orderable column (number, timestamp, date, string, bool) that picks the kept row |
/// | `keep` | `"latest"` | `"latest"` (alias `"last"`): greatest `by`, ties to the later row; `"first"` (alias `"earliest"`): smallest `by`, ties to the earlier row; without `by`, the last / first row of the key |
///
/// - Null keys are equal to each other, and so are NaN keys (as pandas).
/// - A null `by` loses to any value, with either `keep`; NaN sorts above every number.
/// - The output holds the kept rows in their stream order (the order
///   `drop_duplicates` gives), in batches no larger than the largest input batch, all
///   emitted after the input ends.
/// - Memory is proportional to the number of distinct keys: the step keeps a hash map
///   of encoded keys and copies each batch's new winning rows into a compact buffer
///   that is rebuilt when more than half of it is superseded rows.
///
/// JSON: `{"type": "deduplicate", "keys": ["id"], "by": "updated_at", "keep": "latest"}`.
///
/// ```
/// # use std::sync::Arc;
/// # use arrow::array::{AsArray, Int64Array};
/// # use arrow::datatypes::Int64Type;
/// use ferrops::preprocess::{Deduplicate, Preprocessor};
/// # fn main() -> ferrops::Result<()> {
/// let t = arrow::record_batch::RecordBatch::try_from_iter([
///     ("id", Arc::new(Int64Array::from(vec![1, 2, 1, 2])) as _),
///     ("ts", Arc::new(Int64Array::from(vec![10, 30, 20, 5])) as _),
/// ])?;
/// let out = Deduplicate::new(["id"]).with_by("ts").process_batch(&t)?;
/// let ts = out.column(1).as_primitive::<Int64Type>();
/// assert_eq!(ts.values().to_vec(), vec![30, 20]); // rows 1 and 2, in stream order
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deduplicate {
    /// The key columns; empty for all columns except `by`.
    pub keys: Vec<String>,
    /// The column that orders the rows of a key.
    #[serde(default)]
    pub by: Option<String>,
    /// Which row to keep.
    #[serde(default)]
    pub keep: Keep,
}

impl Deduplicate {
    /// Deduplicate by `keys`, keeping the last row of each.
    pub fn new<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Deduplicate {
            keys: keys.into_iter().map(Into::into).collect(),
            by: None,
            keep: Keep::default(),
        }
    }

    /// Order the rows of a key by `by`.
    pub fn with_by(mut self, by: impl Into<String>) -> Self {
        self.by = Some(by.into());
        self
    }

    /// Set `keep`.
    pub fn with_keep(mut self, keep: Keep) -> Self {
        self.keep = keep;
        self
    }

    /// Positions of the key columns and of `by`.
    fn positions(&self, schema: &Schema) -> Result<(Vec<usize>, Option<usize>)> {
        let by = match &self.by {
            None => None,
            Some(name) => {
                let i = index_of(schema, name)?;
                let dt = schema.field(i).data_type();
                if !(dt.is_numeric() || is_temporal(dt) || is_string(dt) || is_bool(dt)) {
                    return Err(Error::column_type(
                        name,
                        "an orderable column (number, timestamp, date, string or bool)",
                        dt,
                    ));
                }
                Some(i)
            }
        };
        let keys: Vec<usize> = if self.keys.is_empty() {
            (0..schema.fields().len()).filter(|&i| Some(i) != by).collect()
        } else {
            super::check_names("keys", &self.keys)?;
            self.keys
                .iter()
                .map(|k| index_of(schema, k))
                .collect::<Result<_>>()?
        };
        if keys.is_empty() {
            return Err(Error::param(
                "keys",
                "[]",
                "the table has no column besides `by` to deduplicate on",
            ));
        }
        for &i in &keys {
            let field = schema.field(i);
            if !RowConverter::supports_fields(&[SortField::new(field.data_type().clone())]) {
                return Err(Error::column_type(
                    field.name(),
                    "a column usable as a key (primitive, string, binary, temporal or nested)",
                    field.data_type(),
                ));
            }
        }
        Ok((keys, by))
    }

    fn converters(&self, schema: &Schema, keys: &[usize], by: Option<usize>) -> Result<Converters> {
        let key = RowConverter::new(
            keys.iter()
                .map(|&i| SortField::new(schema.field(i).data_type().clone()))
                .collect(),
        )?;
        let by = match by {
            None => None,
            Some(i) => {
                // A null `by` must lose: smallest for `latest`, largest for `first`.
                let options = SortOptions {
                    descending: false,
                    nulls_first: self.keep == Keep::Latest,
                };
                let dt: DataType = schema.field(i).data_type().clone();
                Some(RowConverter::new(vec![SortField::new_with_options(dt, options)])?)
            }
        };
        Ok(Converters { key, by })
    }
}

struct Converters {
    key: RowConverter,
    by: Option<RowConverter>,
}

/// Where the current winner of a key lives.
#[derive(Debug, Clone, Copy)]
enum Loc {
    /// Row of the batch being processed.
    Pending(usize),
    /// Row of a retained chunk.
    Stored(usize, usize),
}

struct Slot {
    /// Position of the winning row in the stream.
    pos: u64,
    loc: Loc,
    /// Encoded `by` of the winning row.
    by: Box<[u8]>,
}

/// The whole-stream state: distinct keys and their winning rows.
struct State {
    step: Deduplicate,
    schema: Option<SchemaRef>,
    columns: Option<(Vec<usize>, Option<usize>, Converters)>,
    index: HashMap<Box<[u8]>, usize>,
    slots: Vec<Slot>,
    chunks: Vec<RecordBatch>,
    chunk_rows: usize,
    max_batch: usize,
    offset: u64,
}

impl State {
    fn new(step: Deduplicate) -> Self {
        State {
            step,
            schema: None,
            columns: None,
            index: HashMap::new(),
            slots: Vec::new(),
            chunks: Vec::new(),
            chunk_rows: 0,
            max_batch: 1,
            offset: 0,
        }
    }

    fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        match &self.schema {
            None => {
                let (keys, by) = self.step.positions(batch.schema_ref())?;
                let converters = self.step.converters(batch.schema_ref(), &keys, by)?;
                self.schema = Some(batch.schema());
                self.columns = Some((keys, by, converters));
            }
            Some(schema) if schema.fields() != batch.schema_ref().fields() => {
                return Err(Error::InvalidData(format!(
                    "deduplicate: a batch at stream row {} has schema {:?}, unlike the first batch's {:?}",
                    self.offset,
                    batch.schema_ref().fields(),
                    schema.fields()
                )));
            }
            Some(_) => {}
        }
        let Some((keys, by, converters)) = &self.columns else {
            return Ok(());
        };
        let n = batch.num_rows();
        self.max_batch = self.max_batch.max(n);
        if n == 0 {
            return Ok(());
        }
        let key_columns: Vec<ArrayRef> = keys.iter().map(|&i| batch.column(i).clone()).collect();
        let key_rows = converters.key.convert_columns(&key_columns)?;
        let by_rows: Option<Rows> = match (by, &converters.by) {
            (Some(i), Some(conv)) => Some(conv.convert_columns(&[batch.column(*i).clone()])?),
            _ => None,
        };
        let keep = self.step.keep;
        let mut touched: Vec<usize> = Vec::new();
        for i in 0..n {
            let key = key_rows.row(i);
            let by_value: &[u8] = by_rows.as_ref().map_or(&[], |r| r.row(i).data());
            let pos = self.offset + i as u64;
            match self.index.get(key.data()) {
                None => {
                    let id = self.slots.len();
                    self.slots.push(Slot {
                        pos,
                        loc: Loc::Pending(i),
                        by: by_value.into(),
                    });
                    self.index.insert(key.data().into(), id);
                    touched.push(id);
                }
                Some(&id) => {
                    let Some(slot) = self.slots.get_mut(id) else {
                        continue;
                    };
                    let wins = match (keep, by_rows.is_some()) {
                        (Keep::Latest, false) => true,
                        (Keep::First, false) => false,
                        (Keep::Latest, true) => by_value >= &slot.by[..],
                        (Keep::First, true) => by_value < &slot.by[..],
                    };
                    if wins {
                        if matches!(slot.loc, Loc::Stored(..)) {
                            touched.push(id);
                        }
                        slot.pos = pos;
                        slot.loc = Loc::Pending(i);
                        if slot.by.len() == by_value.len() {
                            slot.by.copy_from_slice(by_value);
                        } else {
                            slot.by = by_value.into();
                        }
                    }
                }
            }
        }
        self.offset += n as u64;
        if !touched.is_empty() {
            let mut rows = Vec::with_capacity(touched.len());
            for &id in &touched {
                if let Some(Slot {
                    loc: Loc::Pending(i), ..
                }) = self.slots.get(id)
                {
                    rows.push(*i as u32);
                }
            }
            let chunk = take_record_batch(batch, &UInt32Array::from(rows))?;
            let chunk_id = self.chunks.len();
            for (k, &id) in touched.iter().enumerate() {
                if let Some(slot) = self.slots.get_mut(id) {
                    slot.loc = Loc::Stored(chunk_id, k);
                }
            }
            self.chunk_rows += chunk.num_rows();
            self.chunks.push(chunk);
        }
        if self.chunk_rows > 2 * self.slots.len() + self.max_batch {
            self.compact()?;
        }
        Ok(())
    }

    /// Locations of the winners, in slot order.
    fn locations(&self, order: impl Iterator<Item = usize>) -> Vec<(usize, usize)> {
        order
            .filter_map(|id| match self.slots.get(id).map(|s| s.loc) {
                Some(Loc::Stored(c, r)) => Some((c, r)),
                _ => None,
            })
            .collect()
    }

    /// Rebuild the retained rows as one chunk holding only the winners.
    fn compact(&mut self) -> Result<()> {
        let indices = self.locations(0..self.slots.len());
        let chunks: Vec<&RecordBatch> = self.chunks.iter().collect();
        if chunks.is_empty() {
            return Ok(());
        }
        let compact = interleave_record_batch(&chunks, &indices)?;
        for (k, slot) in self.slots.iter_mut().enumerate() {
            slot.loc = Loc::Stored(0, k);
        }
        self.chunk_rows = compact.num_rows();
        self.chunks = vec![compact];
        Ok(())
    }

    /// The winners in stream order, as an output stream.
    fn finish(self) -> Output {
        let mut order: Vec<usize> = (0..self.slots.len()).collect();
        order.sort_by_key(|&id| self.slots.get(id).map_or(0, |s| s.pos));
        let indices = self.locations(order.into_iter());
        Output {
            chunks: self.chunks,
            indices,
            cursor: 0,
            batch: self.max_batch,
        }
    }
}

/// The emitting half of the stream: slices of the winners, interleaved on demand.
struct Output {
    chunks: Vec<RecordBatch>,
    indices: Vec<(usize, usize)>,
    cursor: usize,
    batch: usize,
}

impl Iterator for Output {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        let end = self.indices.len().min(self.cursor + self.batch);
        let slice = self.indices.get(self.cursor..end).filter(|s| !s.is_empty())?;
        self.cursor = end;
        let chunks: Vec<&RecordBatch> = self.chunks.iter().collect();
        Some(interleave_record_batch(&chunks, slice).map_err(Error::from))
    }
}

/// Consume `input`, then emit the winners.
struct DedupStream {
    input: Option<(BatchIter, State)>,
    output: Option<Output>,
}

impl Iterator for DedupStream {
    type Item = Result<RecordBatch>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some((input, mut state)) = self.input.take() {
            for batch in input {
                if let Err(e) = batch.and_then(|b| state.push(&b)) {
                    return Some(Err(e));
                }
            }
            self.output = Some(state.finish());
        }
        self.output.as_mut()?.next()
    }
}

#[typetag::serde(name = "deduplicate")]
impl Preprocessor for Deduplicate {
    fn output_schema(&self, input: &Schema) -> Result<Schema> {
        self.positions(input)?;
        Ok(input.clone())
    }

    fn process_batch(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        self.positions(batch.schema_ref())?;
        let single: BatchIter = Box::new(std::iter::once(Ok(batch.clone())));
        let out = self.process_stream(single).collect::<Result<Vec<_>>>()?;
        Ok(concat_batches(batch.schema_ref(), &out)?)
    }

    fn process_stream(&self, input: BatchIter) -> BatchIter {
        Box::new(DedupStream {
            input: Some((input, State::new(self.clone()))),
            output: None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{AsArray, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::Int64Type;

    use super::*;

    /// pandas reference frame:
    /// `pd.DataFrame({"id": ["a","b","a","c","b","a", None, None],
    ///                "ts": [3, 1, 5, None, 1, 5, 2, 1], "row": range(8)})`.
    fn table() -> RecordBatch {
        RecordBatch::try_from_iter([
            (
                "id",
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some("b"),
                    Some("a"),
                    Some("c"),
                    Some("b"),
                    Some("a"),
                    None,
                    None,
                ])) as ArrayRef,
            ),
            (
                "ts",
                Arc::new(Int64Array::from(vec![
                    Some(3),
                    Some(1),
                    Some(5),
                    None,
                    Some(1),
                    Some(5),
                    Some(2),
                    Some(1),
                ])) as ArrayRef,
            ),
            (
                "row",
                Arc::new(Int64Array::from((0..8).collect::<Vec<i64>>())) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn rows(out: &[RecordBatch]) -> Vec<i64> {
        out.iter()
            .flat_map(|b| b.column(2).as_primitive::<Int64Type>().values().to_vec())
            .collect()
    }

    fn run(step: &Deduplicate, batch_size: usize) -> Vec<i64> {
        let t = table();
        let batches: Vec<Result<RecordBatch>> = (0..t.num_rows())
            .step_by(batch_size)
            .map(|s| Ok(t.slice(s, batch_size.min(t.num_rows() - s))))
            .collect();
        let out = step
            .process_stream(Box::new(batches.into_iter()))
            .collect::<Result<Vec<_>>>()
            .unwrap();
        assert!(out.iter().all(|b| b.num_rows() <= batch_size));
        rows(&out)
    }

    // Reference: pandas 3.0 on the frame above
    //   df.drop_duplicates("id", keep="last")["row"]  -> [3, 4, 5, 7]
    //   df.drop_duplicates("id", keep="first")["row"] -> [0, 1, 3, 6]
    //   df.sort_values("ts", kind="stable", na_position="first")
    //     .drop_duplicates("id", keep="last").sort_index()["row"]  -> [3, 4, 5, 6]
    //   df.sort_values("ts", kind="stable", na_position="last")
    //     .drop_duplicates("id", keep="first").sort_index()["row"] -> [0, 1, 3, 7]
    #[test]
    fn matches_pandas_for_every_batch_size() {
        for batch_size in [1, 2, 3, 8] {
            assert_eq!(run(&Deduplicate::new(["id"]), batch_size), vec![3, 4, 5, 7]);
            let first = Deduplicate::new(["id"]).with_keep(Keep::First);
            assert_eq!(run(&first, batch_size), vec![0, 1, 3, 6]);
            let latest = Deduplicate::new(["id"]).with_by("ts");
            assert_eq!(run(&latest, batch_size), vec![3, 4, 5, 6]);
            let earliest = latest.clone().with_keep(Keep::First);
            assert_eq!(run(&earliest, batch_size), vec![0, 1, 3, 7]);
        }
    }

    #[test]
    fn all_columns_as_keys_and_single_batch() {
        let t = table();
        // keys = [] and by = ts: keys are (id, row) which are all distinct.
        let out = Deduplicate::new(Vec::<String>::new())
            .with_by("ts")
            .process_batch(&t)
            .unwrap();
        assert_eq!(out.num_rows(), 8);
        // keys = [] without by: every column.
        let dup = concat_batches(&t.schema(), &[t.clone(), t.clone()]).unwrap();
        let out = Deduplicate::new(Vec::<String>::new())
            .process_batch(&dup)
            .unwrap();
        assert_eq!(rows(&[out]), (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn compaction_keeps_memory_bounded_and_results_right() {
        // 5 keys over 100 batches of 50 rows: the retained rows must stay near 5.
        let batches: Vec<RecordBatch> = (0..100)
            .map(|b| {
                let ids: Vec<i64> = (0..50).map(|i| (b * 50 + i) % 5).collect();
                let ts: Vec<f64> = (0..50).map(|i| ((b * 50 + i) % 7) as f64).collect();
                let row: Vec<i64> = (0..50).map(|i| b * 50 + i).collect();
                RecordBatch::try_from_iter([
                    ("id", Arc::new(Int64Array::from(ids)) as ArrayRef),
                    ("ts", Arc::new(Float64Array::from(ts)) as ArrayRef),
                    ("row", Arc::new(Int64Array::from(row)) as ArrayRef),
                ])
                .unwrap()
            })
            .collect();
        let step = Deduplicate::new(["id"]).with_by("ts");
        let mut state = State::new(step.clone());
        for b in &batches {
            state.push(b).unwrap();
            assert!(state.chunk_rows <= 2 * state.slots.len() + 2 * state.max_batch);
        }
        let out = state.finish().collect::<Result<Vec<_>>>().unwrap();
        // Brute force: per id, the last row with the greatest ts.
        let mut best: HashMap<i64, (f64, i64)> = HashMap::new();
        for r in 0..5000i64 {
            let (id, ts) = (r % 5, (r % 7) as f64);
            let e = best.entry(id).or_insert((ts, r));
            if ts >= e.0 {
                *e = (ts, r);
            }
        }
        let mut expected: Vec<i64> = best.values().map(|(_, r)| *r).collect();
        expected.sort_unstable();
        assert_eq!(rows(&out), expected);
    }

    #[test]
    fn errors_and_empty() {
        let t = table();
        let err = Deduplicate::new(["zz"]).output_schema(&t.schema()).unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }));
        let err = Deduplicate::new(["id"])
            .with_by("zz")
            .process_batch(&t)
            .unwrap_err();
        assert!(matches!(err, Error::ColumnNotFound { .. }));
        let err = Deduplicate::new(["id", "id"])
            .output_schema(&t.schema())
            .unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }));
        let out = Deduplicate::new(["id"]).process_batch(&t.slice(0, 0)).unwrap();
        assert_eq!(out.num_rows(), 0);
        let none: BatchIter = Box::new(std::iter::empty());
        assert_eq!(Deduplicate::new(["id"]).process_stream(none).count(), 0);
        // An error in the input stream is passed on.
        let failing: BatchIter =
            Box::new(vec![Ok(t.clone()), Err(Error::InvalidData("boom".into()))].into_iter());
        let out: Vec<_> = Deduplicate::new(["id"]).process_stream(failing).collect();
        assert!(matches!(out.as_slice(), [Err(Error::InvalidData(_))]));
    }

    #[test]
    fn serde_form() {
        let step: Deduplicate =
            serde_json::from_str(r#"{"keys": ["id"], "by": "ts", "keep": "last"}"#).unwrap();
        assert_eq!(step, Deduplicate::new(["id"]).with_by("ts"));
        assert_eq!(
            serde_json::to_value(&step).unwrap(),
            serde_json::json!({"keys": ["id"], "by": "ts", "keep": "latest"})
        );
    }
}
