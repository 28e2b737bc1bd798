"""Case 7: what people download, and how fast it starts. The sizes of the release
binary, of the package's binary (`[profile.dist]`: fat LTO, one codegen unit, stripped)
and of the .deb; and for each binary the time from starting the process to its window
on screen and to the first frame with events (the app's "first 10 events received"
line, logged while it takes the events in just before drawing them).

Two starts: the **first run** (an empty config dir: the app creates the Demo profile
and connects it to its embedded demo server, 5 events/s to 2 pollers, so the tenth
event arrives about a second after connecting) and a **reconnect** (ui-state.ron says
a profile on a 1,000 events/s demo server in its own process was connected, so events
are waiting the moment it connects: the figure is the app's own start-up).
"""

import os
import shutil
import subprocess
import time

from procs import Child, log
from ui import Display, config_dir, demo_profile

EVENTS_LINE = "events received"
TIMEOUT_S = 40
# How often the log file and the X server are asked. Each xdotool call is a new X
# connection; asked every 5 ms on a loaded machine, Xvfb fell behind accepting them and
# the app's own connection failed ("Failed to open connection to X server").
LOG_POLL_S = 0.005
X_POLL_S = 0.025


def file_size(path):
    return os.path.getsize(path) if path and os.path.exists(path) else None


def deb_field(deb, field):
    res = subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True, text=True, check=False)
    return res.stdout.strip() if res.returncode == 0 else None


def window_visible(display):
    """Is a window titled Pollscope mapped? eframe shows it after its first frame."""
    res = display.xdotool("search", "--onlyvisible", "--name", "^Pollscope", timeout=5)
    return bool(res.stdout.split())


def start_once(ctx, display, binary, config, name):
    """Start `binary`; milliseconds until its window is visible (asked every 25 ms) and
    until the first events line (read every 5 ms). Then Ctrl+Q. Also the exit status and the log's
    tail (for a failed start)."""
    log_path = os.path.join(ctx.work, f"startup-{name}.log")
    env = {**display.env(), "POLLSCOPE_CONFIG_DIR": config, "RUST_LOG": "pollscope=info"}
    t0 = time.monotonic()
    child = Child([binary], env=env, stderr_path=log_path)
    window_ms = events_ms = None
    next_x = t0 + X_POLL_S
    try:
        while time.monotonic() - t0 < TIMEOUT_S and (window_ms is None or events_ms is None):
            now = time.monotonic()
            if events_ms is None:
                with open(log_path, encoding="utf-8", errors="replace") as f:
                    if EVENTS_LINE in f.read():
                        events_ms = (now - t0) * 1000
            if window_ms is None and now >= next_x:
                next_x = now + X_POLL_S
                if window_visible(display):
                    window_ms = (time.monotonic() - t0) * 1000
            if child.poll():
                break
            time.sleep(LOG_POLL_S)
    finally:
        wid = display.xdotool("search", "--name", "^Pollscope", timeout=5).stdout.split()
        if wid:
            display.xdotool("windowfocus", "--sync", wid[0], timeout=5)
            display.xdotool("key", "--clearmodifiers", "ctrl+q", timeout=5)
        res = child.wait(timeout=10)
        if res["timed_out"]:
            child.kill()
    with open(log_path, encoding="utf-8", errors="replace") as f:
        tail = f.read()[-300:]
    return window_ms, events_ms, res["rc"], tail


def case_package(ctx):
    """Sizes, then start-up times of each binary."""
    bins = {"release": ctx.bin}
    if ctx.dist_bin and os.path.exists(ctx.dist_bin):
        bins["dist"] = os.path.abspath(ctx.dist_bin)
    else:
        ctx.notes.append(("package-dist", "no dist build (scripts/package-deb.sh makes it; "
                                          "it needs cargo-deb: cargo install cargo-deb --locked)"))
    rec = {"case": "package", "measure": "sizes",
           "release_bytes": file_size(ctx.bin), "dist_bytes": file_size(bins.get("dist"))}
    if ctx.deb and os.path.exists(ctx.deb):
        rec.update(deb=os.path.basename(ctx.deb), deb_bytes=file_size(ctx.deb),
                   installed_kib=int(deb_field(ctx.deb, "Installed-Size") or 0) or None,
                   depends=deb_field(ctx.deb, "Depends"))
    ctx.record(**rec)
    log(f"case 7 sizes: release {rec['release_bytes']:,} B, dist {rec['dist_bytes'] or 0:,} B, "
        f".deb {rec.get('deb_bytes') or 0:,} B")

    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if missing:
        ctx.notes.append(("package-startup", f"{' and '.join(missing)} missing: apt-get install xvfb xdotool"))
        return
    os.environ.pop("WAYLAND_DISPLAY", None)
    display = Display(ctx)
    server = ctx.server("startup", ["--rate", "1000"])
    try:
        runs = ctx.runs if not ctx.quick else 1
        for run in range(runs * 2):  # starts are quick; twice the runs for steadier medians
            for kind, binary in bins.items():
                variants = [
                    ("first run", config_dir(ctx, f"start-first-{kind}-{run}")),
                    ("reconnect", config_dir(ctx, f"start-re-{kind}-{run}",
                                             profiles=[demo_profile("Feed", server.url)],
                                             connected=["Feed"])),
                ]
                for variant, config in variants:
                    window_ms, events_ms, rc, tail = start_once(ctx, display, binary, config,
                                                                f"{kind}-{run}-{variant[:5]}")
                    failed = window_ms is None or events_ms is None
                    r = ctx.record(case="package", measure="startup", binary=kind, variant=variant, run=run,
                                   window_ms=window_ms, events_ms=events_ms, exit_rc=rc, failed=failed,
                                   error=f"no window or no events line (exit status {rc}): {tail}"
                                   if failed else None)
                    log(f"case 7 start {kind} {variant} run {run + 1}: window {window_ms or 0:.0f} ms, "
                        f"first frame with events {max(window_ms or 0, events_ms or 0):.0f} ms"
                        + (f" (FAILED: {r['error']})" if failed else ""))
        ctx.command("package:startup", f"DISPLAY=:N POLLSCOPE_CONFIG_DIR=<fresh dir> RUST_LOG=pollscope=info "
                                       f"{ctx.bin}  # and target/dist/pollscope")
    finally:
        server.stop()
        display.stop()
