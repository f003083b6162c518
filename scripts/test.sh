#!/usr/bin/env bash
# The project's test command (README, CI): builds everything, runs the Rust tests, then the interop
# suite against stock TensorFlow 2.21 (installed into a venv by scripts/setup-tf-venv.sh).
# Missing TensorFlow is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building (release)"
cargo build --release --workspace --all-targets

echo "== Rust tests"
cargo test --release --workspace

echo "== TensorFlow venv"
PY="$(scripts/setup-tf-venv.sh)"

echo "== interop tests (stock TF 2.21 with ferroflow tasks)"
FERROFLOW_BIN="$PWD/target/release/ferroflow" "$PY" -m pytest -q -p no:cacheprovider tests/interop "$@"
