//! `ferrops serve`: the HTTP service (`crate::serve_app`) on a registered model's alias.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use ferrops::store::FeatureStore;
use serde_json::json;

use super::registry::open_registry;
use crate::serve_app::{self, ServeOptions, Service};
use crate::{Failure, Outcome, EXIT_FAIL, EXIT_PASS};

/// Flags of `ferrops serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The registry: a local directory, a file:// URL or s3://bucket/prefix.
    #[arg(long, value_name = "URI")]
    registry: String,
    /// The model's name.
    #[arg(long, value_name = "NAME")]
    model: String,
    /// The alias to serve (re-read every --poll-seconds: a promote or rollback in the
    /// registry reaches the service without a restart).
    #[arg(long, value_name = "ALIAS", default_value = "champion")]
    alias: String,
    /// The feature store to look up online features in (a directory, file:// or s3://).
    #[arg(long, value_name = "URI")]
    store: Option<String>,
    /// An online feature to look up for a request's entity: VIEW:FEATURE or VIEW:*
    /// (repeatable; needs --store).
    #[arg(long = "feature", value_name = "VIEW:FEATURE")]
    features: Vec<String>,
    /// An alias to serve as a sticky canary beside the champion (e.g. challenger).
    #[arg(long, value_name = "ALIAS")]
    canary: Option<String>,
    /// The canary's share of the traffic, between 0 and 1 (default: the fraction the
    /// retraining loop tagged the canary's version with, else 0.1).
    #[arg(long, value_name = "F")]
    canary_fraction: Option<f64>,
    /// The address to listen on.
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    host: String,
    /// The port to listen on (0: any free port, printed at start).
    #[arg(long, value_name = "PORT", default_value_t = 8080)]
    port: u16,
    /// How often to re-read the alias from the registry, in seconds (0: never).
    #[arg(long, value_name = "S", default_value_t = 10)]
    poll_seconds: u64,
    /// How long the previous champion stays loaded after a switch, in seconds (a
    /// rollback within it is a pointer swap).
    #[arg(long, value_name = "S", default_value_t = 900)]
    bake_seconds: u64,
}

/// Open the store, refusing a local directory that does not exist (a mistyped path).
fn open_store(uri: &str) -> Result<FeatureStore, Failure> {
    if let Some(path) = super::local_path(uri) {
        if !std::path::Path::new(path).is_dir() {
            return Err(Failure::usage(format!(
                "no feature store at `{uri}`: the directory does not exist; check the path"
            )));
        }
    }
    Ok(FeatureStore::open(uri)?)
}

/// Serve until Ctrl-C or SIGTERM. The start line (with the address) goes to `err` at
/// once; the summary is the outcome.
pub(crate) fn serve(args: &ServeArgs, err: &mut dyn Write) -> Result<Outcome, Failure> {
    if let Some(f) = args.canary_fraction.filter(|f| !(*f > 0.0 && *f < 1.0)) {
        return Err(Failure::usage(format!(
            "--canary-fraction {f} is not between 0 and 1 (exclusive)"
        )));
    }
    if !args.features.is_empty() && args.store.is_none() {
        return Err(Failure::usage(
            "--feature needs --store: online features come from a feature store",
        ));
    }
    if args.store.is_some() && args.features.is_empty() {
        return Err(Failure::usage(
            "--store needs --feature VIEW:FEATURE (or VIEW:*): the online features to look up",
        ));
    }
    // The registry and the store block on runtimes of their own: open and load before
    // the server's runtime exists.
    let registry = open_registry(&args.registry, false)?;
    let store = args.store.as_deref().map(open_store).transpose()?;
    let mut options = ServeOptions::new(args.model.clone(), args.alias.clone());
    options.features = args.features.clone();
    options.canary_alias = args.canary.clone();
    options.canary_fraction = args.canary_fraction;
    options.bake_window = Duration::from_secs(args.bake_seconds);
    options.poll = Some(Duration::from_secs(args.poll_seconds)).filter(|d| !d.is_zero());
    let service = Arc::new(Service::load(registry, store, options)?);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: EXIT_FAIL,
            message: format!("cannot start the server's runtime: {e}"),
            json: serde_json::Map::new(),
        })?;
    let address = format!("{}:{}", args.host, args.port);
    let started = Instant::now();
    let outcome = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&address).await.map_err(|e| {
            Failure::usage(format!(
                "cannot listen on {address}: {e}; choose another --port or --host"
            ))
        })?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::usage(format!("cannot read the listening address: {e}")))?;
        // Handlers first: a signal sent as soon as the start line shows is not missed.
        let shutdown = serve_app::shutdown_signal();
        let status = service.router().status();
        let _ = writeln!(
            err,
            "ferrops serve: {}@{} = {} listening on http://{local} (Ctrl-C stops)",
            args.model, args.alias, status.champion
        );
        let _ = err.flush();
        serve_app::serve(Arc::clone(&service), listener, shutdown)
            .await
            .map_err(|e| Failure {
                code: EXIT_FAIL,
                message: format!("the server failed: {e}"),
                json: serde_json::Map::new(),
            })?;
        Ok::<_, Failure>(local)
    });
    // The server's runtime first (an alias re-read still running on a blocking thread,
    // a slow object-store read, gets 5 s, within a container's grace period); the
    // registry and the store after it.
    runtime.shutdown_timeout(Duration::from_secs(5));
    let status = service.router().status();
    let requests = service.predict_requests();
    drop(service);
    let local = outcome?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Outcome {
        code: EXIT_PASS,
        text: format!(
            "stopped: served {} prediction requests in {seconds:.1} s on http://{local}; champion {}\n",
            requests, status.champion
        ),
        json: [
            ("passed".to_string(), json!(true)),
            ("address".to_string(), json!(format!("http://{local}"))),
            ("model".to_string(), json!(args.model)),
            ("alias".to_string(), json!(args.alias)),
            ("requests".to_string(), json!(requests)),
            ("seconds".to_string(), json!(seconds)),
            ("router".to_string(), json!(status)),
        ]
        .into_iter()
        .collect(),
    })
}
