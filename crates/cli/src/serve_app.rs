//! The HTTP service of `ferrops serve` and of `examples/serve.rs` (which includes this
//! file with `#[path]`, so there is one copy of the code): an [axum] app serving one
//! alias of a registered model through a [`Router`], with optional online features from
//! a [`FeatureStore`].
//!
//! | route | what it does |
//! |---|---|
//! | `POST /predict` | `{"key": "c-42", "entity": {"customer_id": 3}, "features": {"plan": "pro"}}` → `{"prediction", "probabilities", "classes", "variant", "role", "model", "version", "missing_features"}` |
//! | `GET /health` | 200 with the served versions and the router's status |
//! | `GET /metrics` | the router's per-variant metrics in the Prometheus text format |
//! | `POST /feedback` | `{"variant": "champion", "prediction": "yes", "actual": "no"}` → `Router::record_outcome` |
//!
//! The registry and the feature store have a blocking API (each owns a small runtime of
//! its own and blocks on it): calling them on a tokio worker thread panics. Everything
//! here that touches them runs in [`tokio::task::spawn_blocking`], or before the server's
//! runtime starts ([`Service::load`]). The router's calls are fast and lock-free and run
//! on the worker directly.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ferrops::data::table::value_at;
use ferrops::data::Value;
use ferrops::lifecycle::CANARY_FRACTION_TAG;
use ferrops::registry::ModelRegistry;
use ferrops::serve::{Change, Role, Router, RouterOptions, RouterStatus, ServedModel};
use ferrops::store::{FeatureStatus, FeatureStore};
use ferrops::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

/// The content type of the Prometheus text exposition format.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The registered model's name.
    pub model: String,
    /// The alias the champion is loaded from (and followed, see [`poll`](Self::poll)).
    pub alias: String,
    /// Online features to look up for a request's `entity`: `view:feature` or `view:*`.
    pub features: Vec<String>,
    /// An alias whose version answers a sticky share of the traffic as a canary
    /// (followed like the champion's, see [`Service::sync_alias`]).
    pub canary_alias: Option<String>,
    /// The canary's share of the traffic, in (0, 1). `None`: the fraction the
    /// retraining loop tagged the canary's version with
    /// ([`CANARY_FRACTION_TAG`], so that the
    /// service and the loop route a key alike), else 0.1.
    pub canary_fraction: Option<f64>,
    /// How long the previous champion stays loaded after the alias moves.
    pub bake_window: Duration,
    /// How often the alias is re-read from the registry (`None`: never).
    pub poll: Option<Duration>,
}

impl ServeOptions {
    /// Serve `model@alias` with the defaults: no online features, no canary, a 15 min
    /// bake window, the alias re-read every 10 s.
    pub fn new(model: impl Into<String>, alias: impl Into<String>) -> ServeOptions {
        ServeOptions {
            model: model.into(),
            alias: alias.into(),
            features: Vec::new(),
            canary_alias: None,
            canary_fraction: None,
            bake_window: Duration::from_secs(15 * 60),
            poll: Some(Duration::from_secs(10)),
        }
    }
}

/// What the service knows of a loaded version: its input columns and class labels.
#[derive(Debug, Clone)]
struct VersionInfo {
    columns: BTreeSet<String>,
    classes: Option<Vec<Json>>,
}

impl VersionInfo {
    fn of(model: &ServedModel) -> VersionInfo {
        let pipeline = &model.pipeline;
        let columns = pipeline
            .signature()
            .names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let classes = pipeline
            .classes()
            .map(|c| (0..c.len()).map(|i| to_json(&c.value(i))).collect());
        VersionInfo { columns, classes }
    }
}

/// The service's state: the router, where its models come from, and the feature store.
#[derive(Debug)]
pub struct Service {
    router: Router,
    registry: Option<ModelRegistry>,
    store: Option<FeatureStore>,
    options: ServeOptions,
    versions: RwLock<BTreeMap<u64, VersionInfo>>,
    last_sync: Mutex<Option<String>>,
    started: Instant,
    /// `/predict` requests received, whatever their answer.
    predict_requests: AtomicU64,
}

impl Drop for Service {
    fn drop(&mut self) {
        // The registry and the store own runtimes, which may not be dropped on a tokio
        // worker thread: hand them to a plain thread when that is where we are.
        let registry = self.registry.take();
        let store = self.store.take();
        if tokio::runtime::Handle::try_current().is_ok() && (registry.is_some() || store.is_some()) {
            std::thread::spawn(move || drop((registry, store)));
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

impl Service {
    /// Load `options.model@options.alias` (and the canary alias, when it is set)
    /// from `registry`, verified, into a new router. Blocking: call it before the
    /// runtime starts or in `spawn_blocking`.
    ///
    /// # Errors
    /// The registry's errors (an unknown model or alias, a tampered artifact); the
    /// store's for an unknown feature view or feature; [`Error::InvalidParameter`] for a
    /// canary fraction outside (0, 1), features without a store or a store without
    /// features.
    pub fn load(
        registry: ModelRegistry,
        store: Option<FeatureStore>,
        options: ServeOptions,
    ) -> Result<Service> {
        let champion = registry.load_served(&options.model, &options.alias)?;
        let router = Router::with_options(
            champion.clone(),
            RouterOptions::default().bake_window(options.bake_window),
        )?;
        let service = Service::new(router, Some(registry), store, options)?;
        service.remember(&champion);
        // A canary alias that is not set (or on the champion) now starts no canary; it
        // is followed from then on.
        service.sync_alias()?;
        Ok(service)
    }

    /// A service around a router built elsewhere (without a registry the alias is not
    /// followed). `router`'s champion must be the only variant.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for options that cannot work (a canary without a
    /// registry to load it from).
    pub fn new(
        router: Router,
        registry: Option<ModelRegistry>,
        store: Option<FeatureStore>,
        options: ServeOptions,
    ) -> Result<Service> {
        if options.canary_alias.is_some() && registry.is_none() {
            return Err(Error::param(
                "canary_alias",
                options.canary_alias.clone().unwrap_or_default(),
                "a canary is loaded from the registry; open one",
            ));
        }
        if !options.features.is_empty() && store.is_none() {
            return Err(Error::param(
                "features",
                options.features.join(","),
                "online features need a feature store; pass one (--store)",
            ));
        }
        if store.is_some() && options.features.is_empty() {
            return Err(Error::param(
                "features",
                "",
                "a feature store without features to look up: name them (--feature VIEW:FEATURE or VIEW:*)",
            ));
        }
        if let Some(f) = options.canary_fraction.filter(|f| !(*f > 0.0 && *f < 1.0)) {
            return Err(Error::param(
                "canary_fraction",
                f,
                "must be between 0 and 1 (exclusive)",
            ));
        }
        if let Some(store) = &store {
            check_features(store, &options.features)?;
        }
        let service = Service {
            router,
            registry,
            store,
            options,
            versions: RwLock::new(BTreeMap::new()),
            last_sync: Mutex::new(None),
            started: Instant::now(),
            predict_requests: AtomicU64::new(0),
        };
        service.remember(&service.router.champion());
        Ok(service)
    }

    /// Note a version's columns and classes (to check requests and label probabilities).
    /// [`sync_alias`](Self::sync_alias) does it for what it loads; call it for a model
    /// put into [`router`](Self::router) directly.
    pub fn remember(&self, model: &ServedModel) {
        let info = VersionInfo::of(model);
        self.versions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(model.version, info);
    }

    /// The router.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The options.
    pub fn options(&self) -> &ServeOptions {
        &self.options
    }

    /// `/predict` requests received since the start, whatever their answer and
    /// whichever version answered (the router's metrics count per loaded version).
    pub fn predict_requests(&self) -> u64 {
        self.predict_requests.load(Ordering::Relaxed)
    }

    /// Bring the router in line with the registry's aliases; returns what changed, one
    /// line each (empty when nothing did). Blocking: run it in `spawn_blocking`.
    ///
    /// The champion alias: moved to the running canary's version (the canary was
    /// promoted) → the router promotes it; moved back to the version baking as previous
    /// champion → a rollback (a pointer swap); moved anywhere else → a running canary is
    /// ended, and the new version is loaded (verified) and switched to. A deleted
    /// champion alias changes nothing: the service keeps serving what it has.
    ///
    /// The canary alias (when one is served): deleted (the canary was rolled back) →
    /// the router drops the canary; set or moved to a version other than the champion →
    /// that version is loaded and canaried on [`ServeOptions::canary_fraction`].
    ///
    /// # Errors
    /// The registry's errors (storage, a tampered artifact); the router's.
    pub fn sync_alias(&self) -> Result<Vec<String>> {
        let Some(registry) = &self.registry else {
            return Ok(Vec::new());
        };
        let model = &self.options.model;
        let alias = &self.options.alias;
        let mut changes = Vec::new();
        let describe = |c: Change| {
            let from = c.from.map_or_else(|| "-".to_string(), |m| m.to_string());
            format!("{} {from} -> {} ({})", c.action, c.to, c.reason)
        };
        if let Some(target) = registry.alias(model, alias)? {
            let status = self.router.status();
            let canary = canary_version(&status);
            if status.champion.version != target {
                let reason = format!("registry alias {model}@{alias} moved to v{target}");
                if canary == Some(target) {
                    changes.push(describe(self.router.promote()?));
                } else if status.mode == "single"
                    && status.previous.as_ref().is_some_and(|p| p.version == target)
                {
                    changes.push(describe(self.router.rollback(&reason)?));
                } else {
                    let served = registry.load_served(model, &target.to_string())?;
                    self.remember(&served);
                    if status.mode != "single" {
                        changes.push(describe(self.router.rollback(&reason)?));
                    }
                    changes.push(describe(self.router.switch(served)?));
                }
            }
        }
        if let Some(canary_alias) = &self.options.canary_alias {
            let status = self.router.status();
            let running = canary_version(&status);
            let target = registry
                .alias(model, canary_alias)?
                .filter(|t| *t != status.champion.version);
            // Load the new target first: if that fails, the running canary stays.
            let incoming = match target.filter(|t| running != Some(*t)) {
                Some(t) => Some((t, registry.load_served(model, &t.to_string())?)),
                None => None,
            };
            if running.is_some() && running != target {
                let reason = match target {
                    Some(t) => format!("registry alias {model}@{canary_alias} moved to v{t}"),
                    None => format!("registry alias {model}@{canary_alias} removed or on the champion"),
                };
                changes.push(describe(self.router.rollback(&reason)?));
            }
            if let Some((t, served)) = incoming {
                let fraction = self.canary_fraction(registry, t)?;
                self.remember(&served);
                self.router.start_canary(served, fraction)?;
                changes.push(format!(
                    "canary {model} v{t} on {:.0} % of traffic (registry alias {model}@{canary_alias})",
                    fraction * 100.0
                ));
            }
        }
        self.prune();
        Ok(changes)
    }

    /// The canary's share: the option, else the loop's tag on the version, else 0.1.
    fn canary_fraction(&self, registry: &ModelRegistry, version: u64) -> Result<f64> {
        if let Some(f) = self.options.canary_fraction {
            return Ok(f);
        }
        let record = registry.version(&self.options.model, version)?;
        Ok(record
            .tags
            .get(CANARY_FRACTION_TAG)
            .and_then(|f| f.parse::<f64>().ok())
            .filter(|f| *f > 0.0 && *f < 1.0)
            .unwrap_or(0.1))
    }

    /// Forget the columns and classes of versions the router no longer holds.
    fn prune(&self) {
        let status = self.router.status();
        let held: BTreeSet<u64> = status
            .variants
            .iter()
            .map(|v| v.version)
            .chain(status.previous.map(|p| p.version))
            .collect();
        self.versions
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|v, _| held.contains(v));
    }

    /// Look up the online features of one entity: each feature's name, value and
    /// status (`present`, `not_found`, `outside_ttl`, `null_value`; a value that is not
    /// present is null). Blocking.
    fn online_row(&self, entity: &Map<String, Json>) -> Result<Vec<(String, Value, FeatureStatus)>> {
        let Some(store) = &self.store else {
            return Err(Error::param(
                "entity",
                Json::Object(entity.clone()),
                "this service has no feature store; send the model's columns in `features`",
            ));
        };
        if self.options.features.is_empty() {
            return Err(Error::param(
                "entity",
                Json::Object(entity.clone()),
                "this service looks up no online features (start it with --feature VIEW:FEATURE)",
            ));
        }
        let mut columns: Vec<(&str, ArrayRef)> = Vec::with_capacity(entity.len());
        for (name, value) in entity {
            let array: ArrayRef = match value {
                Json::String(s) => Arc::new(StringArray::from(vec![s.as_str()])),
                Json::Bool(b) => Arc::new(BooleanArray::from(vec![*b])),
                Json::Number(n) => match n.as_i64() {
                    Some(i) => Arc::new(Int64Array::from(vec![i])),
                    None => Arc::new(Float64Array::from(vec![n.as_f64().unwrap_or(f64::NAN)])),
                },
                other => {
                    return Err(Error::InvalidValue {
                        column: name.clone(),
                        row: 0,
                        value: other.to_string(),
                        hint: "an entity key is a string, a number or a boolean".into(),
                    })
                }
            };
            columns.push((name.as_str(), array));
        }
        let keys = RecordBatch::try_from_iter(columns)?;
        let refs: Vec<&str> = self.options.features.iter().map(String::as_str).collect();
        let found = store.online_features(&keys, &refs)?;
        let mut row = Vec::with_capacity(found.status.len());
        for (name, statuses) in &found.status {
            let column = found
                .table
                .column_by_name(name)
                .ok_or_else(|| Error::ColumnNotFound {
                    column: name.clone(),
                    available: found
                        .table
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .collect(),
                })?;
            let status = statuses.first().copied().unwrap_or(FeatureStatus::NotFound);
            row.push((name.clone(), value_at(column, 0)?, status));
        }
        Ok(row)
    }

    /// The message for request columns no served version takes, or `None` (nothing is
    /// allocated when every column is known: this runs on every request).
    fn unknown_columns<'a>(&self, columns: impl Iterator<Item = &'a String>) -> Option<String> {
        let versions = read(&self.versions);
        let unknown: Vec<&String> = columns
            .filter(|c| !versions.values().any(|v| v.columns.contains(*c)))
            .collect();
        if unknown.is_empty() {
            return None;
        }
        let known: BTreeSet<&String> = versions.values().flat_map(|v| v.columns.iter()).collect();
        Some(format!(
            "unknown feature column(s) {unknown:?}: the model takes {known:?}"
        ))
    }

    fn classes(&self, version: u64) -> Option<Vec<Json>> {
        read(&self.versions).get(&version).and_then(|v| v.classes.clone())
    }

    /// The body of `GET /health`.
    pub fn health(&self) -> Json {
        let status = self.router.status();
        let mut versions: Vec<u64> = status.variants.iter().map(|v| v.version).collect();
        if let Some(previous) = &status.previous {
            versions.push(previous.version);
        }
        versions.sort_unstable();
        versions.dedup();
        let last_sync = self
            .last_sync
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        json!({
            "status": "ok",
            "model": self.options.model,
            "alias": self.options.alias,
            "champion_version": status.champion.version,
            "versions": versions,
            "router": status,
            "registry": self.registry.as_ref().map(ModelRegistry::uri),
            "store": self.store.as_ref().map(FeatureStore::uri),
            "features": self.options.features,
            "last_sync_error": last_sync,
            "predict_requests": self.predict_requests(),
            "uptime_seconds": self.started.elapsed().as_secs_f64(),
        })
    }
}

/// Check that every `view:feature` (or `view:*`) names a view of `store` and one of
/// its features.
fn check_features(store: &FeatureStore, features: &[String]) -> Result<()> {
    for reference in features {
        let Some((view, feature)) = reference.split_once(':') else {
            return Err(Error::param(
                "features",
                reference,
                "name a feature as VIEW:FEATURE, or all of a view's as VIEW:*",
            ));
        };
        let definition = store.feature_view(view)?;
        if feature != "*" && !definition.features.iter().any(|f| f.name == feature) {
            return Err(Error::param(
                "features",
                reference,
                format!(
                    "view `{view}` has no feature `{feature}`; it has {:?}",
                    definition
                        .features
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                ),
            ));
        }
    }
    Ok(())
}

/// The version of the running canary, if one runs.
fn canary_version(status: &RouterStatus) -> Option<u64> {
    status
        .variants
        .iter()
        .find(|v| v.role == Role::Canary)
        .map(|v| v.version)
}

/// A JSON scalar as a [`Value`]: integers stay integers, other numbers are floats.
fn from_json(column: &str, value: &Json) -> Result<Value> {
    Ok(match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::String(s) => Value::Str(s.clone()),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        other => {
            return Err(Error::InvalidValue {
                column: column.to_string(),
                row: 0,
                value: other.to_string(),
                hint: "a feature value is a number, a string, a boolean or null".into(),
            })
        }
    })
}

/// A [`Value`] as JSON (a non-finite float as `null`; a timestamp as µs since the epoch).
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) if f.is_finite() => json!(f),
        Value::Float(_) => Json::Null,
        Value::Str(s) => json!(s),
        Value::Timestamp(t) => json!(t),
    }
}

/// An error answer: `{"error": message}` with `status`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"error": message.into(), "status": status.as_u16()});
    (status, axum::Json(body)).into_response()
}

/// The HTTP status for a ferrops error: 422 for a request whose data the model cannot
/// use, 400 for a bad parameter, 500 for the rest (storage, a tampered artifact).
pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::ColumnNotFound { .. }
        | Error::ColumnType { .. }
        | Error::InvalidValue { .. }
        | Error::UnknownCategory { .. }
        | Error::EmptyInput { .. }
        | Error::InvalidData(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::InvalidParameter { .. } | Error::InvalidName { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn failed(e: &Error) -> Response {
    error(status_of(e), e.to_string())
}

/// The body of `POST /predict`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PredictRequest {
    /// The routing key (a user or customer id): one key always sees one variant.
    #[serde(default)]
    key: Option<Json>,
    /// Entity keys to look up online features for.
    #[serde(default)]
    entity: Option<Map<String, Json>>,
    /// Raw feature values (they override online values of the same name).
    #[serde(default)]
    features: Option<Map<String, Json>>,
}

/// The body of `POST /feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedbackRequest {
    variant: String,
    /// The version that made the prediction (as `/predict` answered): refused with 409
    /// when the variant has since moved to another version.
    #[serde(default)]
    version: Option<u64>,
    prediction: Json,
    actual: Json,
}

/// The JSON body as `T`, or the error answer (400; 413 for a body over the limit).
fn parse<T: serde::de::DeserializeOwned>(
    body: std::result::Result<Bytes, BytesRejection>,
    example: &str,
) -> std::result::Result<T, Box<Response>> {
    let body = body.map_err(|e| {
        Box::new(error(
            e.status(),
            format!("{e} (the limit is {MAX_BODY_BYTES} bytes)"),
        ))
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("the body is not a valid request ({e}); send JSON such as {example}"),
        ))
    })
}

fn key_text(key: &Json) -> String {
    match key {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn predict(
    State(service): State<Arc<Service>>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    service.predict_requests.fetch_add(1, Ordering::Relaxed);
    let request: PredictRequest = match parse(
        body,
        r#"{"key": "customer-42", "entity": {"customer_id": 42}, "features": {"plan": "pro"}}"#,
    ) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let features = request.features.unwrap_or_default();
    if let Some(message) = service.unknown_columns(features.keys()) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, message);
    }
    let mut row: Vec<(String, Value)> = Vec::new();
    let mut key = request.key.as_ref().map(key_text);
    // Online features that came back without a value, and why (sent to the model as
    // nulls, which an imputer in the pipeline can fill, as Feast returns them).
    let mut missing = Map::new();
    if let Some(entity) = request.entity {
        if entity.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                "`entity` is empty: give the entity's key columns, e.g. {\"customer_id\": 42}",
            );
        }
        if key.is_none() {
            key = Some(entity.values().map(key_text).collect::<Vec<_>>().join("|"));
        }
        for (name, value) in &entity {
            match from_json(name, value) {
                Ok(v) => row.push((name.clone(), v)),
                Err(e) => return failed(&e),
            }
        }
        let looked_up = {
            let service = Arc::clone(&service);
            tokio::task::spawn_blocking(move || service.online_row(&entity)).await
        };
        match looked_up {
            Ok(Ok(values)) => {
                for (name, value, status) in values {
                    if features.contains_key(&name) {
                        continue;
                    }
                    if status != FeatureStatus::Present {
                        missing.insert(name.clone(), json!(status.as_str()));
                    }
                    row.push((name, value));
                }
            }
            Ok(Err(e)) => return failed(&e),
            Err(e) => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("feature lookup failed: {e}"),
                )
            }
        }
    }
    for (name, value) in &features {
        match from_json(name, value) {
            Ok(v) => row.push((name.clone(), v)),
            Err(e) => return failed(&e),
        }
    }
    match service.router.predict_row(key.as_deref(), &row) {
        Ok(answer) => {
            let classes = service.classes(answer.version);
            let body = json!({
                "prediction": to_json(&answer.prediction),
                "probabilities": answer.probabilities,
                "classes": answer.probabilities.as_ref().and(classes),
                "variant": &*answer.variant,
                "role": answer.role,
                "model": service.options.model,
                "version": answer.version,
                "missing_features": missing,
            });
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        Err(e) if missing.is_empty() => failed(&e),
        Err(e) => {
            let message = format!(
                "{e} (online features without a value for this entity: {}; \
                 check the entity key, materialize the view, or impute in the pipeline)",
                Json::Object(missing)
            );
            error(status_of(&e), message)
        }
    }
}

async fn feedback(
    State(service): State<Arc<Service>>,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Response {
    let request: FeedbackRequest = match parse(
        body,
        r#"{"variant": "champion", "prediction": "yes", "actual": "no"}"#,
    ) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    if let Some(version) = request.version {
        let status = service.router.status();
        let now = status
            .variants
            .iter()
            .find(|v| v.label == request.variant)
            .map(|v| v.version);
        if now.is_some_and(|v| v != version) {
            let message = format!(
                "the {} is v{} now, not v{version}: the outcome of v{version}'s prediction is not recorded against another version",
                request.variant,
                now.unwrap_or_default()
            );
            return error(StatusCode::CONFLICT, message);
        }
    }
    let predicted = match from_json("prediction", &request.prediction) {
        Ok(v) => v,
        Err(e) => return failed(&e),
    };
    let actual = match from_json("actual", &request.actual) {
        Ok(v) => v,
        Err(e) => return failed(&e),
    };
    match service
        .router
        .record_outcome(&request.variant, &predicted, &actual)
    {
        Ok(()) => (StatusCode::OK, axum::Json(json!({"recorded": true}))).into_response(),
        Err(e) => failed(&e),
    }
}

async fn health(State(service): State<Arc<Service>>) -> Response {
    (StatusCode::OK, axum::Json(service.health())).into_response()
}

async fn metrics(State(service): State<Arc<Service>>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE)],
        service.router.prometheus(),
    )
        .into_response()
}

/// The largest request body accepted (a larger one is answered 413).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The axum app: `/predict`, `/health`, `/metrics`, `/feedback`.
pub fn app(service: Arc<Service>) -> axum::Router {
    axum::Router::new()
        .route("/predict", post(predict))
        .route("/feedback", post(feedback))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(service)
}

/// Re-read the alias every `every` and follow it (see [`Service::sync_alias`]); the
/// last error is shown by `/health`. Runs until the task is aborted.
pub async fn follow_alias(service: Arc<Service>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is immediate: the alias was just loaded
    loop {
        ticks.tick().await;
        let worker = Arc::clone(&service);
        let outcome = tokio::task::spawn_blocking(move || worker.sync_alias()).await;
        let message = match outcome {
            Ok(Ok(changes)) => {
                for change in changes {
                    eprintln!("ferrops serve: {change}");
                }
                None
            }
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(format!("the alias check failed: {e}")),
        };
        if let Some(m) = &message {
            eprintln!("ferrops serve: cannot follow the alias: {m}");
        }
        *service.last_sync.lock().unwrap_or_else(PoisonError::into_inner) = message;
    }
}

/// A future that resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM (what `docker stop`
/// and Kubernetes send): the server then stops accepting and finishes the requests in
/// flight. The handlers are installed when this is called, not when the future is
/// first polled, so a signal sent right after a start line printed after this call is
/// not missed. Call it inside the runtime.
#[cfg(unix)]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    let interrupt = signal(SignalKind::interrupt()).ok();
    let terminate = signal(SignalKind::terminate()).ok();
    async fn received(signal: Option<Signal>) {
        match signal {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
    async move {
        tokio::select! {
            () = received(interrupt) => {},
            () = received(terminate) => {},
        }
    }
}

/// A future that resolves on Ctrl-C: the server then stops accepting and finishes the
/// requests in flight. Call it inside the runtime.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Serve `service` on `listener` until `shutdown` resolves, following the alias when
/// the options say so.
///
/// # Errors
/// The server's I/O error.
pub async fn serve(
    service: Arc<Service>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let follower = match service.options.poll {
        Some(every) if !every.is_zero() && service.registry.is_some() => {
            Some(tokio::spawn(follow_alias(Arc::clone(&service), every)))
        }
        _ => None,
    };
    let outcome = axum::serve(listener, app(service))
        .with_graceful_shutdown(shutdown)
        .await;
    if let Some(task) = follower {
        task.abort();
    }
    outcome
}

// ------------------------------------------------------------------------------ demo

/// Build a small demo in `dir`: a feature store with a `customer` entity and a
/// `customer_stats` view (tenure, monthly spend) materialized online, and a registry
/// holding two versions of model `churn` (a logistic regression on those features and
/// the request's `plan`), `champion` on v1 and `challenger` on v2. Returns the registry,
/// the store and options serving `churn@champion` with `customer_stats:*`. Blocking.
///
/// # Errors
/// Storage errors.
pub fn demo(dir: &std::path::Path) -> Result<(ModelRegistry, FeatureStore, ServeOptions)> {
    use ferrops::prelude::*;
    use ferrops::registry::{Expected, ModelMetadata};
    use ferrops::store::{Entity, Feature, FeatureView, ValueType, WriteMode};

    let text = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    let store = FeatureStore::open(&text(dir.join("store")))?;
    store.register_entity(&Entity::new("customer", "customer_id", ValueType::Int64))?;
    store.register_feature_view(&FeatureView::new(
        "customer_stats",
        ["customer"],
        "event_timestamp",
        vec![
            Feature::new("tenure", ValueType::Float64),
            Feature::new("spend", ValueType::Float64),
        ],
    ))?;
    // 40 customers: short tenure and high spend churn.
    let n = 40_i64;
    let ids: Vec<i64> = (1..=n).collect();
    let tenure: Vec<f64> = ids.iter().map(|i| ((i * 7) % 37) as f64 + 1.0).collect();
    let spend: Vec<f64> = ids.iter().map(|i| 20.0 + ((i * 13) % 29) as f64 * 3.0).collect();
    let plan: Vec<&str> = ids
        .iter()
        .map(|i| if i % 3 == 0 { "pro" } else { "basic" })
        .collect();
    let churn: Vec<&str> = tenure
        .iter()
        .zip(&spend)
        .zip(&plan)
        .map(|((t, s), p)| {
            let risk = s / 10.0 - t / 4.0 - if *p == "pro" { 1.5 } else { 0.0 };
            if risk > 1.0 {
                "yes"
            } else {
                "no"
            }
        })
        .collect();
    let now = chrono_free_now_micros();
    let day = 86_400_000_000_i64;
    let stamps =
        arrow::array::TimestampMicrosecondArray::from(vec![now - day; ids.len()]).with_timezone("UTC");
    let rows = RecordBatch::try_from_iter([
        ("customer_id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
        ("event_timestamp", Arc::new(stamps) as ArrayRef),
        ("tenure", Arc::new(Float64Array::from(tenure.clone())) as ArrayRef),
        ("spend", Arc::new(Float64Array::from(spend.clone())) as ArrayRef),
    ])?;
    store.write("customer_stats", &rows, WriteMode::Append)?;
    store.materialize("customer_stats", None, now)?;

    let training = RecordBatch::try_from_iter([
        ("tenure", Arc::new(Float64Array::from(tenure)) as ArrayRef),
        ("spend", Arc::new(Float64Array::from(spend)) as ArrayRef),
        ("plan", Arc::new(StringArray::from(plan)) as ArrayRef),
        ("churn", Arc::new(StringArray::from(churn)) as ArrayRef),
    ])?;
    let fit = |c: f64| {
        Pipeline::new()
            .transform(StandardScaler::new(Columns::AllNumeric))
            .transform(OneHotEncoder::new(["plan"]))
            .train(LogisticRegression {
                c,
                ..LogisticRegression::default()
            })
            .fit(&training, "churn")
    };
    let registry = ModelRegistry::open(&text(dir.join("registry")))?.with_actor("demo");
    let v1 = registry.register(
        "churn",
        &fit(1.0)?,
        ModelMetadata::new()
            .description("demo v1")
            .training_table(&training)?,
    )?;
    let v2 = registry.register(
        "churn",
        &fit(0.1)?,
        ModelMetadata::new()
            .description("demo v2")
            .training_table(&training)?,
    )?;
    registry.set_alias("churn", "champion", v1.version, Expected::Absent, "demo")?;
    registry.set_alias("churn", "challenger", v2.version, Expected::Absent, "demo")?;
    let mut options = ServeOptions::new("churn", "champion");
    options.features = vec!["customer_stats:*".to_string()];
    Ok((registry, store, options))
}

/// Now in µs since the epoch.
fn chrono_free_now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}
