//! The retraining loop over a simulated stream: bootstrap, a concept shift that the
//! loop detects (drift and decay), retrains on, gates, canaries and promotes; then a
//! candidate validated on stale data that passes the offline gate but loses live, and
//! is rolled back automatically. Also the feature-store training source (labels up to
//! now, features point-in-time) and step-by-step driving.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use common::Rng;
use ferrops::lifecycle::{
    DecisionKind, FnSource, Lifecycle, LifecyclePolicy, State, StoreSource, TrainingData, TrainingSource,
};
use ferrops::prelude::*;
use ferrops::registry::{AliasAction, Lineage, ModelRegistry};
use ferrops::serve::{PolicyMetric, RollbackPolicy};
use ferrops::store::{Entity, Feature, FeatureStore, FeatureView, ValueType, WriteMode};
use ferrops::validate::gate::{Gate, Threshold};

const DAY: i64 = 86_400_000_000;
const T0: i64 = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z

/// `days` days of `per_day` rows: `t` (µs), `key`, `x1`, `x2`, `label` (yes/no).
/// Before `shift_day`: label = x1 + x2 > 0; from it on x1 moves by +1.5 and the
/// concept changes: label = x1 - x2 > 1.5.
fn stream(days: i64, per_day: usize, shift_day: i64, seed: u64) -> RecordBatch {
    let mut rng = Rng::new(seed);
    let (mut t, mut key, mut x1, mut x2, mut label) = (vec![], vec![], vec![], vec![], vec![]);
    for day in 0..days {
        for i in 0..per_day {
            let shifted = day >= shift_day;
            let a = rng.normal() + if shifted { 1.5 } else { 0.0 };
            let b = rng.normal();
            let noise = 0.3 * rng.normal();
            let yes = if shifted {
                a - b + noise > 1.5
            } else {
                a + b + noise > 0.0
            };
            t.push(T0 + day * DAY + (i as i64) * (DAY / per_day as i64));
            key.push(format!("user{}", rng.next_u64() % 997));
            x1.push(a);
            x2.push(b);
            label.push(if yes { "yes" } else { "no" });
        }
    }
    RecordBatch::try_from_iter([
        (
            "t",
            Arc::new(TimestampMicrosecondArray::from(t).with_timezone("UTC")) as ArrayRef,
        ),
        ("key", Arc::new(StringArray::from(key)) as ArrayRef),
        ("x1", Arc::new(Float64Array::from(x1)) as ArrayRef),
        ("x2", Arc::new(Float64Array::from(x2)) as ArrayRef),
        ("label", Arc::new(StringArray::from(label)) as ArrayRef),
    ])
    .unwrap()
}

fn rows_between(table: &RecordBatch, from: i64, until: i64) -> RecordBatch {
    let t = table
        .column(0)
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    let mask = t
        .iter()
        .map(|v| Some(v.is_some_and(|v| v > from && v <= until)))
        .collect();
    filter_record_batch(table, &mask).unwrap()
}

/// Train on the labelled rows of the last `days` days up to now.
fn window_source(history: RecordBatch, days: i64) -> Box<dyn TrainingSource> {
    Box::new(FnSource(move |until: i64| {
        let table = rows_between(&history, until - days * DAY, until);
        Ok(TrainingData {
            lineage: Lineage {
                training_table: Some(ferrops::registry::TableFingerprint::of(&table)?),
                ..Lineage::default()
            },
            table,
            time_column: Some("t".into()),
            drop_columns: vec!["t".into(), "key".into()],
        })
    }))
}

fn policy() -> LifecyclePolicy {
    LifecyclePolicy {
        canary_fraction: 0.3,
        rollback: RollbackPolicy::new()
            .min_requests(100)
            .max_metric_drop(PolicyMetric::Accuracy, 0.05, 100)
            .promote_after(150),
        ..LifecyclePolicy::default()
    }
}

fn gate() -> Gate {
    Gate::new([Threshold::new("accuracy").lower(0.6).change_absolute(-0.01)]).unwrap()
}

fn pipeline() -> Pipeline {
    Pipeline::new().train(LogisticRegression::default())
}

#[test]
fn the_loop_retrains_on_a_concept_shift_and_rolls_a_bad_candidate_back() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::open(dir.path().to_str().unwrap())
        .unwrap()
        .with_actor("loop");
    let history = stream(20, 400, 10, 1);
    let mut lifecycle = Lifecycle::new(
        registry.clone(),
        "churn",
        pipeline(),
        "label",
        window_source(history.clone(), 4),
        gate(),
        policy(),
    )
    .unwrap();
    assert_eq!(lifecycle.state(), &State::Empty);

    // Days 0..5 are history: the first step trains on them. Days 5..16 stream in.
    let live = rows_between(&history, T0 + 5 * DAY - 1, T0 + 16 * DAY - 1);
    let first = lifecycle.step(T0 + 5 * DAY - 1, None).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].kind, DecisionKind::Promoted);
    assert_eq!(lifecycle.state(), &State::Stable { champion: 1 });
    let v1 = registry.version("churn", 1).unwrap();
    assert!(v1.metrics["accuracy"] > 0.85, "{:?}", v1.metrics);
    assert!(v1.lineage.training_table.is_some() && v1.profile.is_some());

    let timeline = lifecycle.simulate(&live, "t", Some("key"), DAY).unwrap().clone();
    println!("{timeline}");
    let kinds: Vec<DecisionKind> = timeline.events().map(|d| d.kind).collect();
    // Before the shift (days 5..10): stable, no false alarm.
    let before_shift = timeline
        .decisions
        .iter()
        .filter(|d| d.at_micros <= T0 + 10 * DAY)
        .collect::<Vec<_>>();
    assert!(
        before_shift
            .iter()
            .skip(1)
            .all(|d| d.kind == DecisionKind::Stable),
        "{before_shift:#?}"
    );
    // After it: drift and decay found, a retrained candidate canaried and promoted.
    assert!(kinds.contains(&DecisionKind::DriftDetected), "{kinds:?}");
    assert!(kinds.contains(&DecisionKind::DecayDetected), "{kinds:?}");
    let started = timeline
        .of_kind(DecisionKind::CanaryStarted)
        .next()
        .expect("a canary")
        .clone();
    assert!(started.reason.contains("passed the gate"), "{}", started.reason);
    let promoted = timeline
        .of_kind(DecisionKind::Promoted)
        .last()
        .filter(|d| d.step > 1)
        .expect("a retrained model is promoted")
        .clone();
    // Traffic drifts from the first candidate's training data (four days straddling the
    // shift) no less than from the champion's: not a reason to keep the decayed
    // champion, so that candidate is judged on its live accuracy instead.
    assert!(
        timeline
            .events()
            .all(|d| d.kind != DecisionKind::RolledBack || !d.reason.contains("drift")),
        "{timeline}"
    );
    let new_champion = promoted.version.unwrap();
    assert_eq!(registry.alias("churn", "champion").unwrap(), Some(new_champion));
    assert_eq!(
        lifecycle.state(),
        &State::Stable {
            champion: new_champion
        }
    );
    let new = registry.version("churn", new_champion).unwrap();
    assert!(new.metrics["accuracy"] > 0.85, "{:?}", new.metrics);

    // A candidate fitted on the old concept, validated on old data: it passes the
    // offline gate against the champion on that holdout, then loses live.
    let old = rows_between(&history, T0 - 1, T0 + 5 * DAY);
    let old = old.project(&[2, 3, 4]).unwrap();
    let stale = pipeline().fit(&old.slice(0, 1600), "label").unwrap();
    let proposed = lifecycle
        .propose(
            T0 + 16 * DAY,
            stale,
            &old.slice(1600, 400),
            "hotfix from the notebook",
        )
        .unwrap();
    assert_eq!(
        proposed.last().unwrap().kind,
        DecisionKind::CanaryStarted,
        "{proposed:#?}"
    );
    let bad = proposed.last().unwrap().version.unwrap();
    assert_eq!(registry.alias("churn", "challenger").unwrap(), Some(bad));
    let later = rows_between(&history, T0 + 16 * DAY - 1, T0 + 20 * DAY);
    let timeline = lifecycle.simulate(&later, "t", Some("key"), DAY).unwrap().clone();
    let rolled = timeline
        .of_kind(DecisionKind::RolledBack)
        .last()
        .expect("rolled back")
        .clone();
    assert_eq!(rolled.version, Some(bad));
    assert!(rolled.reason.contains("accuracy"), "{}", rolled.reason);
    // A proposed model comes without its training data: no profile, no drift test.
    assert!(!rolled.reason.contains("drift"), "{}", rolled.reason);
    assert_eq!(
        lifecycle.state(),
        &State::Stable {
            champion: new_champion
        }
    );
    assert_eq!(registry.alias("churn", "champion").unwrap(), Some(new_champion));
    assert_eq!(registry.alias("churn", "challenger").unwrap(), None);
    // The registry's log carries the why.
    let trail = registry.history("churn", Some("challenger")).unwrap();
    let last = trail.last().unwrap();
    assert_eq!(last.action, AliasAction::Delete);
    assert!(last.reason.contains("canary rolled back"), "{}", last.reason);
    let champion_trail = registry.history("churn", Some("champion")).unwrap();
    assert!(champion_trail.last().unwrap().reason.contains("canary promoted"));
    assert_eq!(champion_trail.last().unwrap().actor, "loop");
    // Reports.
    let html = timeline.to_html();
    assert!(html.contains("rolled back") && html.contains("promoted"));
    let json: serde_json::Value = serde_json::from_str(&timeline.to_json().unwrap()).unwrap();
    assert!(json["decisions"].as_array().unwrap().len() >= 10);

    // Manual rollback of the champion goes back to the one before (alias and router).
    let before = registry.history("churn", Some("champion")).unwrap();
    let previous = before.last().unwrap().from.unwrap();
    assert!(previous < new_champion);
    let d = lifecycle.rollback_champion(T0 + 21 * DAY, "incident 42").unwrap();
    assert_eq!(d.version, Some(previous));
    assert_eq!(registry.alias("churn", "champion").unwrap(), Some(previous));
    assert_eq!(lifecycle.router().unwrap().status().champion.version, previous);
}

#[test]
fn a_restarted_loop_resumes_from_the_registry_and_stays_quiet_without_drift() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::open(dir.path().to_str().unwrap()).unwrap();
    let history = stream(8, 300, 100, 2);
    let make = || {
        Lifecycle::new(
            registry.clone(),
            "m",
            pipeline(),
            "label",
            window_source(history.clone(), 4),
            gate(),
            policy(),
        )
        .unwrap()
    };
    let mut first = make();
    first.step(T0 + 4 * DAY, None).unwrap();
    drop(first);
    // A new process (a cron job) picks the champion up from the registry.
    let mut again = make();
    assert_eq!(again.state(), &State::Stable { champion: 1 });
    for day in 4..8 {
        let window = rows_between(&history, T0 + day * DAY, T0 + (day + 1) * DAY)
            .project(&[1, 2, 3, 4])
            .unwrap();
        let decisions = again.step(T0 + (day + 1) * DAY, Some(&window)).unwrap();
        assert_eq!(decisions.len(), 1);
        assert_eq!(decisions[0].kind, DecisionKind::Stable, "{decisions:?}");
    }
    assert_eq!(registry.versions("m").unwrap().len(), 1);
}

/// A loop on `churn` in `registry` training on the last 4 days of `history`, routing
/// replayed rows by the `key` column.
fn keyed_loop(registry: &ModelRegistry, history: &RecordBatch, policy: LifecyclePolicy) -> Lifecycle {
    Lifecycle::new(
        registry.clone(),
        "churn",
        pipeline(),
        "label",
        window_source(history.clone(), 4),
        gate(),
        LifecyclePolicy {
            key_column: Some("key".into()),
            ..policy
        },
    )
    .unwrap()
}

/// Driven from cron: every step is a new process (a new `Lifecycle` on the same
/// registry) given the day's served rows. A canary started by one run is resumed by the
/// next (router and state from the `challenger` alias) and judged on the rows replayed
/// through the router with their routing keys; it is promoted over runs, never lost.
#[test]
fn a_cron_driven_loop_resumes_its_canary_in_each_new_process() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::open(dir.path().to_str().unwrap()).unwrap();
    let history = stream(20, 400, 10, 1);
    let make = || keyed_loop(&registry, &history, policy());
    make().step(T0 + 5 * DAY - 1, None).unwrap();
    let mut kinds = Vec::new();
    let mut resumed = 0;
    let mut replayed = 0;
    for day in 5..20 {
        let mut run = make();
        if let State::Canary { candidate, .. } = run.state() {
            resumed += 1;
            assert_eq!(registry.alias("churn", "challenger").unwrap(), Some(*candidate));
            assert_eq!(run.router().unwrap().status().mode, "canary");
        }
        let window = rows_between(&history, T0 + day * DAY - 1, T0 + (day + 1) * DAY - 1)
            .project(&[1, 2, 3, 4])
            .unwrap();
        for d in run.step(T0 + (day + 1) * DAY, Some(&window)).unwrap() {
            replayed += usize::from(d.reason.contains("replayed through the router"));
            kinds.push((day, d.kind, d.version, d.reason));
        }
    }
    let events: Vec<_> = kinds.iter().filter(|k| k.1 != DecisionKind::Stable).collect();
    assert!(resumed >= 1 && replayed >= 1, "{events:#?}");
    let promoted: Vec<_> = events.iter().filter(|k| k.1 == DecisionKind::Promoted).collect();
    assert!(!promoted.is_empty(), "a resumed canary is promoted: {events:#?}");
    // Promoted by a later run than the one that started it, on the replayed rows.
    let started = events
        .iter()
        .find(|k| k.1 == DecisionKind::CanaryStarted)
        .unwrap();
    assert!(promoted[0].0 > started.0 && promoted[0].3.contains("labelled rows since the canary started"));
    let champion = registry.alias("churn", "champion").unwrap().unwrap();
    assert_eq!(Some(champion), promoted.last().unwrap().2);
    // The registry's log names each promotion's evidence, replayed rows included.
    let trail = registry.history("churn", Some("champion")).unwrap();
    assert!(
        trail.last().unwrap().reason.contains("canary promoted"),
        "{trail:?}"
    );
}

/// A resumed canary stepped several times in one process that serves elsewhere: each
/// step replays only the rows labelled since the step before, so the router's counts are
/// exactly the source's rows since the canary started (none counted twice).
#[test]
fn a_resumed_canary_replays_each_labelled_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::open(dir.path().to_str().unwrap()).unwrap();
    let history = stream(20, 400, 10, 1);
    let never_promote = LifecyclePolicy {
        rollback: RollbackPolicy::new().min_requests(100).promote_after(100_000),
        ..policy()
    };
    let make = || keyed_loop(&registry, &history, never_promote.clone());
    make().step(T0 + 5 * DAY - 1, None).unwrap();
    // Cron runs until one of them starts a canary.
    let mut day = 5;
    let since = loop {
        assert!(day < 16, "no canary started");
        let window = rows_between(&history, T0 + day * DAY - 1, T0 + (day + 1) * DAY - 1)
            .project(&[1, 2, 3, 4])
            .unwrap();
        let mut run = make();
        run.step(T0 + (day + 1) * DAY, Some(&window)).unwrap();
        day += 1;
        if let State::Canary { since_micros, .. } = run.state() {
            break *since_micros;
        }
    };
    assert_eq!(since, T0 + day * DAY);
    let mut resumed = make();
    assert!(matches!(resumed.state(), State::Canary { since_micros, .. } if *since_micros == since));
    let total = |l: &Lifecycle| -> u64 {
        l.router()
            .unwrap()
            .metrics()
            .iter()
            .map(|r| r.metrics.requests)
            .sum()
    };
    let mut reasons = Vec::new();
    for step in 1..=3 {
        let now = since + step * DAY;
        let decisions = resumed.step(now, None).unwrap();
        assert_eq!(decisions.len(), 1, "{decisions:?}");
        assert_eq!(decisions[0].kind, DecisionKind::CanaryWaiting, "{decisions:?}");
        reasons.push(decisions[0].reason.clone());
        let expected = rows_between(&history, since, now).num_rows() as u64;
        assert_eq!(total(&resumed), expected, "after step {step}: {reasons:#?}");
    }
    assert!(reasons[0].contains("since the canary started"), "{}", reasons[0]);
    assert!(reasons[1].contains("since the last step"), "{}", reasons[1]);
    let canary = resumed.router().unwrap().metrics();
    let canary = canary.iter().find(|r| r.label == "canary").unwrap();
    // Keys were routed as the service routes them: the canary's share is about 30 %.
    let share = canary.metrics.requests as f64 / total(&resumed) as f64;
    assert!((0.2..0.4).contains(&share), "{share}");
}

#[test]
fn errors_are_specific_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::open(dir.path().to_str().unwrap()).unwrap();
    let history = stream(2, 50, 100, 3);
    let bad_policy = LifecyclePolicy {
        canary_fraction: 1.5,
        ..LifecyclePolicy::default()
    };
    let e = Lifecycle::new(
        registry.clone(),
        "m",
        pipeline(),
        "label",
        window_source(history.clone(), 4),
        gate(),
        bad_policy,
    )
    .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { .. }), "{e}");
    let mut lifecycle = Lifecycle::new(
        registry.clone(),
        "m",
        pipeline(),
        "label",
        window_source(history.clone(), 4),
        gate(),
        policy(),
    )
    .unwrap();
    // Nothing to train on before the data starts: an error, logged, nothing registered.
    let e = lifecycle.step(T0 - DAY, None).unwrap_err();
    assert!(matches!(e, Error::EmptyInput { .. }), "{e}");
    assert_eq!(
        lifecycle.timeline().decisions.last().unwrap().kind,
        DecisionKind::Error
    );
    assert!(registry.models().unwrap().is_empty());
    assert_eq!(lifecycle.state(), &State::Empty);
    // A proposal needs a champion.
    let fitted = pipeline()
        .fit(&history.project(&[2, 3, 4]).unwrap(), "label")
        .unwrap();
    assert!(lifecycle.propose(T0, fitted, &history, "x").is_err());
    // Simulation needs a time column.
    let e = lifecycle.simulate(&history, "nope", None, DAY).unwrap_err();
    assert!(matches!(e, Error::ColumnNotFound { .. }), "{e}");
}

#[test]
fn the_store_source_joins_labels_up_to_now_with_features_as_of_each_label() {
    let dir = tempfile::tempdir().unwrap();
    let store = FeatureStore::open(dir.path().to_str().unwrap()).unwrap();
    store
        .register_entity(&Entity::new("user", "user_id", ValueType::Int64))
        .unwrap();
    store
        .register_feature_view(&FeatureView::new(
            "activity",
            ["user"],
            "ts",
            vec![Feature::new("spend", ValueType::Float64)],
        ))
        .unwrap();
    store
        .register_feature_view(&FeatureView::new(
            "outcomes",
            ["user"],
            "ts",
            vec![Feature::new("churned", ValueType::String)],
        ))
        .unwrap();
    let ts = |d: i64| T0 + d * DAY;
    let batch = |cols: Vec<(&str, ArrayRef)>| RecordBatch::try_from_iter(cols).unwrap();
    // spend for user 1: 10 on day 0, 99 on day 3; user 2: 5 on day 0.
    store
        .write(
            "activity",
            &batch(vec![
                ("user_id", Arc::new(Int64Array::from(vec![1, 1, 2]))),
                (
                    "ts",
                    Arc::new(TimestampMicrosecondArray::from(vec![ts(0), ts(3), ts(0)]).with_timezone("UTC")),
                ),
                ("spend", Arc::new(Float64Array::from(vec![10.0, 99.0, 5.0]))),
            ]),
            WriteMode::Append,
        )
        .unwrap();
    // labels: user 1 on day 2 and day 4, user 2 on day 5.
    store
        .write(
            "outcomes",
            &batch(vec![
                ("user_id", Arc::new(Int64Array::from(vec![1, 1, 2]))),
                (
                    "ts",
                    Arc::new(TimestampMicrosecondArray::from(vec![ts(2), ts(4), ts(5)]).with_timezone("UTC")),
                ),
                ("churned", Arc::new(StringArray::from(vec!["no", "yes", "no"]))),
            ]),
            WriteMode::Append,
        )
        .unwrap();
    let source = StoreSource::new(store, "outcomes", &["activity:spend"]);
    let data = source.training_set(ts(4)).unwrap();
    // A one-day window keeps only the day-4 label.
    let windowed = StoreSource::new(
        FeatureStore::open(dir.path().to_str().unwrap()).unwrap(),
        "outcomes",
        &["activity:spend"],
    )
    .window(DAY)
    .unwrap();
    assert_eq!(windowed.training_set(ts(4)).unwrap().table.num_rows(), 1);
    assert!(StoreSource::new(
        FeatureStore::open(dir.path().to_str().unwrap()).unwrap(),
        "outcomes",
        &["activity:spend"]
    )
    .window(0)
    .is_err());
    assert_eq!(data.table.num_rows(), 2, "the day-5 label is not known yet");
    let spend = data
        .table
        .column_by_name("spend")
        .unwrap()
        .as_any()
        .downcast_ref::<Float64Array>()
        .unwrap();
    // Day-2 label sees day-0 spend (10), not the later 99; day-4 label sees 99.
    let mut got: Vec<f64> = spend.iter().map(Option::unwrap).collect();
    got.sort_by(f64::total_cmp);
    assert_eq!(got, vec![10.0, 99.0]);
    assert!(data.drop_columns.contains(&"user_id".to_string()));
    assert_eq!(data.time_column.as_deref(), Some("event_timestamp"));
    let views: Vec<&str> = data
        .lineage
        .feature_views
        .iter()
        .map(|v| v.view.as_str())
        .collect();
    assert_eq!(views, vec!["outcomes", "activity"]);
    assert!(data.lineage.training_table.is_some());
}

/// A retraining source that serves the wrong data (here: next month's, as a mis-pinned
/// snapshot would): its candidate passes the gate on its own holdout, but live traffic
/// drifts from its training data and not from the champion's, so the drift is held
/// against it and it is rolled back, drift named among the reasons.
#[test]
fn drift_from_the_candidates_data_alone_rolls_the_canary_back() {
    let dir = tempfile::tempdir().unwrap();
    let registry = ModelRegistry::open(dir.path().to_str().unwrap()).unwrap();
    let history = stream(24, 400, 12, 5);
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let source = {
        let history = history.clone();
        FnSource(move |until: i64| {
            // The first call (bootstrap) is right; later ones read the shifted days.
            let first = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            let table = if first {
                rows_between(&history, until - 4 * DAY, until)
            } else {
                rows_between(&history, T0 + 12 * DAY, T0 + 16 * DAY)
            };
            Ok(TrainingData {
                lineage: Lineage::default(),
                table,
                time_column: Some("t".into()),
                drop_columns: vec!["t".into(), "key".into()],
            })
        })
    };
    let mut lifecycle = Lifecycle::new(
        registry.clone(),
        "m",
        pipeline(),
        "label",
        Box::new(source),
        // The wrong data's candidate beats the champion on its own holdout.
        Gate::new([Threshold::new("accuracy").lower(0.6)]).unwrap(),
        LifecyclePolicy {
            // Ask for a retrain at once: a live accuracy this high is out of reach.
            min_metric: Some(0.999),
            ..policy()
        },
    )
    .unwrap();
    lifecycle.step(T0 + 5 * DAY - 1, None).unwrap();
    let live = rows_between(&history, T0 + 5 * DAY - 1, T0 + 10 * DAY);
    let timeline = lifecycle.simulate(&live, "t", Some("key"), DAY).unwrap().clone();
    println!("{timeline}");
    let started = timeline
        .of_kind(DecisionKind::CanaryStarted)
        .next()
        .expect("a canary")
        .clone();
    let rolled = timeline
        .of_kind(DecisionKind::RolledBack)
        .next()
        .unwrap_or_else(|| panic!("the canary is rolled back:\n{timeline}"))
        .clone();
    assert_eq!(rolled.version, started.version);
    assert!(
        rolled.reason.contains("dataset drift detected")
            && rolled.reason.contains("vs the candidate's training data"),
        "{}",
        rolled.reason
    );
    assert_eq!(registry.alias("m", "champion").unwrap(), Some(1));
}
