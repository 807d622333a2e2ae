//! An HTTP microservice (axum) serving one alias of a registered model through the
//! rollout `Router`, with online features from the feature store.
//!
//! ```text
//! cargo run -p ferrops-cli --example serve                 # a demo registry + store in a temp dir
//! FERROPS_REGISTRY=./registry FERROPS_MODEL=churn PORT=8080 \
//!     cargo run -p ferrops-cli --example serve             # a registry of yours
//! ```
//!
//! Configured from the environment, as a container would be: `FERROPS_REGISTRY` (a
//! directory or `s3://bucket/prefix`; unset: the demo), `FERROPS_MODEL`,
//! `FERROPS_ALIAS` (default `champion`), `FERROPS_STORE` and `FERROPS_FEATURES`
//! (comma-separated `view:feature` or `view:*`), `FERROPS_CANARY` (an alias served as a
//! sticky canary) and `FERROPS_CANARY_FRACTION`, `FERROPS_POLL_SECONDS` (how often the
//! alias is re-read; 0 never), `HOST`, `PORT`. The same service with flags is
//! `ferrops serve` (docs/cli.md).
//!
//! Routes: `POST /predict`, `GET /health`, `GET /metrics` (Prometheus), `POST /feedback`.
//! The app is `ferrops_cli::serve_app` (crates/cli/src/serve_app.rs); this file shows
//! how it is put together.
//!
//! The registry and the feature store block (each drives its own runtime): they are
//! opened here before the server's runtime starts, and called from it only through
//! `tokio::task::spawn_blocking`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use ferrops_cli::serve_app;

use std::sync::Arc;
use std::time::Duration;

use ferrops::registry::ModelRegistry;
use ferrops::store::FeatureStore;
use serve_app::{ServeOptions, Service};

/// The service's configuration, from the environment (as a container would set it).
#[derive(Debug)]
struct Config {
    registry: Option<String>,
    model: Option<String>,
    alias: String,
    store: Option<String>,
    features: Vec<String>,
    canary: Option<String>,
    canary_fraction: Option<f64>,
    host: String,
    port: u16,
    poll_seconds: u64,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    match env(name) {
        Some(v) => v.trim().parse().map_err(|e| format!("{name}=`{v}`: {e}")),
        None => Ok(default),
    }
}

fn config() -> Result<Config, String> {
    Ok(Config {
        registry: env("FERROPS_REGISTRY"),
        model: env("FERROPS_MODEL"),
        alias: env("FERROPS_ALIAS").unwrap_or_else(|| "champion".into()),
        store: env("FERROPS_STORE"),
        features: env("FERROPS_FEATURES")
            .map(|f| f.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default(),
        canary: env("FERROPS_CANARY"),
        canary_fraction: env("FERROPS_CANARY_FRACTION")
            .map(|f| {
                f.trim()
                    .parse()
                    .map_err(|e| format!("FERROPS_CANARY_FRACTION=`{f}`: {e}"))
            })
            .transpose()?,
        host: env("HOST").unwrap_or_else(|| "127.0.0.1".into()),
        port: parsed("PORT", 8080)?,
        poll_seconds: parsed("FERROPS_POLL_SECONDS", 10)?,
    })
}

fn main() {
    if let Err(message) = config().and_then(run) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run(config: Config) -> Result<(), String> {
    // Blocking work first, before any tokio runtime exists on this thread.
    let demo_dir = match config.registry {
        None => Some(tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?),
        Some(_) => None,
    };
    let (registry, store, mut options) = match (&demo_dir, &config.registry) {
        (Some(dir), _) => {
            let (registry, store, options) = serve_app::demo(dir.path()).map_err(|e| e.to_string())?;
            println!(
                "FERROPS_REGISTRY is not set: a demo registry and store in {}",
                dir.path().display()
            );
            (registry, Some(store), options)
        }
        (None, registry_uri) => {
            let registry_uri = registry_uri.as_deref().unwrap_or_default();
            let model = config
                .model
                .clone()
                .ok_or("FERROPS_MODEL is not set: name the registered model to serve")?;
            let registry = ModelRegistry::open(registry_uri).map_err(|e| e.to_string())?;
            let store = match &config.store {
                Some(uri) => Some(FeatureStore::open(uri).map_err(|e| e.to_string())?),
                None => None,
            };
            let mut options = ServeOptions::new(model, config.alias.clone());
            options.features = config.features.clone();
            (registry, store, options)
        }
    };
    options.canary_alias = config.canary.clone();
    options.canary_fraction = config.canary_fraction;
    options.poll = Some(Duration::from_secs(config.poll_seconds)).filter(|d| !d.is_zero());
    let service = Arc::new(Service::load(registry, store, options).map_err(|e| e.to_string())?);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let address = format!("{}:{}", config.host, config.port);
    let outcome = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e} (set PORT or HOST)"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        // Handlers first: a signal sent as soon as the start line shows is not missed.
        let shutdown = serve_app::shutdown_signal();
        let status = service.router().status();
        println!(
            "serving {}@{} = {} on http://{local}  (Ctrl-C stops)",
            service.options().model,
            service.options().alias,
            status.champion
        );
        if demo_dir.is_some() {
            println!("try:");
            println!(
                "  curl -s -X POST http://{local}/predict -d '{{\"entity\": {{\"customer_id\": 7}}, \"features\": {{\"plan\": \"pro\"}}}}'"
            );
            println!("  curl -s http://{local}/health");
            println!("  curl -s http://{local}/metrics");
            println!(
                "  curl -s -X POST http://{local}/feedback -d '{{\"variant\": \"champion\", \"prediction\": \"no\", \"actual\": \"yes\"}}'"
            );
        }
        serve_app::serve(Arc::clone(&service), listener, shutdown)
            .await
            .map_err(|e| format!("the server failed: {e}"))
    });
    // The runtime goes first, then the registry and store (they own runtimes of their
    // own, which may not be dropped inside another runtime).
    runtime.shutdown_timeout(Duration::from_secs(5));
    drop(service);
    drop(demo_dir);
    outcome?;
    println!("stopped");
    Ok(())
}
