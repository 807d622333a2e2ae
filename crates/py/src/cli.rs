//! The `ferrops` command line inside Python: `python -m ferrops ...` calls
//! `_core.cli_main(argv)`, which runs [`ferrops_cli::run`] and returns its exit code.
//!
//! The command runs without the GIL, writing to buffers; their text then goes to
//! Python's `sys.stdout` and `sys.stderr` (so redirection and pytest's capture see it).
//! A panic becomes a `FerropsError`, never a crash.

use pyo3::prelude::*;

use crate::errors;

/// Run the command line `argv` (program name first, as `sys.argv`); returns the exit
/// code: 0 passed, 1 failed, 2 usage error.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    let guarded = move || {
        std::panic::catch_unwind(move || {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let code = ferrops_cli::run(argv, &mut out, &mut err);
            (code, out, err)
        })
    };
    let (code, out, err) = py.detach(guarded).map_err(errors::from_panic)?;
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
