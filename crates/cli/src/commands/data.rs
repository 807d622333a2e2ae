//! `ferrops validate-data`.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use ferrops::validate::data::{validate, InferOptions, Schema};
use serde_json::{json, Map};

use super::to_json;
use crate::input::read_table;
use crate::{Failure, Outcome, EXIT_FAIL, EXIT_PASS};

/// Flags of `ferrops validate-data`.
#[derive(Debug, Args)]
pub(crate) struct ValidateDataArgs {
    /// The data schema to validate against (.json, .yaml or .yml, as written by
    /// --infer-schema or ferrops.validation).
    #[arg(
        long,
        value_name = "SCHEMA",
        required_unless_present = "infer_schema",
        conflicts_with = "infer_schema"
    )]
    schema: Option<PathBuf>,
    /// Infer a schema from DATA instead of validating it.
    #[arg(long)]
    infer_schema: bool,
    /// Where --infer-schema writes the schema (.json, .yaml or .yml); default: stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The table: a .parquet or .csv file.
    #[arg(value_name = "DATA")]
    data: PathBuf,
}

/// Validate the table, or infer its schema.
pub(crate) fn validate_data(args: &ValidateDataArgs) -> Result<Outcome, Failure> {
    if args.output.is_some() && !args.infer_schema {
        return Err(Failure::usage(
            "--output is where --infer-schema writes the schema: add --infer-schema, or drop --output to validate",
        ));
    }
    let table = read_table(&args.data)?;
    let Some(schema_path) = &args.schema else {
        return infer(args, &table);
    };
    let schema = Schema::load(schema_path)?;
    let report = validate(&schema, &table)?;
    let passed = report.passed();
    let code = if passed { EXIT_PASS } else { EXIT_FAIL };
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    let mut text = format!("{}: ", args.data.display());
    let _ = write!(text, "{report}");
    if !passed {
        let _ = writeln!(
            text,
            "{errors} error-severity anomal{} against `{}`",
            if errors == 1 { "y" } else { "ies" },
            schema_path.display()
        );
    }
    let mut doc = Map::new();
    doc.insert("mode".into(), json!("validate"));
    doc.insert("passed".into(), json!(passed));
    doc.insert("data".into(), json!(args.data.display().to_string()));
    doc.insert("schema".into(), json!(schema_path.display().to_string()));
    doc.insert("n_rows".into(), json!(report.n_rows));
    doc.insert("n_columns".into(), json!(report.n_columns));
    doc.insert("errors".into(), json!(errors));
    doc.insert("warnings".into(), json!(warnings));
    doc.insert("anomalies".into(), to_json(&report.anomalies)?);
    Ok(Outcome {
        code,
        text,
        json: doc,
    })
}

/// `--infer-schema`: write the schema to `--output` or print it.
fn infer(args: &ValidateDataArgs, table: &arrow::record_batch::RecordBatch) -> Result<Outcome, Failure> {
    let schema = Schema::infer(table, &InferOptions::default())?;
    let columns: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    let mut doc = Map::new();
    doc.insert("mode".into(), json!("infer"));
    doc.insert("passed".into(), json!(true));
    doc.insert("data".into(), json!(args.data.display().to_string()));
    doc.insert("n_rows".into(), json!(table.num_rows()));
    doc.insert("columns".into(), json!(columns));
    let text = match &args.output {
        Some(path) => {
            schema.save(path)?;
            doc.insert("output".into(), json!(path.display().to_string()));
            format!(
                "inferred a schema of {} column(s) from {} rows of `{}`; wrote `{}` (review it before using it as a contract)\n",
                columns.len(),
                table.num_rows(),
                args.data.display(),
                path.display()
            )
        }
        None => {
            doc.insert("output".into(), serde_json::Value::Null);
            format!("{}\n", schema.to_json()?)
        }
    };
    doc.insert("inferred_schema".into(), to_json(&schema)?);
    Ok(Outcome {
        code: EXIT_PASS,
        text,
        json: doc,
    })
}
