//! `ferrops register`, `promote`, `rollback` and `history`: the model registry.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use ferrops::pipeline::FittedPipeline;
use ferrops::registry::{AliasEvent, Expected, ModelMetadata, ModelRegistry, ModelVersion};
use serde_json::{json, Map, Value};

use super::{num, to_json};
use crate::input::read_metrics;
use crate::{Failure, Outcome, EXIT_FAIL, EXIT_PASS};

/// The registry and who acts on it, shared by the registry commands.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// The registry: a local directory, a file:// URL or s3://bucket/prefix.
    #[arg(long, value_name = "URI")]
    registry: String,
    /// Who the change is attributed to in the audit log (default: $FERROPS_ACTOR, else $USER).
    #[arg(long, value_name = "NAME")]
    actor: Option<String>,
}

impl RegistryArgs {
    /// Open the registry; `create`: make a missing local directory (registration only).
    fn open(&self, create: bool) -> Result<ModelRegistry, Failure> {
        let registry = open_registry(&self.registry, create)?;
        Ok(match &self.actor {
            Some(actor) => registry.with_actor(actor.clone()),
            None => registry,
        })
    }
}

/// Flags of `ferrops register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The model's name.
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The fitted pipeline: a directory written by FittedPipeline::save (its hashes are verified).
    #[arg(long, value_name = "DIR")]
    artifact: PathBuf,
    /// The version's metrics: a JSON object {"accuracy": 0.9, ...} (finite numbers).
    #[arg(long, value_name = "FILE")]
    metrics: Option<PathBuf>,
    /// A tag KEY=VALUE (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = key_value)]
    tags: Vec<(String, String)>,
    /// A parameter KEY=VALUE (repeatable; VALUE is read as JSON if it parses, else as text).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = key_value)]
    params: Vec<(String, String)>,
    /// What this version is.
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    /// The seed the model was trained with.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// The training table (.parquet or .csv): its fingerprint goes in the lineage and its
    /// drift profile becomes the version's reference profile.
    #[arg(long, value_name = "DATA")]
    training_data: Option<PathBuf>,
}

/// Flags of `ferrops promote`.
#[derive(Debug, Args)]
pub(crate) struct PromoteArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The model's name.
    #[arg(value_name = "NAME")]
    name: String,
    /// The version to point the alias at: 3, v3, latest or another alias.
    #[arg(long, value_name = "N")]
    version: String,
    /// The alias to move.
    #[arg(long, value_name = "ALIAS", default_value = "champion")]
    alias: String,
    /// Compare-and-swap: move only if the alias points at version N now (`none`: only if
    /// it is unset; `any`, the default: unconditionally).
    #[arg(long, value_name = "N|none|any", value_parser = expected)]
    expect: Option<Expected>,
    /// Why (recorded in the audit log).
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

/// Flags of `ferrops rollback`.
#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The model's name.
    #[arg(value_name = "NAME")]
    name: String,
    /// The alias to move back to its previous target.
    #[arg(long, value_name = "ALIAS", default_value = "champion")]
    alias: String,
    /// Why (recorded in the audit log).
    #[arg(long, value_name = "TEXT")]
    reason: String,
}

/// Flags of `ferrops history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// The model's name.
    #[arg(value_name = "NAME")]
    name: String,
    /// Only the moves of this alias.
    #[arg(long, value_name = "ALIAS")]
    alias: Option<String>,
}

/// `KEY=VALUE`.
fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// `N`, `vN`, `none` or `any`.
fn expected(text: &str) -> Result<Expected, String> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "none" | "absent" | "unset" => Ok(Expected::Absent),
        "any" => Ok(Expected::Any),
        _ => t
            .strip_prefix('v')
            .unwrap_or(&t)
            .parse::<u64>()
            .map(Expected::Version)
            .map_err(|_| format!("`{text}` is not a version number, `none` or `any`")),
    }
}

/// The short JSON form of a version.
fn version_json(v: &ModelVersion) -> Value {
    json!({
        "model": v.name,
        "version": v.version,
        "created_at": v.created_at(),
        "created_micros": v.created_micros,
        "created_by": v.created_by,
        "description": v.description,
        "metrics": v.metrics,
        "tags": v.tags,
        "seed": v.seed,
        "ferrops_version": v.ferrops_version,
        "artifact_bytes": v.artifact_bytes(),
    })
}

/// An event as JSON, with its time as text (`at`) beside `at_micros`.
fn event_json(event: &AliasEvent) -> Result<Value, Failure> {
    let mut value = to_json(event)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("at".into(), json!(event.at()));
    }
    Ok(value)
}

fn target(v: Option<u64>) -> String {
    v.map_or_else(|| "(unset)".to_string(), |v| format!("v{v}"))
}

fn event_line(name: &str, e: &AliasEvent) -> String {
    format!(
        "#{} {} {}@{} {} -> {} by {}: {}",
        e.seq,
        e.at(),
        name,
        e.alias,
        target(e.from),
        target(e.to),
        e.actor,
        e.reason
    )
}

/// Register the artifact as the next version.
pub(crate) fn register(args: &RegisterArgs) -> Result<Outcome, Failure> {
    let pipeline = FittedPipeline::load(&args.artifact)?;
    let mut metadata = ModelMetadata::new();
    if let Some(path) = &args.metrics {
        let metrics = read_metrics(path)?;
        if !metrics.slices.is_empty() {
            return Err(Failure::usage(format!(
                "metrics file `{}` holds sliced metrics: a version records overall metrics only; give a flat object {{\"accuracy\": 0.9, ...}}",
                path.display()
            )));
        }
        metadata = metadata.metrics(metrics.overall.metrics.iter().map(|(k, v)| (k.to_string(), v)));
    }
    for (k, v) in &args.tags {
        metadata = metadata.tag(k.clone(), v.clone());
    }
    for (k, v) in &args.params {
        let value = serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.clone()));
        metadata = metadata.param(k.clone(), value);
    }
    if let Some(d) = &args.description {
        metadata = metadata.description(d.clone());
    }
    if let Some(seed) = args.seed {
        metadata = metadata.seed(seed);
    }
    if let Some(path) = &args.training_data {
        let table = crate::input::read_table(path)?;
        metadata = metadata
            .training_table(&table)?
            .profile(ferrops::drift::Profile::from_batch(&table)?);
    }
    let registry = args.registry.open(true)?;
    let v = registry.register(&args.name, &pipeline, metadata)?;
    let mut text = format!(
        "registered {} v{} ({} bytes) in {}\n",
        v.name,
        v.version,
        v.artifact_bytes(),
        registry.uri()
    );
    if !v.metrics.is_empty() {
        let metrics: Vec<String> = v
            .metrics
            .iter()
            .map(|(k, x)| format!("{k}={}", num(*x)))
            .collect();
        let _ = writeln!(text, "  metrics: {}", metrics.join(", "));
    }
    let mut doc = Map::new();
    doc.insert("passed".into(), json!(true));
    doc.insert("registry".into(), json!(registry.uri()));
    doc.insert("model".into(), json!(v.name));
    doc.insert("version".into(), json!(v.version));
    doc.insert("record".into(), version_json(&v));
    Ok(Outcome {
        code: EXIT_PASS,
        text,
        json: doc,
    })
}

/// A failure of an alias move: a compare-and-swap conflict exits 1 with its details.
fn alias_failure(e: ferrops::Error) -> Failure {
    let conflict = match &e {
        ferrops::Error::AliasConflict {
            model,
            alias,
            expected,
            found,
            last_move,
        } => Some(json!({
            "model": model,
            "alias": alias,
            "expected": expected,
            "found": found,
            "last_move": last_move,
        })),
        _ => None,
    };
    let mut failure = Failure::from(e);
    if let Some(conflict) = conflict {
        failure.code = EXIT_FAIL;
        failure.json.insert("conflict".into(), conflict);
    }
    failure
}

fn move_outcome(
    registry: &ModelRegistry,
    name: &str,
    verb: &str,
    event: &AliasEvent,
) -> Result<Outcome, Failure> {
    let text = format!(
        "{verb} {name}@{}: {} -> {} (event #{}, by {} at {}: {})\n",
        event.alias,
        target(event.from),
        target(event.to),
        event.seq,
        event.actor,
        event.at(),
        event.reason
    );
    let mut doc = Map::new();
    doc.insert("passed".into(), json!(true));
    doc.insert("registry".into(), json!(registry.uri()));
    doc.insert("model".into(), json!(name));
    doc.insert("alias".into(), json!(event.alias));
    doc.insert("from".into(), json!(event.from));
    doc.insert("to".into(), json!(event.to));
    doc.insert("event".into(), event_json(event)?);
    Ok(Outcome {
        code: EXIT_PASS,
        text,
        json: doc,
    })
}

/// Point the alias at the version, by compare-and-swap.
pub(crate) fn promote(args: &PromoteArgs) -> Result<Outcome, Failure> {
    let registry = args.registry.open(false)?;
    let version = registry.resolve(&args.name, &args.version)?;
    let event = registry
        .set_alias(
            &args.name,
            &args.alias,
            version.version,
            args.expect.unwrap_or(Expected::Any),
            &args.reason,
        )
        .map_err(alias_failure)?;
    move_outcome(&registry, &args.name, "promoted", &event)
}

/// Move the alias back to its previous target.
pub(crate) fn rollback(args: &RollbackArgs) -> Result<Outcome, Failure> {
    let registry = args.registry.open(false)?;
    let event = registry
        .rollback(&args.name, &args.alias, &args.reason)
        .map_err(alias_failure)?;
    move_outcome(&registry, &args.name, "rolled back", &event)
}

/// The versions of the model and the moves of its aliases.
pub(crate) fn history(args: &HistoryArgs) -> Result<Outcome, Failure> {
    let registry = args.registry.open(false)?;
    let versions = registry.versions(&args.name)?;
    let aliases = registry.aliases(&args.name)?;
    let events = registry.history(&args.name, args.alias.as_deref())?;
    let mut text = format!("model {} in {}\n", args.name, registry.uri());
    let _ = writeln!(text, "versions ({}):", versions.len());
    for v in &versions {
        let here: Vec<&str> = aliases
            .iter()
            .filter(|(_, &n)| n == v.version)
            .map(|(a, _)| a.as_str())
            .collect();
        let _ = write!(text, "  v{} {} by {}", v.version, v.created_at(), v.created_by);
        if !here.is_empty() {
            let _ = write!(text, " [{}]", here.join(", "));
        }
        if !v.metrics.is_empty() {
            let metrics: Vec<String> = v
                .metrics
                .iter()
                .map(|(k, x)| format!("{k}={}", num(*x)))
                .collect();
            let _ = write!(text, " {}", metrics.join(" "));
        }
        if !v.description.is_empty() {
            let _ = write!(text, " \"{}\"", v.description);
        }
        let _ = writeln!(text);
    }
    match &args.alias {
        Some(alias) => {
            let _ = writeln!(text, "moves of alias {alias} ({}):", events.len());
        }
        None => {
            let _ = writeln!(text, "alias moves ({}):", events.len());
        }
    }
    for e in &events {
        let _ = writeln!(text, "  {}", event_line(&args.name, e));
    }
    let mut doc = Map::new();
    doc.insert("passed".into(), json!(true));
    doc.insert("registry".into(), json!(registry.uri()));
    doc.insert("model".into(), json!(args.name));
    doc.insert("alias".into(), json!(args.alias));
    doc.insert("aliases".into(), json!(aliases));
    doc.insert(
        "versions".into(),
        Value::Array(versions.iter().map(version_json).collect()),
    );
    doc.insert(
        "events".into(),
        Value::Array(events.iter().map(event_json).collect::<Result<_, _>>()?),
    );
    Ok(Outcome {
        code: EXIT_PASS,
        text,
        json: doc,
    })
}

/// The metrics of `reference` (a version or an alias) of `model`.
pub(crate) fn registered_metrics(
    registry: &ModelRegistry,
    model: &str,
    reference: &str,
) -> Result<(ferrops::validate::gate::MetricSet, ModelVersion), Failure> {
    let v = registry.resolve(model, reference)?;
    Ok((v.metric_set(), v))
}

/// Open the registry at `uri`. Unless `create`, a local registry directory must exist
/// already: a command that only reads or moves aliases does not create one at a
/// mistyped path.
pub(crate) fn open_registry(uri: &str, create: bool) -> Result<ModelRegistry, Failure> {
    if let Some(path) = super::local_path(uri) {
        if !create && !std::path::Path::new(path).is_dir() {
            return Err(Failure::usage(format!(
                "no registry at `{uri}`: the directory does not exist; check the path, or register a model there first"
            )));
        }
    }
    Ok(ModelRegistry::open(uri)?)
}
