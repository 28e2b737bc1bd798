#!/usr/bin/env bash
# End-to-end check of the desktop app on a machine with no display (CI runs it as root):
# start it under Xvfb on a fresh config, wait for its window, check from its log that
# the embedded demo's events arrived, save a screenshot, close the window with Ctrl+Q,
# and check it exits cleanly and saves its state.
#
#   scripts/e2e-gui.sh                      build the release binary and start it
#                                           (POLLSCOPE_CONFIG_DIR = a fresh dir; its
#                                           stderr is the log); target/e2e/shot.png,
#                                           then the window resized to each of SIZES:
#                                           target/e2e/shot-760x480.png …
#                                           (E2E_NO_BUILD=1: use the existing binary;
#                                           development only)
#   scripts/e2e-gui.sh --from-menu --home DIR
#                                           the installed package, as a user starts it:
#                                           `gtk-launch pollscope` finds the installed
#                                           pollscope.desktop and runs its Exec line, with
#                                           HOME=DIR (fresh, kept for the caller); the log
#                                           is the app's own file in DIR/.local/state;
#                                           target/e2e/menu-shot.png, then the sizes too
#
# Also leaves the app's memory map (the shared libraries it loaded) in
# target/e2e/<mode>.maps for scripts/e2e-package.sh. Exits non-zero with a message
# naming the step that failed.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="target/e2e"
WINDOW_TIMEOUT=30      # seconds to wait for the window
EVENTS_TIMEOUT=20      # seconds to wait for the first demo events
EXIT_TIMEOUT=5         # seconds the app may take to exit after Ctrl+Q
SETTLE=6               # seconds of live data before the screenshot
RESIZE_SETTLE=2        # seconds after a resize before its screenshot
SIZES=(760x480 1280x800 1920x1080 2560x1440)   # window sizes photographed (both modes)
DESKTOP_FILE=/usr/share/applications/pollscope.desktop
INSTALLED_BIN=/usr/bin/pollscope

mode=binary
home=""
while (($#)); do
    case $1 in
        --from-menu) mode=menu ;;
        --home) home=$2; shift ;;
        -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "e2e-gui: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [[ $mode == menu && -z $home ]]; then
    echo "e2e-gui: --from-menu needs --home DIR (a fresh home the caller inspects after)" >&2
    exit 2
fi

fail() {
    echo "e2e-gui: FAIL: $*" >&2
    if [[ -s "${LOG:-}" ]]; then
        echo "--- app log $LOG (last 40 lines) ---" >&2
        tail -n 40 "$LOG" >&2
    fi
    if [[ -s "${LAUNCHER_LOG:-}" ]]; then
        echo "--- launcher output ---" >&2
        tail -n 20 "$LAUNCHER_LOG" >&2
    fi
    exit 1
}

need=()
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v xauth >/dev/null 2>&1 || need+=(xauth)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
[[ $mode == menu ]] && ! command -v gtk-launch >/dev/null 2>&1 && need+=(libgtk-3-bin)
if [[ ${#need[@]} -gt 0 ]]; then
    echo "e2e-gui: installing ${need[*]}"
    sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
        || fail "cannot install ${need[*]}"
fi

mkdir -p "$OUT"
WORK="$(mktemp -d)"
if [[ $mode == binary ]]; then
    if [[ "${E2E_NO_BUILD:-}" == 1 && -x target/release/pollscope ]]; then
        echo "e2e-gui: using the existing release binary (E2E_NO_BUILD=1)"
    else
        echo "e2e-gui: building the release binary"
        cargo build --release --quiet || fail "cargo build --release failed"
    fi
    BIN="$PWD/target/release/pollscope"
    SHOT="$OUT/shot.png"
    LOG="$PWD/$OUT/app.log"
    CONFIG="$WORK/config"
    mkdir -p "$CONFIG"
else
    [[ -f $DESKTOP_FILE ]] || fail "$DESKTOP_FILE is not installed"
    [[ -x $INSTALLED_BIN ]] || fail "$INSTALLED_BIN is not installed"
    BIN="$INSTALLED_BIN"
    SHOT="$OUT/menu-shot.png"
    mkdir -p "$home"
    home="$(cd "$home" && pwd)"
    # What the app uses by design when nothing overrides it (see src/app_log.rs).
    LOG="$home/.local/state/pollscope/pollscope.log"
    CONFIG="$home/.config/pollscope"
    LAUNCHER_LOG="$PWD/$OUT/launcher.log"
    [[ ! -e $CONFIG && ! -e $LOG ]] || fail "$home is not a fresh home"
fi
MAPS="$OUT/$mode.maps"
rm -f "$SHOT" "$MAPS" "$OUT"/shot-*.png
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

if [[ $mode == binary ]]; then
    : >"$LOG"
    POLLSCOPE_CONFIG_DIR="$CONFIG" RUST_LOG=pollscope=info "$BIN" >"$LOG" 2>&1 &
    APP_PID=$!
else
    # A user's session: their own HOME and runtime dir, the system's data dirs (where
    # the package put the entry), nothing of ours in the environment that changes where
    # the app keeps its files. No session bus (the app needs none; unset, GLib would
    # autolaunch one and leave its address file in the home). gtk-launch looks the
    # entry up by its id, as a menu does, and returns once the app is spawned.
    mkdir -m 0700 "$WORK/runtime"
    env -u POLLSCOPE_CONFIG_DIR -u XDG_CONFIG_HOME -u XDG_STATE_HOME -u XDG_DATA_HOME \
        -u XDG_DATA_DIRS -u XDG_CACHE_HOME -u RUST_LOG HOME="$home" \
        XDG_RUNTIME_DIR="$WORK/runtime" DBUS_SESSION_BUS_ADDRESS="unix:path=$WORK/runtime/no-bus" \
        gtk-launch pollscope >"$LAUNCHER_LOG" 2>&1 || fail "gtk-launch pollscope failed"
fi

WID="$(timeout "$WINDOW_TIMEOUT" xdotool search --sync --onlyvisible --name '^Pollscope' 2>/dev/null | head -n 1)" \
    || fail "no window titled 'Pollscope' within ${WINDOW_TIMEOUT} s"
[[ -n "$WID" ]] || fail "no window titled 'Pollscope' within ${WINDOW_TIMEOUT} s"
echo "e2e-gui: window $WID is up"
# The desktop entry's StartupWMClass and the window's class must agree, or docks show
# a second, unnamed icon.
xdotool search --class '^pollscope$' 2>/dev/null | grep -qx "$WID" \
    || fail "window $WID does not have the class 'pollscope' (StartupWMClass)"

if [[ $mode == menu ]]; then
    APP_PID="$(xdotool getwindowpid "$WID")" || fail "window $WID has no _NET_WM_PID"
    exe="$(readlink "/proc/$APP_PID/exe")" || fail "no process $APP_PID"
    [[ $exe == "$INSTALLED_BIN" ]] || fail "the window belongs to $exe, not $INSTALLED_BIN"
    # GLib's launcher names the entry it started in the child's environment.
    launched="$(tr '\0' '\n' <"/proc/$APP_PID/environ" | sed -n 's/^GIO_LAUNCHED_DESKTOP_FILE=//p')"
    [[ $launched == "$DESKTOP_FILE" ]] \
        || fail "the app was not started from $DESKTOP_FILE (GIO_LAUNCHED_DESKTOP_FILE='$launched')"
    echo "e2e-gui: pid $APP_PID runs $exe, started from $launched"
fi

deadline=$((SECONDS + EVENTS_TIMEOUT))
until grep -Eq 'first [0-9]+ events received' "$LOG" 2>/dev/null; do
    kill -0 "$APP_PID" 2>/dev/null || fail "the app exited before demo events arrived"
    ((SECONDS < deadline)) || fail "no 'first N events received' line in $LOG within ${EVENTS_TIMEOUT} s"
    sleep 0.2
done
echo "e2e-gui: $(grep -Eo '[^ ]+: first [0-9]+ events received' "$LOG" | head -n 1)"

sleep "$SETTLE"
kill -0 "$APP_PID" 2>/dev/null || fail "the app died while running"
cp "/proc/$APP_PID/maps" "$MAPS" || fail "cannot read the app's memory map"
import -window "$WID" "$SHOT" || fail "screenshot failed"
[[ -s "$SHOT" ]] || fail "empty screenshot"
echo "e2e-gui: screenshot saved to $SHOT"

# Both modes (CI runs the menu mode): the window at each size, resized directly (no
# window manager); each picture is the window.
for size in "${SIZES[@]}"; do
    xdotool windowsize "$WID" "${size%x*}" "${size#*x}" \
        || fail "xdotool could not resize the window to $size"
    sleep "$RESIZE_SETTLE"
    kill -0 "$APP_PID" 2>/dev/null || fail "the app died after resizing to $size"
    shot="$OUT/shot-$size.png"
    import -window "$WID" "$shot" || fail "screenshot at $size failed"
    got="$(identify -format '%wx%h' "$shot" 2>/dev/null)" || fail "unreadable screenshot $shot"
    [[ "$got" == "$size" ]] || fail "the window is $got, not $size (screenshot $shot)"
    echo "e2e-gui: screenshot saved to $shot"
done

[[ -s "$CONFIG/profiles.json" ]] || fail "the Demo profile was not saved to $CONFIG/profiles.json"
grep -q '"builtin_demo": true' "$CONFIG/profiles.json" \
    || fail "profiles.json has no builtin_demo profile"

# No window manager: give the window focus explicitly, then press Ctrl+Q.
xdotool windowfocus --sync "$WID" 2>/dev/null || true
xdotool key --clearmodifiers ctrl+q || fail "xdotool could not send Ctrl+Q"
deadline=$((SECONDS + EXIT_TIMEOUT))
while kill -0 "$APP_PID" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "the app did not exit within ${EXIT_TIMEOUT} s of Ctrl+Q"
    sleep 0.1
done
if [[ $mode == binary ]]; then
    status=0
    wait "$APP_PID" || status=$?
    [[ $status -eq 0 ]] || fail "the app exited with status $status"
fi
APP_PID=""
grep -q 'panicked' "$LOG" && fail "the app panicked"
# On quit the app stops each connected profile and logs its totals (the only sign of an
# orderly exit in menu mode, where the app is not this script's child).
grep -Eq 'disconnecting Demo: [1-9][0-9]* events' "$LOG" \
    || fail "no 'disconnecting Demo: N events' line in $LOG: the sessions were not stopped in order"
[[ -s "$CONFIG/ui-state.ron" ]] || fail "the window state was not saved on exit"

echo "e2e-gui: OK ($mode: window, demo events, screenshot, clean exit)"
