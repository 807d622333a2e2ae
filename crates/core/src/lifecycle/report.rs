//! The loop's decisions: a timeline to print, save as JSON, or render as HTML.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

use crate::drift::render::escape;
use crate::error::{Error, Result};

/// What a decision was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Nothing to do: no drift, no decay (or waiting for a cooldown).
    Stable,
    /// The serving data drifted from the champion's reference.
    DriftDetected,
    /// The champion's live metric fell below the policy's limit.
    DecayDetected,
    /// A candidate did not pass the gate; nothing was registered.
    GateFailed,
    /// A candidate was registered and started as a canary.
    CanaryStarted,
    /// The canary keeps running: not enough evidence yet, or all within limits.
    CanaryWaiting,
    /// A model became champion.
    Promoted,
    /// A canary or the champion was rolled back.
    RolledBack,
    /// The step failed; nothing changed.
    Error,
}

impl DecisionKind {
    /// The kind's name.
    pub fn name(self) -> &'static str {
        match self {
            DecisionKind::Stable => "stable",
            DecisionKind::DriftDetected => "drift",
            DecisionKind::DecayDetected => "decay",
            DecisionKind::GateFailed => "gate failed",
            DecisionKind::CanaryStarted => "canary",
            DecisionKind::CanaryWaiting => "canary waiting",
            DecisionKind::Promoted => "promoted",
            DecisionKind::RolledBack => "rolled back",
            DecisionKind::Error => "error",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            DecisionKind::Stable | DecisionKind::CanaryWaiting => "#888",
            DecisionKind::DriftDetected | DecisionKind::DecayDetected => "#c77700",
            DecisionKind::GateFailed | DecisionKind::RolledBack | DecisionKind::Error => "#c0392b",
            DecisionKind::CanaryStarted => "#2e6fd8",
            DecisionKind::Promoted => "#1e8449",
        }
    }
}

/// One decision of the loop, with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The step (1-based) that made it.
    pub step: u64,
    /// When (µs since the epoch, UTC: the step's `now`).
    pub at_micros: i64,
    /// What.
    pub kind: DecisionKind,
    /// The version concerned, if any.
    pub version: Option<u64>,
    /// Why, with the numbers.
    pub reason: String,
    /// Metrics behind the decision (candidate, `champion_*` baseline, live values).
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
}

/// Every decision of a loop, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The model.
    pub model: String,
    /// The decisions.
    pub decisions: Vec<Decision>,
}

impl Timeline {
    /// An empty timeline for `model`.
    pub fn new(model: &str) -> Timeline {
        Timeline {
            model: model.to_string(),
            decisions: Vec::new(),
        }
    }

    /// The decisions of one kind.
    pub fn of_kind(&self, kind: DecisionKind) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(move |d| d.kind == kind)
    }

    /// The decisions that changed something or found something (everything but
    /// `stable` and `canary waiting`).
    pub fn events(&self) -> impl Iterator<Item = &Decision> {
        self.decisions
            .iter()
            .filter(|d| !matches!(d.kind, DecisionKind::Stable | DecisionKind::CanaryWaiting))
    }

    /// JSON text.
    ///
    /// # Errors
    /// [`Error::Serialization`] (not expected).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Serialization(e.to_string()))
    }

    /// A self-contained HTML page: the timeline of events with reasons and metrics.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{} lifecycle</title><style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}}.k{{color:#fff;border-radius:3px;padding:1px 6px;white-space:nowrap}}</style></head><body><h2>{} — model lifecycle</h2><p>{} steps, {} events</p><table><tr><th>step</th><th>time (UTC)</th><th>decision</th><th>version</th><th>reason</th><th>metrics</th></tr>",
            escape(&self.model),
            escape(&self.model),
            self.decisions.last().map_or(0, |d| d.step),
            self.events().count()
        );
        for d in &self.decisions {
            let metrics = d
                .metrics
                .iter()
                .map(|(k, v)| format!("{}={v:.4}", escape(k)))
                .collect::<Vec<_>>()
                .join("<br>");
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><span class=\"k\" style=\"background:{}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.step,
                escape(&crate::registry::micros_to_rfc3339(d.at_micros)),
                d.kind.colour(),
                d.kind.name(),
                d.version.map_or_else(String::new, |v| format!("v{v}")),
                escape(&d.reason),
                metrics
            );
        }
        out.push_str("</table></body></html>\n");
        out
    }
}

impl std::fmt::Display for Timeline {
    /// One line per event (stable and waiting steps are summarised in counts).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in self.events() {
            let when = crate::registry::micros_to_rfc3339(d.at_micros);
            let when = when.get(..16).unwrap_or(&when);
            let version = d.version.map_or_else(String::new, |v| format!(" v{v}"));
            writeln!(
                f,
                "{when}  step {:>3}  {:<12}{version:<5}  {}",
                d.step,
                d.kind.name(),
                d.reason
            )?;
        }
        Ok(())
    }
}
