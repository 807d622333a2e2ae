//! The `ferrops` command line inside Python: `python -m ferrops ...` calls
//! `_core.cli_main(argv)`, which runs [`ferrops_cli::run`] and returns its exit code.
//!
//! The command runs without the GIL, writing to buffers; their text then goes to
//! Python's `sys.stdout` and `sys.stderr` (so redirection and pytest's capture see it).
//! `serve`, which runs until stopped, writes to the process's streams directly.
//! A panic becomes a `FerropsError`, never a crash.

use pyo3::prelude::*;

use crate::errors;

/// Run the command line `argv` (program name first, as `sys.argv`); returns the exit
/// code: 0 passed, 1 failed, 2 usage error.
///
/// `serve` runs until SIGINT or SIGTERM and writes to the process's own streams, so its
/// start line (with the address) shows at once.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    let serving = argv
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .is_some_and(|a| a == "serve");
    let guarded = move || {
        std::panic::catch_unwind(move || {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let code = if serving {
                ferrops_cli::run(argv, &mut std::io::stdout(), &mut std::io::stderr())
            } else {
                ferrops_cli::run(argv, &mut out, &mut err)
            };
            (code, out, err)
        })
    };
    let (code, out, err) = py.detach(guarded).map_err(errors::from_panic)?;
    if serving {
        // Ctrl-C stopped the server (which exits 0, as the binary does); Python's own
        // handler saw the signal too and would raise KeyboardInterrupt now: run it here
        // and drop that exception, it has been handled.
        if let Err(e) = py.check_signals() {
            if !e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
                return Err(e);
            }
        }
    }
    let sys = py.import("sys")?;
    for (stream, bytes) in [("stdout", out), ("stderr", err)] {
        if bytes.is_empty() {
            continue;
        }
        let target = sys.getattr(stream)?;
        if target.is_none() {
            continue; // no console (pythonw): the exit code still tells the verdict
        }
        target.call_method1("write", (String::from_utf8_lossy(&bytes).into_owned(),))?;
        target.call_method0("flush")?;
    }
    Ok(code)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    Ok(())
}
