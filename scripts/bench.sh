#!/usr/bin/env bash
# The benchmark suite (issue 6): Pollscope side by side with Node.js+axios, Python
# requests, a curl loop and wrk, in one run, against demo servers in their own
# processes. Writes BENCHMARKS.md (figures, medians, ratios, targets met/missed).
#
#   scripts/bench.sh            full suite (3–5 runs per figure, ≈ 20–22 min)
#   scripts/bench.sh --quick    one short run of everything (≈ 4 min), for development
#
# Options: --runs N, --only CASES (comma list of throughput,tls,latency,held,fdlimit,ui,
#          package,agent,bigbody),
#          --out FILE (default BENCHMARKS.md), --keep (keep the work dir with raw results),
#          --no-build (use the existing target/release/pollscope, and target/dist and
#          target/debian for case 7; development only; case 6 still asks cargo for its
#          frame benchmark, which builds it if stale).
# Env: BENCH_PEERS_DIR=DIR reuses peers installed there instead of a fresh temp folder.
#
# Needs: cargo, node+npm, python3+pip, curl, wrk, and for case 6 Xvfb and xdotool
# (installed with apt-get when missing and running as root). Not part of `cargo test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

quick=()
runs=()
only=()
out=BENCHMARKS.md
keep=0
build=1
while (($#)); do
    case $1 in
        --quick) quick=(--quick) ;;
        --runs) runs=(--runs "$2"); shift ;;
        --only) only=(--only "$2"); shift ;;
        --out) out=$2; shift ;;
        --keep) keep=1 ;;
        --no-build) build=0 ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

say() { printf '[bench.sh] %s\n' "$*" >&2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/pollscope-bench.XXXXXX")
driver_pid=
cleanup() {
    local rc=$?
    # The driver kills what it started on SIGTERM; anything left (it was SIGKILLed,
    # say) is in its pid list: each child leads its own process group.
    if [[ -n $driver_pid ]] && kill -0 "$driver_pid" 2>/dev/null; then
        kill -TERM "$driver_pid" 2>/dev/null || true
        wait "$driver_pid" 2>/dev/null || true
    fi
    if [[ -f $work/pids ]]; then
        while read -r pid; do
            kill -KILL -- "-$pid" 2>/dev/null || true
        done <"$work/pids"
    fi
    if ((keep)); then
        say "kept $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -------------------------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk; then
    if [[ $(id -u) == 0 ]] && need apt-get; then
        say "installing wrk (Debian package)"
        apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
    else
        say "wrk is missing: apt-get install wrk"; exit 1
    fi
fi
# Case 6 runs the window under Xvfb and drives it with xdotool (skipped, and said so in
# BENCHMARKS.md, when they are missing and cannot be installed).
if ! need Xvfb || ! need xdotool; then
    if [[ $(id -u) == 0 ]] && need apt-get; then
        say "installing xvfb xauth xdotool (Debian packages)"
        apt-get install -y -qq --no-install-recommends xvfb xauth xdotool >/dev/null \
            || { apt-get update -qq && apt-get install -y -qq --no-install-recommends xvfb xauth xdotool >/dev/null; } \
            || say "xvfb/xdotool could not be installed: case 6's window figures will be missing"
    else
        say "Xvfb or xdotool is missing (apt-get install xvfb xauth xdotool): case 6's window figures will be missing"
    fi
fi
for tool in cargo node npm python3 curl; do
    need "$tool" || { say "$tool is missing"; exit 1; }
done
# The real interpreter, not a version-manager shim (whose own start-up would count).
python=$(python3 -c 'import sys; print(sys.executable)')

# --- build -------------------------------------------------------------------------------
bin=$root/target/release/pollscope
if ((build)); then
    say "cargo build --release; cargo bench --bench ui_frame --no-run"
    cargo build --release --quiet
    cargo bench --bench ui_frame --no-run --quiet
    # Case 7: the package and its binary ([profile.dist]), when cargo-deb is there.
    if command -v cargo-deb >/dev/null 2>&1; then
        say "scripts/package-deb.sh (the package's binary and the .deb, for case 7)"
        scripts/package-deb.sh >/dev/null
    else
        say "cargo-deb is missing (cargo install cargo-deb --locked): case 7 measures the release binary only"
    fi
else
    say "--no-build: using the existing $bin (and target/dist, target/debian if there)"
fi
dist_args=()
[[ -x $root/target/dist/pollscope ]] && dist_args+=(--dist-bin "$root/target/dist/pollscope")
for deb in "$root"/target/debian/pollscope_*.deb; do
    [[ -f $deb ]] && dist_args+=(--deb "$deb")
done

# --- peers, from the registries, into a temporary folder ------------------------------------
peers=${BENCH_PEERS_DIR:-$work/peers}
mkdir -p "$peers/node" "$peers/py"
if [[ ! -f $peers/node/node_modules/axios/package.json ]]; then
    say "npm install axios (into $peers/node)"
    (cd "$peers/node" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund axios >/dev/null)
fi
if [[ ! -d $peers/py/requests ]]; then
    say "pip install requests (into $peers/py)"
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$peers/py" requests >/dev/null
fi
# ESM resolves `import "axios"` next to the script, so the peer runs from there.
cp bench/peers/node_axios.mjs "$peers/node/"

# --- run -----------------------------------------------------------------------------------
say "running the cases (work dir $work)"
"$python" bench/run.py --bin "$bin" --peers "$peers" --work "$work" --python "$python" \
    --out "$work/results.json" "${quick[@]}" "${runs[@]}" "${only[@]}" "${dist_args[@]}" &
driver_pid=$!
echo "$driver_pid" >"$work/driver.pid"
wait "$driver_pid"
driver_pid=

"$python" bench/report.py "$work/results.json" >"$out.tmp"
mv "$out.tmp" "$out"
# The raw figures behind BENCHMARKS.md stay in target/bench/results-latest.json; other
# outputs (a --quick run to /tmp, say) keep theirs beside them and leave it alone.
if [[ $out == BENCHMARKS.md ]]; then
    raw=target/bench/results-latest.json
    mkdir -p target/bench
else
    raw=$out.json
fi
cp "$work/results.json" "$raw"
say "wrote $out (raw figures: $raw)"
