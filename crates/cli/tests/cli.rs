//! The `ferrops` command line: each command's pass (0), fail (1) and usage (2) paths,
//! human and `--json` output, on small files written to a temporary directory.
//!
//! The verdicts are the library's (the CLI only reads files and prints): where a test
//! checks a number, it compares with the same call made through the `ferrops` API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ferrops::drift::{DriftDetector, DriftOptions, Profile};
use ferrops::prelude::*;
use serde_json::Value;

/// Run the CLI in-process: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let argv = std::iter::once("ferrops").chain(args.iter().copied());
    let code = ferrops_cli::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Run with `--json`: (exit code, the one JSON document on stdout).
fn run_json(args: &[&str]) -> (i32, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let (code, out, err) = run(&all);
    let doc: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{out}\nstderr:\n{err}"));
    assert_eq!(doc["exit_code"], code, "{doc}");
    (code, doc)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn write_csv(path: &Path, table: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = arrow::csv::Writer::new(file);
    writer.write(table).unwrap();
}

fn write_parquet(path: &Path, table: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, table.schema(), None).unwrap();
    writer.write(table).unwrap();
    writer.close().unwrap();
}

/// A clean table: ages 20..=59, two countries, spend without nulls.
fn clean_table() -> RecordBatch {
    let n = 40;
    batch(vec![
        (
            "age",
            Arc::new(Int64Array::from((0..n).map(|i| 20 + i).collect::<Vec<_>>())) as _,
        ),
        (
            "country",
            Arc::new(StringArray::from(
                (0..n)
                    .map(|i| if i % 2 == 0 { "DE" } else { "FR" })
                    .collect::<Vec<_>>(),
            )) as _,
        ),
        (
            "spend",
            Arc::new(Float64Array::from(
                (0..n).map(|i| i as f64 * 1.5).collect::<Vec<_>>(),
            )) as _,
        ),
    ])
}

/// `clean_table`'s columns with an age out of range, an unseen country and a null spend.
fn bad_table() -> RecordBatch {
    batch(vec![
        ("age", Arc::new(Int64Array::from(vec![25, 130, 30])) as _),
        (
            "country",
            Arc::new(StringArray::from(vec!["DE", "BR", "FR"])) as _,
        ),
        (
            "spend",
            Arc::new(Float64Array::from(vec![Some(1.0), Some(2.0), None])) as _,
        ),
    ])
}

// ------------------------------------------------------------------ the command line

#[test]
fn help_and_version_exit_0_on_stdout() {
    let (code, out, err) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("validate-data") && out.contains("promote"), "{out}");
    assert!(err.is_empty());
    let (code, out, _) = run(&["gate", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--candidate") && out.contains("--baseline-alias"),
        "{out}"
    );
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), format!("ferrops {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    for args in [
        &[][..],
        &["no-such-command"][..],
        &["gate", "--no-such-flag"][..],
        &["gate", "--gate", "g.json"][..], // no candidate
        &["drift", "--reference", "r.csv"][..],
        &["validate-data", "data.csv"][..], // neither --schema nor --infer-schema
        &["validate-data", "--schema", "s.json", "--infer-schema", "d.csv"][..],
        &[
            "promote",
            "--registry",
            "r",
            "m",
            "--version",
            "1",
            "--expect",
            "soon",
            "--reason",
            "x",
        ][..],
        &[
            "drift",
            "--reference",
            "r.csv",
            "--current",
            "c.csv",
            "--correction",
            "holm",
        ][..],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains("error"), "{args:?}: {err}");
    }
    // With --json, a usage error is a JSON document too.
    let (code, doc) = run_json(&["gate", "--no-such-flag"]);
    assert_eq!(code, 2);
    assert!(doc["command"].is_null());
    assert!(doc["error"].as_str().unwrap().contains("--no-such-flag"), "{doc}");
}

#[test]
fn the_binary_exits_with_the_codes() {
    let bin = env!("CARGO_BIN_EXE_ferrops");
    let help = Command::new(bin).arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes"));
    let bad = Command::new(bin).args(["gate", "--bogus"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(bad.stdout.is_empty());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--bogus"));

    let dir = tempfile::tempdir().unwrap();
    let gate = dir.path().join("gate.json");
    std::fs::write(
        &gate,
        r#"{"thresholds": [{"metric": "accuracy", "value": {"lower": 0.8}}]}"#,
    )
    .unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(&good, r#"{"accuracy": 0.85}"#).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"accuracy": 0.75}"#).unwrap();
    for (metrics, expected) in [(&good, 0), (&bad, 1)] {
        let out = Command::new(bin)
            .args(["gate", "--gate", p(&gate), "--candidate", p(metrics)])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(expected), "{out:?}");
    }
}

// ------------------------------------------------------------------ validate-data

#[test]
fn validate_data_infers_then_passes_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("train.parquet");
    write_parquet(&train, &clean_table());
    let same = dir.path().join("same.csv");
    write_csv(&same, &clean_table());
    let bad = dir.path().join("bad.csv");
    write_csv(&bad, &bad_table());
    let schema = dir.path().join("schema.json");

    // Infer, written to a file.
    let (code, out, _) = run(&["validate-data", "--infer-schema", p(&train), "-o", p(&schema)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 column(s)"), "{out}");
    let (code, doc) = run_json(&["validate-data", "--infer-schema", p(&train)]);
    assert_eq!(code, 0);
    assert_eq!(doc["mode"], "infer");
    assert_eq!(doc["columns"], serde_json::json!(["age", "country", "spend"]));
    assert!(doc["output"].is_null());
    // The file is the library's schema of the same table.
    let expected = ferrops::validate::data::Schema::infer(
        &clean_table(),
        &ferrops::validate::data::InferOptions::default(),
    )
    .unwrap();
    let written = ferrops::validate::data::Schema::load(&schema).unwrap();
    assert_eq!(written.columns, expected.columns);
    // Without -o it prints the schema.
    let (code, out, _) = run(&["validate-data", "--infer-schema", p(&train)]);
    assert_eq!(code, 0);
    assert!(ferrops::validate::data::Schema::from_json(&out).is_ok(), "{out}");

    // The same data passes (a CSV against a schema inferred from Parquet).
    let (code, out, _) = run(&["validate-data", "--schema", p(&schema), p(&same)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("validation passed"), "{out}");

    // Bad data fails with each anomaly printed.
    let (code, out, _) = run(&["validate-data", "--schema", p(&schema), p(&bad)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED") && out.contains("BR") && out.contains("130"),
        "{out}"
    );
    let (code, doc) = run_json(&["validate-data", "--schema", p(&schema), p(&bad)]);
    assert_eq!(code, 1);
    assert_eq!(doc["command"], "validate-data");
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["n_rows"], 3);
    let checks: Vec<&str> = doc["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["range", "domain", "nulls"]);
    assert_eq!(doc["errors"], 3);

    // A YAML schema works the same.
    let yaml = dir.path().join("schema.yaml");
    assert_eq!(
        run(&["validate-data", "--infer-schema", p(&train), "-o", p(&yaml)]).0,
        0
    );
    assert_eq!(run(&["validate-data", "--schema", p(&yaml), p(&bad)]).0, 1);
}

#[test]
fn validate_data_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    write_csv(&data, &clean_table());
    let schema = dir.path().join("schema.json");
    assert_eq!(
        run(&["validate-data", "--infer-schema", p(&data), "-o", p(&schema)]).0,
        0
    );

    let missing = dir.path().join("missing.csv");
    let (code, doc) = run_json(&["validate-data", "--schema", p(&schema), p(&missing)]);
    assert_eq!(code, 2);
    assert!(doc["error"].as_str().unwrap().contains("missing.csv"), "{doc}");
    // No schema file.
    let (code, _, err) = run(&[
        "validate-data",
        "--schema",
        p(&dir.path().join("none.json")),
        p(&data),
    ]);
    assert_eq!(code, 2, "{err}");
    // An unknown table extension.
    let txt = dir.path().join("d.txt");
    std::fs::write(&txt, "a,b\n1,2\n").unwrap();
    let (code, _, err) = run(&["validate-data", "--schema", p(&schema), p(&txt)]);
    assert_eq!(code, 2);
    assert!(err.contains(".parquet nor .csv"), "{err}");
    // A schema that is not one.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"columns\": 3}").unwrap();
    assert_eq!(run(&["validate-data", "--schema", p(&broken), p(&data)]).0, 2);
    // -o without --infer-schema.
    assert_eq!(
        run(&["validate-data", "--schema", p(&schema), "-o", "x.json", p(&data)]).0,
        2
    );
}

// ------------------------------------------------------------------ drift

/// `n` evenly spread values in [shift, 1 + shift) and a balanced two-level category.
fn drift_table(n: usize, shift: f64, offset: f64) -> RecordBatch {
    batch(vec![
        (
            "x",
            Arc::new(Float64Array::from(
                (0..n)
                    .map(|i| shift + (i as f64 + offset) / n as f64)
                    .collect::<Vec<_>>(),
            )) as _,
        ),
        (
            "y",
            Arc::new(Float64Array::from(
                (0..n)
                    .map(|i| ((i * 7919) % n) as f64 + shift * n as f64)
                    .collect::<Vec<_>>(),
            )) as _,
        ),
        (
            "c",
            Arc::new(StringArray::from(
                (0..n)
                    .map(|i| if i % 2 == 0 { "a" } else { "b" })
                    .collect::<Vec<_>>(),
            )) as _,
        ),
    ])
}

#[test]
fn drift_found_and_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let reference = drift_table(500, 0.0, 0.0);
    let shifted = drift_table(500, 0.3, 0.0);
    let same = drift_table(500, 0.0, 0.5);
    let ref_path = dir.path().join("ref.parquet");
    write_parquet(&ref_path, &reference);
    let shifted_path = dir.path().join("shifted.csv");
    write_csv(&shifted_path, &shifted);
    let same_path = dir.path().join("same.csv");
    write_csv(&same_path, &same);

    let (code, out, _) = run(&[
        "drift",
        "--reference",
        p(&ref_path),
        "--current",
        p(&shifted_path),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("drift FOUND") && out.contains("[DRIFT]"), "{out}");
    let (code, doc) = run_json(&[
        "drift",
        "--reference",
        p(&ref_path),
        "--current",
        p(&shifted_path),
    ]);
    assert_eq!(code, 1);
    assert_eq!(doc["dataset_drifted"], true);
    assert_eq!(doc["passed"], false);
    // The library's verdict on the same tables.
    let lib = DriftDetector::from_table(&reference, DriftOptions::default())
        .unwrap()
        .run(&shifted)
        .unwrap();
    assert_eq!(doc["drifted_columns"], serde_json::json!(lib.drifted_columns()));
    assert_eq!(doc["drifted_share"].as_f64().unwrap(), lib.drifted_share);
    let x = &doc["columns"][0];
    assert_eq!(x["column"], "x");
    assert_eq!(
        x["statistic"].as_f64().unwrap(),
        lib.column("x").unwrap().statistic
    );
    assert!(x.get("histogram").is_none());

    let (code, out, _) = run(&["drift", "--reference", p(&ref_path), "--current", p(&same_path)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("drift not found"), "{out}");

    // Only the categorical column, which does not drift: pass.
    let (code, doc) = run_json(&[
        "drift",
        "--reference",
        p(&ref_path),
        "--current",
        p(&shifted_path),
        "--columns",
        "c",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["columns"].as_array().unwrap().len(), 1);
}

#[test]
fn drift_against_a_saved_profile_with_html() {
    let dir = tempfile::tempdir().unwrap();
    let reference = drift_table(400, 0.0, 0.0);
    let profile = dir.path().join("profile.json");
    Profile::from_batch(&reference).unwrap().save(&profile).unwrap();
    let current = dir.path().join("cur.parquet");
    write_parquet(&current, &drift_table(400, 0.3, 0.0));
    let html = dir.path().join("report.html");
    let (code, doc) = run_json(&[
        "drift",
        "--reference",
        p(&profile),
        "--current",
        p(&current),
        "--html",
        p(&html),
    ]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["html"], p(&html));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(doc["drifted_columns"]
        .as_array()
        .unwrap()
        .contains(&Value::from("x")));
}

/// `--registry --model [--version]`: the reference is the profile stored with a
/// registered version (`register --training-data`), by number or alias; the verdict is
/// the library's on the same profile.
#[test]
fn drift_against_a_registered_versions_profile() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("reg");
    let train = dir.path().join("train.parquet");
    let reference = drift_table(400, 0.0, 0.0);
    write_parquet(&train, &reference);
    let model = artifact(dir.path(), "model");
    // v1 without training data (no profile), v2 with it; champion on v2.
    for extra in [&[][..], &["--training-data", p(&train)][..]] {
        let mut args = vec![
            "register",
            "--registry",
            p(&reg),
            "--name",
            "m",
            "--artifact",
            p(&model),
        ];
        args.extend_from_slice(extra);
        let (code, _, err) = run(&args);
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = run(&[
        "promote",
        "--registry",
        p(&reg),
        "m",
        "--version",
        "2",
        "--reason",
        "t",
    ]);
    assert_eq!(code, 0, "{err}");

    let shifted = dir.path().join("shifted.parquet");
    write_parquet(&shifted, &drift_table(400, 0.3, 0.0));
    let (code, doc) = run_json(&[
        "drift",
        "--registry",
        p(&reg),
        "--model",
        "m",
        "--current",
        p(&shifted),
    ]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["reference"]["version"], 2);
    let stored = ferrops::registry::ModelRegistry::open(p(&reg))
        .unwrap()
        .load_profile("m", "2")
        .unwrap()
        .unwrap();
    let lib = DriftDetector::from_profile(&stored, DriftOptions::default())
        .unwrap()
        .run(&drift_table(400, 0.3, 0.0))
        .unwrap();
    assert_eq!(doc["drifted_columns"], serde_json::json!(lib.drifted_columns()));
    assert_eq!(doc["drifted_share"].as_f64().unwrap(), lib.drifted_share);
    let same = dir.path().join("same.parquet");
    write_parquet(&same, &drift_table(400, 0.0, 0.5));
    let (code, out, _) = run(&[
        "drift",
        "--registry",
        p(&reg),
        "--model",
        "m",
        "--version",
        "2",
        "--current",
        p(&same),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("reference: the training data of m v2"), "{out}");

    // v1 has no profile; an unknown alias; both references; neither.
    let (code, _, err) = run(&[
        "drift",
        "--registry",
        p(&reg),
        "--model",
        "m",
        "--version",
        "1",
        "--current",
        p(&same),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("without its training data") && err.contains("--training-data"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "drift",
        "--registry",
        p(&reg),
        "--model",
        "m",
        "--version",
        "staging",
        "--current",
        p(&same),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("staging"), "{err}");
    let (code, _, err) = run(&[
        "drift",
        "--registry",
        p(&reg),
        "--model",
        "m",
        "--reference",
        p(&train),
        "--current",
        p(&same),
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&["drift", "--registry", p(&reg), "--current", p(&same)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--model"), "{err}");
    let (code, _, err) = run(&["drift", "--current", p(&same)]);
    assert_eq!(code, 2, "{err}");
    // --version means a registered version: with a file reference it is refused, not ignored.
    let (code, _, err) = run(&[
        "drift",
        "--reference",
        p(&train),
        "--version",
        "2",
        "--current",
        p(&same),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--registry"), "{err}");
}

#[test]
fn drift_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ref.csv");
    write_csv(&reference, &drift_table(50, 0.0, 0.0));
    let r = p(&reference);
    // An unknown column, a missing current file, a share out of range, a bad profile.
    let (code, _, err) = run(&["drift", "--reference", r, "--current", r, "--columns", "x,nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("nope"), "{err}");
    let missing = dir.path().join("missing.parquet");
    assert_eq!(run(&["drift", "--reference", r, "--current", p(&missing)]).0, 2);
    assert_eq!(
        run(&[
            "drift",
            "--reference",
            r,
            "--current",
            r,
            "--share-threshold",
            "1.5"
        ])
        .0,
        2
    );
    let not_profile = dir.path().join("p.json");
    std::fs::write(&not_profile, "{}").unwrap();
    assert_eq!(
        run(&["drift", "--reference", p(&not_profile), "--current", r]).0,
        2
    );
}

// ------------------------------------------------------------------ gate

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const GATE: &str = r#"{"thresholds": [
    {"metric": "accuracy", "value": {"lower": 0.8}, "change": {"absolute": -0.01}},
    {"metric": "log_loss", "value": {"upper": 0.5}}
]}"#;

#[test]
fn gate_passes_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let gate = write(dir.path(), "gate.json", GATE);
    let champion = write(
        dir.path(),
        "champion.json",
        r#"{"accuracy": 0.86, "log_loss": 0.41}"#,
    );
    let better = write(
        dir.path(),
        "better.json",
        r#"{"accuracy": 0.855, "log_loss": 0.40}"#,
    );
    let worse = write(dir.path(), "worse.json", r#"{"accuracy": 0.84, "log_loss": 0.6}"#);

    let (code, out, _) = run(&[
        "gate",
        "--gate",
        p(&gate),
        "--candidate",
        p(&better),
        "--baseline",
        p(&champion),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("gate PASSED"), "{out}");

    let (code, out, _) = run(&[
        "gate",
        "--gate",
        p(&gate),
        "--candidate",
        p(&worse),
        "--baseline",
        p(&champion),
    ]);
    assert_eq!(code, 1, "{out}");
    let failed: Vec<&str> = out.lines().filter(|l| l.contains("[FAIL]")).collect();
    assert_eq!(failed.len(), 2, "{out}");
    assert!(
        failed[0].contains("accuracy") && failed[1].contains("log_loss"),
        "{out}"
    );

    let (code, doc) = run_json(&[
        "gate",
        "--gate",
        p(&gate),
        "--candidate",
        p(&worse),
        "--baseline",
        p(&champion),
    ]);
    assert_eq!(code, 1);
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["candidate"], p(&worse));
    assert_eq!(doc["checks"].as_array().unwrap().len(), 3);
    let failures = doc["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0]["kind"], "change");
    assert!((failures[0]["diff"].as_f64().unwrap() - (0.84 - 0.86)).abs() < 1e-12);
    assert_eq!(failures[1]["metric"], "log_loss");

    // --json before the command works the same.
    let (code, out, _) = run(&["--json", "gate", "--gate", p(&gate), "--candidate", p(&worse)]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["failures"][0]["metric"], "log_loss");

    // A first model: change checks skipped, the note says so.
    let (code, doc) = run_json(&["gate", "--gate", p(&gate), "--candidate", p(&better)]);
    assert_eq!(code, 0);
    assert!(doc["baseline"].is_null());
    assert!(doc["notes"][0].as_str().unwrap().contains("skipped"), "{doc}");

    // Sliced metrics, with a slice threshold.
    let sliced_gate = write(
        dir.path(),
        "sliced_gate.json",
        r#"{"thresholds": [{"metric": "accuracy", "value": {"lower": 0.8}, "slices": ["overall", "country"]}]}"#,
    );
    let sliced = write(
        dir.path(),
        "sliced.json",
        r#"{"overall": {"metrics": {"accuracy": 0.9}}, "slices": {"country=DE": {"metrics": {"accuracy": 0.95}}, "country=FR": {"metrics": {"accuracy": 0.7}}}}"#,
    );
    let (code, doc) = run_json(&["gate", "--gate", p(&sliced_gate), "--candidate", p(&sliced)]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["failures"][0]["slice"], "country=FR");
}

#[test]
fn gate_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let gate = write(dir.path(), "gate.json", GATE);
    let metrics = write(dir.path(), "m.json", r#"{"accuracy": 0.9, "log_loss": 0.3}"#);
    let empty_gate = write(dir.path(), "empty.json", r#"{"thresholds": []}"#);
    let not_object = write(dir.path(), "list.json", "[0.9]");
    let text_metric = write(dir.path(), "text.json", r#"{"accuracy": "high"}"#);
    let not_json = write(dir.path(), "broken.json", "{accuracy: 0.9");
    for (g, m) in [
        (&empty_gate, &metrics),
        (&gate, &not_object),
        (&gate, &text_metric),
        (&gate, &not_json),
        (&not_json, &metrics),
        (&gate, &dir.path().join("absent.json")),
    ] {
        let (code, doc) = run_json(&["gate", "--gate", p(g), "--candidate", p(m)]);
        assert_eq!(code, 2, "{g:?} {m:?}: {doc}");
        assert_eq!(doc["command"], "gate");
        assert!(!doc["error"].as_str().unwrap().is_empty());
    }
    // Files and the registry form together.
    let (code, _, _) = run(&[
        "gate",
        "--gate",
        p(&gate),
        "--candidate",
        p(&metrics),
        "--registry",
        "r",
        "--model",
        "m",
        "--candidate-version",
        "1",
    ]);
    assert_eq!(code, 2);
    // The registry form without --candidate-version.
    assert_eq!(
        run(&["gate", "--gate", p(&gate), "--registry", "r", "--model", "m"]).0,
        2
    );
}

// ------------------------------------------------------------------ registry

/// A tiny fitted pipeline saved to `dir`.
fn artifact(dir: &Path, name: &str) -> PathBuf {
    let table = batch(vec![
        (
            "x",
            Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])) as _,
        ),
        (
            "y",
            Arc::new(StringArray::from(vec!["a", "a", "a", "b", "b", "b"])) as _,
        ),
    ]);
    let fitted = Pipeline::new()
        .train(LogisticRegression::default())
        .fit(&table, "y")
        .unwrap();
    let path = dir.join(name);
    fitted.save(&path).unwrap();
    path
}

#[test]
fn register_promote_rollback_history() {
    let dir = tempfile::tempdir().unwrap();
    let reg_dir = dir.path().join("registry");
    let reg = p(&reg_dir);
    let model = artifact(dir.path(), "model");
    let m1 = write(dir.path(), "m1.json", r#"{"accuracy": 0.86, "log_loss": 0.41}"#);
    let m2 = write(dir.path(), "m2.json", r#"{"accuracy": 0.88, "log_loss": 0.38}"#);

    let (code, out, err) = run(&[
        "register",
        "--registry",
        reg,
        "--name",
        "churn",
        "--artifact",
        p(&model),
        "--metrics",
        p(&m1),
        "--tag",
        "team=risk",
        "--description",
        "first",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("registered churn v1"), "{out}");
    let train = dir.path().join("train.csv");
    write_csv(&train, &drift_table(20, 0.0, 0.0));
    let (code, doc) = run_json(&[
        "register",
        "--registry",
        reg,
        "--name",
        "churn",
        "--artifact",
        p(&model),
        "--metrics",
        p(&m2),
        "--param",
        "C=1.0",
        "--seed",
        "7",
        "--training-data",
        p(&train),
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["record"]["metrics"]["accuracy"], 0.88);
    assert_eq!(doc["record"]["seed"], 7);
    // Stored in the registry as the library reads it.
    let registry = ferrops::registry::ModelRegistry::open(reg).unwrap();
    let v1 = registry.version("churn", 1).unwrap();
    assert_eq!(v1.tags["team"], "risk");
    assert_eq!(v1.description, "first");
    let v2 = registry.version("churn", 2).unwrap();
    assert_eq!(v2.params["C"], serde_json::json!(1.0));
    assert!(registry.load_profile("churn", "2").unwrap().is_some());

    // First promotion, compare-and-swap against "unset".
    let (code, out, _) = run(&[
        "promote",
        "--registry",
        reg,
        "churn",
        "--version",
        "1",
        "--expect",
        "none",
        "--reason",
        "first model",
        "--actor",
        "alice",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("champion") && out.contains("-> v1"), "{out}");
    let (code, doc) = run_json(&[
        "promote",
        "--registry",
        reg,
        "churn",
        "--version",
        "v2",
        "--expect",
        "1",
        "--reason",
        "better",
        "--actor",
        "ci-bot",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["from"], 1);
    assert_eq!(doc["to"], 2);
    assert_eq!(doc["event"]["actor"], "ci-bot");
    assert_eq!(registry.alias("churn", "champion").unwrap(), Some(2));

    // A stale expectation: exit 1, saying who moved it; nothing changes.
    let (code, out, err) = run(&[
        "promote",
        "--registry",
        reg,
        "churn",
        "--version",
        "1",
        "--expect",
        "1",
        "--reason",
        "stale",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("ci-bot") && err.contains("better"), "{err}");
    let (code, doc) = run_json(&[
        "promote",
        "--registry",
        reg,
        "churn",
        "--version",
        "1",
        "--expect",
        "none",
        "--reason",
        "stale",
    ]);
    assert_eq!(code, 1);
    assert_eq!(doc["conflict"]["found"], "version 2");
    assert_eq!(registry.alias("churn", "champion").unwrap(), Some(2));

    // The gate's registry form: v2 against the champion (v2 itself) and v1 against it.
    let gate = write(dir.path(), "gate.json", GATE);
    let (code, doc) = run_json(&[
        "gate",
        "--gate",
        p(&gate),
        "--registry",
        reg,
        "--model",
        "churn",
        "--candidate-version",
        "1",
        "--baseline-alias",
        "champion",
    ]);
    assert_eq!(code, 1, "{doc}"); // 0.86 - 0.88 = -0.02 < -0.01
    assert_eq!(doc["baseline"]["version"], 2);
    assert_eq!(doc["candidate"]["version"], 1);
    let (code, doc) = run_json(&[
        "gate",
        "--gate",
        p(&gate),
        "--registry",
        reg,
        "--model",
        "churn",
        "--candidate-version",
        "latest",
        "--baseline-alias",
        "challenger",
    ]);
    assert_eq!(code, 0, "{doc}"); // an unset alias: a first model, change checks skipped
    assert!(doc["baseline"].is_null());

    // Rollback: back to v1, then nothing earlier.
    let (code, doc) = run_json(&[
        "rollback",
        "--registry",
        reg,
        "churn",
        "--reason",
        "v2 misbehaves",
    ]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["to"], 1);
    assert_eq!(doc["event"]["action"], "rollback");
    assert_eq!(registry.alias("churn", "champion").unwrap(), Some(1));

    // History: the versions and the three moves, as the library's log has them.
    let (code, doc) = run_json(&["history", "--registry", reg, "churn"]);
    assert_eq!(code, 0);
    assert_eq!(doc["versions"].as_array().unwrap().len(), 2);
    assert_eq!(doc["aliases"]["champion"], 1);
    let events = doc["events"].as_array().unwrap();
    let log = registry.history("churn", None).unwrap();
    assert_eq!(events.len(), log.len());
    assert_eq!(events.len(), 3);
    for (e, l) in events.iter().zip(&log) {
        assert_eq!(e["seq"], l.seq);
        assert_eq!(e["to"], serde_json::json!(l.to));
        assert_eq!(e["reason"], l.reason);
        assert_eq!(e["at"], l.at());
    }
    let (code, out, _) = run(&["history", "--registry", reg, "churn", "--alias", "champion"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("v1") && out.contains("[champion]") && out.contains("v2 misbehaves"),
        "{out}"
    );
}

#[test]
fn registry_usage_errors_and_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let reg_dir = dir.path().join("registry");
    let reg = p(&reg_dir);
    let model = artifact(dir.path(), "model");

    // No registry yet: the read-only commands do not create one.
    let (code, _, err) = run(&["history", "--registry", reg, "m"]);
    assert_eq!(code, 2);
    assert!(err.contains("no registry"), "{err}");
    assert!(!reg_dir.exists());
    // Unknown model, version, alias; no artifact; a bad tag; an empty rollback.
    assert_eq!(
        run(&[
            "register",
            "--registry",
            reg,
            "--name",
            "m",
            "--artifact",
            p(&dir.path().join("none"))
        ])
        .0,
        2
    );
    assert_eq!(
        run(&[
            "register",
            "--registry",
            reg,
            "--name",
            "m",
            "--artifact",
            p(&model),
            "--tag",
            "novalue"
        ])
        .0,
        2
    );
    assert_eq!(
        run(&[
            "register",
            "--registry",
            reg,
            "--name",
            "m",
            "--artifact",
            p(&model)
        ])
        .0,
        0
    );
    assert_eq!(run(&["history", "--registry", reg, "nobody"]).0, 2);
    assert_eq!(
        run(&[
            "promote",
            "--registry",
            reg,
            "m",
            "--version",
            "9",
            "--reason",
            "x"
        ])
        .0,
        2
    );
    assert_eq!(
        run(&[
            "promote",
            "--registry",
            reg,
            "m",
            "--version",
            "1",
            "--alias",
            "latest",
            "--reason",
            "x"
        ])
        .0,
        2
    );
    assert_eq!(run(&["rollback", "--registry", reg, "m", "--reason", "x"]).0, 2);
    assert_eq!(
        run(&[
            "promote",
            "--registry",
            reg,
            "m",
            "--version",
            "1",
            "--reason",
            "x"
        ])
        .0,
        0
    );
    let (code, _, err) = run(&["rollback", "--registry", reg, "m", "--reason", "x"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no earlier target"), "{err}");
    // Non-finite metrics cannot be registered.
    let nan = write(dir.path(), "nan.json", r#"{"accuracy": null}"#);
    assert_eq!(
        run(&[
            "register",
            "--registry",
            reg,
            "--name",
            "m",
            "--artifact",
            p(&model),
            "--metrics",
            p(&nan)
        ])
        .0,
        2
    );

    // A tampered artifact is refused with exit 1.
    let tampered = artifact(dir.path(), "tampered");
    let model_file = tampered.join("model.json");
    let mut text = std::fs::read_to_string(&model_file).unwrap();
    text.push(' ');
    std::fs::write(&model_file, text).unwrap();
    let (code, doc) = run_json(&[
        "register",
        "--registry",
        reg,
        "--name",
        "m",
        "--artifact",
        p(&tampered),
    ]);
    assert_eq!(code, 1, "{doc}");
    assert!(doc["error"].as_str().unwrap().contains("integrity"), "{doc}");

    // A version record edited after the alias was pointed at it: the gate refuses it.
    let record = reg_dir.join("m").join("versions").join(format!("{:010}.json", 1));
    let edited = std::fs::read_to_string(&record).unwrap().replacen(
        "\"metrics\": {}",
        "\"metrics\": {\"accuracy\": 0.99}",
        1,
    );
    assert!(edited.contains("0.99"), "{edited}");
    std::fs::write(&record, edited).unwrap();
    let gate = write(dir.path(), "gate.json", GATE);
    let (code, _, err) = run(&[
        "gate",
        "--gate",
        p(&gate),
        "--registry",
        reg,
        "--model",
        "m",
        "--candidate-version",
        "1",
        "--baseline-alias",
        "champion",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("integrity"), "{err}");
}
