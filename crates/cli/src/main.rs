//! The `ferrops` binary.
fn main() {
    let code = ferrops_cli::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
