//! Integration tests of `ferrops::preprocess`: plans over CSV/Parquet streams, serde,
//! reference outputs from pandas, and errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;
use ferrops::data::{csv_batches, BatchIter, CsvOptions};
use ferrops::preprocess::{
    col, Cast, CastType, Clip, Deduplicate, Drop, DropNulls, Filter, How, Keep, ParseTimestamps,
    PreprocessPlan, Preprocessor, Rename, Select, TimestampErrors,
};
use ferrops::Error;

const ROWS: usize = 200_000;
const BATCH: usize = 8192;
const CITIES: [&str; 4] = ["Paris", "Lyon", "Nice", "Lille"];
const T0: i64 = 1_704_067_200; // 2024-01-01T00:00:00Z, seconds

/// The generated row `i`: (id, ts seconds or None for a bad string, amount or None, city).
fn row(i: usize) -> (i64, Option<i64>, Option<f64>, &'static str) {
    let id = (i * 7919 % 5000) as i64;
    let ts = (i % 97 != 0).then(|| T0 + ((i * 104_729) % 1_000_000) as i64);
    let amount = (i % 13 != 0).then(|| (i % 1000) as f64 / 10.0 - 20.0);
    (id, ts, amount, CITIES[i % 4])
}

fn write_big_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "id,ts,amount,city").unwrap();
    for i in 0..ROWS {
        let (id, ts, amount, city) = row(i);
        let ts = match ts {
            Some(s) => chrono::DateTime::from_timestamp(s, 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            None => "not a time".to_string(),
        };
        let amount = amount.map(|a| a.to_string()).unwrap_or_default();
        writeln!(f, "{id},{ts},{amount},{city}").unwrap();
    }
    f.flush().unwrap();
    path
}

fn options() -> CsvOptions {
    CsvOptions {
        batch_size: BATCH,
        ..Default::default()
    }
}

/// Wrap a stream, counting the batches pulled from it.
fn counted(input: BatchIter, pulled: Arc<AtomicUsize>) -> BatchIter {
    Box::new(input.inspect(move |_| {
        pulled.fetch_add(1, Ordering::SeqCst);
    }))
}

fn stateless_plan() -> PreprocessPlan {
    PreprocessPlan::new()
        .then(ParseTimestamps::new(["ts"]).with_errors(TimestampErrors::Coerce))
        .then(DropNulls::columns(["ts", "amount"]))
        .then(Filter::new(
            col("amount").gt(0).and(col("city").is_in(["Paris", "Lyon"])),
        ))
        .then(Clip::new(["amount"], None, Some(50.0)))
        .then(Rename::new([("amount", "eur")]))
        .then(Drop::new(["city"]))
}

#[test]
fn large_csv_streams_in_bounded_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_big_csv(dir.path());
    let plan = stateless_plan();
    let (schema, input) = csv_batches(&path, &options()).unwrap();
    let out_schema = plan.output_schema(&schema).unwrap();
    assert_eq!(
        out_schema.field(1).data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    let pulled = Arc::new(AtomicUsize::new(0));
    let stream = plan.run(counted(input, pulled.clone()));

    let mut emitted = 0usize;
    let mut rows = 0usize;
    let mut eur_sum = 0.0;
    for batch in stream {
        let batch = batch.unwrap();
        emitted += 1;
        // Stateless steps: one output batch per input batch, never larger, and the
        // plan has pulled only the batch it just emitted.
        assert!(batch.num_rows() <= BATCH);
        assert_eq!(pulled.load(Ordering::SeqCst), emitted);
        assert_eq!(batch.schema().as_ref(), &out_schema);
        rows += batch.num_rows();
        eur_sum += batch
            .column(2)
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .sum::<f64>();
    }
    assert_eq!(emitted, ROWS.div_ceil(BATCH));

    // The same computation, row by row.
    let (mut want_rows, mut want_sum) = (0usize, 0.0);
    for i in 0..ROWS {
        let (_, ts, amount, city) = row(i);
        if let (Some(_), Some(a)) = (ts, amount) {
            if a > 0.0 && (city == "Paris" || city == "Lyon") {
                want_rows += 1;
                want_sum += a.min(50.0);
            }
        }
    }
    assert_eq!(rows, want_rows);
    assert!((eur_sum - want_sum).abs() < 1e-6 * want_sum.abs().max(1.0));
}

#[test]
fn large_csv_deduplicates_over_the_whole_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_big_csv(dir.path());
    let plan = PreprocessPlan::new()
        .then(ParseTimestamps::new(["ts"]).with_errors(TimestampErrors::Coerce))
        .then(Deduplicate::new(["id"]).with_by("ts").with_keep(Keep::Latest));
    let (_, stream) = plan.run_csv(&path, &options()).unwrap();
    let mut got: HashMap<i64, Option<i64>> = HashMap::new();
    let mut previous_order = Vec::new();
    for batch in stream {
        let batch = batch.unwrap();
        assert!(batch.num_rows() <= BATCH);
        let ids = batch.column(0).as_primitive::<Int64Type>();
        let ts = batch.column(1).as_primitive::<TimestampMicrosecondType>();
        for r in 0..batch.num_rows() {
            let t = ts.is_valid(r).then(|| ts.value(r) / 1_000_000);
            assert!(got.insert(ids.value(r), t).is_none(), "duplicate id in output");
            previous_order.push(ids.value(r));
        }
    }
    // Brute force: per id the greatest ts, a null ts losing, ties to the later row;
    // output in the stream order of the kept rows.
    let mut best: HashMap<i64, (Option<i64>, usize)> = HashMap::new();
    for i in 0..ROWS {
        let (id, ts, _, _) = row(i);
        let e = best.entry(id).or_insert((ts, i));
        if ts >= e.0 {
            *e = (ts, i);
        }
    }
    assert_eq!(got.len(), best.len());
    for (id, (ts, _)) in &best {
        assert_eq!(got.get(id), Some(ts), "id {id}");
    }
    let mut order: Vec<(usize, i64)> = best.iter().map(|(id, (_, i))| (*i, *id)).collect();
    order.sort_unstable();
    assert_eq!(
        previous_order,
        order.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
    );
}

const SMALL_CSV: &str = "id,ts,amount,city
1,2024-01-02 10:00:00,10.5,Paris
2,bad,3.0,Lyon
1,2024-01-03 09:00:00,,Paris
3,2024-01-01T00:00:00,-2.0,Nice
2,2024-01-05 00:00:00,7.25,Lyon
3,,100.0,Nice
4,2024-01-04 12:30:00,NaN,Lille
1,2024-01-03 09:00:00,55.0,Paris
5,2024-01-06 00:00:00,80.0,Lille
";

fn full_plan() -> PreprocessPlan {
    PreprocessPlan::new()
        .then(ParseTimestamps::new(["ts"]).with_errors(TimestampErrors::Coerce))
        .then(DropNulls::columns(["ts"]))
        .then(Deduplicate::new(["id"]).with_by("ts"))
        .then(Clip::new(["amount"], Some(0.0), Some(50.0)))
        .then(Filter::new(col("city").is_in(["Paris", "Lyon", "Lille"])))
        .then(DropNulls::any().with_how(How::Any))
        .then(Cast::new([("id", CastType::String)]))
        .then(Select::new(["id", "ts", "amount"]))
}

/// Reference: pandas 3.0
/// ```python
/// df = pd.read_csv("small.csv")
/// df["ts"] = pd.to_datetime(df.ts, errors="coerce", format="ISO8601")
/// df = df.dropna(subset=["ts"])
/// df = df.sort_values("ts", kind="stable", na_position="first")
///        .drop_duplicates("id", keep="last").sort_index()
/// df["amount"] = df.amount.clip(0, 50)
/// df = df[df.city.isin(["Paris", "Lyon", "Lille"])].dropna()
/// # id [2, 1, 5], amount [7.25, 50.0, 50.0],
/// # ts (ms) [1704412800000, 1704272400000, 1704499200000]
/// ```
#[test]
fn small_csv_matches_pandas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.csv");
    std::fs::write(&path, SMALL_CSV).unwrap();
    for batch_size in [1, 2, 4, 100] {
        let opts = CsvOptions {
            batch_size,
            ..Default::default()
        };
        let (schema, stream) = full_plan().run_csv(&path, &opts).unwrap();
        let batches = stream.collect::<ferrops::Result<Vec<_>>>().unwrap();
        let out = arrow::compute::concat_batches(&schema, &batches).unwrap();
        let ids: Vec<&str> = out.column(0).as_string::<i32>().iter().flatten().collect();
        assert_eq!(ids, vec!["2", "1", "5"], "batch size {batch_size}");
        let ts = out.column(1).as_primitive::<TimestampMicrosecondType>();
        assert_eq!(
            ts.values().to_vec(),
            vec![
                1_704_412_800_000_000,
                1_704_272_400_000_000,
                1_704_499_200_000_000
            ]
        );
        let amount = out.column(2).as_primitive::<Float64Type>();
        assert_eq!(amount.values().to_vec(), vec![7.25, 50.0, 50.0]);
    }
}

#[test]
fn plan_round_trips_through_json() {
    let plan = full_plan().then(Rename::new([("amount", "eur")]));
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"steps": [
            {"type": "parse_timestamps", "columns": ["ts"], "format": null, "timezone": null,
             "unit": "us", "errors": "coerce"},
            {"type": "drop_nulls", "columns": ["ts"], "how": "any"},
            {"type": "deduplicate", "keys": ["id"], "by": "ts", "keep": "latest"},
            {"type": "clip", "columns": ["amount"], "lower": 0.0, "upper": 50.0},
            {"type": "filter", "predicate": {"op": "is_in", "column": "city",
                                             "values": ["Paris", "Lyon", "Lille"]}},
            {"type": "drop_nulls", "columns": null, "how": "any"},
            {"type": "cast", "columns": {"id": "string"}, "safe": false},
            {"type": "select", "columns": ["id", "ts", "amount"]},
            {"type": "rename", "mapping": {"amount": "eur"}},
        ]})
    );
    let back = PreprocessPlan::from_json(&plan.to_json().unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.csv");
    std::fs::write(&path, SMALL_CSV).unwrap();
    let table = ferrops::data::read_csv(&path, &Default::default()).unwrap();
    assert_eq!(back.run_table(&table).unwrap(), plan.run_table(&table).unwrap());
    // Hand-written JSON with defaults left out and operator aliases.
    let hand: PreprocessPlan = serde_json::from_str(
        r#"{"steps": [
            {"type": "parse_timestamps", "columns": ["ts"], "errors": "coerce"},
            {"type": "filter", "predicate": {"op": "and", "predicates": [
                {"op": ">=", "column": "ts", "value": "2024-01-03"},
                {"op": "not", "predicate": {"op": "is_null", "column": "amount"}}]}},
            {"type": "drop", "columns": ["city"]}
        ]}"#,
    )
    .unwrap();
    let out = hand.run_table(&table).unwrap();
    assert_eq!(out.num_rows(), 3);
    assert_eq!(out.num_columns(), 3);
}

#[test]
fn parquet_streams_through_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let n = 50_000usize;
    let table = RecordBatch::try_from_iter([
        (
            "id",
            Arc::new(Int64Array::from(
                (0..n as i64).map(|i| i % 100).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "x",
            Arc::new(Float64Array::from((0..n).map(|i| i as f64).collect::<Vec<_>>())) as ArrayRef,
        ),
    ])
    .unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, table.schema(), None).unwrap();
    writer.write(&table).unwrap();
    writer.close().unwrap();

    let plan = PreprocessPlan::new().then(Filter::new(col("x").lt(1000)));
    let (_, stream) = plan.run_parquet(&path, 4096).unwrap();
    let batches = stream.collect::<ferrops::Result<Vec<_>>>().unwrap();
    assert!(batches.iter().all(|b| b.num_rows() <= 4096));
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 1000);

    let plan = PreprocessPlan::new().then(Deduplicate::new(["id"]).with_keep(Keep::First));
    let (_, stream) = plan.run_parquet(&path, 4096).unwrap();
    let batches = stream.collect::<ferrops::Result<Vec<_>>>().unwrap();
    let xs: Vec<f64> = batches
        .iter()
        .flat_map(|b| b.column(1).as_primitive::<Float64Type>().values().to_vec())
        .collect();
    assert_eq!(xs, (0..100).map(f64::from).collect::<Vec<_>>());
}

#[test]
fn errors_are_specific_and_early() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.csv");
    std::fs::write(&path, SMALL_CSV).unwrap();
    let opts = CsvOptions::default();

    // Missing column: reported by run_csv before any row is read.
    let plan = PreprocessPlan::new().then(Select::new(["nope"]));
    assert!(matches!(
        plan.run_csv(&path, &opts),
        Err(Error::ColumnNotFound { .. })
    ));

    // Wrong type.
    let plan = PreprocessPlan::new().then(Clip::new(["city"], Some(0.0), None));
    assert!(matches!(
        plan.run_csv(&path, &opts),
        Err(Error::ColumnType { .. })
    ));

    // Bad predicate literal type.
    let plan = PreprocessPlan::new().then(Filter::new(col("amount").eq("ten")));
    match plan.run_csv(&path, &opts) {
        Err(Error::InvalidParameter { name, reason, .. }) => {
            assert_eq!(name, "predicate");
            assert!(reason.contains("amount"), "{reason}");
        }
        Err(other) => panic!("unexpected {other}"),
        Ok(_) => panic!("a string literal compared with a float column was accepted"),
    }

    // A bad value names the stream row (data row 1 is "bad"), across batch boundaries.
    let plan = PreprocessPlan::new().then(ParseTimestamps::new(["ts"]));
    let opts1 = CsvOptions {
        batch_size: 1,
        ..Default::default()
    };
    let (_, stream) = plan.run_csv(&path, &opts1).unwrap();
    let err = stream.filter_map(|b| b.err()).next().unwrap();
    match err {
        Error::InvalidValue {
            column, row, value, ..
        } => {
            assert_eq!((column.as_str(), row, value.as_str()), ("ts", 1, "\"bad\""));
        }
        other => panic!("unexpected {other}"),
    }

    // lower > upper.
    let plan = PreprocessPlan::new().then(Clip::new(["amount"], Some(5.0), Some(1.0)));
    assert!(matches!(
        plan.run_csv(&path, &opts),
        Err(Error::InvalidParameter { .. })
    ));

    // An unknown step type.
    assert!(matches!(
        PreprocessPlan::from_json(r#"{"steps": [{"type": "explode"}]}"#),
        Err(Error::Serialization(_))
    ));
}

#[test]
fn empty_batches_and_all_null_columns() {
    let table = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 1, 2])) as ArrayRef),
        (
            "ts",
            Arc::new(StringArray::from(vec![None::<&str>, None, None])) as ArrayRef,
        ),
        (
            "x",
            Arc::new(Float64Array::from(vec![None, None, None])) as ArrayRef,
        ),
    ])
    .unwrap();
    let steps: Vec<Box<dyn Preprocessor>> = vec![
        Box::new(ParseTimestamps::new(["ts"])),
        Box::new(Cast::new([("x", CastType::Int64)])),
        Box::new(Clip::new(["x"], Some(0.0), Some(1.0))),
        Box::new(Filter::new(col("x").gt(0))),
        Box::new(DropNulls::columns(["x"])),
        Box::new(Deduplicate::new(["id"]).with_by("x")),
        Box::new(Rename::new([("x", "y")])),
        Box::new(Select::new(["x"])),
        Box::new(Drop::new(["x"])),
    ];
    for step in &steps {
        // Every step agrees with its output schema, on a full and on an empty batch.
        for t in [table.clone(), table.slice(0, 0)] {
            let out = step.process_batch(&t).unwrap();
            assert_eq!(
                out.schema().as_ref(),
                &step.output_schema(&t.schema()).unwrap(),
                "{step:?}"
            );
        }
    }
    // All-null `by`: ties everywhere, so the later row of each id wins.
    let out = Deduplicate::new(["id"])
        .with_by("x")
        .process_batch(&table)
        .unwrap();
    assert_eq!(out.num_rows(), 2);
    // A stream of only empty batches.
    let empties: BatchIter = Box::new((0..3).map(move |_| Ok(table.slice(0, 0))));
    let plan = PreprocessPlan::new()
        .then(Filter::new(col("id").gt(0)))
        .then(Deduplicate::new(["id"]));
    assert_eq!(plan.run(empties).count(), 0);
    // A CSV with a header only.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.csv");
    std::fs::write(&path, "a,b\n").unwrap();
    let plan = PreprocessPlan::new().then(DropNulls::any());
    let (schema, stream) = plan.run_csv(&path, &Default::default()).unwrap();
    assert_eq!(schema.fields().len(), 2);
    assert_eq!(stream.map(|b| b.unwrap().num_rows()).sum::<usize>(), 0);
}
