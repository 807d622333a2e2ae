//! Integration tests of `ferrops::validate::data`: schema inference against pandas
//! (`tests/fixtures/validation/reference.json`, written by `make_reference.py` there),
//! JSON/YAML round trips, hand-edited files and their mistakes, every anomaly kind with
//! its observed/expected values, severities, `mostly`, uniqueness against pandas
//! `duplicated(keep=False)`, empty tables, corrupt files and hostile paths.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, NullArray, StringArray,
};
use arrow::datatypes::Int8Type;
use arrow::record_batch::RecordBatch;
use ferrops::validate::data::{
    expect, validate, Anomaly, Check, ColumnSchema, InferOptions, LogicalType, Schema, Severity,
    ValidationReport, Validator,
};
use ferrops::Error;
use serde_json::Value;

fn reference() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/validation/reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The reference table as Arrow, with pandas' dtypes.
fn reference_table(doc: &Value) -> RecordBatch {
    let columns: Vec<(String, ArrayRef)> = doc["order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| {
            let name = name.as_str().unwrap();
            let col = &doc["columns"][name];
            let values = col["values"].as_array().unwrap();
            let array: ArrayRef = match col["dtype"].as_str().unwrap() {
                "int64" => Arc::new(Int64Array::from_iter(values.iter().map(Value::as_i64))),
                "float64" => Arc::new(Float64Array::from_iter(values.iter().map(Value::as_f64))),
                "bool" => Arc::new(BooleanArray::from_iter(values.iter().map(Value::as_bool))),
                "object" | "str" => Arc::new(StringArray::from_iter(values.iter().map(Value::as_str))),
                other => panic!("dtype {other}"),
            };
            (name.to_string(), array)
        })
        .collect();
    RecordBatch::try_from_iter(columns).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn only(report: &ValidationReport, check: Check) -> &Anomaly {
    let found: Vec<&Anomaly> = report.of_check(check).collect();
    assert_eq!(found.len(), 1, "expected one {check} anomaly in {report}");
    found[0]
}

#[test]
fn inference_matches_pandas() {
    let doc = reference();
    let table = reference_table(&doc);
    let schema = Schema::infer(&table, &InferOptions::default()).unwrap();
    assert_eq!(schema.columns.len(), 7);
    assert_eq!(schema.row_count.min, Some(1));
    let types: Vec<LogicalType> = schema.columns.iter().map(|c| c.logical_type).collect();
    use LogicalType as L;
    assert_eq!(
        types,
        [L::Int, L::Int, L::Float, L::String, L::Bool, L::String, L::Int]
    );
    let n = doc["n_rows"].as_f64().unwrap();

    for name in ["customer_id", "age", "income", "store"] {
        let want = &doc["stats"][name];
        let column = schema.column(name).unwrap();
        let stats = column.stats.as_ref().unwrap();
        assert_eq!(stats.count, want["count"].as_u64().unwrap(), "{name}");
        assert_eq!(stats.null_count, want["null_count"].as_u64().unwrap(), "{name}");
        assert_eq!(
            stats.distinct_count,
            want["nunique"].as_u64().unwrap(),
            "{name} nunique"
        );
        for (field, got) in [
            ("mean", stats.mean),
            ("std", stats.std),
            ("min", stats.min),
            ("max", stats.max),
        ] {
            let w = want[field].as_f64().unwrap();
            assert!(close(got.unwrap(), w), "{name} {field}: {got:?} vs pandas {w}");
        }
        let quantiles = want["quantiles"].as_array().unwrap();
        assert_eq!(stats.quantiles.len(), quantiles.len());
        for (got, w) in stats.quantiles.iter().zip(quantiles) {
            assert_eq!(got.q, w[0].as_f64().unwrap());
            assert!(
                close(got.value, w[1].as_f64().unwrap()),
                "{name} q{}: {} vs {}",
                got.q,
                got.value,
                w[1]
            );
        }
        // The inferred range is the observed one (range_margin = 0).
        assert_eq!(column.min, Some(want["min"].as_f64().unwrap()));
        assert_eq!(column.max, Some(want["max"].as_f64().unwrap()));
        let nulls = want["null_count"].as_f64().unwrap();
        let limit = if nulls == 0.0 { 0.0 } else { nulls / n + 0.05 };
        assert!(
            close(column.max_null_fraction.unwrap(), limit),
            "{name} null limit"
        );
    }
    let income = schema.column("income").unwrap();
    assert_eq!(income.max_nan_fraction, Some(0.0));
    assert_eq!(schema.column("age").unwrap().max_nan_fraction, None);

    let country = schema.column("country").unwrap();
    let want = &doc["stats"]["country"];
    let domain: Vec<String> = serde_json::from_value(want["domain"].clone()).unwrap();
    assert_eq!(country.domain.as_ref().unwrap(), &domain);
    let stats = country.stats.as_ref().unwrap();
    assert_eq!(stats.null_count, want["null_count"].as_u64().unwrap());
    assert_eq!(stats.distinct_count, want["nunique"].as_u64().unwrap());
    for top in &stats.top_values {
        assert_eq!(
            top.count,
            want["value_counts"][&top.value].as_u64().unwrap(),
            "{}",
            top.value
        );
    }
    assert_eq!(stats.top_values[0].value, "DE");
    // 4 regions: a domain; 240 distinct ids would not be (max_domain_size 3 here).
    assert!(schema.column("region").unwrap().domain.is_some());
    let small = InferOptions {
        max_domain_size: 3,
        ..InferOptions::default()
    };
    assert!(Schema::infer(&table, &small)
        .unwrap()
        .column("country")
        .unwrap()
        .domain
        .is_none());

    let active = schema.column("active").unwrap().stats.clone().unwrap();
    assert!(close(
        active.mean.unwrap(),
        doc["stats"]["active"]["mean"].as_f64().unwrap()
    ));
    assert_eq!(active.distinct_count, 2);

    // The table it was inferred from passes.
    let report = validate(&schema, &table).unwrap();
    assert!(report.anomalies.is_empty(), "{report}");
}

#[test]
fn range_margin_widens_and_rounds_integers_outwards() {
    let t = batch(vec![
        ("i", Arc::new(Int64Array::from(vec![10, 13, 20])) as _),
        ("f", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])) as _),
    ]);
    let options = InferOptions {
        range_margin: 0.15,
        ..InferOptions::default()
    };
    let schema = Schema::infer(&t, &options).unwrap();
    // span 10, margin 1.5: [8.5, 21.5] rounded outwards for ints.
    assert_eq!(schema.column("i").unwrap().min, Some(8.0));
    assert_eq!(schema.column("i").unwrap().max, Some(22.0));
    assert!(close(schema.column("f").unwrap().min.unwrap(), 0.7));
    assert!(close(schema.column("f").unwrap().max.unwrap(), 3.3));
    let no_ranges = InferOptions {
        infer_ranges: false,
        ..InferOptions::default()
    };
    assert_eq!(
        Schema::infer(&t, &no_ranges).unwrap().column("i").unwrap().min,
        None
    );
    let bad = InferOptions {
        range_margin: -1.0,
        ..InferOptions::default()
    };
    assert!(matches!(
        Schema::infer(&t, &bad),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn json_and_yaml_round_trip_in_memory_and_on_disk() {
    let doc = reference();
    let table = reference_table(&doc);
    let schema = Schema::infer(&table, &InferOptions::default())
        .unwrap()
        .with_expectation(expect::column("age").between(0.0, 120.0).mostly(0.99))
        .with_expectation(expect::column("country").in_set(["DE", "FR"]).warn())
        .with_expectation(expect::column("store").in_set([1, 2, 3]))
        .with_expectation(expect::column("region").matches("^[a-z]+$"))
        .with_expectation(expect::column("customer_id").unique())
        .with_expectation(expect::column("income").not_null().mostly(0.9))
        .with_expectation(expect::table().row_count_between(1, 1_000_000))
        .with_expectation(expect::unique_key(["region", "store"]).severity(Severity::Warning))
        .with_severity(Check::ExtraColumn, Severity::Error);
    assert_eq!(Schema::from_json(&schema.to_json().unwrap()).unwrap(), schema);
    assert_eq!(Schema::from_yaml(&schema.to_yaml().unwrap()).unwrap(), schema);
    let yaml = schema.to_yaml().unwrap();
    assert!(yaml.contains("check: between"), "{yaml}");
    assert!(yaml.contains("min: 0\n"), "integers stay integers: {yaml}");

    let dir = tempfile::tempdir().unwrap();
    for file in ["s.json", "s.yaml", "s.YML"] {
        let path = dir.path().join(file);
        schema.save(&path).unwrap();
        assert_eq!(Schema::load(&path).unwrap(), schema, "{file}");
    }
    let json_text = std::fs::read_to_string(dir.path().join("s.json")).unwrap();
    assert!(json_text.starts_with("{\n  \"format\": \"ferrops.data_schema/1\""));
    let bad = dir.path().join("s.txt");
    assert!(matches!(schema.save(&bad), Err(Error::InvalidParameter { .. })));
    assert!(matches!(Schema::load(&bad), Err(Error::InvalidParameter { .. })));
}

const HAND_WRITTEN: &str = "\
format: ferrops.data_schema/1
row_count: {min: 2, max: 5}
severity:
  extra_column: error
columns:
- name: age
  type: int
  max_null_fraction: 0
  min: 0
  max: 120
- name: country
  type: string
  domain: [DE, FR]
  severity: {domain: warning}
- name: spend
  type: float
  required: false
expectations:
- check: unique
  column: age
";

#[test]
fn hand_written_yaml_loads_and_validates() {
    let schema = Schema::from_yaml(HAND_WRITTEN).unwrap();
    assert_eq!(schema.row_count.max, Some(5));
    assert!(!schema.column("spend").unwrap().required);
    assert_eq!(schema.column("age").unwrap().max_null_fraction, Some(0.0));
    let t = batch(vec![
        ("age", Arc::new(Int64Array::from(vec![30, 30, 40])) as _),
        (
            "country",
            Arc::new(StringArray::from(vec!["DE", "IT", "FR"])) as _,
        ),
    ]);
    let report = validate(&schema, &t).unwrap();
    // spend is optional: no missing_column; IT is a warning; the repeated age an error.
    let checks: Vec<(Check, Severity)> = report.anomalies.iter().map(|a| (a.check, a.severity)).collect();
    assert_eq!(
        checks,
        [
            (Check::Domain, Severity::Warning),
            (Check::Unique, Severity::Error)
        ]
    );
    let unique = only(&report, Check::Unique);
    assert_eq!(unique.unexpected_count, Some(2));
    assert_eq!(unique.examples, ["30"]);
    assert!(!report.passed());
}

#[test]
fn mistakes_in_a_hand_edited_file_name_their_place() {
    let cases = [
        ("  type: int\n", "  type: integer\n", "unknown variant `integer`"),
        (
            "  min: 0\n",
            "  min: 500\n",
            "columns[0] (age): min 500 is greater than max 120",
        ),
        (
            "  extra_column: error\n",
            "  extra_colum: error\n",
            "unknown variant `extra_colum`",
        ),
        (
            "  max_null_fraction: 0\n",
            "  max_nul_fraction: 0\n",
            "unknown field `max_nul_fraction`",
        ),
        (
            "  max_null_fraction: 0\n",
            "  max_null_fraction: 1.5\n",
            "max_null_fraction = 1.5 must be in [0, 1]",
        ),
        (
            "  domain: [DE, FR]\n",
            "  domain: [DE, FR]\n  min: 3\n",
            "columns[1] (country): min and max apply",
        ),
        (
            "  column: age\n",
            "  column: age\n  pattern: x\n",
            "`pattern` does not apply to expectation `unique`",
        ),
        ("check: unique\n", "check: unik\n", "unknown variant `unik`"),
        (
            "check: unique\n",
            "check: between\n",
            "expectations[0] (between): give min, max or both",
        ),
        (
            "check: unique\n",
            "check: range\n",
            "`range` is a schema check, not an expectation",
        ),
        (
            "  extra_column: error\n",
            "  unique: error\n",
            "severity: `unique` is an expectation",
        ),
        (
            "- name: spend\n",
            "- name: age\n",
            "columns[2] (age): the column name appears twice",
        ),
        (
            "format: ferrops.data_schema/1\n",
            "format: other/9\n",
            "unknown schema format",
        ),
        (
            "  column: age\n",
            "  column: country\n  mostly: 2\n",
            "mostly = 2 must be in [0, 1]",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (from, to, message) in cases {
        assert!(HAND_WRITTEN.contains(from), "{from}");
        let text = HAND_WRITTEN.replacen(from, to, 1);
        let err = Schema::from_yaml(&text).unwrap_err();
        assert!(matches!(err, Error::Serialization(_)), "{err}");
        assert!(err.to_string().contains(message), "{to:?}: {err}");
        let path = dir.path().join("edited.yaml");
        std::fs::write(&path, &text).unwrap();
        let err = Schema::load(&path).unwrap_err();
        assert!(matches!(err, Error::Artifact { .. }), "{err}");
        assert!(
            err.to_string().contains("edited.yaml") && err.to_string().contains(message),
            "{err}"
        );
    }
    // YAML errors carry the line.
    let err = Schema::from_yaml(&HAND_WRITTEN.replacen("  type: int\n", "  type: integer\n", 1)).unwrap_err();
    assert!(err.to_string().contains("line 7"), "{err}");
    // A between on a column the schema types as string is misuse.
    let schema = Schema::from_yaml(HAND_WRITTEN)
        .unwrap()
        .with_expectation(expect::column("country").between(0.0, 1.0));
    let err = validate(
        &schema,
        &batch(vec![("age", Arc::new(Int64Array::from(vec![1])) as _)]),
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    assert!(err.to_string().contains("expectations[1] (between)"), "{err}");
}

#[test]
fn corrupt_files_and_hostile_paths_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let schema = Schema::from_yaml(HAND_WRITTEN).unwrap();
    for (name, text) in [
        (
            "c.json",
            "{\"format\": \"ferrops.data_schema/1\", \"columns\": [{\"name\": ",
        ),
        ("c.yaml", "columns: [[[\n\u{0}"),
        ("d.json", "\u{feff}\u{1}\u{2} binary"),
        ("e.json", "42"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        assert!(
            matches!(Schema::load(&path), Err(Error::Artifact { .. })),
            "{name}"
        );
    }
    std::fs::write(dir.path().join("bytes.yaml"), [0xff, 0xfe, 0x00, 0x80]).unwrap();
    assert!(Schema::load(dir.path().join("bytes.yaml")).is_err());
    // A directory, a missing parent, a missing file.
    let as_dir = dir.path().join("sub.json");
    std::fs::create_dir(&as_dir).unwrap();
    assert!(matches!(schema.save(&as_dir), Err(Error::Io { .. })));
    assert!(matches!(Schema::load(&as_dir), Err(Error::Io { .. })));
    let orphan = dir.path().join("no/such/dir/s.yaml");
    let err = schema.save(&orphan).unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("no/such/dir"),
        "{err}"
    );
    assert!(matches!(Schema::load(&orphan), Err(Error::Io { .. })));
    assert!(matches!(
        Schema::from_json("not json"),
        Err(Error::Serialization(_))
    ));
}

/// The schema of the anomaly tests: inferred from a clean table.
fn clean_schema() -> Schema {
    let t = batch(vec![
        ("age", Arc::new(Int64Array::from(vec![18, 30, 45, 90])) as _),
        (
            "income",
            Arc::new(Float64Array::from(vec![Some(1.0), Some(2.5), None, Some(4.0)])) as _,
        ),
        (
            "country",
            Arc::new(StringArray::from(vec!["DE", "FR", "US", "DE"])) as _,
        ),
        (
            "active",
            Arc::new(BooleanArray::from(vec![true, false, true, true])) as _,
        ),
    ]);
    Schema::infer(&t, &InferOptions::default()).unwrap()
}

#[test]
fn every_schema_anomaly_is_detected_with_observed_and_expected() {
    let schema = clean_schema();
    assert_eq!(schema.column("income").unwrap().max_null_fraction, Some(0.3));
    let bad = batch(vec![
        // type change: strings where ints are expected
        (
            "age",
            Arc::new(StringArray::from(vec!["18", "x", "3", "4", "5"])) as _,
        ),
        // 2 nulls of 5 (> 0.3), a NaN (> 0), and 9.5 and -1 outside [1, 4]
        (
            "income",
            Arc::new(Float64Array::from(vec![
                Some(9.5),
                None,
                Some(f64::NAN),
                None,
                Some(-1.0),
            ])) as _,
        ),
        (
            "country",
            Arc::new(StringArray::from(vec![
                Some("DE"),
                Some("BR"),
                Some("BR"),
                Some("MX"),
                None,
            ])) as _,
        ),
        // "active" is missing; "extra" is new
        ("extra", Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5])) as _),
    ]);
    let report = validate(&schema, &bad).unwrap();
    let checks: Vec<(Option<&str>, Check)> = report
        .anomalies
        .iter()
        .map(|a| (a.column.as_deref(), a.check))
        .collect();
    assert_eq!(
        checks,
        [
            (Some("age"), Check::Type),
            (Some("income"), Check::Nulls),
            (Some("income"), Check::Nan),
            (Some("income"), Check::Range),
            (Some("country"), Check::Nulls),
            (Some("country"), Check::Domain),
            (Some("active"), Check::MissingColumn),
            (Some("extra"), Check::ExtraColumn),
        ],
        "{report}"
    );
    let a = &report.anomalies;
    assert_eq!(
        (a[0].observed.as_str(), a[0].expected.as_str()),
        ("string, Arrow Utf8", "int")
    );
    assert_eq!(
        (a[1].observed.as_str(), a[1].expected.as_str()),
        ("0.4 (2 of 5 rows)", "<= 0.3")
    );
    assert_eq!(
        (a[1].unexpected_count, a[1].unexpected_fraction),
        (Some(2), Some(0.4))
    );
    assert_eq!(
        (a[2].observed.as_str(), a[2].expected.as_str()),
        ("0.2 (1 of 5 rows)", "<= 0")
    );
    assert_eq!(
        (a[3].observed.as_str(), a[3].expected.as_str()),
        ("min -1, max 9.5", "[1, 4]")
    );
    assert_eq!(
        (a[3].unexpected_count, a[3].examples.clone()),
        (Some(2), vec!["9.5".to_string(), "-1".into()])
    );
    assert!(close(a[3].unexpected_fraction.unwrap(), 2.0 / 2.0));
    assert_eq!(a[4].expected, "<= 0");
    assert_eq!(a[5].observed, "2 unseen value(s) in 3 rows");
    assert_eq!(a[5].expected, "one of 3 values: DE, FR, US");
    assert_eq!(a[5].examples, ["BR", "MX"]);
    assert_eq!(a[5].unexpected_fraction, Some(0.75));
    assert_eq!(
        (a[6].observed.as_str(), a[6].expected.as_str()),
        ("absent", "present (bool)")
    );
    assert_eq!(a[7].observed, "present (int, Arrow Int32)");
    assert_eq!(a[7].severity, Severity::Warning);
    assert!(!report.passed());
    assert_eq!(report.errors().count(), 7);
    assert_eq!(report.warnings().count(), 1);
    assert!(report
        .to_string()
        .contains("[error] range on `income`: observed min -1, max 9.5, expected [1, 4]"));
    let json: Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    assert_eq!(json["passed"], Value::Bool(false));
    assert_eq!(json["anomalies"][3]["check"], "range");

    // Row count: an empty table of the right columns.
    let empty = bad.slice(0, 0);
    let report = validate(&schema, &empty).unwrap();
    let rows = only(&report, Check::RowCount);
    assert_eq!(
        (rows.observed.as_str(), rows.expected.as_str()),
        ("0 rows", ">= 1 rows")
    );
    assert!(report.of_check(Check::Nulls).next().is_none());
}

#[test]
fn type_widening_rules() {
    let schema = Schema::new()
        .with_column(ColumnSchema::new("f", LogicalType::Float))
        .with_column(ColumnSchema::new("i", LogicalType::Int))
        .with_column(ColumnSchema::new("s", LogicalType::String))
        .with_column(ColumnSchema::new("n", LogicalType::Int));
    let keys = Int8Array::from(vec![0, 1, 0]);
    let dict =
        DictionaryArray::<Int8Type>::try_new(keys, Arc::new(StringArray::from(vec!["a", "b"]))).unwrap();
    let ok = batch(vec![
        ("f", Arc::new(Int32Array::from(vec![1, 2, 3])) as _),
        ("i", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
        ("s", Arc::new(dict) as _),
        ("n", Arc::new(NullArray::new(3)) as _),
    ]);
    let report = validate(&schema, &ok).unwrap();
    assert!(report.anomalies.is_empty(), "{report}");
    let not_ok = batch(vec![
        ("f", Arc::new(StringArray::from(vec!["1"])) as _),
        ("i", Arc::new(Float64Array::from(vec![1.0])) as _),
        ("s", Arc::new(Int64Array::from(vec![1])) as _),
        ("n", Arc::new(BooleanArray::from(vec![true])) as _),
    ]);
    let report = validate(&schema, &not_ok).unwrap();
    assert_eq!(report.of_check(Check::Type).count(), 4, "{report}");
    assert_eq!(report.anomalies[0].expected, "float (or int)");
    // Categorical (dictionary) columns are checked against a domain too.
    let schema = Schema::new().with_column(ColumnSchema {
        domain: Some(vec!["a".into()]),
        ..ColumnSchema::new("s", LogicalType::String)
    });
    let keys = Int8Array::from(vec![0, 1, 1]);
    let dict =
        DictionaryArray::<Int8Type>::try_new(keys, Arc::new(StringArray::from(vec!["a", "b"]))).unwrap();
    let report = validate(&schema, &batch(vec![("s", Arc::new(dict) as _)])).unwrap();
    assert_eq!(only(&report, Check::Domain).unexpected_count, Some(2));
}

use arrow::array::Int8Array;

#[test]
fn severities_override_in_order_and_ignore_skips() {
    let mut schema = clean_schema();
    let bad = batch(vec![
        ("age", Arc::new(Int64Array::from(vec![200])) as _),
        ("income", Arc::new(Float64Array::from(vec![2.0])) as _),
        ("country", Arc::new(StringArray::from(vec!["BR"])) as _),
        ("active", Arc::new(BooleanArray::from(vec![true])) as _),
    ]);
    assert!(!validate(&schema, &bad).unwrap().passed());
    schema = schema
        .with_severity(Check::Range, Severity::Warning)
        .with_severity(Check::Domain, Severity::Warning);
    let report = validate(&schema, &bad).unwrap();
    assert!(report.passed(), "{report}");
    assert_eq!(report.warnings().count(), 2);
    // A column's override beats the schema's.
    schema
        .column_mut("age")
        .unwrap()
        .severity
        .insert(Check::Range, Severity::Error);
    let report = validate(&schema, &bad).unwrap();
    assert!(!report.passed());
    assert_eq!(only(&report, Check::Range).severity, Severity::Error);
    schema
        .column_mut("age")
        .unwrap()
        .severity
        .insert(Check::Range, Severity::Ignore);
    schema
        .column_mut("country")
        .unwrap()
        .severity
        .insert(Check::Domain, Severity::Ignore);
    let report = validate(&schema, &bad).unwrap();
    assert!(report.anomalies.is_empty(), "{report}");
}

#[test]
fn expectations_detect_and_respect_mostly() {
    // 20 rows: ages 0..19 with 19 -> 150 (1 of 20 outside [0, 120]).
    let mut ages: Vec<Option<i64>> = (0..20).map(Some).collect();
    ages[19] = Some(150);
    ages[3] = None;
    let codes: Vec<&str> = (0..20)
        .map(|i| if i % 5 == 0 { "zz-1" } else { "AB-12" })
        .collect();
    let t = batch(vec![
        ("age", Arc::new(Int64Array::from(ages)) as _),
        ("code", Arc::new(StringArray::from(codes)) as _),
        (
            "x",
            Arc::new(Float64Array::from_iter(
                (0..20).map(|i| (i != 7).then_some(i as f64)),
            )) as _,
        ),
    ]);
    let run =
        |e: ferrops::validate::data::Expectation| validate(&Schema::new().with_expectation(e), &t).unwrap();

    let r = run(expect::column("age").between(0.0, 120.0));
    let a = only(&r, Check::Between);
    // 19 present values (one null skipped), one outside.
    assert_eq!(
        (a.unexpected_count, a.observed.as_str()),
        (Some(1), "1 of 19 values outside (0.0526)")
    );
    assert_eq!(
        (a.expected.as_str(), a.examples.clone()),
        ("[0, 120]", vec!["150".to_string()])
    );
    assert!(run(expect::column("age").between(0.0, 120.0).mostly(0.9)).passed());
    assert!(!run(expect::column("age").between(0.0, 120.0).mostly(0.99)).passed());
    assert!(!run(expect::column("age").at_most(10.0).mostly(0.6)).passed());
    assert!(run(expect::column("age").at_least(0.0)).passed());

    let r = run(expect::column("code").matches(r"^[A-Z]{2}-\d+$"));
    let a = only(&r, Check::Matches);
    assert_eq!((a.unexpected_count, a.examples[0].as_str()), (Some(4), "zz-1"));
    assert!(run(expect::column("code").matches(r"^[A-Z]{2}-\d+$").mostly(0.8)).passed());
    let r = run(expect::column("code").in_set(["AB-12"]));
    assert_eq!(only(&r, Check::InSet).unexpected_count, Some(4));
    assert_eq!(only(&r, Check::InSet).expected, "in {AB-12}");
    // Numbers compare numerically: 1 matches 1.0; a numeric string matches too.
    let r = run(expect::column("x").in_set(vec![
        ferrops::validate::data::Scalar::Int(0),
        1.0.into(),
        "2".into(),
    ]));
    assert_eq!(only(&r, Check::InSet).unexpected_count, Some(16), "{r}");

    let r = run(expect::column("x").not_null());
    let a = only(&r, Check::NotNull);
    assert_eq!(
        (a.unexpected_count, a.observed.as_str()),
        (Some(1), "1 of 20 rows missing")
    );
    assert!(run(expect::column("x").not_null().mostly(0.95)).passed());
    let r = run(expect::column("x").not_null().warn());
    assert!(r.passed() && r.warnings().count() == 1);

    // Wrong type and absent columns are anomalies, not errors.
    let r = run(expect::column("code").between(0.0, 1.0));
    assert_eq!(
        only(&r, Check::Between).observed,
        "string, Arrow Utf8, not numeric"
    );
    let r = run(expect::column("nope").unique());
    assert_eq!(only(&r, Check::Unique).observed, "column absent");
    let r = run(expect::unique_key(["age", "nope"]));
    assert_eq!(only(&r, Check::UniqueKey).observed, "column `nope` absent");

    let r = run(expect::table().row_count_between(21, 30));
    let a = only(&r, Check::RowCountBetween);
    assert_eq!(
        (a.observed.as_str(), a.expected.as_str()),
        ("20 rows", "between 21 and 30 rows")
    );
    assert!(run(expect::table().row_count_at_least(20)).passed());
    assert!(matches!(
        validate(
            &Schema::new().with_expectation(expect::column("age").between(5.0, 1.0)),
            &t
        ),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        validate(
            &Schema::new().with_expectation(expect::column("code").matches("(")),
            &t
        ),
        Err(Error::InvalidParameter { .. })
    ));
}

#[test]
fn uniqueness_matches_pandas_duplicated() {
    let doc = reference();
    let table = reference_table(&doc);
    let run = |e| validate(&Schema::new().with_expectation(e), &table).unwrap();
    let r = run(expect::column("customer_id").unique());
    let a = only(&r, Check::Unique);
    assert_eq!(a.unexpected_count, doc["duplicated"]["customer_id"].as_u64());
    assert_eq!(a.examples, ["1011", "1021", "1031"]);
    let r = run(expect::unique_key(["region", "store"]));
    let a = only(&r, Check::UniqueKey);
    assert_eq!(a.unexpected_count, doc["duplicated"]["region_store"].as_u64());
    assert_eq!(a.column.as_deref(), Some("region, store"));
    let r = run(expect::column("region").unique());
    assert_eq!(
        only(&r, Check::Unique).unexpected_count,
        doc["duplicated"]["region"].as_u64()
    );
    assert!(run(expect::unique_key(["customer_id", "age"])).passed());
    // Nulls: ignored by `unique`, equal to each other in a key (pandas `duplicated`).
    let t = batch(vec![(
        "a",
        Arc::new(Float64Array::from(vec![
            Some(1.0),
            None,
            None,
            Some(f64::NAN),
            Some(f64::NAN),
            Some(-0.0),
            Some(0.0),
        ])) as _,
    )]);
    let r = validate(&Schema::new().with_expectation(expect::column("a").unique()), &t).unwrap();
    assert_eq!(
        only(&r, Check::Unique).unexpected_count,
        Some(2),
        "-0.0 equals 0.0; NaN and null skipped"
    );
    let r = validate(&Schema::new().with_expectation(expect::unique_key(["a"])), &t).unwrap();
    assert_eq!(only(&r, Check::UniqueKey).unexpected_count, Some(6));
}

#[test]
fn empty_tables() {
    let empty = batch(vec![("a", Arc::new(Int64Array::from(Vec::<i64>::new())) as _)]);
    assert!(matches!(
        Schema::infer(&empty, &InferOptions::default()),
        Err(Error::EmptyInput { .. })
    ));
    let schema = clean_schema();
    let report = validate(
        &schema,
        &RecordBatch::new_empty(Arc::new(arrow::datatypes::Schema::empty())),
    )
    .unwrap();
    assert_eq!(report.of_check(Check::MissingColumn).count(), 4);
    assert_eq!(report.of_check(Check::RowCount).count(), 1);
    let binary = batch(vec![(
        "b",
        Arc::new(arrow::array::BinaryArray::from(vec![&b"x"[..]])) as _,
    )]);
    let err = Schema::infer(&binary, &InferOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::ColumnType { .. }) && err.to_string().contains("`b`"),
        "{err}"
    );
}

/// A user's own validator plugs in beside the schema.
#[derive(Debug)]
struct NoTestAccounts;

impl Validator for NoTestAccounts {
    fn validate(&self, table: &RecordBatch) -> ferrops::Result<ValidationReport> {
        let schema =
            Schema::new().with_expectation(expect::column("country").in_set(["DE", "FR", "US"]).warn());
        Validator::validate(&schema, table)
    }
}

#[test]
fn validators_combine() {
    let schema = clean_schema();
    let t = batch(vec![
        ("age", Arc::new(Int64Array::from(vec![20])) as _),
        ("income", Arc::new(Float64Array::from(vec![2.0])) as _),
        ("country", Arc::new(StringArray::from(vec!["BR"])) as _),
        ("active", Arc::new(BooleanArray::from(vec![true])) as _),
    ]);
    let validators: Vec<Box<dyn Validator>> = vec![Box::new(schema), Box::new(NoTestAccounts)];
    let mut report = ValidationReport::default();
    for v in &validators {
        report.merge(v.validate(&t).unwrap());
    }
    let checks: Vec<Check> = report.anomalies.iter().map(|a| a.check).collect();
    assert_eq!(checks, [Check::Domain, Check::InSet]);
    assert_eq!(report.n_rows, 1);
}

/// `cargo test --release -p ferrops --test data_validation -- --ignored --nocapture`
#[test]
#[ignore = "timing, run by hand in release"]
fn million_rows_timing() {
    let n = 1_000_000;
    let t = batch(vec![
        ("id", Arc::new(Int64Array::from_iter_values(0..n)) as _),
        (
            "x",
            Arc::new(Float64Array::from_iter(
                (0..n).map(|i| (i % 97 != 0).then_some((i % 1000) as f64 * 0.5)),
            )) as _,
        ),
        (
            "c",
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| ["DE", "FR", "US", "BR"][(i % 4) as usize]),
            )) as _,
        ),
    ]);
    let start = std::time::Instant::now();
    let schema = Schema::infer(&t, &InferOptions::default())
        .unwrap()
        .with_expectation(expect::column("id").unique())
        .with_expectation(expect::column("x").between(0.0, 400.0))
        .with_expectation(expect::column("c").in_set(["DE", "FR"]));
    let inferred = start.elapsed();
    let start = std::time::Instant::now();
    let report = validate(&schema, &t).unwrap();
    println!("infer {inferred:?}, validate {:?}: {report}", start.elapsed());
}

#[test]
fn in_set_compares_large_integers_exactly() {
    // 2^53 + 1 rounds to 2^53 as f64: an id check must still tell them apart.
    let big = (1i64 << 53) + 1;
    let table = batch(vec![("id", Arc::new(Int64Array::from(vec![big, 7])) as ArrayRef)]);
    let near = Schema::new().with_expectation(expect::column("id").in_set([1i64 << 53, 7]));
    let report = validate(&near, &table).unwrap();
    let a = only(&report, Check::InSet);
    assert_eq!(a.unexpected_count, Some(1));
    assert_eq!(a.examples, vec![big.to_string()]);
    // Exact members, and a whole float and a numeric string, still match.
    let exact = Schema::new().with_expectation(expect::column("id").in_set([
        ferrops::validate::data::Scalar::Int(big),
        ferrops::validate::data::Scalar::Str("7".into()),
    ]));
    assert!(validate(&exact, &table).unwrap().anomalies.is_empty());
    let float = Schema::new().with_expectation(expect::column("id").in_set([big as f64, 7.0]));
    assert_eq!(validate(&float, &table).unwrap().anomalies.len(), 1);
    // Unsigned 64-bit beyond i64::MAX.
    let u = batch(vec![(
        "u",
        Arc::new(arrow::array::UInt64Array::from(vec![u64::MAX, 1])) as ArrayRef,
    )]);
    let s = Schema::new().with_expectation(expect::column("u").in_set([1i64]));
    let a = validate(&s, &u).unwrap();
    assert_eq!(only(&a, Check::InSet).examples, vec![u64::MAX.to_string()]);
}

#[test]
fn duplicate_column_names_cannot_be_inferred() {
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("a", arrow::datatypes::DataType::Int64, false),
        arrow::datatypes::Field::new("a", arrow::datatypes::DataType::Int64, false),
    ]));
    let col: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    let table = RecordBatch::try_new(schema, vec![col.clone(), col]).unwrap();
    let err = Schema::infer(&table, &InferOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidData(_)), "{err}");
    assert!(err.to_string().contains("two columns named `a`"), "{err}");
}

#[test]
fn categoricals_of_integers_are_int_columns() {
    use arrow::datatypes::Int32Type;
    let keys = arrow::array::Int32Array::from(vec![0, 1, 1]);
    let values: ArrayRef = Arc::new(Int64Array::from(vec![10, 20]));
    let cat: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).unwrap());
    let schema = Schema::infer(&batch(vec![("c", cat.clone())]), &InferOptions::default()).unwrap();
    let c = schema.column("c").unwrap();
    assert_eq!(c.logical_type, LogicalType::Int);
    assert_eq!((c.min, c.max), (Some(10.0), Some(20.0)));
    assert_eq!(c.stats.as_ref().unwrap().distinct_count, 2);
    assert!(validate(&schema, &batch(vec![("c", cat)]))
        .unwrap()
        .anomalies
        .is_empty());
    // A categorical value out of range is a `range` anomaly, not a `type` one.
    let keys = arrow::array::Int32Array::from(vec![0, 1]);
    let values: ArrayRef = Arc::new(Int64Array::from(vec![10, 99]));
    let wide: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).unwrap());
    let report = validate(&schema, &batch(vec![("c", wide)])).unwrap();
    assert_eq!(only(&report, Check::Range).examples, vec!["99"]);
    let s = Schema::new().with_expectation(expect::column("c").in_set([10i64]));
    let keys = arrow::array::Int32Array::from(vec![0, 1]);
    let values: ArrayRef = Arc::new(Int64Array::from(vec![10, 99]));
    let wide: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).unwrap());
    assert_eq!(
        only(&validate(&s, &batch(vec![("c", wide)])).unwrap(), Check::InSet).unexpected_count,
        Some(1)
    );
}
