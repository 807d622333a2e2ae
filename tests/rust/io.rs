//! Reading CSV and Parquet: schema inference, null tokens, streaming, and clear errors on
//! bad files (non-UTF-8, truncated, missing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use ferrops::data::{csv_batches, parquet_batches, read_csv, read_parquet, CsvOptions};
use ferrops::Error;
use parquet::arrow::ArrowWriter;

#[test]
fn csv_infers_types_and_reads_null_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    fs::write(&path, "age,city,score\n31,paris,?\nNA,lyon,2.5\n40,,3\n").unwrap();
    let table = read_csv(&path, &CsvOptions::default()).unwrap();
    let types: Vec<DataType> = table
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(types, [DataType::Int64, DataType::Utf8, DataType::Float64]);
    assert_eq!(table.column(0).null_count(), 1); // "NA"
    assert_eq!(table.column(1).null_count(), 1); // ""
    assert_eq!(table.column(2).null_count(), 1); // "?"

    // Custom tokens: only "-" is null, so "?" makes `score` a string column.
    let strict = read_csv(&path, &CsvOptions::default().with_null_values(["-"])).unwrap();
    assert_eq!(strict.schema().field(2).data_type(), &DataType::Utf8);
}

#[test]
fn csv_streams_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let mut text = String::from("x\n");
    for i in 0..10_000 {
        text.push_str(&format!("{i}\n"));
    }
    fs::write(&path, text).unwrap();
    let options = CsvOptions {
        batch_size: 1024,
        ..Default::default()
    };
    let (_, batches) = csv_batches(&path, &options).unwrap();
    let sizes: Vec<usize> = batches.map(|b| b.unwrap().num_rows()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 10_000);
    assert!(sizes.iter().all(|&n| n <= 1024));
}

#[test]
fn non_utf8_csv_is_a_clear_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.csv");
    fs::write(&path, b"name,x\nJos\xe9,1\n").unwrap();
    let err = read_csv(&path, &CsvOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Read { format: "CSV", .. }), "{err}");
    assert!(err.to_string().contains("UTF-8"), "{err}");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = read_csv("/nonexistent/ferrops.csv", &CsvOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("/nonexistent/ferrops.csv"),
        "{err}"
    );
    assert!(matches!(
        read_parquet("/nonexistent/x.parquet"),
        Err(Error::Io { .. })
    ));
}

#[test]
fn parquet_round_trip_and_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.parquet");
    let table = RecordBatch::try_from_iter([
        (
            "x",
            Arc::new(Float64Array::from(vec![Some(1.0), None, Some(3.0)])) as ArrayRef,
        ),
        ("s", Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef),
    ])
    .unwrap();
    let mut writer = ArrowWriter::try_new(fs::File::create(&path).unwrap(), table.schema(), None).unwrap();
    writer.write(&table).unwrap();
    writer.close().unwrap();
    assert_eq!(read_parquet(&path).unwrap(), table);
    let (_, mut batches) = parquet_batches(&path, 2).unwrap();
    assert_eq!(batches.next().unwrap().unwrap().num_rows(), 2);

    let bytes = fs::read(&path).unwrap();
    let truncated = dir.path().join("truncated.parquet");
    fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_parquet(&truncated).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Read {
                format: "Parquet",
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        parquet_batches(&path, 0),
        Err(Error::InvalidParameter { .. })
    ));
}
