#!/usr/bin/env bash
# The one check: formatting, lints, tests. `.ci/run` calls this; so can you.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
