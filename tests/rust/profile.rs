//! Integration tests of `ferrops::data::profile`.
//!
//! References (`tests/fixtures/profile/`, written by `make_reference.py` there):
//! - `small.json`: a 600-row table and pandas' `describe()`, `std(ddof=1)`,
//!   `value_counts()`, `isna().sum()` and timestamp min/max of its columns;
//! - `large.json`: 150,000-row columns (normal, lognormal, many ties, sorted input, two
//!   categorical) drawn by a portable generator re-implemented below, with pandas'
//!   count/mean/std/min/max, `numpy.quantile` and pandas `value_counts()`.
//!
//! Also: the merge property (profile of concatenated batches vs merge of profiles, and
//! merge order), NaN/inf/null handling, empty and all-null columns, unsupported types,
//! determinism, the serialized size, and the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int32Array, Int64Array,
    ListArray, StringArray, StructArray, TimestampMicrosecondArray, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type};
use arrow::record_batch::RecordBatch;
use ferrops::data::profile::{ColumnKind, ProfileOptions, QuantileSketch, TableProfile};
use ferrops::Error;
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/profile")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn small() -> &'static Value {
    static SMALL: OnceLock<Value> = OnceLock::new();
    SMALL.get_or_init(|| fixture("small.json"))
}

fn large() -> &'static Value {
    static LARGE: OnceLock<Value> = OnceLock::new();
    LARGE.get_or_init(|| fixture("large.json"))
}

fn f64_of(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        other => other.as_f64().unwrap(),
    }
}

fn opt_f64(v: &Value) -> Option<f64> {
    (!v.is_null()).then(|| f64_of(v))
}

fn u64_of(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn assert_close(what: &str, got: Option<f64>, want: Option<f64>, rtol: f64) {
    match (got, want) {
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= rtol * w.abs().max(1.0),
            "{what}: got {g}, pandas says {w}"
        ),
        (g, w) => assert_eq!(g, w, "{what}"),
    }
}

/// The same generator as `make_reference.py` (and `crate::rng::SplitMix64`).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn draw_numeric(kind: &str, seed: u64, n: usize) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    match kind {
        "normal" => (0..n).map(|_| 10.0 + 3.0 * rng.normal()).collect(),
        "lognormal" => (0..n).map(|_| (0.8 * rng.normal()).exp()).collect(),
        "ties" => (0..n).map(|_| (rng.unit() * 20.0).floor()).collect(),
        "sorted" => {
            let mut v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            v.sort_by(f64::total_cmp);
            v
        }
        other => panic!("unknown distribution {other}"),
    }
}

fn draw_strings(kind: &str, seed: u64, n: usize) -> Vec<String> {
    let mut rng = SplitMix64(seed);
    match kind {
        "categories" => (0..n)
            .map(|_| format!("c{:02}", 40f64.powf(rng.unit()).floor() as i64 - 1))
            .collect(),
        "many_categories" => (0..n)
            .map(|_| format!("v{:04}", (rng.unit().powi(2) * 3000.0).floor() as i64))
            .collect(),
        other => panic!("unknown categorical {other}"),
    }
}

/// Distance from `q` to the rank range `[#(< v), #(<= v)] / n` of `v` in `sorted`.
fn rank_error(sorted: &[f64], v: f64, q: f64) -> f64 {
    let n = sorted.len() as f64;
    let lt = sorted.partition_point(|&x| x < v) as f64 / n;
    let le = sorted.partition_point(|&x| x <= v) as f64 / n;
    if q < lt {
        lt - q
    } else if q > le {
        q - le
    } else {
        0.0
    }
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn small_batch() -> RecordBatch {
    let cols = &small()["columns"];
    let x: Float64Array = cols["x"].as_array().unwrap().iter().map(opt_f64).collect();
    let i: Int64Array = cols["i"].as_array().unwrap().iter().map(Value::as_i64).collect();
    let s: StringArray = cols["s"].as_array().unwrap().iter().map(Value::as_str).collect();
    let b: BooleanArray = cols["b"].as_array().unwrap().iter().map(Value::as_bool).collect();
    let t: TimestampMicrosecondArray = cols["t_us"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_i64)
        .collect();
    let n = x.len();
    batch(vec![
        ("x", Arc::new(x)),
        ("i", Arc::new(i)),
        ("s", Arc::new(s)),
        ("b", Arc::new(b)),
        ("t", Arc::new(t)),
        ("all_null", Arc::new(Float64Array::from(vec![None::<f64>; n]))),
    ])
}

// ---------------------------------------------------------------------------------------
// Against pandas (small.json)
// ---------------------------------------------------------------------------------------

#[test]
fn numeric_columns_match_pandas_describe() {
    let profile = TableProfile::from_batch(&small_batch()).unwrap();
    let reference = &small()["reference"];
    assert_eq!(profile.rows(), u64_of(&small()["rows"]));
    for name in ["x", "i"] {
        let want = &reference[name];
        let col = profile.column(name).unwrap();
        assert_eq!(col.kind(), ColumnKind::Numeric);
        assert_eq!(col.count(), 600);
        assert_eq!(col.null_count(), u64_of(&want["null_count"]), "{name} nulls");
        // pandas' describe() count of the finite values = our finite count.
        let finite = col.count() - col.null_count() - col.nan_count() - col.inf_count();
        assert_eq!(finite, u64_of(&want["count"]), "{name} count");
        assert_eq!(col.moments().unwrap().count(), finite);
        assert_close(&format!("{name} mean"), col.mean(), opt_f64(&want["mean"]), 1e-12);
        assert_close(&format!("{name} std"), col.std(), opt_f64(&want["std"]), 1e-12);
        assert_eq!(col.min(), opt_f64(&want["min"]), "{name} min");
        assert_eq!(col.max(), opt_f64(&want["max"]), "{name} max");
    }
    let x = profile.column("x").unwrap();
    assert_eq!(x.nan_count(), u64_of(&reference["x"]["nan_count"]));
    assert_eq!(x.inf_count(), u64_of(&reference["x"]["inf_count"]));
    assert!(
        x.nan_count() > 0 && x.inf_count() > 0,
        "the fixture exercises NaN and inf"
    );
    // NaN and inf are out of the sketch too: its extremes are the finite ones.
    assert_eq!(x.sketch().unwrap().count(), u64_of(&reference["x"]["count"]));
    assert_eq!(x.quantile(1.0).unwrap(), opt_f64(&reference["x"]["max"]));
}

#[test]
fn categorical_and_boolean_columns_match_pandas_value_counts() {
    let profile = TableProfile::from_batch(&small_batch()).unwrap();
    let reference = &small()["reference"];
    for (name, kind) in [("s", ColumnKind::Categorical), ("b", ColumnKind::Boolean)] {
        let col = profile.column(name).unwrap();
        assert_eq!(col.kind(), kind);
        assert_eq!(col.null_count(), u64_of(&reference[name]["null_count"]));
        let counts = col.categories().unwrap();
        assert!(!counts.truncated());
        assert_eq!(counts.other_count(), 0);
        let want = reference[name]["value_counts"].as_object().unwrap();
        assert_eq!(counts.distinct(), want.len());
        for (value, count) in want {
            assert_eq!(counts.get(value), u64_of(count), "{name} = {value}");
        }
        // top_categories: count descending (pandas' value_counts order has no ties here).
        let top = col.top_categories(3).unwrap();
        let mut want_sorted: Vec<(&str, u64)> = want.iter().map(|(v, c)| (v.as_str(), u64_of(c))).collect();
        want_sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        want_sorted.truncate(3);
        assert_eq!(top, want_sorted);
    }
}

#[test]
fn dictionary_strings_count_like_plain_strings() {
    // Same values as `s` (pandas value_counts), dictionary-encoded, with duplicate
    // dictionary entries and a null dictionary value to make it harder.
    let strings: Vec<Option<&str>> = small()["columns"]["s"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_str)
        .collect();
    let dict_values = StringArray::from(vec![
        Some("apple"),
        Some("banana"),
        Some("cherry"),
        Some("date"),
        Some("elder"),
        Some("fig"),
        Some("grape"),
        Some("apple"),
        None,
    ]);
    let keys: Int32Array = strings
        .iter()
        .enumerate()
        .map(|(row, s)| {
            let key = match s {
                None => return if row % 2 == 0 { None } else { Some(8) },
                Some("apple") if row % 3 == 0 => 7,
                Some(v) => ["apple", "banana", "cherry", "date", "elder", "fig", "grape"]
                    .iter()
                    .position(|w| w == v)
                    .unwrap(),
            };
            Some(key as i32)
        })
        .collect();
    let dict = DictionaryArray::<Int32Type>::try_new(keys, Arc::new(dict_values)).unwrap();
    let profile = TableProfile::from_batch(&batch(vec![("s", Arc::new(dict))])).unwrap();
    let col = profile.column("s").unwrap();
    assert_eq!(col.kind(), ColumnKind::Categorical);
    let reference = &small()["reference"]["s"];
    assert_eq!(col.null_count(), u64_of(&reference["null_count"]));
    for (value, count) in reference["value_counts"].as_object().unwrap() {
        assert_eq!(col.categories().unwrap().get(value), u64_of(count), "{value}");
    }
}

#[test]
fn timestamps_match_pandas_min_max_in_every_unit() {
    let reference = &small()["reference"]["t_us"];
    let micros: Vec<Option<i64>> = small()["columns"]["t_us"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_i64)
        .collect();
    let nanos: TimestampNanosecondArray = micros.iter().map(|v| v.map(|us| us * 1_000 + 999)).collect();
    let profile = TableProfile::from_batch(&batch(vec![
        (
            "us",
            Arc::new(micros.iter().copied().collect::<TimestampMicrosecondArray>()),
        ),
        ("ns", Arc::new(nanos.with_timezone("Europe/Paris"))),
    ]))
    .unwrap();
    for name in ["us", "ns"] {
        let col = profile.column(name).unwrap();
        assert_eq!(col.kind(), ColumnKind::Timestamp);
        assert_eq!(col.null_count(), u64_of(&reference["null_count"]));
        assert_eq!(col.min_timestamp(), reference["min"].as_i64(), "{name}");
        assert_eq!(col.max_timestamp(), reference["max"].as_i64(), "{name}");
        assert_eq!(col.min(), reference["min"].as_i64().map(|v| v as f64));
        let median = col.quantile(0.5).unwrap().unwrap();
        let mut sorted: Vec<f64> = micros.iter().flatten().map(|&v| v as f64).collect();
        sorted.sort_by(f64::total_cmp);
        assert!(rank_error(&sorted, median, 0.5) <= col.sketch().unwrap().normalized_rank_error(false));
        assert_eq!(col.mean(), None, "no moments for timestamps");
    }
    // Dates: days and milliseconds since the epoch, in µs; before 1970 too.
    let dates = Date32Array::from(vec![Some(-1), None, Some(19_000)]);
    let profile = TableProfile::from_batch(&batch(vec![("d", Arc::new(dates))])).unwrap();
    let d = profile.column("d").unwrap();
    assert_eq!(d.kind(), ColumnKind::Timestamp);
    assert_eq!(d.min_timestamp(), Some(-86_400_000_000));
    assert_eq!(d.max_timestamp(), Some(19_000 * 86_400_000_000));
    assert_eq!(d.null_count(), 1);
}

// ---------------------------------------------------------------------------------------
// Against pandas / NumPy on 150,000 rows (large.json)
// ---------------------------------------------------------------------------------------

#[test]
fn large_numeric_columns_match_pandas_and_numpy_quantile() {
    let eps = large()["eps_all"].as_f64().unwrap();
    for case in large()["numeric"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let n = u64_of(&case["n"]) as usize;
        let data = draw_numeric(case["kind"].as_str().unwrap(), u64_of(&case["seed"]), n);
        // The generator agrees with the Python one (up to the C library's last bit).
        for (got, want) in data.iter().zip(case["first"].as_array().unwrap()) {
            assert!(
                (got - f64_of(want)).abs() <= 1e-12 * got.abs().max(1.0),
                "{name}: {got} vs {want}"
            );
        }
        let sum: f64 = data.iter().sum();
        assert_close(
            &format!("{name} checksum"),
            Some(sum),
            Some(f64_of(&case["checksum"])),
            1e-9,
        );

        let profile =
            TableProfile::from_batch(&batch(vec![("v", Arc::new(Float64Array::from(data.clone())))]))
                .unwrap();
        let col = profile.column("v").unwrap();
        assert_eq!(col.count(), u64_of(&case["count"]));
        assert_close(
            &format!("{name} mean"),
            col.mean(),
            Some(f64_of(&case["mean"])),
            1e-9,
        );
        assert_close(
            &format!("{name} std"),
            col.std(),
            Some(f64_of(&case["std"])),
            1e-9,
        );
        assert_close(
            &format!("{name} min"),
            col.min(),
            Some(f64_of(&case["min"])),
            1e-12,
        );
        assert_close(
            &format!("{name} max"),
            col.max(),
            Some(f64_of(&case["max"])),
            1e-12,
        );

        let sketch = col.sketch().unwrap();
        assert!((sketch.normalized_rank_error(true) - eps).abs() < 1e-12);
        let mut sorted = data.clone();
        sorted.sort_by(f64::total_cmp);
        let qs: Vec<f64> = case["qs"].as_array().unwrap().iter().map(f64_of).collect();
        let mut worst: f64 = 0.0;
        for (j, &q) in qs.iter().enumerate() {
            let got = col.quantile(q).unwrap().unwrap();
            let err = rank_error(&sorted, got, q);
            worst = worst.max(err);
            assert!(
                err <= eps,
                "{name}: quantile({q}) = {got} has rank error {err} > {eps}"
            );
            // numpy.quantile at q -/+ (eps + 1/n) brackets every value within eps in rank.
            let low = f64_of(&case["numpy_quantile_low"][j]);
            let high = f64_of(&case["numpy_quantile_high"][j]);
            let at = f64_of(&case["numpy_quantile"][j]);
            assert!(
                low <= got && got <= high,
                "{name}: quantile({q}) = {got}, numpy.quantile {at}, bracket [{low}, {high}]"
            );
            // The CDF at NumPy's quantile is q within the same error.
            let cdf = col.cdf(at).unwrap().unwrap();
            let truth = sorted.partition_point(|&x| x <= at) as f64 / n as f64;
            assert!(
                (cdf - truth).abs() <= eps,
                "{name}: cdf({at}) = {cdf}, true {truth}"
            );
        }
        // A fine grid: every percentile within the all-queries bound.
        for i in 1..100 {
            let q = f64::from(i) / 100.0;
            let err = rank_error(&sorted, col.quantile(q).unwrap().unwrap(), q);
            worst = worst.max(err);
            assert!(err <= eps, "{name}: percentile {i} rank error {err}");
        }
        eprintln!(
            "{name}: worst rank error {worst:.5} (bound {eps:.5}), sketch holds {} of {n}",
            sketch.retained()
        );
    }
}

#[test]
fn large_categorical_columns_match_pandas_value_counts() {
    for case in large()["categorical"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let n = u64_of(&case["n"]) as usize;
        let data = draw_strings(case["kind"].as_str().unwrap(), u64_of(&case["seed"]), n);
        for (got, want) in data.iter().zip(case["first"].as_array().unwrap()) {
            assert_eq!(got, want.as_str().unwrap(), "{name}: generator");
        }
        let cap = u64_of(&case["cap"]) as usize;
        let options = ProfileOptions {
            max_categories: cap,
            ..ProfileOptions::default()
        };
        let array = StringArray::from(data.iter().map(String::as_str).collect::<Vec<_>>());
        let profile = TableProfile::from_batch_with(&batch(vec![("c", Arc::new(array))]), &options).unwrap();
        let counts = profile.column("c").unwrap().categories().unwrap();
        let distinct = u64_of(&case["distinct"]) as usize;
        let kept = case["kept"].as_array().unwrap();
        assert_eq!(counts.truncated(), distinct > cap, "{name}");
        assert_eq!(counts.distinct(), distinct.min(cap));
        assert_eq!(counts.other_count(), u64_of(&case["other_count"]), "{name}");
        assert_eq!(counts.total(), n as u64);
        // In one batch the kept values are exactly pandas' most frequent, exact counts.
        let top = counts.top(cap);
        assert_eq!(top.len(), kept.len());
        for ((value, count), want) in top.iter().zip(kept) {
            assert_eq!(*value, want[0].as_str().unwrap(), "{name}");
            assert_eq!(*count, u64_of(&want[1]), "{name} {value}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The merge property
// ---------------------------------------------------------------------------------------

fn mixed_batch(values: &[f64], offset: usize) -> RecordBatch {
    let xs: Float64Array = values
        .iter()
        .enumerate()
        .map(|(i, &v)| match (i + offset) % 97 {
            0 => None,
            1 => Some(f64::NAN),
            2 => Some(f64::INFINITY),
            _ => Some(v),
        })
        .collect();
    let labels: StringArray = values
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i + offset) % 50 != 0).then(|| format!("k{}", (v.abs() * 3.0) as i64 % 17)))
        .collect();
    let flags: BooleanArray = values.iter().map(|&v| Some(v > 10.0)).collect();
    let stamps: TimestampMicrosecondArray = values.iter().map(|&v| Some((v * 1e9) as i64)).collect();
    batch(vec![
        ("x", Arc::new(xs)),
        ("label", Arc::new(labels)),
        ("flag", Arc::new(flags)),
        ("when", Arc::new(stamps)),
    ])
}

#[test]
fn merge_of_profiles_equals_profile_of_concatenation() {
    let data = draw_numeric("lognormal", 7, 120_000);
    let cuts = [0, 10_000, 75_000, 120_000];
    let parts: Vec<RecordBatch> = cuts
        .windows(2)
        .map(|w| mixed_batch(&data[w[0]..w[1]], w[0]))
        .collect();
    let whole = TableProfile::from_batch(&mixed_batch(&data, 0)).unwrap();
    // from_batches streams the batches in order: identical to the concatenation.
    let streamed = TableProfile::from_batches(&parts).unwrap();
    assert_eq!(streamed.to_json().unwrap(), whole.to_json().unwrap());

    let profiles: Vec<TableProfile> = parts
        .iter()
        .map(|p| TableProfile::from_batch(p).unwrap())
        .collect();
    let mut merged = profiles[0].clone();
    merged.merge(&profiles[1]).unwrap();
    merged.merge(&profiles[2]).unwrap();
    assert_eq!(merged.rows(), whole.rows());

    let mut sorted: Vec<f64> = data
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 97 > 2)
        .map(|(_, &v)| v)
        .collect();
    sorted.sort_by(f64::total_cmp);
    for name in ["x", "label", "flag", "when"] {
        let (m, w) = (merged.column(name).unwrap(), whole.column(name).unwrap());
        assert_eq!(m.count(), w.count(), "{name}");
        assert_eq!(m.null_count(), w.null_count(), "{name}");
        assert_eq!(m.nan_count(), w.nan_count(), "{name}");
        assert_eq!(m.inf_count(), w.inf_count(), "{name}");
        assert_eq!(m.min(), w.min(), "{name}");
        assert_eq!(m.max(), w.max(), "{name}");
        assert_eq!(
            m.categories(),
            w.categories(),
            "{name}: category counts are exact"
        );
        assert_close(&format!("{name} mean"), m.mean(), w.mean(), 1e-9);
        assert_close(&format!("{name} std"), m.std(), w.std(), 1e-9);
        if let Some(sketch) = m.sketch() {
            assert_eq!(sketch.count(), w.sketch().unwrap().count());
        }
    }
    let x = merged.column("x").unwrap();
    assert_eq!(x.moments().unwrap().count(), sorted.len() as u64);
    let eps = x.sketch().unwrap().normalized_rank_error(true);
    for i in 1..100 {
        let q = f64::from(i) / 100.0;
        let err = rank_error(&sorted, x.quantile(q).unwrap().unwrap(), q);
        assert!(err <= eps, "merged quantile({q}): rank error {err}");
    }

    // Order: A + B and B + A are the same profile, byte for byte.
    let mut ab = profiles[0].clone();
    ab.merge(&profiles[2]).unwrap();
    let mut ba = profiles[2].clone();
    ba.merge(&profiles[0]).unwrap();
    assert_eq!(ab.to_json().unwrap(), ba.to_json().unwrap());
    // And (A + B) + C vs A + (B + C): equal up to rounding and sketch error.
    let mut bc = profiles[1].clone();
    bc.merge(&profiles[2]).unwrap();
    let mut a_bc = profiles[0].clone();
    a_bc.merge(&bc).unwrap();
    let x2 = a_bc.column("x").unwrap();
    assert_close("assoc mean", x2.mean(), x.mean(), 1e-12);
    assert_close("assoc std", x2.std(), x.std(), 1e-12);
    for q in [0.1, 0.5, 0.9] {
        let err = rank_error(&sorted, x2.quantile(q).unwrap().unwrap(), q);
        assert!(err <= eps, "A + (B + C) quantile({q}): {err}");
    }
}

#[test]
fn merge_past_the_category_cap_keeps_the_totals() {
    let options = ProfileOptions {
        max_categories: 10,
        ..ProfileOptions::default()
    };
    let part = |range: std::ops::Range<usize>| {
        let values: StringArray = range.map(|i| Some(format!("v{}", i % 25))).collect();
        TableProfile::from_batch_with(&batch(vec![("c", Arc::new(values))]), &options).unwrap()
    };
    let mut a = part(0..1_000);
    a.merge(&part(1_000..1_330)).unwrap();
    let c = a.column("c").unwrap().categories().unwrap();
    assert!(c.truncated());
    assert_eq!(c.distinct(), 10);
    assert_eq!(c.total(), 1_330);
    // Kept counts are lower bounds, short by at most other_count.
    for (value, count) in c.top(10) {
        let i: usize = value[1..].parse().unwrap();
        let truth = (0..1_330).filter(|j| j % 25 == i).count() as u64;
        assert!(count <= truth && truth <= count + c.other_count(), "{value}");
    }
}

// ---------------------------------------------------------------------------------------
// Edge cases
// ---------------------------------------------------------------------------------------

fn every_type_batch(rows: usize) -> RecordBatch {
    let list =
        ListArray::from_iter_primitive::<Int32Type, _, _>((0..rows).map(|i| Some(vec![Some(i as i32)])));
    let strukt = StructArray::from(vec![(
        Arc::new(Field::new("a", DataType::Int64, true)),
        Arc::new(Int64Array::from((0..rows as i64).collect::<Vec<_>>())) as ArrayRef,
    )]);
    let binary = BinaryArray::from_iter_values((0..rows).map(|_| b"xy".as_slice()));
    batch(vec![
        (
            "num",
            Arc::new(Float64Array::from(
                (0..rows).map(|i| i as f64).collect::<Vec<_>>(),
            )),
        ),
        ("tags", Arc::new(list)),
        (
            "cat",
            Arc::new(StringArray::from(
                (0..rows).map(|i| format!("c{}", i % 3)).collect::<Vec<_>>(),
            )),
        ),
        ("nested", Arc::new(strukt)),
        (
            "flag",
            Arc::new(BooleanArray::from(
                (0..rows).map(|i| i % 2 == 0).collect::<Vec<_>>(),
            )),
        ),
        ("blob", Arc::new(binary)),
        (
            "when",
            Arc::new(TimestampMicrosecondArray::from(
                (0..rows as i64).collect::<Vec<_>>(),
            )),
        ),
    ])
}

#[test]
fn unsupported_columns_are_skipped_and_listed() {
    let profile = TableProfile::from_batch(&every_type_batch(10)).unwrap();
    let names: Vec<&str> = profile.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["num", "cat", "flag", "when"], "table order kept");
    assert_eq!(profile.skipped().len(), 3);
    assert!(
        profile.skipped()[0].starts_with("tags: List("),
        "{:?}",
        profile.skipped()
    );
    assert!(profile.skipped()[1].starts_with("nested: Struct("));
    assert_eq!(profile.skipped()[2], "blob: Binary");
    assert!(profile.column("tags").is_none());
}

#[test]
fn empty_table_gives_a_valid_empty_profile() {
    let profile = TableProfile::from_batch(&every_type_batch(0)).unwrap();
    assert_eq!(profile.rows(), 0);
    assert_eq!(profile.columns().len(), 4);
    for col in profile.columns() {
        assert_eq!((col.count(), col.null_count()), (0, 0), "{}", col.name());
        assert_eq!(col.mean(), None);
        assert_eq!(col.std(), None);
        assert_eq!(col.min(), None);
        assert_eq!(col.max(), None);
    }
    let num = profile.column("num").unwrap();
    assert_eq!(num.quantile(0.5).unwrap(), None);
    assert_eq!(num.cdf(0.0).unwrap(), None);
    assert!(profile
        .column("cat")
        .unwrap()
        .top_categories(5)
        .unwrap()
        .is_empty());
    let back = TableProfile::from_json(&profile.to_json().unwrap()).unwrap();
    assert_eq!(back, profile);
    // Merging with an empty profile changes nothing.
    let full = TableProfile::from_batch(&every_type_batch(50)).unwrap();
    let mut merged = full.clone();
    merged.merge(&profile).unwrap();
    assert_eq!(merged.to_json().unwrap(), full.to_json().unwrap());
}

#[test]
fn all_null_and_all_nan_columns() {
    let profile = TableProfile::from_batch(&small_batch()).unwrap();
    let col = profile.column("all_null").unwrap();
    assert_eq!((col.count(), col.null_count()), (600, 600));
    assert_eq!(col.moments().unwrap().count(), 0);
    assert_eq!(
        (col.mean(), col.std(), col.min(), col.max()),
        (None, None, None, None)
    );
    assert_eq!(col.quantile(0.5).unwrap(), None);

    let nan = Float64Array::from(vec![f64::NAN, f64::NAN, f64::NEG_INFINITY]);
    let strings = StringArray::from(vec![None::<&str>, None, None]);
    let profile =
        TableProfile::from_batch(&batch(vec![("nan", Arc::new(nan)), ("s", Arc::new(strings))])).unwrap();
    let col = profile.column("nan").unwrap();
    assert_eq!((col.null_count(), col.nan_count(), col.inf_count()), (0, 2, 1));
    assert_eq!(col.mean(), None);
    assert_eq!(col.quantile(0.1).unwrap(), None);
    let s = profile.column("s").unwrap();
    assert_eq!((s.count(), s.null_count()), (3, 3));
    assert!(s.top_categories(3).unwrap().is_empty());
    // One value: a mean, no sample std (pandas gives NaN).
    let one = TableProfile::from_batch(&batch(vec![("v", Arc::new(Float64Array::from(vec![4.5])))])).unwrap();
    assert_eq!(one.column("v").unwrap().mean(), Some(4.5));
    assert_eq!(one.column("v").unwrap().std(), None);
}

#[test]
fn same_input_gives_identical_json() {
    let data = draw_numeric("normal", 99, 60_000);
    let a = TableProfile::from_batch(&mixed_batch(&data, 0))
        .unwrap()
        .to_json()
        .unwrap();
    let b = TableProfile::from_batch(&mixed_batch(&data, 0))
        .unwrap()
        .to_json()
        .unwrap();
    assert_eq!(a, b);
    let back = TableProfile::from_json(&a).unwrap();
    assert_eq!(back.to_json().unwrap(), a, "JSON round trip is exact");
}

#[test]
fn a_million_row_column_serializes_small() {
    let data = draw_numeric("lognormal", 1, 1_000_000);
    let profile = TableProfile::from_batch(&batch(vec![("v", Arc::new(Float64Array::from(data)))])).unwrap();
    let json = profile.to_json().unwrap();
    let retained = profile.column("v").unwrap().sketch().unwrap().retained();
    eprintln!(
        "1e6-row numeric column: {} bytes of JSON, {retained} values kept",
        json.len()
    );
    assert!(json.len() < 64 * 1024, "{} bytes", json.len());
    assert!(retained < 1_000);
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

#[test]
fn merge_refuses_different_columns_naming_them() {
    let a = TableProfile::from_batch(&batch(vec![("x", Arc::new(Float64Array::from(vec![1.0])))])).unwrap();
    let b = TableProfile::from_batch(&batch(vec![
        ("x", Arc::new(Float64Array::from(vec![2.0]))),
        ("extra", Arc::new(Float64Array::from(vec![2.0]))),
    ]))
    .unwrap();
    let mut target = a.clone();
    let err = target.merge(&b).unwrap_err();
    assert!(matches!(err, Error::InvalidData(_)), "{err:?}");
    assert!(err.to_string().contains("`extra`"), "{err}");
    assert_eq!(target, a, "unchanged on error");
    let mut target = b.clone();
    let err = target.merge(&a).unwrap_err();
    assert!(err.to_string().contains("`extra`"), "{err}");

    let strings =
        TableProfile::from_batch(&batch(vec![("x", Arc::new(StringArray::from(vec!["a"])))])).unwrap();
    let mut target = a.clone();
    let err = target.merge(&strings).unwrap_err();
    match &err {
        Error::ColumnType { column, .. } => assert_eq!(column, "x"),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("categorical"), "{err}");
    assert_eq!(target, a);
}

#[test]
fn accessor_and_input_errors() {
    let profile = TableProfile::from_batch(&every_type_batch(20)).unwrap();
    let num = profile.column("num").unwrap();
    assert!(matches!(num.quantile(1.5), Err(Error::InvalidParameter { .. })));
    assert!(matches!(
        num.quantile(f64::NAN),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(num.cdf(f64::NAN), Err(Error::InvalidParameter { .. })));
    assert!(matches!(num.top_categories(3), Err(Error::ColumnType { .. })));
    let cat = profile.column("cat").unwrap();
    let err = cat.quantile(0.5).unwrap_err();
    assert!(
        matches!(err, Error::ColumnType { ref column, .. } if column == "cat"),
        "{err}"
    );
    assert!(matches!(cat.cdf(1.0), Err(Error::ColumnType { .. })));

    assert!(matches!(
        TableProfile::from_batches(&[]),
        Err(Error::EmptyInput { .. })
    ));
    let other = batch(vec![("y", Arc::new(Float64Array::from(vec![1.0])))]);
    let x = batch(vec![("x", Arc::new(Float64Array::from(vec![1.0])))]);
    assert!(matches!(
        TableProfile::from_batches(&[x.clone(), other]),
        Err(Error::InvalidData(_))
    ));
    let x_str = batch(vec![("x", Arc::new(StringArray::from(vec!["a"])))]);
    let err = TableProfile::from_batches(&[x, x_str]).unwrap_err();
    assert!(
        matches!(err, Error::ColumnType { ref column, .. } if column == "x"),
        "{err}"
    );

    for options in [
        ProfileOptions {
            sketch_k: 4,
            ..ProfileOptions::default()
        },
        ProfileOptions {
            max_categories: 0,
            ..ProfileOptions::default()
        },
    ] {
        let err = TableProfile::from_batch_with(&every_type_batch(3), &options).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    }
    assert!(QuantileSketch::new(4).is_err());
}

#[test]
fn from_json_refuses_corrupt_profiles() {
    let profile = TableProfile::from_batch(&every_type_batch(100)).unwrap();
    let json: Value = serde_json::from_str(&profile.to_json().unwrap()).unwrap();
    assert!(matches!(
        TableProfile::from_json("not json"),
        Err(Error::Serialization(_))
    ));

    let mut newer = json.clone();
    newer["format"] = serde_json::json!(99);
    let err = TableProfile::from_json(&newer.to_string()).unwrap_err();
    assert!(err.to_string().contains("format 99"), "{err}");

    let mut wrong_nulls = json.clone();
    wrong_nulls["columns"][0]["null_count"] = serde_json::json!(5);
    let err = TableProfile::from_json(&wrong_nulls.to_string()).unwrap_err();
    assert!(err.to_string().contains("`num`"), "{err}");

    let mut over_cap = json.clone();
    over_cap["columns"][1]["summary"]["categorical"]["cap"] = serde_json::json!(2);
    let err = TableProfile::from_json(&over_cap.to_string()).unwrap_err();
    assert!(err.to_string().contains("`cat`"), "{err}");

    let mut wrong_rows = json.clone();
    wrong_rows["rows"] = serde_json::json!(7);
    assert!(TableProfile::from_json(&wrong_rows.to_string()).is_err());
}
