//! HTML views of the registry for notebooks.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{AliasEvent, ModelVersion};
use crate::drift::render::escape;

const STYLE: &str = "<style>.ferrops-reg table{border-collapse:collapse;font-size:12px}.ferrops-reg th,.ferrops-reg td{border:1px solid #ccc;padding:2px 6px;text-align:left}.ferrops-reg .alias{background:#e7f0ff;border-radius:3px;padding:0 4px;margin-right:2px}</style>";

fn metrics_text(v: &ModelVersion) -> String {
    v.metrics
        .iter()
        .map(|(k, x)| format!("{}={}", escape(k), format_metric(*x)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn format_metric(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
        format!("{x:.3e}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn tags_text(v: &ModelVersion) -> String {
    v.tags
        .iter()
        .map(|(k, x)| format!("{}={}", escape(k), escape(x)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One version as an HTML block.
pub(crate) fn version_html(v: &ModelVersion) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"ferrops-reg\">{STYLE}<b>{} v{}</b> registered {} by {}<table>",
        escape(&v.name),
        v.version,
        escape(&v.created_at()),
        escape(&v.created_by)
    );
    let mut row = |k: &str, val: String| {
        let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(k), val);
    };
    if !v.description.is_empty() {
        row("description", escape(&v.description));
    }
    row("metrics", metrics_text(v));
    row("tags", tags_text(v));
    row(
        "inputs",
        escape(
            &v.signature
                .columns
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    let mut lineage: Vec<String> = v
        .lineage
        .feature_views
        .iter()
        .map(|fv| format!("{}@{}", escape(&fv.view), fv.version))
        .collect();
    if let Some(t) = &v.lineage.training_table {
        lineage.push(format!(
            "table {}… ({} rows)",
            escape(t.sha256.get(..12).unwrap_or("")),
            t.rows
        ));
    }
    row("lineage", lineage.join(", "));
    row(
        "artifact",
        format!("{} files, {} bytes", v.files.len(), v.artifact_bytes()),
    );
    row(
        "profile",
        if v.profile.is_some() {
            "stored".into()
        } else {
            "none".into()
        },
    );
    row("seed", v.seed.map_or_else(String::new, |s| s.to_string()));
    out.push_str("</table></div>");
    out
}

/// A model's versions, aliases and recent alias moves.
pub(crate) fn model_html(
    name: &str,
    versions: &[ModelVersion],
    aliases: &BTreeMap<String, u64>,
    history: &[AliasEvent],
) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<div class=\"ferrops-reg\">{STYLE}<b>{}</b>: {} versions<table><tr><th>version</th><th>aliases</th><th>registered</th><th>by</th><th>metrics</th><th>tags</th></tr>",
        escape(name),
        versions.len()
    );
    for v in versions.iter().rev() {
        let names: String = aliases
            .iter()
            .filter(|(_, &t)| t == v.version)
            .map(|(a, _)| format!("<span class=\"alias\">{}</span>", escape(a)))
            .collect();
        let _ = write!(
            out,
            "<tr><td>v{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            v.version,
            names,
            escape(&v.created_at()),
            escape(&v.created_by),
            metrics_text(v),
            tags_text(v)
        );
    }
    out.push_str("</table>");
    if !history.is_empty() {
        out.push_str("<table><tr><th>#</th><th>when</th><th>alias</th><th>action</th><th>from</th><th>to</th><th>who</th><th>why</th></tr>");
        for e in history.iter().rev().take(20) {
            let v = |x: Option<u64>| x.map_or_else(|| "—".to_string(), |v| format!("v{v}"));
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e.seq,
                escape(&e.at()),
                escape(&e.alias),
                e.action.name(),
                v(e.from),
                v(e.to),
                escape(&e.actor),
                escape(&e.reason)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("</div>");
    out
}
