"""Case 6: the desktop window. Frame CPU time with 1,000,000 points per chart series
(`benches/ui_frame.rs`, the real app on a windowless egui context), the idle window's
CPU under Xvfb, and memory while the window is fed 1,000 events/s by a demo server in
its own process.

The window runs under Xvfb with Mesa's llvmpipe: OpenGL is drawn by the CPU, in the
app's own process, so every frame the app draws costs it more CPU than on a GPU.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from procs import Child, last_json_line, log

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCREEN = "1280x800x24"


def demo_profile(name, url, builtin_demo=False, pollers=1):
    """A profile for the demo server's `/events` (the fields `Profile::for_demo` sets)."""
    return {
        "name": name, "url": url, "method": "GET", "headers": [], "body": None,
        "hold_s": 30, "hold_param": {"kind": "timeout_seconds"},
        "cursor": {"kind": "body_pointer", "pointer": "/cursor", "param": "cursor"},
        "events_pointer": "/events", "seq_pointer": "/seq", "timestamp_pointer": "/ts_us",
        "timestamp_unit": "micros", "pollers": pollers, "keep_alive": True,
        "builtin_demo": builtin_demo,
    }


def config_dir(ctx, name, profiles=None, connected=None):
    """A fresh POLLSCOPE_CONFIG_DIR: `profiles` in profiles.json (none: the first run)
    and, when `connected` names profiles, eframe's ui-state.ron saying they were
    connected when the app last closed (so it connects them at start)."""
    path = os.path.join(ctx.work, f"ui-config-{name}")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    if profiles is not None:
        with open(os.path.join(path, "profiles.json"), "w", encoding="utf-8") as f:
            json.dump({"version": 1, "profiles": profiles}, f, indent=2)
    if connected:
        names = ",".join(json.dumps(n) for n in connected)
        app = f"(connected:[{names}],selected:Some({json.dumps(connected[0])}),tab:Monitor)"
        with open(os.path.join(path, "ui-state.ron"), "w", encoding="utf-8") as f:
            json.dump({"app": app}, f)
    return path


class Display:
    """Xvfb on a free display number (-displayfd)."""

    def __init__(self, ctx):
        out = os.path.join(ctx.work, "xvfb.display")
        cmd = ["Xvfb", "-displayfd", "1", "-screen", "0", SCREEN, "-nolisten", "tcp"]
        ctx.command("ui:xvfb", cmd)
        self.child = Child(cmd, stdout_path=out, stderr_path=os.path.join(ctx.work, "xvfb.log"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open(out, encoding="utf-8") as f:
                text = f.read().strip()
            if text:
                self.name = f":{text}"
                return
            if self.child.poll():
                raise RuntimeError("Xvfb exited at start")
            time.sleep(0.05)
        raise RuntimeError("Xvfb did not report a display")

    def env(self):
        return {"DISPLAY": self.name}

    def xdotool(self, *args, timeout=30):
        return subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": self.name},
                              capture_output=True, text=True, timeout=timeout, check=False)

    def stop(self):
        self.child.signal(signal.SIGTERM)
        self.child.wait(timeout=5)


class Window:
    """`pollscope` (the window) on `display` with its own config dir and an info log."""

    def __init__(self, ctx, display, config, name):
        self.display = display
        self.log_path = os.path.join(ctx.work, f"ui-app-{name}.log")
        env = {**display.env(), "POLLSCOPE_CONFIG_DIR": config, "RUST_LOG": "pollscope=info"}
        ctx.command("ui:window", f"DISPLAY=:N POLLSCOPE_CONFIG_DIR=<fresh dir> RUST_LOG=pollscope=info {ctx.bin}")
        self.started = time.monotonic()
        self.child = Child([ctx.bin], env=env, stderr_path=self.log_path)
        res = display.xdotool("search", "--sync", "--name", "^Pollscope", timeout=40)
        ids = res.stdout.split()
        if not ids:
            self.child.kill()
            self.child.wait(timeout=5)
            raise RuntimeError(f"no Pollscope window: {self.log()[-400:]}")
        self.wid = ids[0]
        self.window_s = time.monotonic() - self.started

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def quit(self, timeout=10):
        """Ctrl+Q (the app stops its sessions and logs their totals), then wait."""
        self.display.xdotool("windowfocus", "--sync", self.wid, timeout=5)
        self.display.xdotool("key", "--clearmodifiers", "ctrl+q", timeout=5)
        res = self.child.wait(timeout=timeout)
        return res, self.log()


def frame_bench(ctx):
    """Build (if needed) and locate `benches/ui_frame.rs`'s executable."""
    cmd = ["cargo", "bench", "--bench", "ui_frame", "--no-run", "--message-format=json"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    exe = None
    for line in res.stdout.splitlines():
        if '"executable"' in line:
            msg = json.loads(line)
            if msg.get("target", {}).get("name") == "ui_frame" and msg.get("executable"):
                exe = msg["executable"]
    if exe is None:
        raise RuntimeError(f"cargo bench --no-run failed: {res.stderr.strip()[-600:]}")
    return exe


def case_frames(ctx):
    exe = frame_bench(ctx)
    args = ["--points", "1000000", "--frames", "100", "--per-frame", "50", "--connect-pollers", "1000"]
    ctx.command("ui:frames", "cargo bench --bench ui_frame -- " + " ".join(args))
    for run in range(ctx.runs):
        res = Child([exe, *args], cwd=ctx.work).wait(timeout=600)
        out = last_json_line(res["stdout"])
        if res["rc"] != 0 or out is None:
            ctx.record(case="ui", measure="frames", run=run, failed=True,
                       error=f"rc {res['rc']}: {res['stderr'].strip()[-400:]}")
            log(f"case 6 frames run {run + 1}: failed (rc {res['rc']})")
            continue
        ctx.record(case="ui", measure="frames", run=run, **out)
        log(f"case 6 frames run {run + 1}: {out['points_per_series']:,} points/series; first frame "
            f"{out['first_frame_cpu_ms']:.1f} ms, first on \"all\" {out['first_all_frame_cpu_ms']:.1f} ms "
            f"(complete after {out.get('all_fill_frames')} frames, longest {out.get('all_fill_longest_ms', 0):.1f} ms); "
            f"no new data p50 {out['idle']['cpu_p50_ms']:.2f} / p95 {out['idle']['cpu_p95_ms']:.2f} ms; "
            f"new data p50 {out['live']['cpu_p50_ms']:.2f} / p95 {out['live']['cpu_p95_ms']:.2f} ms CPU")
        c = out.get("connect")
        if c:
            log(f"case 6 connect run {run + 1}: {c['pollers']:,} pollers; key-press frame {c['press_frame_cpu_ms']:.1f} ms CPU, "
                f"longest {c['max_cpu_ms']:.1f} ms CPU / {c['max_wall_ms']:.1f} ms wall; the same start on the calling "
                f"thread {c['blocking_start_cpu_ms']:.1f} ms CPU / {c['blocking_start_wall_ms']:.1f} ms wall")


LATENCY_RE = re.compile(r"events on screen after they were published: (\d+) events, "
                        r"p50 ([\d.]+) ms, p95 ([\d.]+) ms, max ([\d.]+) ms")


def screen_latency(text):
    """The app's own event-to-screen figures from its log at exit (newer builds log them:
    server timestamp to the end of the frame that first drew the event)."""
    m = LATENCY_RE.search(text)
    if not m:
        return {}
    return {"screen_events": int(m.group(1)), "screen_p50_ms": float(m.group(2)),
            "screen_p95_ms": float(m.group(3)), "screen_max_ms": float(m.group(4))}


def root_window(display):
    res = display.xdotool("search", "--maxdepth", "0", "--name", ".*")
    ids = res.stdout.split()
    return ids[0] if ids else None


def case_idle(ctx, display):
    """The window's CPU at rest: nothing connected; then the embedded demo connected and
    streaming (5 events/s) with the window focused, and unfocused (keyboard focus on the
    root window: the user is in another app). With the demo connected, the app logs how
    late events reached the screen (server timestamp to the frame that drew them)."""
    window_s = 30 if not ctx.quick else 10
    warm_s = 5 if not ctx.quick else 3
    demo = demo_profile("Demo", "http://127.0.0.1:8787/events", builtin_demo=True, pollers=2)
    variants = [
        # A Demo profile saved, but not connected when the app last closed.
        ("nothing connected", lambda run: config_dir(ctx, f"idle-none-{run}", profiles=[demo]), True),
        # An empty config dir: the first run creates the Demo profile and connects it.
        ("first run: demo connected", lambda run: config_dir(ctx, f"idle-demo-{run}"), True),
        ("demo connected, window unfocused", lambda run: config_dir(ctx, f"idle-demo-unf-{run}"), False),
    ]
    for run in range(ctx.runs):
        for i, (variant, make, focused) in enumerate(variants):
            w = Window(ctx, display, make(run), f"idle-{run}-{i}")
            try:
                if focused:
                    display.xdotool("windowfocus", "--sync", w.wid, timeout=5)
                else:
                    root = root_window(display)
                    display.xdotool("windowfocus", "--sync", w.wid, timeout=5)
                    if root:
                        display.xdotool("windowfocus", root, timeout=5)
                time.sleep(warm_s)
                c0, x0, t0 = w.child.cpu_s(), display.child.cpu_s(), time.monotonic()
                time.sleep(window_s)
                c1, x1, t1 = w.child.cpu_s(), display.child.cpu_s(), time.monotonic()
                st = w.child.sample() or {}
            finally:
                res, text = w.quit()
            events = re.search(r"disconnecting Demo: (\d+) events", text)
            rec = ctx.record(case="ui", measure="idle", variant=variant, run=run, window_s=t1 - t0,
                             cpu_pct=(c1 - c0) / (t1 - t0) * 100, xvfb_cpu_pct=(x1 - x0) / (t1 - t0) * 100,
                             rss_kib=st.get("VmRSS_kib"), threads=st.get("Threads"),
                             window_up_s=w.window_s, exit_rc=res["rc"], timed_out=res["timed_out"],
                             demo_events=int(events.group(1)) if events else None,
                             **screen_latency(text))
            shown = (f"; on screen p50 {rec['screen_p50_ms']:.0f} / p95 {rec['screen_p95_ms']:.0f} / "
                     f"max {rec['screen_max_ms']:.0f} ms after publishing ({rec['screen_events']} events)"
                     if "screen_p50_ms" in rec else "")
            log(f"case 6 idle run {run + 1}, {variant}: {rec['cpu_pct']:.2f} % of a core "
                f"(Xvfb {rec['xvfb_cpu_pct']:.2f} %), RSS {rec['rss_kib'] / 1024:.0f} MiB, "
                f"exit rc {rec['exit_rc']}{shown}")


def case_ui_cpu(ctx):
    """Only the window's CPU and event-to-screen figures (case 6's idle part), for
    working on them: `run.py --only ui-cpu`."""
    os.environ.pop("WAYLAND_DISPLAY", None)
    display = Display(ctx)
    try:
        case_idle(ctx, display)
    finally:
        display.stop()


def case_feed(ctx, display):
    """The window fed 1,000 events/s: RSS over time, and whether it keeps up."""
    duration = 90 if not ctx.quick else 30
    every = 5
    server = ctx.server("ui-feed", ["--rate", "1000"])
    try:
        config = config_dir(ctx, "feed", profiles=[demo_profile("Feed", server.url)], connected=["Feed"])
        p0 = server.stats()["published"]
        w = Window(ctx, display, config, "feed")
        samples = []
        try:
            t0 = time.monotonic()
            c0 = w.child.cpu_s()
            while True:
                now = time.monotonic() - t0
                st = w.child.sample() or {}
                samples.append({"t_s": round(now, 1), "rss_kib": st.get("VmRSS_kib"),
                                "cpu_s": w.child.cpu_s() - c0, "published": server.stats()["published"] - p0})
                if now >= duration:
                    break
                time.sleep(max(0.0, every * len(samples) - (time.monotonic() - t0)))
            p1 = server.stats()["published"]
            c1, t1 = w.child.cpu_s(), time.monotonic()
        finally:
            res, text = w.quit(timeout=15)
        m = re.search(r"disconnecting Feed: (\d+) events in (\d+) polls over ([\d.]+) s \((\d+) lost, (\d+) errors\)",
                      text)
        rss = [s["rss_kib"] for s in samples if s["rss_kib"]]
        half = samples[len(samples) // 2]["rss_kib"] if samples else None
        rec = {
            "case": "ui", "measure": "feed", "rate": 1000, "duration_s": t1 - t0, "samples": samples,
            "rss_start_kib": rss[0] if rss else None,
            "rss_warm_kib": next((s["rss_kib"] for s in samples if s["t_s"] >= 20), None),
            "rss_half_kib": half, "rss_end_kib": rss[-1] if rss else None, "rss_max_kib": max(rss) if rss else None,
            "hwm_kib": res["peak"].get("VmHWM_kib"),
            "cpu_pct": (c1 - c0) / (t1 - t0) * 100,
            "published": p1 - p0, "exit_rc": res["rc"], "timed_out": res["timed_out"],
        }
        if m:
            rec.update(events=int(m.group(1)), polls=int(m.group(2)), session_s=float(m.group(3)),
                       lost=int(m.group(4)), errors=int(m.group(5)))
        else:
            rec.update(failed=True, error=f"no totals in the app's log: {text.strip()[-400:]}")
        ctx.record(**rec)
        over_time = ", ".join(f"{s['t_s']:.0f} s {s['rss_kib'] / 1024:.0f}" for s in samples if s["rss_kib"])
        log(f"case 6 feed: RSS MiB at {over_time}; "
            f"received {rec.get('events')} of {rec['published']} published, {rec.get('lost')} lost; "
            f"CPU {rec['cpu_pct']:.1f} %")
    finally:
        server.stop()


def case_ui(ctx):
    """Case 6: frame time with a million points per series, idle CPU, memory at 1,000 ev/s."""
    try:
        case_frames(ctx)
    except Exception as err:  # the window measurements can still run
        log(f"case 6 frames failed: {err!r}")
        ctx.notes.append(("ui-frames", f"failed: {err!r}"))
    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if missing:
        ctx.notes.append(("ui-window", f"{' and '.join(missing)} missing: apt-get install xvfb xdotool"))
        log(f"case 6 window: skipped ({', '.join(missing)} missing)")
        return
    # Under Xvfb only X11: a Wayland socket in the environment would be preferred.
    os.environ.pop("WAYLAND_DISPLAY", None)
    display = Display(ctx)
    try:
        case_idle(ctx, display)
        case_feed(ctx, display)
    finally:
        display.stop()
