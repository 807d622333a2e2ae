#!/usr/bin/env bash
# Run every check and test of ferrops: formatting, lints, Rust tests (unit, integration,
# doctests), rustdoc, the Python package build, pytest, ruff and mypy stubtest.
#
# Works on a new machine with a Rust toolchain and CPython >= 3.11: it creates a virtual
# environment in .venv (or uses $VIRTUAL_ENV) and installs maturin and the test peers.
set -euo pipefail
cd "$(dirname "$0")/.."

# One clean build per run: incremental artifacts only cost disk and time here.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }
start=$(date +%s)

if [ -z "${VIRTUAL_ENV:-}" ]; then
  step "python environment (.venv)"
  python3 -m venv .venv
  # shellcheck disable=SC1091
  . .venv/bin/activate
fi
python -m pip install -q --upgrade pip
python -m pip install -q "maturin>=1.7,<2" "pytest>=7" "hypothesis>=6" "scikit-learn>=1.3" "pandas>=2" \
  "polars>=1" "pyarrow>=14" "numpy>=1.24" "mypy>=1.8" "ruff>=0.5" "tqdm>=4" "deltalake>=1.1" "duckdb>=1" "moto[server]>=5" \
  "scipy>=1.17" "river>=0.26" "fairlearn>=0.15" \
  "prometheus-client>=0.20" "nbclient>=0.10" "ipykernel>=6"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit, integration, doctests)"
cargo test -p ferrops -p ferrops-cli

step "rustdoc (-D warnings)"
RUSTDOCFLAGS="-D warnings" cargo doc -p ferrops -p ferrops-cli --no-deps -q

step "build and install the Python package (maturin develop)"
maturin develop -q

step "ruff"
ruff check python tests/python benches examples
ruff format --check python tests/python benches examples

step "mypy stubtest"
python -m mypy.stubtest ferrops._core --allowlist tests/python/stubtest-allowlist.txt

step "pytest"
python -m pytest -q tests/python --doctest-modules python/ferrops

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - start ))"
