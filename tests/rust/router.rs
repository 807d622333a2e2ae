//! The rollout router (`ferrops::serve::Router`): atomic swaps under concurrent load,
//! sticky canary split, shadow with back-pressure, bake-window rollback, the automatic
//! rollback policy firing and not firing, and A/B tests.
//!
//! The models are two logistic regressions fitted on the same synthetic table with
//! different targets (v1 learns `x1 > 0`, v2 learns `x2 > 0`), so each request's answer
//! tells which version gave it; it is checked against that version's own prediction.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use ferrops::features::RowTransform;
use ferrops::prelude::*;
use ferrops::serve::abtest::AbOutcome;
use ferrops::serve::{PolicyAction, PolicyMetric, Role, RollbackPolicy, Router, RouterOptions, ServedModel};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------

/// A deterministic pseudo-random stream in [-1, 1).
fn uniform(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// `x1`, `x2` and a label `y` = `x1 > 0` (by_x1) or `x2 > 0`.
fn table(n: usize, seed: u64, by_x1: bool) -> RecordBatch {
    let x1 = uniform(seed, n);
    let x2 = uniform(seed + 1, n);
    let y: Vec<&str> = x1
        .iter()
        .zip(&x2)
        .map(|(a, b)| {
            if (if by_x1 { *a } else { *b }) > 0.0 {
                "yes"
            } else {
                "no"
            }
        })
        .collect();
    RecordBatch::try_from_iter([
        ("x1", Arc::new(Float64Array::from(x1)) as ArrayRef),
        ("x2", Arc::new(Float64Array::from(x2)) as ArrayRef),
        ("y", Arc::new(StringArray::from(y)) as ArrayRef),
    ])
    .unwrap()
}

fn fit(by_x1: bool) -> Arc<FittedPipeline> {
    let fitted = Pipeline::new()
        .train(LogisticRegression::default())
        .fit(&table(400, 7, by_x1), "y")
        .unwrap();
    Arc::new(fitted)
}

fn v1() -> ServedModel {
    ServedModel::new("churn", 1, fit(true))
}

fn v2() -> ServedModel {
    ServedModel::new("churn", 2, fit(false))
}

fn row(x1: f64, x2: f64) -> Vec<(&'static str, Value)> {
    vec![("x1", Value::Float(x1)), ("x2", Value::Float(x2))]
}

/// Requests whose answers differ between v1 and v2 (x1 and x2 of opposite signs).
fn rows(n: usize, seed: u64) -> Vec<Vec<(&'static str, Value)>> {
    let a = uniform(seed, n);
    let b = uniform(seed + 100, n);
    a.iter()
        .zip(&b)
        .map(|(x, y)| row(x.abs().max(0.05), -y.abs().max(0.05)))
        .collect()
}

fn truth(r: &[(&str, Value)]) -> Value {
    // The label v1 was trained on: x1 > 0.
    let x1 = r[0].1.as_f64().unwrap();
    Value::Str(if x1 > 0.0 { "yes" } else { "no" }.into())
}

/// A pass-through stage whose single-row path sleeps (a slow shadow model) or fails
/// when `x1` exceeds `fail_above` (a model with errors).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Quirk {
    sleep_ms: u64,
    fail_above: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FittedQuirk(Quirk);

#[typetag::serde(name = "router_test_quirk")]
impl FeatureTransform for Quirk {
    fn fit(&self, _table: &RecordBatch) -> ferrops::Result<Box<dyn FittedTransform>> {
        Ok(Box::new(FittedQuirk(self.clone())))
    }
}

#[typetag::serde(name = "router_test_quirk")]
impl FittedTransform for FittedQuirk {
    fn output_schema(&self, input: &Schema) -> ferrops::Result<Schema> {
        Ok(input.clone())
    }

    fn transform(&self, table: &RecordBatch) -> ferrops::Result<RecordBatch> {
        Ok(table.clone())
    }

    fn row_transform(&self, input: &SchemaRef) -> ferrops::Result<Option<Box<dyn RowTransform>>> {
        let x1 = input.index_of("x1").unwrap();
        Ok(Some(Box::new(QuirkRow {
            quirk: self.0.clone(),
            x1,
        })))
    }
}

#[derive(Debug)]
struct QuirkRow {
    quirk: Quirk,
    x1: usize,
}

impl RowTransform for QuirkRow {
    fn apply(&self, row: &mut Vec<Value>) -> ferrops::Result<()> {
        if self.quirk.sleep_ms > 0 {
            std::thread::sleep(Duration::from_millis(self.quirk.sleep_ms));
        }
        let x1 = row[self.x1].as_f64().unwrap_or(f64::NAN);
        if x1 > self.quirk.fail_above {
            return Err(Error::InvalidData(format!("quirk: x1 = {x1} is too large")));
        }
        Ok(())
    }
}

fn quirky(version: u64, sleep_ms: u64, fail_above: f64) -> ServedModel {
    let fitted = Pipeline::new()
        .transform(Quirk { sleep_ms, fail_above })
        .train(LogisticRegression::default())
        .fit(&table(400, 7, true), "y")
        .unwrap();
    ServedModel::new("churn", version, Arc::new(fitted))
}

/// A row prediction: label and probabilities.
type Answer = (Value, Option<Vec<f64>>);

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

// ---------------------------------------------------------------------------------------
// Atomic swaps under load
// ---------------------------------------------------------------------------------------

#[test]
fn swaps_under_concurrent_load_never_fail_or_tear() {
    let (m1, m2) = (v1(), v2());
    let by_version: HashMap<u64, Arc<FittedPipeline>> =
        [(1, m1.pipeline.clone()), (2, m2.pipeline.clone())].into();
    let requests = rows(64, 11);
    let expected: HashMap<(u64, usize), Answer> = by_version
        .iter()
        .flat_map(|(v, p)| {
            requests
                .iter()
                .enumerate()
                .map(|(i, r)| ((*v, i), p.predict_named_row(r.clone()).unwrap()))
                .collect::<Vec<_>>()
        })
        .collect();
    // The two versions disagree on every request, so an answer names its version.
    for i in 0..requests.len() {
        assert_ne!(expected[&(1, i)].0, expected[&(2, i)].0);
    }
    let batch = table(50, 99, true);
    let batch_expected: HashMap<u64, ArrayRef> = by_version
        .iter()
        .map(|(v, p)| (*v, p.predict(&batch).unwrap()))
        .collect();

    let router = Arc::new(Router::new(m1.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let (router, stop, swaps) = (router.clone(), stop.clone(), swaps.clone());
        let (m1, m2) = (m1.clone(), m2.clone());
        std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // Alternate blue-green switches and pointer-swap rollbacks.
                if i % 3 == 2 {
                    router.rollback("test").unwrap();
                } else {
                    router
                        .switch(if i % 2 == 0 { m2.clone() } else { m1.clone() })
                        .unwrap();
                }
                swaps.fetch_add(1, Ordering::Relaxed);
                i += 1;
                std::thread::yield_now();
            }
        })
    };
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let router = router.clone();
            let requests = requests.clone();
            let expected = expected.clone();
            let batch = batch.clone();
            let batch_expected = batch_expected.clone();
            let swaps = swaps.clone();
            std::thread::spawn(move || {
                let mut seen = [0u64; 3];
                // At least 3000 requests each, and on until the swapper has swapped
                // 300 times (the threads may not be scheduled evenly).
                let mut n = 0;
                while n < 3000 || (swaps.load(Ordering::Relaxed) < 300 && n < 5_000_000) {
                    let i = (n * 7 + t) % requests.len();
                    let key = format!("user-{n}");
                    let answer = router.predict_row(Some(&key), &requests[i]).unwrap();
                    let (label, proba) = &expected[&(answer.version, i)];
                    assert_eq!(&answer.prediction, label, "version {}", answer.version);
                    assert_eq!(&answer.probabilities, proba, "version {}", answer.version);
                    assert_eq!(answer.role, Role::Champion);
                    seen[answer.version as usize] += 1;
                    if n % 100 == 0 {
                        let routed = router.predict(None, &batch).unwrap();
                        assert_eq!(
                            routed.predictions.as_ref(),
                            batch_expected[&routed.version].as_ref(),
                            "batch answered by version {}",
                            routed.version
                        );
                        assert_eq!(routed.probabilities.unwrap().nrows(), 50);
                    }
                    n += 1;
                }
                (seen, n as u64)
            })
        })
        .collect();
    let mut seen = [0u64; 3];
    let mut total = 0;
    for w in workers {
        let (counts, n) = w.join().unwrap();
        total += n;
        for (s, c) in seen.iter_mut().zip(counts) {
            *s += c;
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert!(swaps.load(Ordering::Relaxed) >= 300, "swaps: {swaps:?}");
    // Every request was answered, by version 1 or 2, with that version's own answer.
    assert!(total >= 12_000);
    assert_eq!(seen[1] + seen[2], total);
    assert!(seen[1] > 0 && seen[2] > 0, "both versions answered: {seen:?}");
}

// ---------------------------------------------------------------------------------------
// Canary
// ---------------------------------------------------------------------------------------

#[test]
fn canary_is_sticky_and_splits_accurately() {
    let router = Router::new(v1());
    router.start_canary(v2(), 0.2).unwrap();
    let r = row(0.5, -0.5);
    let n = 20_000;
    let first: Vec<u64> = (0..n)
        .map(|k| router.predict_row(Some(&format!("key-{k}")), &r).unwrap().version)
        .collect();
    let share = first.iter().filter(|&&v| v == 2).count() as f64 / n as f64;
    assert!((share - 0.2).abs() <= 0.015, "canary share {share}");
    // Same key, same model.
    for k in (0..n).step_by(7) {
        let again = router.predict_row(Some(&format!("key-{k}")), &r).unwrap();
        assert_eq!(again.version, first[k]);
        assert_eq!(
            again.role,
            if first[k] == 2 {
                Role::Canary
            } else {
                Role::Champion
            }
        );
        assert_eq!(&*again.variant, if first[k] == 2 { "canary" } else { "champion" });
    }
    // Growing the fraction moves keys only from the champion to the canary.
    router.set_canary_fraction(0.5).unwrap();
    let grown: Vec<u64> = (0..n)
        .map(|k| router.predict_row(Some(&format!("key-{k}")), &r).unwrap().version)
        .collect();
    let mut moved = 0;
    for (before, after) in first.iter().zip(&grown) {
        if *before == 2 {
            assert_eq!(*after, 2, "a canary key went back to the champion");
        } else if *after == 2 {
            moved += 1;
        }
    }
    let share = grown.iter().filter(|&&v| v == 2).count() as f64 / n as f64;
    assert!((share - 0.5).abs() <= 0.015, "canary share {share}");
    assert!(moved > 4000, "moved {moved}");
    // Requests without a key are split by the counter at the same rate.
    router.set_canary_fraction(0.2).unwrap();
    let keyless = (0..n)
        .filter(|_| router.predict_row(None::<&str>, &r).unwrap().version == 2)
        .count() as f64
        / n as f64;
    assert!((keyless - 0.2).abs() <= 0.015, "keyless canary share {keyless}");
    // Status reports the split.
    let status = router.status();
    assert_eq!(status.mode, "canary");
    assert_eq!(status.variants.len(), 2);
    assert_eq!(status.variants[1].version, 2);
    assert!((status.variants[1].fraction - 0.2).abs() < 1e-12);
    // Metrics per variant and the Prometheus text name both.
    let metrics = router.metrics();
    let total: u64 = metrics.iter().map(|m| m.metrics.requests).sum();
    assert_eq!(total, 20_000 + 20_000 / 7 + 1 + 20_000 + 20_000);
    let text = router.prometheus();
    assert!(text.contains("canary") && text.contains("champion"), "{text}");
    // Fraction 0 and 1 are the edges.
    router.set_canary_fraction(0.0).unwrap();
    assert!((0..500).all(|k| router.predict_row(Some(&k.to_string()), &r).unwrap().version == 1));
    router.set_canary_fraction(1.0).unwrap();
    assert!((0..500).all(|k| router.predict_row(Some(&k.to_string()), &r).unwrap().version == 2));
}

#[test]
fn invalid_changes_are_clear_errors() {
    let router = Router::new(v1());
    for bad in [-0.1, 1.5, f64::NAN] {
        let err = router.start_canary(v2(), bad).unwrap_err();
        assert!(
            matches!(err, Error::InvalidParameter { ref name, .. } if name == "fraction"),
            "{err}"
        );
    }
    let err = router.promote().unwrap_err();
    assert!(err.to_string().contains("no candidate"), "{err}");
    let err = router.set_canary_fraction(0.3).unwrap_err();
    assert!(err.to_string().contains("no canary is running"), "{err}");
    let err = router.rollback("nothing").unwrap_err();
    assert!(err.to_string().contains("nothing was switched"), "{err}");
    router.start_canary(v2(), 0.1).unwrap();
    let err = router.start_shadow(v2()).unwrap_err();
    assert!(err.to_string().contains("a canary"), "{err}");
    let err = router.switch(v2()).unwrap_err();
    assert!(err.to_string().contains("promote() or rollback()"), "{err}");
    let err = router
        .record_outcome("treatment", &Value::Str("yes".into()), &Value::Str("no".into()))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    let err = router.ab_test(AbOutcome::Accuracy, 0.05).unwrap_err();
    assert!(err.to_string().contains("no A/B test"), "{err}");
    router.rollback("done").unwrap();

    let ab =
        |v: Vec<(&str, f64)>| router.start_ab(v.into_iter().map(|(n, w)| (n.to_string(), v1(), w)).collect());
    assert!(ab(vec![("a", 1.0)])
        .unwrap_err()
        .to_string()
        .contains("at least 2"));
    assert!(ab(vec![("a", 1.0), ("a", 1.0)])
        .unwrap_err()
        .to_string()
        .contains("twice"));
    assert!(ab(vec![("a", 1.0), ("canary", 1.0)])
        .unwrap_err()
        .to_string()
        .contains("reserved"));
    assert!(ab(vec![("a", 1.0), ("b", -1.0)])
        .unwrap_err()
        .to_string()
        .contains(">= 0"));
    assert!(ab(vec![("a", 0.0), ("b", 0.0)])
        .unwrap_err()
        .to_string()
        .contains("sum to 0"));
    let err = Router::with_options(v1(), RouterOptions::default().shadow_capacity(0)).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    // A model error is returned and counted.
    let err = router
        .predict_row(Some("k"), &[("x1", Value::Float(1.0))])
        .unwrap_err();
    assert!(matches!(err, Error::ColumnNotFound { .. }), "{err}");
    assert_eq!(router.metrics()[0].metrics.errors, 1);
    // Policies are validated.
    for policy in [
        RollbackPolicy::new().min_requests(0),
        RollbackPolicy::new().max_error_rate_increase(2.0),
        RollbackPolicy::new().max_metric_drop(PolicyMetric::Accuracy, -0.1, 10),
        RollbackPolicy::new().max_p99_ratio(0.0),
    ] {
        let err = router.check(&policy, None).unwrap_err();
        assert!(matches!(err, Error::InvalidParameter { .. }), "{err}");
    }
}

// ---------------------------------------------------------------------------------------
// Shadow
// ---------------------------------------------------------------------------------------

#[test]
fn shadow_answers_live_from_the_champion_and_records_the_candidate() {
    let (m1, m2) = (v1(), v2());
    let router = Router::new(m1.clone());
    router.start_shadow(m2.clone()).unwrap();
    let requests = rows(200, 3);
    for (i, r) in requests.iter().enumerate() {
        let answer = router.predict_row(Some(&i.to_string()), r).unwrap();
        assert_eq!(answer.role, Role::Champion);
        assert_eq!(answer.version, 1);
        assert_eq!(
            answer.prediction,
            m1.pipeline.predict_named_row(r.clone()).unwrap().0
        );
    }
    let batch = table(30, 5, true);
    let live = router.predict(Some("b"), &batch).unwrap();
    assert_eq!(live.version, 1);
    assert_eq!(
        live.predictions.as_ref(),
        m1.pipeline.predict(&batch).unwrap().as_ref()
    );
    wait_for("the shadow queue to drain", || {
        let s = router.status().shadow.unwrap();
        s.pending == 0 && s.scored + s.failed == s.sent
    });
    let s = router.status().shadow.unwrap();
    assert_eq!(s.sent + s.dropped, 201);
    assert_eq!(s.failed, 0);
    let metrics = router.metrics();
    assert_eq!(metrics[0].label, "champion");
    assert_eq!(metrics[0].metrics.requests, 201);
    assert_eq!(metrics[1].label, "shadow");
    assert_eq!(metrics[1].role, Role::Shadow);
    assert_eq!(metrics[1].metrics.requests, s.scored);
    // Each scored row request is compared with its live answer; a batch compares all rows.
    assert_eq!(s.dropped, 0, "the default queue holds 1024 copies");
    let comparisons = &metrics[1].metrics.comparisons;
    assert_eq!(comparisons.compared, 200 + 30);
    // v2 disagrees with v1 on every row request (they were chosen so).
    assert!(comparisons.agreed <= 30, "agreed {}", comparisons.agreed);
    // Promote the shadow: it keeps its metrics as champion.
    let change = router.promote().unwrap();
    assert_eq!((change.from.unwrap().version, change.to.version), (1, 2));
    assert_eq!(router.status().mode, "single");
    assert_eq!(router.metrics()[0].metrics.requests, s.scored);
}

#[test]
fn a_full_shadow_queue_drops_copies_instead_of_blocking() {
    let router = Router::with_options(v1(), RouterOptions::default().shadow_capacity(1)).unwrap();
    router.start_shadow(quirky(2, 30, f64::INFINITY)).unwrap();
    let requests = rows(50, 9);
    for r in &requests {
        let answer = router.predict_row(Some("burst"), r).unwrap();
        assert_eq!(answer.version, 1);
    }
    let s = router.status().shadow.unwrap();
    // try_send never waits: every copy was either queued or dropped, and with a 30 ms
    // shadow model and room for one, most of a 50-request burst was dropped.
    assert_eq!(s.sent + s.dropped, 50);
    assert!(s.dropped > 0, "{s:?}");
    assert!(s.sent >= 1, "{s:?}");
    assert_eq!(router.metrics()[0].metrics.requests, 50);
    wait_for("the slow shadow to finish", || {
        let s = router.status().shadow.unwrap();
        s.scored + s.failed == s.sent
    });
    // Rolling back the shadow ends it; the champion keeps answering.
    let change = router.rollback("too slow").unwrap();
    assert_eq!(change.from.unwrap().version, 2);
    assert!(router.status().shadow.is_none());
    assert_eq!(router.predict_row(None::<&str>, &requests[0]).unwrap().version, 1);
}

// ---------------------------------------------------------------------------------------
// Bake window
// ---------------------------------------------------------------------------------------

#[test]
fn rollback_is_a_swap_inside_the_bake_window_and_an_error_after() {
    let options = RouterOptions::default().bake_window(Duration::from_millis(1000));
    let router = Router::with_options(v1(), options).unwrap();
    let r = row(0.5, -0.5);
    router.switch(v2()).unwrap();
    let status = router.status();
    assert_eq!(status.champion.version, 2);
    assert_eq!(status.previous.as_ref().unwrap().version, 1);
    assert!(status.bake_deadline.is_some());
    assert_eq!(router.predict_row(Some("k"), &r).unwrap().version, 2);
    let change = router.rollback("bad conversion").unwrap();
    assert_eq!((change.from.unwrap().version, change.to.version), (2, 1));
    assert_eq!(change.action, "rollback");
    assert_eq!(router.predict_row(Some("k"), &r).unwrap().version, 1);
    assert!(router.status().previous.is_none());

    // Promote from a canary, then roll back inside the window.
    router.start_canary(v2(), 0.5).unwrap();
    router.promote().unwrap();
    assert_eq!(router.status().champion.version, 2);
    router.rollback("canary regressed after promotion").unwrap();
    assert_eq!(router.status().champion.version, 1);

    // After the window the previous champion is released and rollback says so.
    router.switch(v2()).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert!(router.status().previous.is_none());
    let err = router.rollback("too late").unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("released") && text.contains("churn v1") && text.contains("switch()"),
        "{text}"
    );
    assert_eq!(router.status().champion.version, 2);
    assert_eq!(router.release_expired(), None);
}

// ---------------------------------------------------------------------------------------
// Automatic rollback
// ---------------------------------------------------------------------------------------

#[test]
fn policy_rolls_back_a_canary_with_more_errors() {
    let router = Router::new(v1());
    // Fails on x1 > 0.6: about 20 % of uniform(-1, 1) requests.
    router.start_canary(quirky(2, 0, 0.6), 0.5).unwrap();
    let xs = uniform(21, 2000);
    let ys = uniform(22, 2000);
    let mut failures = 0;
    for (k, (x1, x2)) in xs.iter().zip(&ys).enumerate() {
        if router
            .predict_row(Some(&format!("u{k}")), &row(*x1, *x2))
            .is_err()
        {
            failures += 1;
        }
    }
    assert!(failures > 100, "{failures}");
    let policy = RollbackPolicy::new()
        .min_requests(200)
        .max_error_rate_increase(0.02);
    // Too little evidence: wait.
    let waiting = router
        .check(&RollbackPolicy::new().min_requests(5_000), None)
        .unwrap();
    assert_eq!(waiting.action, PolicyAction::Continue);
    assert!(
        waiting.reasons[0].starts_with("waiting for evidence ("),
        "{:?}",
        waiting.reasons
    );
    assert!(
        waiting.reasons[0].contains("of 5000 requests"),
        "{:?}",
        waiting.reasons
    );
    let decision = router.enforce(&policy, None).unwrap();
    assert_eq!(decision.action, PolicyAction::Rollback, "{decision:?}");
    assert!(
        decision.reasons[0].contains("error rate of canary"),
        "{:?}",
        decision.reasons
    );
    let change = decision.change.unwrap();
    assert_eq!(change.from.unwrap().version, 2);
    assert!(
        change.reason.starts_with("automatic rollback: error rate"),
        "{}",
        change.reason
    );
    assert_eq!(router.status().mode, "single");
    // Nothing left to roll back: Continue.
    let after = router.enforce(&policy, None).unwrap();
    assert_eq!(after.action, PolicyAction::Continue);
    assert!(after.change.is_none());
}

#[test]
fn policy_rolls_back_on_worse_accuracy_and_on_drift_but_not_a_similar_candidate() {
    let policy = RollbackPolicy::new()
        .min_requests(100)
        .max_metric_drop(PolicyMetric::Accuracy, 0.05, 100)
        .promote_after(300);
    let requests: Vec<_> = {
        let a = uniform(31, 1500);
        let b = uniform(32, 1500);
        a.iter().zip(&b).map(|(x, y)| row(*x, *y)).collect()
    };
    let run = |router: &Router| {
        for (k, r) in requests.iter().enumerate() {
            let answer = router.predict_row(Some(&format!("u{k}")), r).unwrap();
            router
                .record_outcome(&answer.variant, &answer.prediction, &truth(r))
                .unwrap();
        }
    };

    // A candidate that learned the wrong rule: accuracy ~0.5 against ~1.0.
    let worse = Router::new(v1());
    worse.start_canary(v2(), 0.3).unwrap();
    run(&worse);
    let decision = worse.check(&policy, None).unwrap();
    assert_eq!(decision.action, PolicyAction::Rollback, "{decision:?}");
    assert!(
        decision
            .reasons
            .iter()
            .any(|r| r.starts_with("accuracy of canary")),
        "{:?}",
        decision.reasons
    );
    assert_eq!(worse.status().mode, "canary", "check changes nothing");

    // The same model refitted as v3: within limits, enough evidence => Promote.
    let similar = Router::new(v1());
    similar
        .start_canary(ServedModel::new("churn", 3, fit(true)), 0.3)
        .unwrap();
    run(&similar);
    let decision = similar.enforce(&policy, None).unwrap();
    assert_eq!(decision.action, PolicyAction::Promote, "{decision:?}");
    assert!(decision.change.is_none(), "enforce does not promote by itself");
    assert!(decision
        .reasons
        .iter()
        .any(|r| r.starts_with("error rate of canary")));
    assert!(decision
        .reasons
        .iter()
        .any(|r| r.starts_with("accuracy of canary")));
    // Without promote_after it is Continue.
    let decision = similar
        .check(&policy.clone().rollback_on_drift(true), Some(false.into()))
        .unwrap();
    assert_eq!(decision.action, PolicyAction::Promote);
    let mut no_promote = policy.clone();
    no_promote.promote_after = None;
    assert_eq!(
        similar.check(&no_promote, None).unwrap().action,
        PolicyAction::Continue
    );
    // Not enough outcomes: wait.
    let strict =
        RollbackPolicy::new()
            .min_requests(100)
            .max_metric_drop(PolicyMetric::Accuracy, 0.05, 100_000);
    let decision = similar.check(&strict, None).unwrap();
    assert_eq!(decision.action, PolicyAction::Continue);
    assert!(
        decision.reasons[0].starts_with("waiting for outcomes"),
        "{:?}",
        decision.reasons
    );

    // Drift rolls back even a good candidate (when the policy says so).
    let decision = similar.enforce(&policy, Some(true.into())).unwrap();
    assert_eq!(decision.action, PolicyAction::Rollback);
    assert_eq!(decision.reasons, vec!["drift detected".to_string()]);
    assert_eq!(similar.status().mode, "single");
    let ignore = RollbackPolicy::new().rollback_on_drift(false);
    assert_eq!(
        similar.check(&ignore, Some(true.into())).unwrap().action,
        PolicyAction::Continue
    );
}

#[test]
fn policy_watches_the_bake_window_after_a_switch() {
    let router = Router::new(v1());
    let requests = rows(300, 41);
    for r in &requests {
        router.predict_row(None::<&str>, r).unwrap();
    }
    // The new champion fails on x1 > 0.2 (about 80 % of these requests).
    router.switch(quirky(2, 0, 0.2)).unwrap();
    for r in &requests {
        let _ = router.predict_row(None::<&str>, r);
    }
    let decision = router
        .enforce(&RollbackPolicy::new().min_requests(200), None)
        .unwrap();
    assert_eq!(decision.action, PolicyAction::Rollback, "{decision:?}");
    assert!(decision.subject.contains("bake window"), "{}", decision.subject);
    assert_eq!(router.status().champion.version, 1);
}

// ---------------------------------------------------------------------------------------
// A/B
// ---------------------------------------------------------------------------------------

#[test]
fn ab_test_is_sticky_and_compares_variants() {
    let router = Router::new(v1());
    router
        .start_ab(vec![
            ("control".into(), v1(), 1.0),
            ("treatment".into(), v2(), 1.0),
        ])
        .unwrap();
    let xs = uniform(51, 4000);
    let ys = uniform(52, 4000);
    let mut by_key = Vec::new();
    for (k, (x1, x2)) in xs.iter().zip(&ys).enumerate() {
        let r = row(*x1, *x2);
        let answer = router.predict_row(Some(&format!("c{k}")), &r).unwrap();
        assert_eq!(answer.role, Role::Variant);
        router
            .record_outcome(&answer.variant, &answer.prediction, &truth(&r))
            .unwrap();
        router
            .record_reward(
                &answer.variant,
                if answer.prediction == truth(&r) { 1.0 } else { 0.0 },
            )
            .unwrap();
        by_key.push(answer.variant);
    }
    let treated = by_key.iter().filter(|v| &***v == "treatment").count() as f64 / 4000.0;
    assert!((treated - 0.5).abs() < 0.03, "{treated}");
    for k in (0..4000).step_by(13) {
        let again = router
            .predict_row(Some(&format!("c{k}")), &row(0.1, 0.1))
            .unwrap();
        assert_eq!(again.variant, by_key[k]);
    }
    let results = router.ab_test(AbOutcome::Accuracy, 0.05).unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(
        (r.control.as_str(), r.treatment.as_str()),
        ("control", "treatment")
    );
    assert!(
        r.result.significant && r.result.difference < -0.3,
        "{:?}",
        r.result
    );
    let reward = router.ab_test(AbOutcome::Reward, 0.05).unwrap();
    assert!(reward[0].result.significant);
    let status = router.status();
    assert_eq!(status.mode, "ab");
    assert!((status.variants[0].fraction - 0.5).abs() < 1e-12);
    // promote() asks for a name; promote_variant crowns one.
    assert!(router
        .promote()
        .unwrap_err()
        .to_string()
        .contains("promote_variant"));
    let change = router.promote_variant("control").unwrap();
    assert_eq!(change.to.version, 1);
    assert_eq!(router.status().mode, "single");
}

#[test]
fn a_drift_report_feeds_the_policy() {
    use ferrops::drift::{drift_report, DriftOptions};
    use ferrops::serve::DriftEvidence;
    let reference = table(500, 61, true);
    // The same columns shifted by +2: every column drifts.
    let shift = |name: &str| {
        let col = reference.column_by_name(name).unwrap();
        let values = col.as_any().downcast_ref::<Float64Array>().unwrap();
        Arc::new(Float64Array::from_iter_values(
            values.values().iter().map(|v| v + 2.0),
        )) as ArrayRef
    };
    let current = RecordBatch::try_from_iter([("x1", shift("x1")), ("x2", shift("x2"))]).unwrap();
    let reference = reference.project(&[0, 1]).unwrap();
    let drifted = drift_report(&reference, &current, &DriftOptions::default()).unwrap();
    let evidence = DriftEvidence::from(&drifted);
    assert!(evidence.drifted);
    assert!(
        evidence.detail.contains("2 of 2 columns drifted"),
        "{}",
        evidence.detail
    );
    let calm = drift_report(&reference, &reference, &DriftOptions::default()).unwrap();
    assert!(!DriftEvidence::from(&calm).drifted);

    let router = Router::new(v1());
    router.start_canary(v2(), 0.1).unwrap();
    let policy = RollbackPolicy::new();
    let decision = router.check(&policy, Some((&calm).into())).unwrap();
    assert_eq!(decision.action, PolicyAction::Continue);
    let decision = router.enforce(&policy, Some((&drifted).into())).unwrap();
    assert_eq!(decision.action, PolicyAction::Rollback);
    assert!(
        decision.reasons[0].starts_with("dataset drift detected"),
        "{:?}",
        decision.reasons
    );
    assert!(decision.change.unwrap().reason.contains("x1, x2"));
    assert_eq!(router.status().mode, "single");
}
