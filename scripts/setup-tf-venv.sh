#!/usr/bin/env bash
# Creates (once) the Python venv with stock TensorFlow 2.21 that the interop tests use as the
# reference peer and oracle, and prints its python's path on stdout.
# FERROFLOW_TFVENV overrides the location (default: ~/.cache/ferroflow/tfvenv-2.21).
set -euo pipefail
VENV="${FERROFLOW_TFVENV:-$HOME/.cache/ferroflow/tfvenv-2.21}"
PY="$VENV/bin/python"
want_ok() { "$PY" -c 'import tensorflow as tf, pytest, numpy, cryptography; assert tf.__version__.startswith("2.21")' >/dev/null 2>&1; }
if [ ! -x "$PY" ] || ! want_ok; then
  mkdir -p "$(dirname "$VENV")"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q --disable-pip-version-check "tensorflow-cpu==2.21.0" "pytest>=8" "numpy" "cryptography" >&2
  want_ok || { echo "setup-tf-venv: TensorFlow 2.21 did not install into $VENV" >&2; exit 1; }
fi
echo "$PY"
