#!/usr/bin/env bash
# The project's test suite: installs what is missing, then formatting,
# clippy with warnings as errors, and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
echo "== helm chart: lint, render, validate"
bash helm/test.sh
echo "== cargo test"
mkdir -p target
cargo test --workspace --no-fail-fast 2>&1 | tee target/test.log
