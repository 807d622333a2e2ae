//! The `ferrops` command line: data validation, drift checks, model gates and the model
//! registry, with exit codes a CI job can act on.
//!
//! | exit code | meaning |
//! |---|---|
//! | `0` | passed: the data is valid, no dataset drift, the gate passed, the registry change was made |
//! | `1` | failed, with the reasons printed: error-severity anomalies, dataset drift, failed gate checks, an alias moved by someone else (compare-and-swap conflict), a tampered artifact |
//! | `2` | usage error: bad or missing flags, a missing or unreadable input file, an invalid schema, gate or metrics file |
//!
//! Output is human-readable by default; `--json` (anywhere on the line) prints exactly
//! one JSON document on stdout instead, with the keys listed in `docs/cli.md`. Error
//! messages always go to stderr as text as well.
//!
//! [`run`] is the whole program: the `ferrops` binary calls it with the process's
//! arguments and streams, and the Python module (`python -m ferrops`) with Python's.
//!
//! ```
//! let mut out = Vec::new();
//! let mut err = Vec::new();
//! let code = ferrops_cli::run(["ferrops", "--version"], &mut out, &mut err);
//! assert_eq!(code, 0);
//! assert!(String::from_utf8(out).unwrap().starts_with("ferrops "));
//! ```

mod commands;
mod input;
pub mod serve_app;

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use serde_json::{json, Map, Value};

use commands::{
    DriftArgs, GateArgs, HistoryArgs, PromoteArgs, RegisterArgs, RollbackArgs, ServeArgs, ValidateDataArgs,
};

/// Exit code: the check passed (or the registry change was made).
pub const EXIT_PASS: i32 = 0;
/// Exit code: the check failed, with the reasons printed.
pub const EXIT_FAIL: i32 = 1;
/// Exit code: the command line or an input was wrong.
pub const EXIT_USAGE: i32 = 2;

/// The `ferrops` command line.
#[derive(Debug, Parser)]
#[command(
    name = "ferrops",
    version,
    about = "Validate data, detect drift, gate models and move registry aliases from CI/CD pipelines.",
    long_about = None,
    after_help = "Exit codes: 0 passed, 1 failed (reasons printed), 2 usage error.\n\
                  --json prints one JSON document on stdout."
)]
struct Cli {
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

/// The commands of [`Cli`].
#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a table against a data schema (exit 1 on an error-severity anomaly), or
    /// infer a schema from a table with --infer-schema.
    ValidateData(ValidateDataArgs),
    /// Test a current table for drift against a reference table or a saved drift profile
    /// (exit 1 on dataset drift).
    Drift(DriftArgs),
    /// Check a candidate model's metrics against a gate and an optional baseline (exit 1
    /// if a check fails).
    Gate(GateArgs),
    /// Register a saved pipeline as the next version of a model.
    Register(RegisterArgs),
    /// Point an alias (champion by default) at a version, by compare-and-swap with
    /// --expect (exit 1 if someone else moved the alias).
    Promote(PromoteArgs),
    /// Move an alias back to its previous target.
    Rollback(RollbackArgs),
    /// Show the versions of a model and the moves of its aliases (the audit trail).
    History(HistoryArgs),
    /// Serve an alias of a registered model over HTTP (/predict, /health, /metrics,
    /// /feedback), following the alias as it moves, until Ctrl-C or SIGTERM.
    Serve(ServeArgs),
}

impl Command {
    /// The command's name on the command line.
    fn name(&self) -> &'static str {
        match self {
            Command::ValidateData(_) => "validate-data",
            Command::Drift(_) => "drift",
            Command::Gate(_) => "gate",
            Command::Register(_) => "register",
            Command::Promote(_) => "promote",
            Command::Rollback(_) => "rollback",
            Command::History(_) => "history",
            Command::Serve(_) => "serve",
        }
    }
}

/// What a command found: its exit code, its text and its JSON document.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// [`EXIT_PASS`] or [`EXIT_FAIL`].
    pub code: i32,
    /// The human-readable output (stdout without `--json`).
    pub text: String,
    /// The command's keys of the JSON document (`command` and `exit_code` are added).
    pub json: Map<String, Value>,
}

/// Why a command could not give a verdict: a message and an exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    /// [`EXIT_USAGE`] for bad input, [`EXIT_FAIL`] for a conflict or a tampered artifact.
    pub code: i32,
    /// What went wrong and how to mend it.
    pub message: String,
    /// Extra keys for the JSON document (for example the conflicting alias event).
    pub json: Map<String, Value>,
}

impl Failure {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
            json: Map::new(),
        }
    }
}

impl From<ferrops::Error> for Failure {
    fn from(e: ferrops::Error) -> Self {
        Failure {
            code: exit_code_of(&e),
            message: e.to_string(),
            json: Map::new(),
        }
    }
}

/// The exit code for a ferrops error: [`EXIT_FAIL`] for what a pipeline must stop on
/// although the command was right (a tampered artifact, a concurrent change), else
/// [`EXIT_USAGE`].
pub fn exit_code_of(error: &ferrops::Error) -> i32 {
    match error {
        ferrops::Error::Integrity { .. }
        | ferrops::Error::Conflict { .. }
        | ferrops::Error::AliasConflict { .. } => EXIT_FAIL,
        _ => EXIT_USAGE,
    }
}

/// Run the command line `args` (with the program name first), writing its output to
/// `out` and its diagnostics to `err`; returns the exit code ([`EXIT_PASS`],
/// [`EXIT_FAIL`] or [`EXIT_USAGE`]).
///
/// `--help` and `--version` print to `out` and return 0; any other command-line error
/// prints clap's message to `err` and returns 2. Write errors on `out` and `err` (a
/// closed pipe) are ignored: the exit code still tells the verdict.
pub fn run<I, S>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = S>,
    S: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let json = args.iter().skip(1).any(|a| a == "--json");
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return parse_error(&e, json, out, err),
    };
    let name = cli.command.name();
    let result = match &cli.command {
        Command::ValidateData(a) => commands::validate_data(a),
        Command::Drift(a) => commands::drift(a),
        Command::Gate(a) => commands::gate(a),
        Command::Register(a) => commands::register(a),
        Command::Promote(a) => commands::promote(a),
        Command::Rollback(a) => commands::rollback(a),
        Command::History(a) => commands::history(a),
        Command::Serve(a) => commands::serve(a, err),
    };
    match result {
        Ok(outcome) => {
            if cli.json {
                let mut doc = header(name, outcome.code);
                doc.extend(outcome.json);
                emit_json(out, err, doc);
            } else {
                let _ = out.write_all(outcome.text.as_bytes());
            }
            let _ = out.flush();
            outcome.code
        }
        Err(failure) => {
            let _ = writeln!(err, "error: {}", failure.message);
            if cli.json {
                let mut doc = header(name, failure.code);
                doc.insert("error".into(), Value::String(failure.message));
                doc.extend(failure.json);
                emit_json(out, err, doc);
            }
            let _ = out.flush();
            let _ = err.flush();
            failure.code
        }
    }
}

fn header(command: &str, code: i32) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("command".into(), json!(command));
    doc.insert("exit_code".into(), json!(code));
    doc
}

fn emit_json(out: &mut dyn Write, err: &mut dyn Write, doc: Map<String, Value>) {
    match serde_json::to_string_pretty(&Value::Object(doc)) {
        Ok(text) => {
            let _ = writeln!(out, "{text}");
        }
        Err(e) => {
            let _ = writeln!(err, "error: cannot write the JSON document: {e}");
        }
    }
}

/// A clap error: help and version go to `out` with exit 0, the rest to `err` with exit 2.
fn parse_error(e: &clap::Error, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use clap::error::ErrorKind;
    let text = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            EXIT_PASS
        }
        _ => {
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
            if json {
                let mut doc = Map::new();
                doc.insert("command".into(), Value::Null);
                doc.insert("exit_code".into(), json!(EXIT_USAGE));
                let message = text.trim_end();
                let message = message.strip_prefix("error: ").unwrap_or(message);
                doc.insert("error".into(), json!(message));
                emit_json(out, err, doc);
                let _ = out.flush();
            }
            EXIT_USAGE
        }
    }
}
