#!/usr/bin/env bash
# The headless build, for servers without a display stack: `cargo build
# --no-default-features` must link no eframe/egui/winit, and its `agent` and `watch`
# must pass the agent/exit-code tests of tests/metrics.rs (run against that binary).
# .ci/run calls this last: it leaves the headless binary in target/debug/pollscope
# until the next default build.
set -euo pipefail
cd "$(dirname "$0")/.."
gui_crates=$(cargo tree --no-default-features -e normal --prefix none --format '{p}' \
    | grep -E '^(eframe|egui|egui_plot|epaint|winit|glow|glutin) ' | sort -u || true)
if [ -n "$gui_crates" ]; then
    echo "headless build pulls GUI crates:" >&2
    echo "$gui_crates" >&2
    exit 1
fi
cargo build --no-default-features
mkdir -p target/headless
cp target/debug/pollscope target/headless/pollscope
echo "headless binary: $(du -h target/headless/pollscope | cut -f1)"
POLLSCOPE_TEST_BIN="$PWD/target/headless/pollscope" cargo test --test metrics -- agent_ watch_exits
