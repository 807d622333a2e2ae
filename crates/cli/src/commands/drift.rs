//! `ferrops drift`.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ferrops::drift::{ColumnStatus, Correction, DriftDetector, DriftOptions, Profile};
use serde_json::{json, Map, Value};

use super::registry::open_registry;
use super::{num, to_json};
use crate::input::{extension, read_table};
use crate::{Failure, Outcome, EXIT_FAIL, EXIT_PASS};

/// Multiple-testing corrections, as the command line spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CorrectionArg {
    /// No correction.
    None,
    /// Bonferroni (family-wise error rate).
    Bonferroni,
    /// Benjamini-Hochberg (false discovery rate).
    BenjaminiHochberg,
}

impl From<CorrectionArg> for Correction {
    fn from(c: CorrectionArg) -> Self {
        match c {
            CorrectionArg::None => Correction::None,
            CorrectionArg::Bonferroni => Correction::Bonferroni,
            CorrectionArg::BenjaminiHochberg => Correction::BenjaminiHochberg,
        }
    }
}

/// Flags of `ferrops drift`.
#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    /// The reference: a .parquet or .csv table, or a .json drift profile saved by
    /// ferrops (Profile::save, DriftProfile.save). Or use --registry and --model.
    #[arg(
        long,
        value_name = "REF",
        required_unless_present = "registry",
        conflicts_with = "registry"
    )]
    reference: Option<PathBuf>,
    /// Take the reference from the registry instead: the drift profile stored with a
    /// version of --model when it was registered with its training data.
    #[arg(long, value_name = "URI", requires = "model")]
    registry: Option<String>,
    /// The registered model whose profile is the reference (with --registry).
    #[arg(long, value_name = "NAME", requires = "registry")]
    model: Option<String>,
    /// The version (a number) or alias of --model whose profile is the reference
    /// (default: champion).
    #[arg(long, value_name = "N|ALIAS", requires = "registry")]
    version: Option<String>,
    /// The current table: a .parquet or .csv file.
    #[arg(long, value_name = "CUR")]
    current: PathBuf,
    /// Test only these columns (comma-separated); default: every column of the reference
    /// but timestamps.
    #[arg(long, value_name = "A,B", value_delimiter = ',')]
    columns: Vec<String>,
    /// Also write the report as a self-contained HTML page to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The dataset drifts when at least this share of the tested columns drift (0, 1].
    #[arg(long, value_name = "SHARE", default_value_t = 0.5)]
    share_threshold: f64,
    /// Multiple-testing correction of the p-values.
    #[arg(long, value_enum, default_value_t = CorrectionArg::None)]
    correction: CorrectionArg,
}

/// Test the current table against the reference.
pub(crate) fn drift(args: &DriftArgs) -> Result<Outcome, Failure> {
    let options = DriftOptions {
        columns: (!args.columns.is_empty()).then(|| args.columns.clone()),
        share_threshold: args.share_threshold,
        correction: args.correction.into(),
        ..DriftOptions::default()
    };
    let (detector, reference, reference_text) =
        match (&args.reference, &args.registry, &args.model) {
            (Some(path), _, _) => {
                let detector = if extension(path) == "json" {
                    DriftDetector::from_profile(&Profile::load(path)?, options)?
                } else {
                    DriftDetector::from_table(&read_table(path)?, options)?
                };
                (
                    detector,
                    json!({"path": path.display().to_string()}),
                    path.display().to_string(),
                )
            }
            (None, Some(uri), Some(model)) => {
                let reference = args.version.as_deref().unwrap_or("champion");
                let (profile, version) = registered_profile(uri, model, reference)?;
                let source = json!({"registry": uri, "model": model, "version": version});
                let text = format!("the training data of {model} v{version} (its profile in {uri})");
                (DriftDetector::from_profile(&profile, options)?, source, text)
            }
            _ => return Err(Failure::usage(
                "give the reference: --reference FILE, or --registry URI --model NAME [--version N|ALIAS]",
            )),
        };
    let current = read_table(&args.current)?;
    let report = detector.run(&current)?;
    if let Some(path) = &args.html {
        report.save_html(path)?;
    }
    let drifted = report.drifted_columns();
    let tested = report
        .columns
        .iter()
        .filter(|c| c.status == ColumnStatus::Tested)
        .count();
    let code = if report.dataset_drifted {
        EXIT_FAIL
    } else {
        EXIT_PASS
    };

    let mut text = format!(
        "drift {}: {} of {} tested column(s) drifted (share {}, dataset drift at >= {}); reference {} rows, current {} rows\n",
        if report.dataset_drifted { "FOUND" } else { "not found" },
        drifted.len(),
        tested,
        num(report.drifted_share),
        num(report.share_threshold),
        report.reference_rows,
        report.current_rows,
    );
    let _ = writeln!(text, "reference: {reference_text}");
    let width = report.columns.iter().map(|c| c.column.len()).max().unwrap_or(0);
    for c in &report.columns {
        let mark = match (c.status, c.drifted) {
            (_, true) => "DRIFT",
            (ColumnStatus::Tested, false) => "ok",
            (ColumnStatus::NoData, false) => "no data",
            (ColumnStatus::Constant, false) => "constant",
        };
        let _ = write!(
            text,
            "  {:<10} {:width$}  {} {}",
            format!("[{mark}]"),
            c.column,
            c.test.name(),
            num(c.statistic)
        );
        match c.adjusted_p_value.or(c.p_value) {
            Some(p) => {
                let _ = write!(text, ", p {} (alpha {})", num(p), num(c.threshold));
            }
            None => {
                let _ = write!(text, " (threshold {})", num(c.threshold));
            }
        }
        let _ = writeln!(text);
    }
    if let Some(path) = &args.html {
        let _ = writeln!(text, "wrote the HTML report to `{}`", path.display());
    }

    let mut columns = Vec::with_capacity(report.columns.len());
    for c in &report.columns {
        let mut value = to_json(c)?;
        if let Some(object) = value.as_object_mut() {
            object.remove("histogram");
        }
        columns.push(value);
    }
    let mut doc = Map::new();
    doc.insert("passed".into(), json!(!report.dataset_drifted));
    doc.insert("reference".into(), reference);
    doc.insert("dataset_drifted".into(), json!(report.dataset_drifted));
    doc.insert("drifted_columns".into(), json!(drifted));
    doc.insert("drifted_share".into(), json!(report.drifted_share));
    doc.insert("share_threshold".into(), json!(report.share_threshold));
    doc.insert("correction".into(), to_json(&report.correction)?);
    doc.insert("reference_rows".into(), json!(report.reference_rows));
    doc.insert("current_rows".into(), json!(report.current_rows));
    doc.insert("columns".into(), Value::Array(columns));
    doc.insert(
        "html".into(),
        args.html
            .as_ref()
            .map_or(Value::Null, |p| json!(p.display().to_string())),
    );
    Ok(Outcome {
        code,
        text,
        json: doc,
    })
}

/// The drift profile stored with `model`'s version or alias `reference`, and the
/// version's number.
fn registered_profile(uri: &str, model: &str, reference: &str) -> Result<(Profile, u64), Failure> {
    let registry = open_registry(uri, false)?;
    let version = registry.resolve(model, reference)?.version;
    let profile = registry
        .load_profile(model, &version.to_string())?
        .ok_or_else(|| {
            Failure::usage(format!(
                "{model} v{version} was registered without its training data, so it has no drift profile: \
                 register with --training-data (or ModelMetadata::training_table), or pass --reference FILE"
            ))
        })?;
    Ok((profile, version))
}
