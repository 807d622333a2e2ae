//! `ferrops gate`.

use std::path::PathBuf;

use clap::Args;
use ferrops::validate::gate::{Gate, GateReport, SlicedMetrics};
use serde_json::{json, Map, Value};

use super::registry::{open_registry, registered_metrics};
use super::to_json;
use crate::input::{read_metrics, read_text};
use crate::{Failure, Outcome, EXIT_FAIL, EXIT_PASS};

/// Flags of `ferrops gate`.
#[derive(Debug, Args)]
pub(crate) struct GateArgs {
    /// The gate: a JSON file {"thresholds": [{"metric": ..., "value": {...}, "change": {...}}]}.
    #[arg(long, value_name = "GATE")]
    gate: PathBuf,
    /// The candidate's metrics: a JSON object {"accuracy": 0.9, ...} (or sliced metrics
    /// {"overall": {"metrics": {...}}, "slices": {...}}).
    #[arg(
        long,
        value_name = "METRICS",
        required_unless_present = "registry",
        conflicts_with = "registry"
    )]
    candidate: Option<PathBuf>,
    /// The baseline's (champion's) metrics, same form; without it, change thresholds are
    /// skipped (a first model).
    #[arg(long, value_name = "METRICS", conflicts_with = "registry")]
    baseline: Option<PathBuf>,
    /// Read the metrics from the model registry at URI instead of files (with --model and
    /// --candidate-version).
    #[arg(long, value_name = "URI", requires_all = ["model", "candidate_version"])]
    registry: Option<String>,
    /// The registered model (registry form).
    #[arg(long, value_name = "NAME", requires = "registry")]
    model: Option<String>,
    /// The candidate version: 3, v3, latest or an alias (registry form).
    #[arg(long, value_name = "N", requires = "registry")]
    candidate_version: Option<String>,
    /// The baseline: the version this alias points at (registry form; an unset alias
    /// means a first model: change thresholds are skipped).
    #[arg(long, value_name = "ALIAS", requires = "registry")]
    baseline_alias: Option<String>,
}

/// Where a side's metrics came from, for the report.
struct Side {
    metrics: SlicedMetrics,
    source: Value,
}

/// Check the candidate against the gate.
pub(crate) fn gate(args: &GateArgs) -> Result<Outcome, Failure> {
    let gate = Gate::from_json(&read_text(&args.gate, "gate")?)
        .map_err(|e| Failure::usage(format!("gate file `{}`: {e}", args.gate.display())))?;
    let (candidate, baseline) = match &args.registry {
        Some(uri) => registry_sides(args, uri)?,
        None => file_sides(args)?,
    };
    let report = gate.evaluate_sliced(&candidate.metrics, baseline.as_ref().map(|b| &b.metrics))?;
    outcome(
        &report,
        candidate.source,
        baseline.map_or(Value::Null, |b| b.source),
    )
}

fn file_sides(args: &GateArgs) -> Result<(Side, Option<Side>), Failure> {
    let Some(path) = &args.candidate else {
        return Err(Failure::usage(
            "give the candidate's metrics with --candidate FILE",
        ));
    };
    let candidate = Side {
        metrics: read_metrics(path)?,
        source: json!(path.display().to_string()),
    };
    let baseline = match &args.baseline {
        Some(path) => Some(Side {
            metrics: read_metrics(path)?,
            source: json!(path.display().to_string()),
        }),
        None => None,
    };
    Ok((candidate, baseline))
}

fn registry_sides(args: &GateArgs, uri: &str) -> Result<(Side, Option<Side>), Failure> {
    let (Some(model), Some(version)) = (&args.model, &args.candidate_version) else {
        return Err(Failure::usage(
            "the registry form needs --model NAME and --candidate-version N",
        ));
    };
    let registry = open_registry(uri, false)?;
    let (metrics, record) = registered_metrics(&registry, model, version)?;
    let candidate = Side {
        metrics: metrics.into(),
        source: json!({"registry": uri, "model": model, "version": record.version}),
    };
    let baseline = match &args.baseline_alias {
        Some(alias) => match registry.alias(model, alias)? {
            // Resolved through the alias, so a record changed since the move is refused.
            Some(_) => {
                let (metrics, record) = registered_metrics(&registry, model, alias)?;
                Some(Side {
                    metrics: metrics.into(),
                    source: json!({"registry": uri, "model": model, "alias": alias, "version": record.version}),
                })
            }
            None => None,
        },
        None => None,
    };
    Ok((candidate, baseline))
}

fn outcome(report: &GateReport, candidate: Value, baseline: Value) -> Result<Outcome, Failure> {
    let code = if report.passed { EXIT_PASS } else { EXIT_FAIL };
    let text = report.to_string();
    let failures: Vec<_> = report.failures().collect();
    let mut doc = Map::new();
    doc.insert("passed".into(), json!(report.passed));
    doc.insert("candidate".into(), candidate);
    doc.insert("baseline".into(), baseline);
    doc.insert("checks".into(), to_json(&report.checks)?);
    doc.insert("failures".into(), to_json(&failures)?);
    doc.insert("notes".into(), to_json(&report.notes)?);
    Ok(Outcome {
        code,
        text,
        json: doc,
    })
}
