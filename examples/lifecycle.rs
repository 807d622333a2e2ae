//! The whole life of a model, end to end, on the embedded local store:
//!
//! 1. ingest 60 days of customer activity and churn labels into the feature store;
//! 2. train the first model on a point-in-time training set, gate it, register it,
//!    make it champion;
//! 3. replay the serving stream day by day through the router: on day 30 the
//!    customers change (spend moves, and what predicts churn changes); the loop sees
//!    the drift and the decay, retrains on the recent labels, gates the candidate
//!    against the champion, runs it as a canary and promotes it on live evidence;
//! 4. on day 45 someone proposes a model validated on stale data: it passes the
//!    offline gate, loses on live traffic, and is rolled back automatically;
//! 5. print the timeline and the registry's audit trail, write an HTML report.
//!
//! `cargo run --release -p ferrops --example lifecycle` (seconds once built; writes
//! `examples/output/lifecycle/` and `examples/output/lifecycle.html`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow::record_batch::RecordBatch;
use ferrops::drift::DriftOptions;
use ferrops::lifecycle::{DecisionKind, Lifecycle, LifecyclePolicy, StoreSource};
use ferrops::prelude::*;
use ferrops::registry::ModelRegistry;
use ferrops::serve::{PolicyMetric, RollbackPolicy};
use ferrops::store::{Entity, Feature, FeatureStore, FeatureView, ValueType, WriteMode};
use ferrops::validate::gate::{Gate, Threshold};

const DAY: i64 = 86_400_000_000;
/// 2026-09-01T00:00:00Z.
const T0: i64 = 1_788_220_800_000_000;
const DAYS: i64 = 60;
const PER_DAY: usize = 300;
const SHIFT_DAY: i64 = 30;
const FIRST_TRAIN_DAYS: i64 = 14;

// The tests' splitmix64 generator (one copy for tests, benches and examples).
#[path = "../tests/rust/common.rs"]
mod common;
use common::Rng;

/// One row per (customer, day): the day's activity and whether the customer churned.
/// Before `SHIFT_DAY` churn follows low spend and few visits; from it on spend rises
/// by a third and churn follows support tickets instead.
struct Data {
    activity: RecordBatch,
    labels: RecordBatch,
    /// What the serving side sees: features, the customer key, the time and (later)
    /// the label, one row per request.
    stream: RecordBatch,
}

fn generate() -> Data {
    let mut rng = Rng::new(2026);
    let n = (DAYS as usize) * PER_DAY;
    let (mut id, mut ts, mut label_ts) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut spend, mut visits, mut tickets, mut churned) = (vec![], vec![], vec![], vec![]);
    for day in 0..DAYS {
        for i in 0..PER_DAY {
            let shifted = day >= SHIFT_DAY;
            let s = 50.0 + 15.0 * rng.normal() + if shifted { 17.0 } else { 0.0 };
            let v = (4.0 + 1.5 * rng.normal()).max(0.0).round();
            let t = (rng.uniform() * 4.0).floor();
            let noise = 0.6 * rng.normal();
            let churn = if shifted {
                1.3 * (t - 1.5) + noise > 0.0
            } else {
                -0.08 * (s - 50.0) - 0.5 * (v - 4.0) + noise > 0.0
            };
            id.push(1_000 + (rng.next_u64() % 5_000) as i64);
            let at = T0 + day * DAY + (i as i64) * (DAY / PER_DAY as i64);
            ts.push(at);
            label_ts.push(at + 60_000_000); // the label is known a minute later
            spend.push(s);
            visits.push(v);
            tickets.push(t);
            churned.push(if churn { "yes" } else { "no" });
        }
    }
    let col = |v: Vec<f64>| Arc::new(Float64Array::from(v)) as ArrayRef;
    let time = |v: Vec<i64>| Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC")) as ArrayRef;
    let ids = Arc::new(Int64Array::from(id)) as ArrayRef;
    let churned = Arc::new(StringArray::from(churned)) as ArrayRef;
    let activity = RecordBatch::try_from_iter([
        ("customer_id", ids.clone()),
        ("ts", time(ts.clone())),
        ("spend_7d", col(spend.clone())),
        ("visits_7d", col(visits.clone())),
        ("support_tickets", col(tickets.clone())),
    ])
    .unwrap();
    let labels = RecordBatch::try_from_iter([
        ("customer_id", ids.clone()),
        ("ts", time(label_ts)),
        ("churned", churned.clone()),
    ])
    .unwrap();
    let stream = RecordBatch::try_from_iter([
        ("customer_id", ids),
        ("event_timestamp", time(ts)),
        ("spend_7d", col(spend)),
        ("visits_7d", col(visits)),
        ("support_tickets", col(tickets)),
        ("churned", churned),
    ])
    .unwrap();
    Data {
        activity,
        labels,
        stream,
    }
}

/// Rows of `table` whose `column` (µs) is in `[from, until)`.
fn between(table: &RecordBatch, column: usize, from: i64, until: i64) -> RecordBatch {
    let t = table
        .column(column)
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    let mask = t
        .iter()
        .map(|v| Some(v.is_some_and(|v| v >= from && v < until)))
        .collect();
    arrow::compute::filter_record_batch(table, &mask).unwrap()
}

fn main() -> ferrops::Result<()> {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/output");
    let root = out.join("lifecycle");
    if root.exists() {
        std::fs::remove_dir_all(&root).map_err(|source| Error::Io {
            path: root.clone(),
            source,
        })?;
    }

    // 1. Ingest into the feature store (Delta tables on the local disk).
    let data = generate();
    let store = FeatureStore::open(root.join("store").to_str().unwrap())?;
    store.register_entity(&Entity::new("customer", "customer_id", ValueType::Int64))?;
    store.register_feature_view(&FeatureView::new(
        "activity",
        ["customer"],
        "ts",
        vec![
            Feature::new("spend_7d", ValueType::Float64),
            Feature::new("visits_7d", ValueType::Float64),
            Feature::new("support_tickets", ValueType::Float64),
        ],
    ))?;
    store.register_feature_view(&FeatureView::new(
        "churn_labels",
        ["customer"],
        "ts",
        vec![Feature::new("churned", ValueType::String)],
    ))?;
    store.write("activity", &data.activity, WriteMode::Append)?;
    store.write("churn_labels", &data.labels, WriteMode::Append)?;
    println!(
        "ingested {} activity rows and {} labels over {DAYS} days into {}",
        data.activity.num_rows(),
        data.labels.num_rows(),
        store.uri()
    );

    // 2. The loop: point-in-time training sets from the store (the last 10 days of
    //    labels), a pipeline, a gate against the champion, a canary policy.
    let registry =
        ModelRegistry::open(root.join("models").to_str().unwrap())?.with_actor("lifecycle-example");
    let source = StoreSource::new(
        FeatureStore::open(root.join("store").to_str().unwrap())?,
        "churn_labels",
        &[
            "activity:spend_7d",
            "activity:visits_7d",
            "activity:support_tickets",
        ],
    )
    .window(10 * DAY)?;
    let pipeline = Pipeline::new()
        .transform(StandardScaler::new(Columns::AllNumeric))
        .train(LogisticRegression::default());
    let gate = Gate::new([Threshold::new("accuracy").lower(0.7).change_absolute(-0.01)])?;
    let defaults = LifecyclePolicy::default();
    let policy = LifecyclePolicy {
        // Retrain when a third of the watched columns drift (one of three here).
        drift: DriftOptions {
            share_threshold: 0.3,
            ..defaults.drift.clone()
        },
        canary_fraction: 0.25,
        rollback: RollbackPolicy::new()
            .min_requests(150)
            .max_metric_drop(PolicyMetric::Accuracy, 0.05, 150)
            .promote_after(200),
        cooldown_micros: 2 * DAY,
        ..defaults
    };
    let mut lifecycle = Lifecycle::new(
        registry.clone(),
        "churn",
        pipeline.clone(),
        "churned",
        Box::new(source),
        gate,
        policy,
    )?;
    lifecycle.step(T0 + FIRST_TRAIN_DAYS * DAY, None)?;
    let v1 = registry.resolve("churn", "champion")?;
    println!(
        "first model: v{} accuracy {:.3} on held-out labels, lineage {:?}",
        v1.version,
        v1.metrics["accuracy"],
        v1.lineage
            .feature_views
            .iter()
            .map(|v| format!("{}@{}", v.view, v.version))
            .collect::<Vec<_>>()
    );

    // 3. Serve days 14..45 through the router; drift arrives on day 30.
    let served = between(&data.stream, 1, T0 + FIRST_TRAIN_DAYS * DAY, T0 + 45 * DAY);
    lifecycle.simulate(&served, "event_timestamp", Some("customer_id"), DAY)?;

    // 4. Day 45: a model fitted and validated on data from before the change.
    let stale_rows = between(&data.stream, 1, T0, T0 + 20 * DAY);
    let features = stale_rows.project(&[2, 3, 4, 5])?;
    let n = features.num_rows();
    let stale = pipeline.fit(&features.slice(0, n * 4 / 5), "churned")?;
    lifecycle.propose(
        T0 + 45 * DAY,
        stale,
        &features.slice(n * 4 / 5, n - n * 4 / 5),
        "hotfix validated on last month's holdout",
    )?;
    let rest = between(&data.stream, 1, T0 + 45 * DAY, T0 + DAYS * DAY);
    let timeline = lifecycle
        .simulate(&rest, "event_timestamp", Some("customer_id"), DAY)?
        .clone();

    // 5. What happened.
    println!(
        "\ntimeline ({} steps; quiet days omitted):",
        timeline.decisions.last().map_or(0, |d| d.step)
    );
    print!("{timeline}");
    println!("\nregistry audit trail of `churn`:");
    for e in registry.history("churn", None)? {
        println!(
            "  #{:<2} {}  {:<10} {:<8} {:>4} -> {:<4} by {}: {}",
            e.seq,
            &e.at()[..19],
            e.alias,
            e.action.name(),
            e.from.map_or("-".into(), |v| format!("v{v}")),
            e.to.map_or("-".into(), |v| format!("v{v}")),
            e.actor,
            e.reason.chars().take(90).collect::<String>()
        );
    }
    let champion = registry.resolve("churn", "champion")?;
    println!(
        "\nchampion now: v{} (accuracy {:.3}); versions registered: {}; rolled back: {}",
        champion.version,
        champion.metrics["accuracy"],
        registry.versions("churn")?.len(),
        timeline.of_kind(DecisionKind::RolledBack).count()
    );
    let report = out.join("lifecycle.html");
    std::fs::write(&report, timeline.to_html()).map_err(|source| Error::Io {
        path: report.clone(),
        source,
    })?;
    println!("wrote {}", report.display());
    assert!(
        timeline.of_kind(DecisionKind::Promoted).count() >= 2,
        "the retrained model was promoted"
    );
    assert!(
        timeline.of_kind(DecisionKind::RolledBack).count() >= 1,
        "the stale model was rolled back"
    );
    Ok(())
}
