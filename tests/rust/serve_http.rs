//! The HTTP service of `ferrops serve` / `examples/serve.rs` (crates/cli/src/serve_app.rs)
//! over real HTTP: a server on a random port, requests written by hand on a TCP socket.
//!
//! The answers are checked against the served pipeline's own batch prediction
//! (`FittedPipeline::predict` / `predict_proba` on a one-row table built from the same
//! online features), the metrics against the requests sent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ferrops_cli::serve_app;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use ferrops::registry::{Expected, ModelRegistry};
use ferrops::store::FeatureStore;
use serde_json::{json, Value as Json};
use serve_app::Service;

/// An HTTP answer: status, headers (lower-cased names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(&self) -> Json {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request with `Connection: close`, read to the end.
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let mut lines = head.lines();
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    assert!(
        !headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")),
        "this client reads only sized bodies"
    );
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

fn post(addr: SocketAddr, path: &str, body: &str) -> Answer {
    http(addr, "POST", path, Some(body))
}

fn get(addr: SocketAddr, path: &str) -> Answer {
    http(addr, "GET", path, None)
}

/// The demo registry and store, a service on them (alias not polled), and a running
/// server. The runtime must outlive the requests; drop it before the service.
struct Fixture {
    dir: tempfile::TempDir,
    service: Arc<Service>,
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        drop(self.runtime.take());
    }
}

fn start() -> Fixture {
    start_with(|_| {})
}

/// The demo served with options changed by `configure`.
fn start_with(configure: impl FnOnce(&mut serve_app::ServeOptions)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (registry, store, mut options) = serve_app::demo(dir.path()).unwrap();
    options.poll = None;
    configure(&mut options);
    let service = Arc::new(Service::load(registry, Some(store), options).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(serve_app::serve(
        Arc::clone(&service),
        listener,
        std::future::pending(),
    ));
    Fixture {
        dir,
        service,
        runtime: Some(runtime),
        addr,
    }
}

/// The expected answer for customer `id` with `plan`: the pipeline's batch predict on a
/// one-row table of the store's online values.
fn expected(fx: &Fixture, version: &str, id: i64, plan: &str) -> (Json, Vec<f64>) {
    let store = FeatureStore::open(fx.dir.path().join("store").to_str().unwrap()).unwrap();
    let keys =
        RecordBatch::try_from_iter([("customer_id", Arc::new(Int64Array::from(vec![id])) as ArrayRef)])
            .unwrap();
    let online = store
        .online_features(&keys, &["customer_stats:tenure", "customer_stats:spend"])
        .unwrap();
    let tenure = online
        .table
        .column_by_name("tenure")
        .unwrap()
        .as_primitive::<arrow::datatypes::Float64Type>()
        .value(0);
    let spend = online
        .table
        .column_by_name("spend")
        .unwrap()
        .as_primitive::<arrow::datatypes::Float64Type>()
        .value(0);
    let table = RecordBatch::try_from_iter([
        ("tenure", Arc::new(Float64Array::from(vec![tenure])) as ArrayRef),
        ("spend", Arc::new(Float64Array::from(vec![spend])) as ArrayRef),
        ("plan", Arc::new(StringArray::from(vec![plan])) as ArrayRef),
    ])
    .unwrap();
    let registry = ModelRegistry::open(fx.dir.path().join("registry").to_str().unwrap()).unwrap();
    let pipeline = registry.load("churn", version).unwrap();
    let label = pipeline.predict(&table).unwrap();
    let label = label.as_string::<i32>().value(0).to_string();
    let proba = pipeline.predict_proba(&table).unwrap();
    (json!(label), proba.row(0).to_vec())
}

fn assert_close(found: &Json, expected: &[f64]) {
    let found: Vec<f64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(found.len(), expected.len());
    for (a, b) in found.iter().zip(expected) {
        assert!((a - b).abs() < 1e-12, "{found:?} vs {expected:?}");
    }
}

fn requests_total(metrics: &str, variant: &str, version: u64) -> u64 {
    let prefix =
        format!("ferrops_requests_total{{model=\"churn\",variant=\"{variant}\",version=\"{version}\"}} ");
    let line = metrics
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in\n{metrics}"));
    line[prefix.len()..].trim().parse().unwrap()
}

#[test]
fn predict_health_metrics_feedback_over_http() {
    let fx = start();
    let addr = fx.addr;

    let health = get(addr, "/health");
    assert_eq!(health.status, 200, "{}", health.body);
    let h = health.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["champion_version"], 1);
    assert_eq!(h["versions"], json!([1]));
    assert_eq!(h["router"]["mode"], "single");

    // Entity key → online features; plan from the request. Every answer is the
    // pipeline's own.
    let mut sent = 0;
    let mut labels = std::collections::BTreeSet::new();
    for id in [1_i64, 4, 7, 12, 19, 33] {
        for plan in ["basic", "pro"] {
            let body = json!({"entity": {"customer_id": id}, "features": {"plan": plan}}).to_string();
            let answer = post(addr, "/predict", &body);
            assert_eq!(answer.status, 200, "{}", answer.body);
            let a = answer.json();
            let (label, proba) = expected(&fx, "1", id, plan);
            assert_eq!(a["prediction"], label, "customer {id} {plan}");
            assert_close(&a["probabilities"], &proba);
            assert_eq!(a["classes"], json!(["no", "yes"]));
            assert_eq!(a["variant"], "champion");
            assert_eq!(a["role"], "champion");
            assert_eq!(a["version"], 1);
            assert_eq!(a["model"], "churn");
            assert_eq!(a["missing_features"], json!({}));
            labels.insert(a["prediction"].as_str().unwrap().to_string());
            sent += 1;
        }
    }
    assert_eq!(
        labels.len(),
        2,
        "the demo should predict both classes: {labels:?}"
    );

    // Raw features only, no store lookup: the same answer as a batch predict.
    let raw = json!({"key": "c-9", "features": {"tenure": 2.0, "spend": 95.0, "plan": "basic"}});
    let answer = post(addr, "/predict", &raw.to_string());
    assert_eq!(answer.status, 200, "{}", answer.body);
    let registry = ModelRegistry::open(fx.dir.path().join("registry").to_str().unwrap()).unwrap();
    let pipeline = registry.load("churn", "champion").unwrap();
    let table = RecordBatch::try_from_iter([
        ("tenure", Arc::new(Float64Array::from(vec![2.0])) as ArrayRef),
        ("spend", Arc::new(Float64Array::from(vec![95.0])) as ArrayRef),
        ("plan", Arc::new(StringArray::from(vec!["basic"])) as ArrayRef),
    ])
    .unwrap();
    let label = pipeline.predict(&table).unwrap();
    assert_eq!(
        answer.json()["prediction"],
        json!(label.as_string::<i32>().value(0))
    );
    sent += 1;

    // A request value overrides the online value of the same name.
    let overridden =
        json!({"entity": {"customer_id": 4}, "features": {"tenure": 2.0, "spend": 95.0, "plan": "basic"}});
    let answer = post(addr, "/predict", &overridden.to_string());
    assert_eq!(
        answer.json()["prediction"],
        json!(label.as_string::<i32>().value(0))
    );
    assert_close(
        &answer.json()["probabilities"],
        &pipeline.predict_proba(&table).unwrap().row(0).to_vec(),
    );
    sent += 1;

    // Bad requests: clear messages, right codes, nothing reaches the model.
    let bad_json = post(addr, "/predict", "{\"features\": {\"tenure\": 1.0,");
    assert_eq!(bad_json.status, 400);
    assert!(
        bad_json.json()["error"]
            .as_str()
            .unwrap()
            .contains("not a valid request"),
        "{}",
        bad_json.body
    );
    let unknown_field = post(addr, "/predict", r#"{"feature": {"tenure": 1.0}}"#);
    assert_eq!(unknown_field.status, 400, "{}", unknown_field.body);
    let unknown_column = post(
        addr,
        "/predict",
        r#"{"features": {"tenure": 1.0, "spend": 2.0, "plan": "pro", "colour": "red"}}"#,
    );
    assert_eq!(unknown_column.status, 422);
    let message = unknown_column.json()["error"].as_str().unwrap().to_string();
    assert!(
        message.contains("colour") && message.contains("tenure"),
        "{message}"
    );
    // An entity the online store does not know: its features come back as nulls
    // (Feast's behaviour), which this pipeline has no imputer for: the message says why.
    let stranger = post(
        addr,
        "/predict",
        r#"{"entity": {"customer_id": 999}, "features": {"plan": "pro"}}"#,
    );
    assert_eq!(stranger.status, 422, "{}", stranger.body);
    let message = stranger.json()["error"].as_str().unwrap().to_string();
    assert!(
        message.contains("not_found") && message.contains("spend"),
        "{message}"
    );
    let empty_entity = post(addr, "/predict", r#"{"entity": {}, "features": {"plan": "pro"}}"#);
    assert_eq!(empty_entity.status, 400, "{}", empty_entity.body);
    assert!(empty_entity.json()["error"]
        .as_str()
        .unwrap()
        .contains("`entity` is empty"));
    let not_an_object = post(addr, "/predict", "[1, 2]");
    assert_eq!(not_an_object.status, 400, "{}", not_an_object.body);
    // Over the body limit: 413, as JSON like every other error.
    let huge = format!(
        r#"{{"features": {{"plan": "{}"}}}}"#,
        "x".repeat(serve_app::MAX_BODY_BYTES)
    );
    let too_big = post(addr, "/predict", &huge);
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    assert!(
        too_big.json()["error"].as_str().unwrap().contains("limit"),
        "{}",
        too_big.body
    );
    let unknown_view_key = post(
        addr,
        "/predict",
        r#"{"entity": {"driver_id": 1}, "features": {"plan": "pro"}}"#,
    );
    assert_eq!(unknown_view_key.status, 422, "{}", unknown_view_key.body);
    // Reached the model and failed there: counted as errors.
    let missing = post(
        addr,
        "/predict",
        r#"{"features": {"tenure": 1.0, "plan": "pro"}}"#,
    );
    assert_eq!(missing.status, 422);
    assert!(
        missing.json()["error"].as_str().unwrap().contains("spend"),
        "{}",
        missing.body
    );
    let mistyped = post(
        addr,
        "/predict",
        r#"{"features": {"tenure": "long", "spend": 2.0, "plan": "pro"}}"#,
    );
    assert_eq!(mistyped.status, 422, "{}", mistyped.body);
    assert!(mistyped.json()["error"].as_str().unwrap().contains("tenure"));

    // Metrics: the requests that reached the model, by variant.
    let metrics = get(addr, "/metrics");
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.header("content-type"),
        Some(serve_app::PROMETHEUS_CONTENT_TYPE)
    );
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = metrics.body;
    assert_eq!(requests_total(&text, "champion", 1), sent + 3);
    assert!(
        text.contains("ferrops_request_errors_total{model=\"churn\",variant=\"champion\",version=\"1\"} 3\n"),
        "{text}"
    );
    let report = &fx.service.router().metrics()[0];
    assert_eq!(report.metrics.requests, sent + 3);

    // Feedback feeds the variant's accuracy.
    let fb = post(
        addr,
        "/feedback",
        r#"{"variant": "champion", "prediction": "yes", "actual": "yes"}"#,
    );
    assert_eq!(fb.status, 200, "{}", fb.body);
    let fb = post(
        addr,
        "/feedback",
        r#"{"variant": "champion", "version": 1, "prediction": "yes", "actual": "no"}"#,
    );
    assert_eq!(fb.status, 200, "{}", fb.body);
    let nobody = post(
        addr,
        "/feedback",
        r#"{"variant": "canary", "prediction": "yes", "actual": "no"}"#,
    );
    assert_eq!(nobody.status, 400, "{}", nobody.body);
    assert!(nobody.json()["error"].as_str().unwrap().contains("canary"));
    let bad = post(addr, "/feedback", r#"{"variant": "champion"}"#);
    assert_eq!(bad.status, 400);
    // An outcome names the version that predicted: a variant since moved is a conflict.
    let stale = post(
        addr,
        "/feedback",
        r#"{"variant": "champion", "version": 7, "prediction": "yes", "actual": "no"}"#,
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.json()["error"].as_str().unwrap().contains("v1 now, not v7"));
    let text = get(addr, "/metrics").body;
    assert!(
        text.contains("ferrops_outcomes_total{model=\"churn\",variant=\"champion\",version=\"1\"} 2\n"),
        "{text}"
    );
    assert!(
        text.contains("ferrops_accuracy{model=\"churn\",variant=\"champion\",version=\"1\"} 0.5\n"),
        "{text}"
    );
}

#[test]
fn the_service_follows_the_alias_and_rolls_back_by_pointer_swap() {
    let fx = start();
    let addr = fx.addr;
    let registry = ModelRegistry::open(fx.dir.path().join("registry").to_str().unwrap())
        .unwrap()
        .with_actor("test");
    let request =
        json!({"key": "c-1", "entity": {"customer_id": 5}, "features": {"plan": "basic"}}).to_string();

    // Nothing moved: nothing to do.
    assert!(fx.service.sync_alias().unwrap().is_empty());

    // Promote v2 in the registry (as `ferrops promote` would): the service switches.
    registry
        .set_alias("churn", "champion", 2, Expected::Version(1), "promote")
        .unwrap();
    let changes = fx.service.sync_alias().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        changes[0].starts_with("switch churn v1 -> churn v2"),
        "{changes:?}"
    );
    assert!(fx.service.sync_alias().unwrap().is_empty());
    let a = post(addr, "/predict", &request).json();
    assert_eq!(a["version"], 2);
    let (label, proba) = expected(&fx, "2", 5, "basic");
    assert_eq!(a["prediction"], label);
    assert_close(&a["probabilities"], &proba);
    let h = get(addr, "/health").json();
    assert_eq!(h["champion_version"], 2);
    assert_eq!(
        h["versions"],
        json!([1, 2]),
        "v1 bakes as the previous champion: {h}"
    );
    assert_eq!(h["router"]["previous"]["version"], 1);

    // Roll the alias back (as `ferrops rollback`): the router swaps v1 back in.
    registry.rollback("churn", "champion", "bad canary").unwrap();
    let changes = fx.service.sync_alias().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        changes[0].starts_with("rollback churn v2 -> churn v1"),
        "{changes:?}"
    );
    assert!(changes[0].contains("moved to v1"), "{changes:?}");
    assert_eq!(fx.service.router().status().previous, None, "a pointer swap back");
    let a = post(addr, "/predict", &request).json();
    assert_eq!(a["version"], 1);
    assert_eq!(a["prediction"], expected(&fx, "1", 5, "basic").0);
}

/// The canary alias is followed too: promoted in the registry (champion moved to it,
/// challenger deleted, as the lifecycle does) the router promotes it; a new challenger
/// starts a canary; a deleted one (a rollback) ends it.
#[test]
fn the_service_follows_the_canary_alias() {
    let dir = tempfile::tempdir().unwrap();
    let (registry, store, mut options) = serve_app::demo(dir.path()).unwrap();
    options.poll = None;
    options.canary_alias = Some("challenger".into());
    options.canary_fraction = Some(0.25);
    // Not set at the start: no canary yet.
    registry
        .delete_alias("churn", "challenger", Expected::Version(2), "later")
        .unwrap();
    let service = Service::load(registry.clone(), Some(store), options).unwrap();
    assert_eq!(service.router().status().mode, "single");
    registry
        .set_alias("churn", "challenger", 2, Expected::Absent, "now")
        .unwrap();
    assert!(service.sync_alias().unwrap()[0].starts_with("canary churn v2"));
    let status = service.router().status();
    assert_eq!((status.mode.as_str(), status.champion.version), ("canary", 1));

    registry
        .set_alias("churn", "champion", 2, Expected::Version(1), "canary promoted")
        .unwrap();
    registry
        .delete_alias("churn", "challenger", Expected::Version(2), "promoted")
        .unwrap();
    let changes = service.sync_alias().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(changes[0].starts_with("promote"), "{changes:?}");
    let status = service.router().status();
    assert_eq!((status.mode.as_str(), status.champion.version), ("single", 2));

    registry
        .set_alias("churn", "challenger", 1, Expected::Absent, "try v1 again")
        .unwrap();
    let changes = service.sync_alias().unwrap();
    assert!(
        changes.len() == 1 && changes[0].starts_with("canary churn v1 on 25 %"),
        "{changes:?}"
    );
    let status = service.router().status();
    assert_eq!(status.mode, "canary");
    assert_eq!(
        status.variants.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );
    assert!(service.sync_alias().unwrap().is_empty());

    registry
        .delete_alias("churn", "challenger", Expected::Version(1), "rolled back")
        .unwrap();
    let changes = service.sync_alias().unwrap();
    assert!(
        changes.len() == 1 && changes[0].starts_with("rollback"),
        "{changes:?}"
    );
    assert!(changes[0].contains("challenger removed"), "{changes:?}");
    let status = service.router().status();
    assert_eq!((status.mode.as_str(), status.champion.version), ("single", 2));
}

/// The champion alias moved to a third version while a canary runs: the canary ends,
/// the new champion is loaded, and the canary alias (still elsewhere) starts again. A
/// canary alias on the champion ends the canary. A version the lifecycle tagged with
/// its canary fraction is canaried at that fraction.
#[test]
fn the_champion_moving_during_a_canary() {
    let dir = tempfile::tempdir().unwrap();
    let (registry, store, mut options) = serve_app::demo(dir.path()).unwrap();
    options.poll = None;
    options.canary_alias = Some("challenger".into());
    let v3 = registry
        .register(
            "churn",
            &registry.load("churn", "1").unwrap(),
            ferrops::registry::ModelMetadata::new().tag(ferrops::lifecycle::CANARY_FRACTION_TAG, "0.25"),
        )
        .unwrap();
    let service = Service::load(registry.clone(), Some(store), options).unwrap();
    // v2 carries no tag: the default share.
    assert_eq!(service.router().status().variants[1].fraction, 0.1);

    registry
        .set_alias("churn", "champion", v3.version, Expected::Version(1), "hotfix")
        .unwrap();
    let changes = service.sync_alias().unwrap();
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(changes[0].starts_with("rollback"), "{changes:?}");
    assert!(
        changes[1].starts_with("switch churn v1 -> churn v3"),
        "{changes:?}"
    );
    assert!(changes[2].starts_with("canary churn v2 on 10 %"), "{changes:?}");
    let status = service.router().status();
    assert_eq!((status.champion.version, status.mode.as_str()), (3, "canary"));

    registry
        .set_alias("churn", "challenger", 3, Expected::Version(2), "same as champion")
        .unwrap();
    let changes = service.sync_alias().unwrap();
    assert!(
        changes.len() == 1 && changes[0].contains("on the champion"),
        "{changes:?}"
    );
    assert_eq!(service.router().status().mode, "single");

    // Champion back to v1 (a pointer swap: v3's predecessor bakes), v3 then canaried
    // at the fraction the lifecycle tagged it with.
    registry
        .set_alias("churn", "champion", 1, Expected::Version(3), "back")
        .unwrap();
    let changes = service.sync_alias().unwrap();
    assert!(
        changes.len() == 2 && changes[1].starts_with("canary churn v3 on 25 %"),
        "{changes:?}"
    );
    let status = service.router().status();
    assert_eq!(status.mode, "canary");
    assert_eq!(
        (status.variants[1].version, status.variants[1].fraction),
        (3, 0.25)
    );
}

/// A service around a router built elsewhere knows its champion's columns: requests
/// with them are answered, typos refused.
#[test]
fn a_service_around_a_router_knows_its_champion() {
    let dir = tempfile::tempdir().unwrap();
    let (registry, _, _) = serve_app::demo(dir.path()).unwrap();
    let served = registry.load_served("churn", "champion").unwrap();
    let mut options = serve_app::ServeOptions::new("churn", "champion");
    options.poll = None;
    let router = ferrops::serve::Router::new(served);
    let service = Arc::new(Service::new(router, None, None, options).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(serve_app::serve(service, listener, std::future::pending()));
    let ok = post(
        addr,
        "/predict",
        r#"{"features": {"tenure": 3.0, "spend": 80.0, "plan": "pro"}}"#,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let typo = post(
        addr,
        "/predict",
        r#"{"features": {"tenur": 3.0, "spend": 80.0, "plan": "pro"}}"#,
    );
    assert_eq!(typo.status, 422, "{}", typo.body);
    assert!(typo.body.contains("tenur"), "{}", typo.body);
    drop(runtime);
}

#[test]
fn a_canary_alias_answers_a_sticky_share() {
    let fx = start_with(|options| {
        options.canary_alias = Some("challenger".into());
        options.canary_fraction = Some(0.3);
    });
    let (addr, service) = (fx.addr, &fx.service);

    let mut canary = 0;
    for user in 0..60 {
        let body =
            json!({"key": format!("user-{user}"), "features": {"tenure": 5.0, "spend": 60.0, "plan": "pro"}})
                .to_string();
        let first = post(addr, "/predict", &body).json();
        let again = post(addr, "/predict", &body).json();
        assert_eq!(
            first["variant"], again["variant"],
            "user-{user} must stick to one variant"
        );
        // The router's own choice for this key.
        let bucket = service.router().bucket(Some(&format!("user-{user}")));
        let in_canary = bucket < (0.3 * ferrops::serve::BUCKETS as f64) as u64;
        if first["variant"] == "canary" {
            assert_eq!(first["version"], 2);
            canary += 1;
        } else {
            assert_eq!(first["version"], 1);
        }
        assert_eq!(
            first["variant"] == "canary",
            in_canary,
            "user-{user} bucket {bucket}"
        );
    }
    assert!((5..=35).contains(&canary), "{canary} of 60 in a 30% canary");
    let h = get(addr, "/health").json();
    assert_eq!(h["router"]["mode"], "canary");
    assert_eq!(h["versions"], json!([1, 2]));
}

/// `ferrops serve` as a process: it prints its address, follows the registry alias as
/// `ferrops promote` and `ferrops rollback` move it, and stops cleanly on SIGTERM.
#[cfg(unix)]
#[test]
fn ferrops_serve_follows_promote_and_rollback_then_stops_on_sigterm() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let bin = env!("CARGO_BIN_EXE_ferrops");
    let dir = tempfile::tempdir().unwrap();
    serve_app::demo(dir.path()).unwrap();
    let registry = dir.path().join("registry");
    let store = dir.path().join("store");
    let (registry, store) = (registry.to_str().unwrap(), store.to_str().unwrap());

    let mut child = Command::new(bin)
        .args([
            "serve",
            "--registry",
            registry,
            "--model",
            "churn",
            "--store",
            store,
        ])
        .args([
            "--feature",
            "customer_stats:*",
            "--port",
            "0",
            "--poll-seconds",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("churn@champion = churn v1"), "{line}");
    let addr: SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in `{line}`"))
        .parse()
        .unwrap();

    let request =
        json!({"key": "c-1", "entity": {"customer_id": 5}, "features": {"plan": "basic"}}).to_string();
    assert_eq!(post(addr, "/predict", &request).json()["version"], 1);

    let wait_for = |version: u64| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let h = get(addr, "/health").json();
            if h["champion_version"] == version {
                return h;
            }
            assert!(std::time::Instant::now() < deadline, "still not v{version}: {h}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let cli = |args: &[&str]| {
        let out = Command::new(bin).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    cli(&[
        "promote",
        "churn",
        "--registry",
        registry,
        "--version",
        "2",
        "--expect",
        "1",
        "--reason",
        "test",
    ]);
    let h = wait_for(2);
    assert_eq!(h["router"]["previous"]["version"], 1, "v1 bakes: {h}");
    assert_eq!(post(addr, "/predict", &request).json()["version"], 2);
    cli(&["rollback", "churn", "--registry", registry, "--reason", "test"]);
    wait_for(1);
    assert_eq!(post(addr, "/predict", &request).json()["version"], 1);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(output.status.code(), Some(0), "{rest}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("stopped: served 3 prediction requests"),
        "{stdout}"
    );
    assert!(
        rest.contains("switch") && rest.contains("rollback"),
        "the moves are logged: {rest}"
    );
}

/// `ferrops serve` refuses what cannot work before it listens: exit 2, a message.
#[test]
fn ferrops_serve_usage_errors() {
    let bin = env!("CARGO_BIN_EXE_ferrops");
    let dir = tempfile::tempdir().unwrap();
    serve_app::demo(dir.path()).unwrap();
    let registry = dir.path().join("registry");
    let registry = registry.to_str().unwrap();
    let store = dir.path().join("store");
    let store = store.to_str().unwrap();
    let missing = dir.path().join("nowhere");
    let with_store = |feature: Option<&'static str>| {
        let mut args = vec!["--registry", registry, "--model", "churn", "--store", store];
        args.extend(feature.map(|f| ["--feature", f]).into_iter().flatten());
        args
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (with_store(None), "--store needs --feature"),
        (with_store(Some("nope:*")), "nope"),
        (with_store(Some("customer_stats:age")), "no feature `age`"),
        (with_store(Some("customer_stats")), "VIEW:FEATURE"),
        (
            vec!["--registry", missing.to_str().unwrap(), "--model", "churn"],
            "no registry",
        ),
        (vec!["--registry", registry, "--model", "nope"], "nope"),
        (
            vec!["--registry", registry, "--model", "churn", "--alias", "staging"],
            "staging",
        ),
        (
            vec![
                "--registry",
                registry,
                "--model",
                "churn",
                "--canary",
                "challenger",
                "--canary-fraction",
                "1.5",
            ],
            "between 0 and 1",
        ),
        (
            vec![
                "--registry",
                registry,
                "--model",
                "churn",
                "--feature",
                "customer_stats:*",
            ],
            "--store",
        ),
        (
            vec![
                "--registry",
                registry,
                "--model",
                "churn",
                "--host",
                "256.0.0.1",
                "--port",
                "0",
            ],
            "cannot listen",
        ),
    ];
    for (args, expected) in cases {
        let out = std::process::Command::new(bin)
            .arg("serve")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
