//! Integration tests of `ferrops::drift`: [`Profile`], [`DriftDetector`] and the report.
//!
//! Reference values: `tests/fixtures/drift/report/report.json`, written by
//! `make_fixtures.py` there with scipy 1.17 (`ks_2samp`, `cramervonmises_2samp`,
//! `wasserstein_distance`, `chi2_contingency`, `scipy.spatial.distance.jensenshannon`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::record_batch::RecordBatch;
use ferrops::drift::{
    ColumnStatus, Correction, DriftDetector, DriftOptions, DriftProfileOptions, DriftReport, DriftTest,
    Profile,
};
use ferrops::Error;
use serde_json::Value as Json;

fn fixture() -> Json {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/drift/report/report.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Json) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn f64_col(v: Vec<f64>) -> ArrayRef {
    Arc::new(Float64Array::from(v))
}

fn str_col(v: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

fn table(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

/// A simple deterministic generator (splitmix64) for data without fixtures.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self, mean: f64, std: f64) -> f64 {
        let (u, v) = (self.next().max(1e-300), self.next());
        mean + std * (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

#[test]
fn exact_report_matches_scipy_column_by_column() {
    let f = fixture();
    // The small pair as one table, the large pair in another (different lengths).
    let small_ref = table(vec![("x", f64_col(floats(&f["small_ref"])))]);
    let small_cur = table(vec![("x", f64_col(floats(&f["small_cur"])))]);
    let report = ferrops::drift::drift_report(&small_ref, &small_cur, &DriftOptions::default()).unwrap();
    let x = report.column("x").unwrap();
    assert_eq!(x.test, DriftTest::Ks, "300 vs 250 values: a p-value test");
    // scipy.stats.ks_2samp(small_ref, small_cur) (exact: both sizes <= 10000).
    assert!(close(
        x.statistic,
        f["small_ks"]["statistic"].as_f64().unwrap(),
        1e-12
    ));
    assert!(close(
        x.p_value.unwrap(),
        f["small_ks"]["p_value"].as_f64().unwrap(),
        1e-9
    ));
    assert!(x.drifted);
    assert_eq!(x.status, ColumnStatus::Tested);

    let options = DriftOptions {
        tests: BTreeMap::from([("x".to_string(), DriftTest::CramerVonMises)]),
        ..DriftOptions::default()
    };
    let report = ferrops::drift::drift_report(&small_ref, &small_cur, &options).unwrap();
    let x = report.column("x").unwrap();
    // scipy.stats.cramervonmises_2samp(small_ref, small_cur)
    assert!(close(
        x.statistic,
        f["small_cvm"]["statistic"].as_f64().unwrap(),
        1e-9
    ));
    assert!(close(
        x.p_value.unwrap(),
        f["small_cvm"]["p_value"].as_f64().unwrap(),
        1e-6
    ));

    let large_ref = table(vec![("x", f64_col(floats(&f["large_ref"])))]);
    let large_cur = table(vec![("x", f64_col(floats(&f["large_cur"])))]);
    let report = ferrops::drift::drift_report(&large_ref, &large_cur, &DriftOptions::default()).unwrap();
    let x = report.column("x").unwrap();
    assert_eq!(x.test, DriftTest::WassersteinNormed, "11,000+ values: a distance");
    // scipy.stats.wasserstein_distance / numpy.std(ddof=1)
    let expected = f["large_wasserstein"].as_f64().unwrap() / f["large_ref_std"].as_f64().unwrap();
    assert!(
        close(x.statistic, expected, 1e-9),
        "{} vs {expected}",
        x.statistic
    );
    assert!(!x.drifted, "a 0.05-sigma shift is not drift by distance");
    let options = DriftOptions {
        numeric_test: Some(DriftTest::Ks),
        ..DriftOptions::default()
    };
    let report = ferrops::drift::drift_report(&large_ref, &large_cur, &options).unwrap();
    let x = report.column("x").unwrap();
    // scipy.stats.ks_2samp(large_ref, large_cur) (asymptotic: 12000 > 10000)
    assert!(close(
        x.statistic,
        f["large_ks"]["statistic"].as_f64().unwrap(),
        1e-12
    ));
    assert!(close(
        x.p_value.unwrap(),
        f["large_ks"]["p_value"].as_f64().unwrap(),
        1e-6
    ));
    assert!(x.drifted, "while the p-value flags the same shift");
}

#[test]
fn categorical_report_matches_scipy_with_unseen_categories() {
    let f = fixture();
    let reference = table(vec![("c", str_col(strings(&f["cat_ref"])))]);
    let current = table(vec![("c", str_col(strings(&f["cat_cur"])))]);
    let report = ferrops::drift::drift_report(&reference, &current, &DriftOptions::default()).unwrap();
    let c = report.column("c").unwrap();
    assert_eq!(c.test, DriftTest::ChiSquare);
    // scipy.stats.chi2_contingency([ref_counts, cur_counts]) with "e" unseen in the reference
    assert!(close(
        c.statistic,
        f["cat_chi2"]["statistic"].as_f64().unwrap(),
        1e-10
    ));
    assert!(close(
        c.p_value.unwrap(),
        f["cat_chi2"]["p_value"].as_f64().unwrap(),
        1e-8
    ));
    let hist = c.histogram.as_ref().unwrap();
    assert_eq!(hist.labels.last().unwrap(), "e", "unseen categories come last");
    assert_eq!(*hist.reference.last().unwrap(), 0.0);
    for (test, key) in [
        (DriftTest::JensenShannon, "cat_js_base2"),
        (DriftTest::TotalVariation, "cat_tv"),
    ] {
        let options = DriftOptions {
            categorical_test: Some(test),
            ..DriftOptions::default()
        };
        let report = ferrops::drift::drift_report(&reference, &current, &options).unwrap();
        let c = report.column("c").unwrap();
        assert!(close(c.statistic, f[key].as_f64().unwrap(), 1e-12), "{test}");
        assert!(c.p_value.is_none());
    }
}

#[test]
fn profile_reference_gives_the_same_report_while_exact_and_close_when_sketched() {
    let f = fixture();
    let reference = table(vec![("x", f64_col(floats(&f["large_ref"])))]);
    let current = table(vec![("x", f64_col(floats(&f["large_cur"])))]);
    let options = DriftOptions {
        numeric_test: Some(DriftTest::Ks),
        ..DriftOptions::default()
    };
    // 12,000 values > the default exact limit: the profile keeps a sketch.
    let profile = Profile::from_batch(&reference).unwrap();
    assert!(!profile.is_exact("x"));
    let sketched = DriftDetector::from_profile(&profile, options.clone())
        .unwrap()
        .run(&current)
        .unwrap();
    let x = sketched.column("x").unwrap();
    let exact_d = f["large_ks"]["statistic"].as_f64().unwrap();
    let bound = profile
        .column("x")
        .unwrap()
        .sketch()
        .unwrap()
        .normalized_rank_error(true);
    assert!(
        (x.statistic - exact_d).abs() <= bound,
        "{} vs {exact_d} (bound {bound})",
        x.statistic
    );
    assert!(
        x.notes.iter().any(|n| n.contains("quantile sketch")),
        "{:?}",
        x.notes
    );
    // With a higher limit the profile keeps every value and the report is exact.
    let exact = Profile::from_batch_with(
        &reference,
        &DriftProfileOptions {
            exact_limit: 20_000,
            ..DriftProfileOptions::default()
        },
    )
    .unwrap();
    assert!(exact.is_exact("x"));
    let report = DriftDetector::from_profile(&exact, options)
        .unwrap()
        .run(&current)
        .unwrap();
    let x = report.column("x").unwrap();
    assert!(close(x.statistic, exact_d, 1e-12));
    assert!(close(
        x.p_value.unwrap(),
        f["large_ks"]["p_value"].as_f64().unwrap(),
        1e-6
    ));
    assert!(x.notes.is_empty(), "{:?}", x.notes);
}

#[test]
fn automatic_choice_follows_the_documented_rule() {
    let mut rng = Rng(7);
    let n = 5_000;
    let x: Vec<f64> = (0..n).map(|_| rng.normal(0.0, 1.0)).collect();
    let few: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
    let cat: Vec<String> = (0..n).map(|i| ["u", "v"][i % 2].to_string()).collect();
    let big = table(vec![
        ("x", f64_col(x.clone())),
        ("few", f64_col(few.clone())),
        ("cat", str_col(cat.clone())),
    ]);
    let small = big.slice(0, 800);
    let auto = |r: &RecordBatch, c: &RecordBatch| {
        ferrops::drift::drift_report(r, c, &DriftOptions::default()).unwrap()
    };
    let report = auto(&big, &small);
    assert_eq!(
        report.column("x").unwrap().test,
        DriftTest::Ks,
        "smaller side 800 <= 1000"
    );
    assert_eq!(report.column("few").unwrap().test, DriftTest::ChiSquare);
    assert_eq!(report.column("cat").unwrap().test, DriftTest::ChiSquare);
    let report = auto(&big, &big);
    assert_eq!(report.column("x").unwrap().test, DriftTest::WassersteinNormed);
    assert_eq!(report.column("few").unwrap().test, DriftTest::JensenShannon);
    assert_eq!(report.column("cat").unwrap().test, DriftTest::JensenShannon);
    assert!(!report.dataset_drifted);
    assert_eq!(report.drifted_share, 0.0);
}

#[test]
fn a_huge_sample_does_not_flag_a_negligible_shift() {
    let mut rng = Rng(11);
    let n = 200_000;
    let reference: Vec<f64> = (0..n).map(|_| rng.normal(0.0, 1.0)).collect();
    let current: Vec<f64> = (0..n).map(|_| rng.normal(0.02, 1.0)).collect();
    let r = table(vec![("x", f64_col(reference))]);
    let c = table(vec![("x", f64_col(current))]);
    let auto = ferrops::drift::drift_report(&r, &c, &DriftOptions::default()).unwrap();
    let x = auto.column("x").unwrap();
    assert_eq!(x.test, DriftTest::WassersteinNormed);
    assert!(x.statistic < 0.05 && !x.drifted, "{}", x.statistic);
    let ks = DriftOptions {
        numeric_test: Some(DriftTest::Ks),
        ..DriftOptions::default()
    };
    let report = ferrops::drift::drift_report(&r, &c, &ks).unwrap();
    assert!(
        report.column("x").unwrap().drifted,
        "KS at n=200k flags a 0.02-sigma shift"
    );
}

#[test]
fn nan_inf_null_empty_and_constant_columns_get_clear_entries() {
    let reference = table(vec![
        ("x", f64_col(vec![1.0, 2.0, f64::NAN, f64::INFINITY, 3.0, 4.0])),
        (
            "nulls",
            Arc::new(Float64Array::from(vec![None::<f64>; 6])) as ArrayRef,
        ),
        ("k", f64_col(vec![5.0; 6])),
        (
            "flag",
            Arc::new(BooleanArray::from(vec![true, false, true, true, false, true])) as ArrayRef,
        ),
    ]);
    let current = table(vec![
        (
            "x",
            Arc::new(Float64Array::from(vec![
                Some(1.5),
                None,
                Some(f64::NEG_INFINITY),
                Some(2.5),
            ])) as ArrayRef,
        ),
        (
            "nulls",
            Arc::new(Float64Array::from(vec![Some(1.0), None, None, None])) as ArrayRef,
        ),
        ("k", f64_col(vec![5.0; 4])),
        (
            "flag",
            Arc::new(BooleanArray::from(vec![true, true, true, false])) as ArrayRef,
        ),
    ]);
    let report = ferrops::drift::drift_report(&reference, &current, &DriftOptions::default()).unwrap();
    let x = report.column("x").unwrap();
    assert_eq!((x.reference.nan, x.reference.inf, x.reference.tested), (1, 1, 4));
    assert_eq!((x.current.nulls, x.current.inf, x.current.tested), (1, 1, 2));
    assert!(x.notes.iter().any(|n| n.contains("NaN")), "{:?}", x.notes);
    let nulls = report.column("nulls").unwrap();
    assert_eq!(nulls.status, ColumnStatus::NoData);
    assert!(!nulls.drifted && nulls.statistic.is_nan());
    assert!(
        nulls.notes.iter().any(|n| n.contains("reference")),
        "{:?}",
        nulls.notes
    );
    assert_eq!(report.column("k").unwrap().status, ColumnStatus::Constant);
    assert_eq!(report.column("flag").unwrap().kind, "categorical");
    // An empty current table: every column is NoData, the dataset is not drifted.
    let empty = current.slice(0, 0);
    let report = ferrops::drift::drift_report(&reference, &empty, &DriftOptions::default()).unwrap();
    assert!(report.columns.iter().all(|c| c.status == ColumnStatus::NoData));
    assert!(!report.dataset_drifted);
    assert_eq!(report.current_rows, 0);
}

#[test]
fn corrections_change_verdicts_as_documented() {
    // Ten columns, the same mild shift: per-column KS p-values around 0.01-0.05.
    let mut rng = Rng(3);
    let mut r_cols = Vec::new();
    let mut c_cols = Vec::new();
    let names: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
    for _ in 0..10 {
        r_cols.push(f64_col((0..400).map(|_| rng.normal(0.0, 1.0)).collect()));
        c_cols.push(f64_col((0..400).map(|_| rng.normal(0.12, 1.0)).collect()));
    }
    let r = table(names.iter().map(|n| n.as_str()).zip(r_cols).collect());
    let c = table(names.iter().map(|n| n.as_str()).zip(c_cols).collect());
    let run = |correction| {
        ferrops::drift::drift_report(
            &r,
            &c,
            &DriftOptions {
                correction,
                ..DriftOptions::default()
            },
        )
        .unwrap()
    };
    let none = run(Correction::None);
    let bonf = run(Correction::Bonferroni);
    let bh = run(Correction::BenjaminiHochberg);
    let p: Vec<f64> = none.columns.iter().map(|c| c.p_value.unwrap()).collect();
    for (i, col) in bonf.columns.iter().enumerate() {
        assert!(close(
            col.adjusted_p_value.unwrap(),
            (p[i] * 10.0).min(1.0),
            1e-12
        ));
        assert_eq!(col.drifted, col.adjusted_p_value.unwrap() < 0.05);
    }
    let count = |r: &DriftReport| r.columns.iter().filter(|c| c.drifted).count();
    assert!(count(&bonf) <= count(&bh) && count(&bh) <= count(&none));
    assert!(
        count(&bonf) < count(&none),
        "the data is built so that Bonferroni removes some alarms: {} vs {}",
        count(&bonf),
        count(&none)
    );
    for col in &none.columns {
        assert_eq!(col.adjusted_p_value, col.p_value);
    }
}

#[test]
fn errors_name_the_problem() {
    let r = table(vec![
        ("x", f64_col(vec![1.0, 2.0, 3.0])),
        ("c", str_col(vec!["a".into(), "b".into(), "a".into()])),
    ]);
    let missing = table(vec![("x", f64_col(vec![1.0]))]);
    match ferrops::drift::drift_report(&r, &missing, &DriftOptions::default()) {
        Err(Error::ColumnNotFound { column, .. }) => assert_eq!(column, "c"),
        other => panic!("{other:?}"),
    }
    let retyped = table(vec![
        ("x", str_col(vec!["1".into()])),
        ("c", str_col(vec!["a".into()])),
    ]);
    assert!(matches!(
        ferrops::drift::drift_report(&r, &retyped, &DriftOptions::default()),
        Err(Error::ColumnType { .. })
    ));
    let ks_on_text = DriftOptions {
        tests: BTreeMap::from([("c".to_string(), DriftTest::Ks)]),
        ..DriftOptions::default()
    };
    let err = DriftDetector::from_table(&r, ks_on_text).unwrap_err();
    assert!(err.to_string().contains("chi_square"), "{err}");
    let unknown = DriftOptions {
        columns: Some(vec!["nope".to_string()]),
        ..DriftOptions::default()
    };
    assert!(matches!(
        DriftDetector::from_table(&r, unknown),
        Err(Error::ColumnNotFound { .. })
    ));
    for bad in [
        DriftOptions {
            share_threshold: 0.0,
            ..DriftOptions::default()
        },
        DriftOptions {
            n_bins: 1,
            ..DriftOptions::default()
        },
        DriftOptions {
            thresholds: BTreeMap::from([("x".to_string(), f64::NAN)]),
            ..DriftOptions::default()
        },
    ] {
        assert!(matches!(
            DriftDetector::from_table(&r, bad),
            Err(Error::InvalidParameter { .. })
        ));
    }
    assert!(DriftTest::parse("kolmogorov").is_err());
    assert_eq!(DriftTest::parse("psi").unwrap(), DriftTest::Psi);
}

#[test]
fn binned_measures_on_numeric_columns_use_reference_quantile_bins() {
    let mut rng = Rng(5);
    let r: Vec<f64> = (0..5_000).map(|_| rng.normal(0.0, 1.0)).collect();
    let c: Vec<f64> = (0..5_000).map(|_| rng.normal(1.0, 1.0)).collect();
    let rt = table(vec![("x", f64_col(r.clone()))]);
    let ct = table(vec![("x", f64_col(c.clone()))]);
    for test in [
        DriftTest::Psi,
        DriftTest::JensenShannon,
        DriftTest::Hellinger,
        DriftTest::TotalVariation,
        DriftTest::LInfinity,
        DriftTest::ChiSquare,
    ] {
        let options = DriftOptions {
            numeric_test: Some(test),
            ..DriftOptions::default()
        };
        let report = ferrops::drift::drift_report(&rt, &ct, &options).unwrap();
        let x = report.column("x").unwrap();
        assert!(x.drifted, "{test}: a one-sigma shift drifts ({})", x.statistic);
        let same = ferrops::drift::drift_report(&rt, &rt, &options).unwrap();
        let x = same.column("x").unwrap();
        assert!(
            !x.drifted && x.statistic.abs() < 1e-9 || test == DriftTest::ChiSquare,
            "{test}: {}",
            x.statistic
        );
    }
    // PSI from the reference's deciles, checked by hand: numpy.quantile(r, i/10,
    // method="inverted_cdf"), right-closed bins, shares, sum (c - r) ln(c / r).
    let mut sorted = r.clone();
    sorted.sort_by(f64::total_cmp);
    let edges: Vec<f64> = (1..10)
        .map(|i| {
            let k = ((i as f64 / 10.0) * 5_000.0).ceil() as usize;
            sorted[k - 1]
        })
        .collect();
    let share = |v: &[f64]| {
        let mut counts = [0.0; 10];
        for &x in v {
            counts[edges.partition_point(|&e| e < x)] += 1.0;
        }
        counts.iter().map(|c| c / v.len() as f64).collect::<Vec<_>>()
    };
    let (sr, sc) = (share(&r), share(&c));
    let expected: f64 = sr.iter().zip(&sc).map(|(a, b)| (b - a) * (b / a).ln()).sum();
    let options = DriftOptions {
        numeric_test: Some(DriftTest::Psi),
        ..DriftOptions::default()
    };
    let psi = ferrops::drift::drift_report(&rt, &ct, &options)
        .unwrap()
        .column("x")
        .unwrap()
        .statistic;
    assert!(close(psi, expected, 1e-10), "{psi} vs {expected}");
}

#[test]
fn profiles_merge_serialize_and_refuse_corruption() {
    let mut rng = Rng(9);
    let a: Vec<f64> = (0..3_000).map(|_| rng.normal(0.0, 1.0)).collect();
    let b: Vec<f64> = (0..4_000).map(|_| rng.normal(0.0, 1.0)).collect();
    let ta = table(vec![
        ("x", f64_col(a.clone())),
        (
            "i",
            Arc::new(Int64Array::from((0..3_000).collect::<Vec<i64>>())) as ArrayRef,
        ),
    ]);
    let tb = table(vec![
        ("x", f64_col(b.clone())),
        (
            "i",
            Arc::new(Int64Array::from((0..4_000).collect::<Vec<i64>>())) as ArrayRef,
        ),
    ]);
    let mut merged = Profile::from_batch(&ta).unwrap();
    merged.merge(&Profile::from_batch(&tb).unwrap()).unwrap();
    let both = arrow::compute::concat_batches(&ta.schema(), [&ta, &tb]).unwrap();
    let whole = Profile::from_batch(&both).unwrap();
    assert_eq!(merged.rows(), 7_000);
    assert!(merged.is_exact("x"), "7,000 values <= the exact limit");
    assert_eq!(merged.sample("x").unwrap(), whole.sample("x").unwrap());
    // Past the limit the merged profile keeps only the sketch.
    let small_limit = DriftProfileOptions {
        exact_limit: 5_000,
        ..DriftProfileOptions::default()
    };
    let mut capped = Profile::from_batch_with(&ta, &small_limit).unwrap();
    capped
        .merge(&Profile::from_batch_with(&tb, &small_limit).unwrap())
        .unwrap();
    assert!(!capped.is_exact("x"));
    assert_eq!(capped.sample("x").unwrap().n(), 7_000);
    // JSON round trip, deterministic.
    let json = merged.to_json().unwrap();
    assert_eq!(Profile::from_json(&json).unwrap(), merged);
    assert_eq!(Profile::from_json(&json).unwrap().to_json().unwrap(), json);
    // A tampered kept value (unsorted) is refused.
    let mut value: Json = serde_json::from_str(&json).unwrap();
    let kept = value["exact"]["x"].as_array_mut().unwrap();
    kept.swap(0, 100);
    let err = Profile::from_json(&value.to_string()).unwrap_err();
    assert!(matches!(err, Error::Serialization(_)), "{err}");
    assert!(Profile::from_json("{\"format\": 99}").is_err());
    // Save and load, atomically; a missing directory is an Io error naming the path.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reference.json");
    merged.save(&path).unwrap();
    assert_eq!(Profile::load(&path).unwrap(), merged);
    let bad = dir.path().join("missing/reference.json");
    assert!(matches!(merged.save(&bad), Err(Error::Io { .. })));
    assert!(matches!(Profile::load(&bad), Err(Error::Io { .. })));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn timestamps_are_skipped_unless_named_and_reports_round_trip() {
    let r = table(vec![
        ("x", f64_col((0..50).map(f64::from).collect())),
        (
            "t",
            Arc::new(TimestampMicrosecondArray::from((0..50).collect::<Vec<i64>>())) as ArrayRef,
        ),
    ]);
    let report = ferrops::drift::drift_report(&r, &r, &DriftOptions::default()).unwrap();
    assert!(report.column("t").is_none());
    let named = DriftOptions {
        columns: Some(vec!["t".to_string()]),
        ..DriftOptions::default()
    };
    let report = ferrops::drift::drift_report(&r, &r, &named).unwrap();
    assert_eq!(report.column("t").unwrap().kind, "numeric");
    assert_eq!(report.column("t").unwrap().statistic, 0.0);
    let back = DriftReport::from_json(&report.to_json().unwrap()).unwrap();
    // NaN statistics do not survive JSON as NaN: compare the tested column only.
    assert_eq!(back.columns[0].statistic, report.columns[0].statistic);
    let batch = report.to_record_batch().unwrap();
    assert_eq!(batch.num_rows(), 1);
    assert_eq!(batch.schema().field(0).name(), "column");
}

#[test]
fn model_monitor_regression_window_matches_hand_computed_metrics() {
    use ferrops::drift::{ModelMonitor, MonitorOptions};
    use ferrops::prelude::*;
    let mut rng = Rng(21);
    let n = 2_000;
    let x: Vec<f64> = (0..n).map(|_| rng.normal(0.0, 1.0)).collect();
    let y: Vec<f64> = x.iter().map(|v| 3.0 * v + 1.0 + rng.normal(0.0, 0.5)).collect();
    let train = table(vec![("x", f64_col(x.clone())), ("y", f64_col(y.clone()))]);
    let fitted = Arc::new(
        Pipeline::new()
            .train(LinearRegression::default())
            .fit(&train, "y")
            .unwrap(),
    );
    let mut monitor = ModelMonitor::new(
        fitted.clone(),
        &train,
        MonitorOptions {
            window: 500,
            ..MonitorOptions::default()
        },
    )
    .unwrap();
    assert_eq!(monitor.prediction_profile().column_names(), vec!["prediction"]);
    assert!(matches!(monitor.performance(), Err(Error::EmptyInput { .. })));
    let same = monitor.check(&train.slice(0, 1_000)).unwrap();
    assert!(!same.drifted(), "{:?}", same.features.drifted_columns());
    let shifted = table(vec![("x", f64_col(x.iter().map(|v| v + 1.0).collect()))]);
    let report = monitor.check(&shifted).unwrap();
    assert_eq!(report.features.drifted_columns(), vec!["x"]);
    assert_eq!(report.predictions.drifted_columns(), vec!["prediction"]);
    monitor.record(&train.slice(0, 300), "y").unwrap();
    let perf = monitor.record(&train.slice(300, 400), "y").unwrap();
    assert_eq!((perf.rows, perf.seen), (500, 700));
    // The window holds rows 200..700: MAE and RMSE by hand on them.
    let window = train.slice(200, 500);
    let predicted = fitted.predict(&window).unwrap();
    let predicted = predicted.as_any().downcast_ref::<Float64Array>().unwrap();
    let truth = &y[200..700];
    let mae = truth
        .iter()
        .zip(predicted.values())
        .map(|(t, p)| (t - p).abs())
        .sum::<f64>()
        / 500.0;
    let rmse = (truth
        .iter()
        .zip(predicted.values())
        .map(|(t, p)| (t - p) * (t - p))
        .sum::<f64>()
        / 500.0)
        .sqrt();
    assert!(close(perf.metrics["mae"], mae, 1e-12));
    assert!(close(perf.metrics["rmse"], rmse, 1e-12));
    assert!(perf.metrics["r2"] > 0.9);
    // A missing target or a null label is refused and leaves the window as it was.
    assert!(matches!(
        monitor.record(&shifted, "y"),
        Err(Error::ColumnNotFound { .. })
    ));
    let with_null = table(vec![
        ("x", f64_col(vec![0.0, 1.0])),
        (
            "y",
            Arc::new(Float64Array::from(vec![Some(1.0), None])) as ArrayRef,
        ),
    ]);
    assert!(matches!(
        monitor.record(&with_null, "y"),
        Err(Error::InvalidValue { .. })
    ));
    assert_eq!(monitor.performance().unwrap().seen, 700);
}

#[test]
fn also_measures_are_reported_beside_the_verdict() {
    let f = fixture();
    let reference = table(vec![("x", f64_col(floats(&f["large_ref"])))]);
    let current = table(vec![("x", f64_col(floats(&f["large_cur"])))]);
    let options = DriftOptions {
        also: vec![
            DriftTest::Ks,
            DriftTest::Wasserstein,
            DriftTest::WassersteinNormed,
        ],
        ..DriftOptions::default()
    };
    let report = ferrops::drift::drift_report(&reference, &current, &options).unwrap();
    let x = report.column("x").unwrap();
    assert_eq!(x.test, DriftTest::WassersteinNormed);
    assert!(!x.drifted, "the verdict is the main test's");
    let tests: Vec<DriftTest> = x.also.iter().map(|m| m.test).collect();
    assert_eq!(
        tests,
        vec![DriftTest::Ks, DriftTest::Wasserstein],
        "the verdict's own test is not repeated"
    );
    // scipy.stats.ks_2samp and wasserstein_distance on the same arrays.
    assert!(close(
        x.also[0].statistic,
        f["large_ks"]["statistic"].as_f64().unwrap(),
        1e-12
    ));
    assert!(close(
        x.also[0].p_value.unwrap(),
        f["large_ks"]["p_value"].as_f64().unwrap(),
        1e-6
    ));
    assert!(close(
        x.also[1].statistic,
        f["large_wasserstein"].as_f64().unwrap(),
        1e-12
    ));
    assert!(x.also[1].p_value.is_none());
    let back = DriftReport::from_json(&report.to_json().unwrap()).unwrap();
    assert_eq!(back.column("x").unwrap().also, x.also);
}
