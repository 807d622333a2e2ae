//! The model registry: immutable verified versions, gap-free numbering across
//! processes, compare-and-swap aliases with an append-only log that replays to the
//! same state, N-deep rollback, "which version at time T", tamper refusal, search.
//!
//! Multi-process tests re-run this test binary as child processes (a test that does
//! nothing unless `FERROPS_REGISTRY_CHILD` is set), so they exercise real separate
//! processes with separate caches over the same directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use arrow::array::{Array, Float64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ferrops::drift::Profile;
use ferrops::prelude::*;
use ferrops::registry::{
    AliasAction, Expected, Lineage, ModelMetadata, ModelRegistry, Search, TableFingerprint,
};

fn table(n: usize, seed: u64) -> RecordBatch {
    common::classification_table(n, seed)
}

fn fit(seed: u64) -> FittedPipeline {
    Pipeline::new()
        .transform(SimpleImputer::median(["b"]))
        .transform(OneHotEncoder::new(["city"]))
        .train(LogisticRegression::default())
        .fit(&table(200, seed), "label")
        .unwrap()
}

fn labels(p: &FittedPipeline, t: &RecordBatch) -> Vec<String> {
    let out = p.predict(t).unwrap();
    let s = out.as_any().downcast_ref::<StringArray>().unwrap();
    (0..s.len()).map(|i| s.value(i).to_string()).collect()
}

fn open(dir: &Path) -> ModelRegistry {
    ModelRegistry::open(dir.to_str().unwrap()).unwrap()
}

#[test]
fn register_load_round_trip_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path()).with_actor("alice");
    let fitted = fit(1);
    let train = table(200, 1);
    let profile = Profile::from_batch(&train).unwrap();
    let meta = ModelMetadata::new()
        .description("first")
        .metric("accuracy", 0.91)
        .tag("team", "risk")
        .param("C", 1.0)
        .seed(7)
        .training_table(&train)
        .unwrap()
        .profile(profile.clone());
    let v1 = reg.register("churn", &fitted, meta).unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.created_by, "alice");
    assert_eq!(v1.record_sha256.len(), 64);
    assert!(v1.files.contains_key("manifest.json") && v1.files.contains_key("model.json"));

    // A fresh handle (no cache) reads the same record and an identical pipeline.
    let other = open(dir.path());
    let read = other.version("churn", 1).unwrap();
    assert_eq!(read, v1);
    assert_eq!(read.metrics["accuracy"], 0.91);
    assert_eq!(read.tags["team"], "risk");
    assert_eq!(read.params["C"], serde_json::json!(1.0));
    assert_eq!(read.seed, Some(7));
    assert_eq!(read.ferrops_version, env!("CARGO_PKG_VERSION"));
    let fp = read.lineage.training_table.as_ref().unwrap();
    assert_eq!(fp, &TableFingerprint::of(&train).unwrap());
    assert_eq!(fp.rows, 200);
    let loaded = other.load("churn", "1").unwrap();
    let probe = table(50, 99);
    assert_eq!(labels(&loaded, &probe), labels(&fitted, &probe));
    assert_eq!(
        other.load("churn", "latest").unwrap().feature_names_out(),
        fitted.feature_names_out()
    );
    let stored = other.load_profile("churn", "v1").unwrap().unwrap();
    assert_eq!(stored.rows(), profile.rows());

    // Identical artifact files are stored once (content addressing).
    let v2 = reg.register("churn", &fitted, ModelMetadata::new()).unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.files, v1.files);
    assert!(v2.profile.is_none());
    assert!(other.load_profile("churn", "2").unwrap().is_none());
    assert_eq!(other.models().unwrap(), vec!["churn".to_string()]);
    assert_eq!(other.versions("churn").unwrap().len(), 2);
    assert!(other.to_html("churn").unwrap().contains("v2"));
    assert!(v1.to_html().contains("accuracy=0.91"));
}

#[test]
fn fingerprints_tell_tables_apart() {
    let a = TableFingerprint::of(&table(100, 1)).unwrap();
    assert_eq!(a, TableFingerprint::of(&table(100, 1)).unwrap());
    assert_ne!(a.sha256, TableFingerprint::of(&table(100, 2)).unwrap().sha256);
    assert!(Lineage::default().is_empty());
}

#[test]
fn bad_input_is_refused_with_specific_errors() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path());
    let fitted = fit(1);
    for bad in ["../evil", "a/b", "", "1st", "with space"] {
        let e = reg.register(bad, &fitted, ModelMetadata::new()).unwrap_err();
        assert!(matches!(e, Error::InvalidName { .. }), "{bad}: {e}");
    }
    let e = reg
        .register("m", &fitted, ModelMetadata::new().metric("auc", f64::NAN))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    assert!(
        reg.models().unwrap().is_empty(),
        "a refused registration stores no version"
    );
    let e = reg.version("m", 1).unwrap_err();
    assert!(matches!(e, Error::NotRegistered { what: "model", .. }), "{e}");
    reg.register("m", &fitted, ModelMetadata::new()).unwrap();
    let e = reg.version("m", 5).unwrap_err();
    assert!(e.to_string().contains("v1"), "{e}");
    for alias in ["latest", "v2", "2", "../x"] {
        let e = reg.set_alias("m", alias, 1, Expected::Any, "").unwrap_err();
        assert!(matches!(e, Error::InvalidName { .. }), "{alias}: {e}");
    }
    let e = reg.set_alias("m", "champion", 9, Expected::Any, "").unwrap_err();
    assert!(matches!(e, Error::NotRegistered { .. }), "{e}");
    let e = reg.resolve("m", "champion").unwrap_err();
    assert!(matches!(e, Error::NotRegistered { what: "alias", .. }), "{e}");
    let e = reg.rollback("m", "champion", "").unwrap_err();
    assert!(matches!(e, Error::NotRegistered { .. }), "{e}");
}

#[test]
fn aliases_compare_and_swap_rollback_and_time_travel() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path()).with_actor("ci");
    let fitted = fit(1);
    for _ in 0..4 {
        reg.register("m", &fitted, ModelMetadata::new()).unwrap();
    }
    let e1 = reg
        .set_alias("m", "champion", 1, Expected::Absent, "first")
        .unwrap();
    assert_eq!(
        (e1.seq, e1.from, e1.to, e1.action),
        (1, None, Some(1), AliasAction::Set)
    );
    // A stale expectation fails and writes nothing.
    let err = reg
        .set_alias("m", "champion", 2, Expected::Absent, "late")
        .unwrap_err();
    assert!(matches!(err, Error::AliasConflict { .. }), "{err}");
    assert!(err.to_string().contains("moved by ci"), "{err}");
    assert_eq!(reg.history("m", None).unwrap().len(), 1);
    let e2 = reg
        .set_alias("m", "champion", 2, Expected::Version(1), "better")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let e3 = reg
        .set_alias("m", "champion", 3, Expected::Version(2), "even better")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2));
    reg.set_alias("m", "challenger", 4, Expected::Any, "try").unwrap();
    let e4 = reg.set_alias("m", "champion", 4, Expected::Any, "best").unwrap();
    assert_eq!(reg.alias("m", "champion").unwrap(), Some(4));

    // N-deep rollback: 4 → 3 → 2 → 1, then nothing left.
    for (expect, why) in [(3, "bad"), (2, "still bad"), (1, "worse")] {
        let ev = reg.rollback("m", "champion", why).unwrap();
        assert_eq!(ev.action, AliasAction::Rollback);
        assert_eq!(ev.to, Some(expect));
        assert_eq!(reg.resolve("m", "champion").unwrap().version, expect);
    }
    let e = reg.rollback("m", "champion", "again").unwrap_err();
    assert!(e.to_string().contains("no earlier target"), "{e}");

    // Which version served at time T.
    assert_eq!(reg.alias_at("m", "champion", e1.at_micros - 1).unwrap(), None);
    assert_eq!(reg.alias_at("m", "champion", e1.at_micros).unwrap(), Some(1));
    assert_eq!(reg.alias_at("m", "champion", e2.at_micros).unwrap(), Some(2));
    assert_eq!(reg.alias_at("m", "champion", e3.at_micros).unwrap(), Some(3));
    assert_eq!(reg.alias_at("m", "champion", e4.at_micros).unwrap(), Some(4));
    assert_eq!(reg.alias_at("m", "champion", i64::MAX).unwrap(), Some(1));
    assert_eq!(reg.alias_at("m", "challenger", e4.at_micros).unwrap(), Some(4));

    // Delete, then a rollback restores it.
    reg.delete_alias("m", "challenger", Expected::Version(4), "done")
        .unwrap();
    assert_eq!(reg.alias("m", "challenger").unwrap(), None);
    assert_eq!(reg.rollback("m", "challenger", "undo").unwrap().to, Some(4));

    // The log is the truth: a fresh handle replays it to the same state and trail.
    let fresh = open(dir.path());
    assert_eq!(fresh.aliases("m").unwrap(), reg.aliases("m").unwrap());
    let trail = fresh.history("m", None).unwrap();
    assert_eq!(trail, reg.history("m", None).unwrap());
    assert_eq!(
        trail.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=trail.len() as u64).collect::<Vec<_>>()
    );
    assert!(trail.windows(2).all(|w| w[0].at_micros <= w[1].at_micros));
    assert_eq!(fresh.history("m", Some("challenger")).unwrap().len(), 3);
    assert!(trail.iter().all(|e| e.actor == "ci"));
    assert_eq!(trail[1].reason, "better");
}

#[test]
fn search_by_model_tag_and_metric() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path());
    let fitted = fit(1);
    for (model, acc, team) in [
        ("a", 0.8, "x"),
        ("a", 0.95, "y"),
        ("b", 0.9, "x"),
        ("b", 0.7, "x"),
    ] {
        reg.register(
            model,
            &fitted,
            ModelMetadata::new().metric("accuracy", acc).tag("team", team),
        )
        .unwrap();
    }
    reg.register("b", &fitted, ModelMetadata::new()).unwrap();
    let got = |s: Search| -> Vec<(String, u64)> {
        reg.search(&s)
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.version))
            .collect()
    };
    assert_eq!(got(Search::new()).len(), 5);
    assert_eq!(
        got(Search::new().model("a")),
        vec![("a".into(), 1), ("a".into(), 2)]
    );
    assert_eq!(
        got(Search::new().tag("team", "x").metric_at_least("accuracy", 0.75)),
        vec![("a".into(), 1), ("b".into(), 1)]
    );
    assert_eq!(
        got(Search::new().order_by("accuracy", true).limit(2)),
        vec![("a".into(), 2), ("b".into(), 1)]
    );
    assert_eq!(
        got(Search::new().metric_at_most("accuracy", 0.7)),
        vec![("b".into(), 2)]
    );
    // Versions without the metric sort last.
    assert_eq!(
        got(Search::new().model("b").order_by("accuracy", false))
            .last()
            .unwrap()
            .1,
        3
    );
}

/// Overwrite every file under `dir` whose contents contain `needle` with `edit` applied.
fn edit_files(dir: &Path, pick: &dyn Fn(&Path, &[u8]) -> bool, edit: &dyn Fn(Vec<u8>) -> Vec<u8>) -> usize {
    let mut n = 0;
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        if pick(&entry, &bytes) {
            std::fs::write(&entry, edit(bytes)).unwrap();
            n += 1;
        }
    }
    n
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn tampered_artifacts_and_records_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path());
    let fitted = fit(1);
    let v = reg.register("m", &fitted, ModelMetadata::new()).unwrap();
    reg.set_alias("m", "champion", 1, Expected::Absent, "").unwrap();
    let model_sha = v.files["model.json"].sha256.clone();

    // 1. A modified model file (same size: one digit changed).
    let path = dir.path().join("m/objects").join(&model_sha);
    let original = std::fs::read(&path).unwrap();
    let mut bytes = original.clone();
    let i = bytes
        .iter()
        .position(|b| b.is_ascii_digit() && *b != b'7')
        .unwrap();
    bytes[i] = b'7';
    std::fs::write(&path, &bytes).unwrap();
    let e = open(dir.path()).load("m", "1").unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e}");
    // 2. A truncated file.
    std::fs::write(&path, &original[..original.len() / 2]).unwrap();
    assert!(matches!(
        open(dir.path()).load("m", "champion").unwrap_err(),
        Error::Integrity { .. }
    ));
    // 3. A deleted file.
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(
        open(dir.path()).load("m", "1").unwrap_err(),
        Error::Integrity { .. }
    ));
    std::fs::write(&path, &original).unwrap();
    open(dir.path()).load("m", "champion").unwrap();

    // 4. A re-registration repairs a damaged object it would share, instead of trusting it.
    std::fs::write(&path, b"garbage").unwrap();
    let v2 = reg.register("m", &fitted, ModelMetadata::new()).unwrap();
    open(dir.path()).load("m", &v2.version.to_string()).unwrap();

    // 5. An edited record: loading through the alias (which pinned the record's hash) fails.
    let n = edit_files(
        &dir.path().join("m/versions"),
        &|p, _| p.file_name().unwrap() == "0000000001.json",
        &|b| {
            String::from_utf8(b)
                .unwrap()
                .replace("\"description\": \"\"", "\"description\": \"x\"")
                .into_bytes()
        },
    );
    assert_eq!(n, 1);
    let e = open(dir.path()).load("m", "champion").unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e}");
    // 6. A record moved to another number.
    std::fs::copy(
        dir.path().join("m/versions/0000000002.json"),
        dir.path().join("m/versions/0000000003.json"),
    )
    .unwrap();
    let e = open(dir.path()).version("m", 3).unwrap_err();
    assert!(e.to_string().contains("moved or edited"), "{e}");
    // 7. A damaged log entry is an error naming it; nothing is overwritten.
    let log = dir.path().join("m/log/000000000001.json");
    let saved = std::fs::read(&log).unwrap();
    std::fs::write(&log, b"{not json").unwrap();
    let e = open(dir.path()).alias("m", "champion").unwrap_err();
    assert!(e.to_string().contains("000000000001"), "{e}");
    assert_eq!(std::fs::read(&log).unwrap(), b"{not json");
    std::fs::write(&log, saved).unwrap();
    open(dir.path()).alias("m", "champion").unwrap();
}

#[test]
fn the_alias_log_is_a_hash_chain() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path());
    let fitted = fit(1);
    for _ in 0..3 {
        reg.register("m", &fitted, ModelMetadata::new()).unwrap();
    }
    for v in 1..=3 {
        reg.set_alias("m", "champion", v, Expected::Any, &format!("move {v}"))
            .unwrap();
    }
    let trail = reg.history("m", None).unwrap();
    assert_eq!(trail[0].prev_sha256, None);
    assert!(trail[1..]
        .iter()
        .all(|e| e.prev_sha256.as_ref().is_some_and(|h| h.len() == 64)));
    // An edited entry in the middle breaks the chain at the next one.
    let second = dir.path().join("m/log/000000000002.json");
    let saved = std::fs::read(&second).unwrap();
    let edited = String::from_utf8(saved.clone())
        .unwrap()
        .replace("move 2", "move X");
    std::fs::write(&second, edited).unwrap();
    let e = open(dir.path()).history("m", None).unwrap_err();
    assert!(
        e.to_string().contains("entry 3") && e.to_string().contains("edited"),
        "{e}"
    );
    std::fs::write(&second, &saved).unwrap();
    // A removed entry in the middle is refused too.
    std::fs::remove_file(&second).unwrap();
    let e = open(dir.path()).aliases("m").unwrap_err();
    assert!(matches!(e, Error::Store { .. }), "{e}");
    std::fs::write(&second, &saved).unwrap();
    assert_eq!(open(dir.path()).alias("m", "champion").unwrap(), Some(3));
    // Deleting an unset alias, and alias reads of unknown models, are errors.
    let e = reg.delete_alias("m", "nobody", Expected::Any, "").unwrap_err();
    assert!(matches!(e, Error::NotRegistered { .. }), "{e}");
    for e in [
        reg.alias("ghost", "champion").unwrap_err(),
        reg.history("ghost", None).unwrap_err(),
        reg.aliases("ghost").unwrap_err(),
    ] {
        assert!(matches!(e, Error::NotRegistered { what: "model", .. }), "{e}");
    }
    assert!(matches!(
        reg.alias("m", "latest").unwrap_err(),
        Error::InvalidName { .. }
    ));
}

// ------------------------------------------------------------------ processes

const CHILD: &str = "FERROPS_REGISTRY_CHILD";

/// Runs only as a child of the tests below.
#[test]
fn child_process_worker() {
    let Ok(role) = std::env::var(CHILD) else { return };
    let dir = std::env::var("FERROPS_REGISTRY_DIR").unwrap();
    let reg = ModelRegistry::open(&dir)
        .unwrap()
        .with_actor(format!("child-{}", std::process::id()));
    let fitted = fit(3);
    match role.as_str() {
        "register" => {
            let n: usize = std::env::var("FERROPS_REGISTRY_N").unwrap().parse().unwrap();
            for i in 0..n {
                let v = reg
                    .register(
                        "shared",
                        &fitted,
                        ModelMetadata::new()
                            .tag("pid", std::process::id().to_string())
                            .metric("i", i as f64),
                    )
                    .unwrap();
                println!("VERSION {}", v.version);
            }
        }
        "cas" => {
            let n: usize = std::env::var("FERROPS_REGISTRY_N").unwrap().parse().unwrap();
            let mut wins = 0;
            for _ in 0..n {
                let current = reg.alias("shared", "champion").unwrap();
                let next = current.map_or(1, |v| v % 3 + 1);
                match reg.set_alias("shared", "champion", next, Expected::from_current(current), "cas") {
                    Ok(_) => wins += 1,
                    Err(Error::AliasConflict { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            println!("WINS {wins}");
        }
        "forever" => loop {
            reg.register("shared", &fitted, ModelMetadata::new()).unwrap();
        },
        other => panic!("unknown role {other}"),
    }
}

fn child(role: &str, dir: &Path, n: usize) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_worker",
        "--nocapture",
        "--test-threads",
        "1",
    ])
    .env(CHILD, role)
    .env("FERROPS_REGISTRY_DIR", dir)
    .env("FERROPS_REGISTRY_N", n.to_string())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

fn lines_with(out: &[u8], prefix: &str) -> Vec<u64> {
    String::from_utf8_lossy(out)
        .lines()
        // The harness may print `test child_process_worker ... ` on the same line.
        .filter_map(|l| l.split_once(prefix).map(|(_, v)| v.trim().parse().unwrap()))
        .collect()
}

#[test]
fn concurrent_registration_from_processes_is_unique_and_gap_free() {
    let dir = tempfile::tempdir().unwrap();
    let (procs, per) = (4, 8);
    let children: Vec<_> = (0..procs)
        .map(|_| child("register", dir.path(), per).spawn().unwrap())
        .collect();
    let mut all = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        all.extend(lines_with(&out.stdout, "VERSION "));
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=(procs * per) as u64).collect::<Vec<_>>(),
        "unique, without gaps"
    );
    let reg = open(dir.path());
    let versions = reg.versions("shared").unwrap();
    assert_eq!(versions.len(), procs * per);
    let pids: BTreeSet<&String> = versions.iter().map(|v| &v.tags["pid"]).collect();
    assert_eq!(pids.len(), procs);
    // Each process's own registrations come in increasing order.
    let mut by_pid: BTreeMap<&String, Vec<f64>> = BTreeMap::new();
    for v in &versions {
        by_pid.entry(&v.tags["pid"]).or_default().push(v.metrics["i"]);
    }
    assert!(by_pid.values().all(|is| is.windows(2).all(|w| w[0] < w[1])));
}

#[test]
fn concurrent_alias_moves_hold_compare_and_swap() {
    let dir = tempfile::tempdir().unwrap();
    let reg = open(dir.path());
    let fitted = fit(1);
    for _ in 0..3 {
        reg.register("shared", &fitted, ModelMetadata::new()).unwrap();
    }
    let (procs, per) = (4, 25);
    let children: Vec<_> = (0..procs)
        .map(|_| child("cas", dir.path(), per).spawn().unwrap())
        .collect();
    let mut wins = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        wins += lines_with(&out.stdout, "WINS ").iter().sum::<u64>();
    }
    let trail = open(dir.path()).history("shared", Some("champion")).unwrap();
    assert_eq!(trail.len() as u64, wins, "every success is exactly one log entry");
    assert!(
        wins >= per as u64,
        "at least one process's worth of moves succeeded"
    );
    // Compare-and-swap held: each move started where the previous one ended.
    let mut current = None;
    for e in &trail {
        assert_eq!(e.from, current, "event {} overwrote a move it did not see", e.seq);
        current = e.to;
    }
    assert_eq!(open(dir.path()).alias("shared", "champion").unwrap(), current);
}

#[test]
fn a_killed_registration_leaves_no_half_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut proc = child("forever", dir.path(), 0).spawn().unwrap();
    // Let it get going, then kill it mid-flight (wherever it is).
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(20) {
        let versions = dir.path().join("shared/versions");
        if versions.exists() && std::fs::read_dir(&versions).unwrap().count() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    proc.kill().unwrap();
    proc.wait().unwrap();
    let reg = open(dir.path());
    let versions = reg.versions("shared").unwrap();
    assert!(versions.len() >= 3);
    for v in &versions {
        reg.load("shared", &v.version.to_string()).unwrap();
    }
    // No temporary or partial record is visible as a version, and numbering continues.
    let next = reg.register("shared", &fit(3), ModelMetadata::new()).unwrap();
    assert_eq!(next.version, versions.len() as u64 + 1);
}

#[test]
fn clones_share_state_and_handles_see_each_others_moves() {
    let dir = tempfile::tempdir().unwrap();
    let a = open(dir.path());
    let b = open(dir.path());
    let fitted = Arc::new(fit(1));
    a.register("m", &fitted, ModelMetadata::new()).unwrap();
    b.register("m", &fitted, ModelMetadata::new()).unwrap();
    a.set_alias("m", "champion", 1, Expected::Absent, "").unwrap();
    // b has not read the log yet; its compare-and-swap still sees a's move.
    let e = b.set_alias("m", "champion", 2, Expected::Absent, "").unwrap_err();
    assert!(matches!(e, Error::AliasConflict { .. }));
    b.set_alias("m", "champion", 2, Expected::Version(1), "").unwrap();
    assert_eq!(a.alias("m", "champion").unwrap(), Some(2));
    let served = a.load_served("m", "champion").unwrap();
    assert_eq!((served.name.as_str(), served.version), ("m", 2));
    let _ = Float64Array::from(vec![1.0]);
}
