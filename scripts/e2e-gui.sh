#!/usr/bin/env bash
# End-to-end check of the desktop app on a machine with no display (CI runs it as root):
# build the release binary, start it under Xvfb with a fresh config dir, wait for its
# window, check from its log that the embedded demo's events arrived, save screenshots
# (target/e2e/shot.png as it opened, then the window resized to each of SIZES:
# target/e2e/shot-760x480.png …), close the window with Ctrl+Q, and check it exits
# cleanly.
#
# Exits non-zero with a message naming the step that failed. E2E_NO_BUILD=1 uses the
# existing target/release/pollscope (development only).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="target/e2e"
WINDOW_TIMEOUT=30      # seconds to wait for the window
EVENTS_TIMEOUT=20      # seconds to wait for the first demo events
EXIT_TIMEOUT=5         # seconds the app may take to exit after Ctrl+Q
SETTLE=6               # seconds of live data before the screenshot
RESIZE_SETTLE=2        # seconds after a resize before its screenshot
SIZES=(760x480 1280x800 1920x1080 2560x1440)   # window sizes to photograph

fail() {
    echo "e2e-gui: FAIL: $*" >&2
    if [[ -s "${LOG:-}" ]]; then
        echo "--- app log (last 40 lines) ---" >&2
        tail -n 40 "$LOG" >&2
    fi
    exit 1
}

need=()
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v xauth >/dev/null 2>&1 || need+=(xauth)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
if [[ ${#need[@]} -gt 0 ]]; then
    echo "e2e-gui: installing ${need[*]}"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || fail "cannot install ${need[*]}"
fi

if [[ "${E2E_NO_BUILD:-}" == 1 && -x target/release/pollscope ]]; then
    echo "e2e-gui: using the existing release binary (E2E_NO_BUILD=1)"
else
    echo "e2e-gui: building the release binary"
    cargo build --release --quiet || fail "cargo build --release failed"
fi
BIN="$PWD/target/release/pollscope"

mkdir -p "$OUT"
rm -f "$OUT"/shot*.png
LOG="$PWD/$OUT/app.log"
: >"$LOG"
WORK="$(mktemp -d)"
XVFB_PID=""
APP_PID=""
cleanup() {
    if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then
        kill "$APP_PID" 2>/dev/null || true
    fi
    if [[ -n "$XVFB_PID" ]]; then
        kill "$XVFB_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# -displayfd picks a free display and writes its number once the server is ready.
Xvfb -displayfd 4 -screen 0 2560x1440x24 -nolisten tcp 4>"$WORK/display" 2>"$WORK/xvfb.log" &
XVFB_PID=$!
for _ in $(seq 1 100); do
    [[ -s "$WORK/display" ]] && break
    kill -0 "$XVFB_PID" 2>/dev/null || fail "Xvfb exited: $(cat "$WORK/xvfb.log")"
    sleep 0.1
done
[[ -s "$WORK/display" ]] || fail "Xvfb did not report a display within 10 s"
export DISPLAY=":$(tr -d '[:space:]' <"$WORK/display")"
unset WAYLAND_DISPLAY
echo "e2e-gui: Xvfb on $DISPLAY"

mkdir -p "$WORK/config"
POLLSCOPE_CONFIG_DIR="$WORK/config" RUST_LOG=pollscope=info "$BIN" >"$LOG" 2>&1 &
APP_PID=$!

WID="$(timeout "$WINDOW_TIMEOUT" xdotool search --sync --name '^Pollscope' 2>/dev/null | head -n 1)" \
    || fail "no window titled 'Pollscope' within ${WINDOW_TIMEOUT} s"
[[ -n "$WID" ]] || fail "no window titled 'Pollscope' within ${WINDOW_TIMEOUT} s"
echo "e2e-gui: window $WID is up"

deadline=$((SECONDS + EVENTS_TIMEOUT))
until grep -Eq 'first [0-9]+ events received' "$LOG"; do
    kill -0 "$APP_PID" 2>/dev/null || fail "the app exited before demo events arrived"
    ((SECONDS < deadline)) || fail "no 'first N events received' line in the log within ${EVENTS_TIMEOUT} s"
    sleep 0.2
done
echo "e2e-gui: $(grep -Eo '[^ ]+: first [0-9]+ events received' "$LOG" | head -n 1)"

sleep "$SETTLE"
kill -0 "$APP_PID" 2>/dev/null || fail "the app died while running"
import -window "$WID" "$OUT/shot.png" || fail "screenshot failed"
[[ -s "$OUT/shot.png" ]] || fail "empty screenshot"
echo "e2e-gui: screenshot saved to $OUT/shot.png"

# No window manager: the window is resized directly; each picture is the window alone.
for size in "${SIZES[@]}"; do
    w="${size%x*}"
    h="${size#*x}"
    xdotool windowsize "$WID" "$w" "$h" || fail "xdotool could not resize the window to $size"
    sleep "$RESIZE_SETTLE"
    kill -0 "$APP_PID" 2>/dev/null || fail "the app died after resizing to $size"
    shot="$OUT/shot-$size.png"
    import -window "$WID" "$shot" || fail "screenshot at $size failed"
    got="$(identify -format '%wx%h' "$shot" 2>/dev/null)" || fail "unreadable screenshot $shot"
    [[ "$got" == "$size" ]] || fail "the window is $got, not $size (screenshot $shot)"
    echo "e2e-gui: screenshot saved to $shot"
done

[[ -s "$WORK/config/profiles.json" ]] || fail "the Demo profile was not saved to profiles.json"
grep -q '"builtin_demo": true' "$WORK/config/profiles.json" \
    || fail "profiles.json has no builtin_demo profile"

# No window manager: give the window focus explicitly, then press Ctrl+Q.
xdotool windowfocus --sync "$WID" 2>/dev/null || true
xdotool key --clearmodifiers ctrl+q || fail "xdotool could not send Ctrl+Q"
deadline=$((SECONDS + EXIT_TIMEOUT))
while kill -0 "$APP_PID" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "the app did not exit within ${EXIT_TIMEOUT} s of Ctrl+Q"
    sleep 0.1
done
status=0
wait "$APP_PID" || status=$?
APP_PID=""
[[ $status -eq 0 ]] || fail "the app exited with status $status"
grep -q 'panicked' "$LOG" && fail "the app panicked"
[[ -s "$WORK/config/ui-state.ron" ]] || fail "the window state was not saved on exit"

echo "e2e-gui: OK (window, demo events, screenshot, clean exit)"
