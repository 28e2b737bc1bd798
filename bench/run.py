#!/usr/bin/env python3
"""The benchmark suite's driver: runs every case of issue 6 against demo servers in
their own processes and writes every raw figure to one JSON file (`report.py` turns it
into BENCHMARKS.md). Started by `scripts/bench.sh`, which builds, installs the peers
and cleans up; run it directly only for development.

usage: run.py --bin target/release/pollscope --peers DIR --out results.json [--quick]
              [--runs N] [--only CASE,...] [--dist-bin target/dist/pollscope --deb FILE]
"""

import argparse
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clients import HERE, client_cmd, pin_server, run_client, run_cmd_as_client  # noqa: E402
from bigbody import case_bigbody  # noqa: E402
from held import case_fd_limit, case_held  # noqa: E402
from procs import REGISTRY, Child, DemoServer, last_json_line, log  # noqa: E402
from agent import case_agent  # noqa: E402
from package import case_package  # noqa: E402
from ui import case_ui, case_ui_cpu  # noqa: E402

CLIENTS = ["pollscope", "node-axios", "python-requests", "curl-loop", "wrk"]


class Ctx:
    """Settings of this run and the results gathered so far."""

    def __init__(self, args):
        self.bin = os.path.abspath(args.bin)
        self.dist_bin = args.dist_bin
        self.deb = args.deb
        self.peers = os.path.abspath(args.peers)
        self.quick = args.quick
        self.runs = args.runs or (1 if args.quick else 3)
        # Throughput figures are short, and the noisiest on a shared machine: more runs.
        self.tp_runs = args.runs or (1 if args.quick else 5)
        self.duration = 2 if args.quick else 3  # seconds per throughput measurement
        self.conc = 4  # the -cN case
        self.held = args.held or (2000 if args.quick else 10_000)
        self.held_clients = args.held_clients.split(",")
        self.idle_s = 3 if args.quick else 10
        self.latency_s = 3 if args.quick else 10
        self.work = args.work
        self.records = []
        self.commands = {}
        self.notes = []
        self.python = args.python
        self.help_demo = run_text([self.bin, "demo-server", "--help"])
        self.help_watch = run_text([self.bin, "watch", "--help"])

    def demo_has(self, flag):
        return re.search(rf"(^|\s){re.escape(flag)}\b", self.help_demo) is not None

    def watch_has(self, flag):
        return re.search(rf"(^|\s){re.escape(flag)}\b", self.help_watch) is not None

    def record(self, **fields):
        self.records.append(fields)
        return fields

    def command(self, key, cmd):
        """Keep the first exact command line of each kind, for BENCHMARKS.md."""
        self.commands.setdefault(key, cmd if isinstance(cmd, str) else " ".join(str(c) for c in cmd))

    def server(self, name, args, run=0):
        path = os.path.join(self.work, f"server-{name}-{run}.log")
        cmd = [self.bin, "demo-server", "--addr", "127.0.0.1:0", *args]
        self.command(f"server:{name}", cmd)
        return DemoServer(self.bin, args, path)


def run_text(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError) as err:
        return f"<{err}>"


# --- case 1+2: catch-up throughput and CPU per poll ----------------------------------


def prepublish(ctx, server, count):
    """Publish `count` small events quickly (wrk with a POST script, keep-alive)."""
    script = os.path.join(ctx.work, "publish.lua")
    with open(script, "w", encoding="utf-8") as f:
        f.write('wrk.method = "POST"\nwrk.body = \'{"kind":"tick","n":1,"value":42.5,"msg":"all good"}\'\n')
        f.write('wrk.headers["Content-Type"] = "application/json"\n')
    started = time.monotonic()
    while server.stats()["last_seq"] < count and time.monotonic() - started < 120:
        left = count - server.stats()["last_seq"]
        secs = max(1, min(10, left // 50_000))  # wrk publishes ≈ 50k/s here; overshoot ≤ 1 s
        subprocess.run(["wrk", "-t1", "-c4", f"-d{secs}s", "-s", script, f"{server.base}/publish"],
                       capture_output=True, check=False)
    return server.stats()["last_seq"]


def case_throughput(ctx):
    """Case 1 (polls/s per connection, c1 and cN) and case 2 (CPU per poll)."""
    one_event = ctx.demo_has("--max-batch")
    history = 0
    if one_event:
        # Every poll of every client (and of wrk) answers exactly one event: the server
        # holds `history` pre-published events, answers one per poll, and each client
        # walks them from cursor 0.
        history = (150_000 if ctx.quick else 400_000)
        # Room for the overshoot of `prepublish`, so cursor 0 still finds event 1.
        server = ctx.server("catchup", ["--rate", "0", "--history", str(2 * history), "--max-batch", "1"])
        published = prepublish(ctx, server, history)
        log(f"case 1: pre-published {published} events (one per answer)")
        initial_cursor, fixed = 0, f"{server.url}?cursor=1&timeout=0"
        ctx.notes.append(("throughput_mode", "one-event"))
    else:
        # No `--max-batch` yet: every poll is a short poll at the tip (timeout=0), i.e.
        # an immediate `{"cursor":1,"events":[]}` for every client and for wrk alike.
        server = ctx.server("catchup", ["--rate", "0"])
        server.publish({"kind": "seed"})
        initial_cursor, fixed = None, f"{server.url}?cursor=1&timeout=0"
        ctx.notes.append(("throughput_mode", "short-poll-at-tip"))
    try:
        all_cpus = os.sched_getaffinity(0)
        # c1 spread over the cores (as a user runs it), c1 with server and client on one
        # core (no cross-core wake-ups: the steadiest CPU-bound figure on a virtual
        # machine), and cN spread.
        for conc, pinned in ((1, False), (1, True), (ctx.conc, False)):
            pin = {min(all_cpus)} if pinned else None
            pin_server(server, pin or all_cpus)
            if pinned:
                ctx.command("server:catchup-pinned", f"taskset -a -p -c {min(all_cpus)} <demo server pid>")
            label = f"c{conc}" + (" one core" if pinned else "")
            for run in range(ctx.tp_runs):
                order = CLIENTS[run % len(CLIENTS):] + CLIENTS[: run % len(CLIENTS)]
                for client in order:
                    r = run_client(ctx, client, server.url, server, f"throughput-c{conc}" + ("-pinned" if pinned else ""),
                                   pin=pin, pollers=conc, hold=0, duration=ctx.duration,
                                   initial_cursor=initial_cursor, fixed_url=fixed)
                    ctx.record(case="throughput", conc=conc, pinned=pinned, run=run, **r)
                    if not r.get("failed"):
                        log(f"case 1 {label} run {run + 1}/{ctx.tp_runs}: {client:16} "
                            f"{r['polls_per_s']:9.0f} polls/s  {r['cpu_us_per_poll']:7.1f} µs CPU/poll  "
                            f"conns {r['server_accepted']}")
            if one_event:
                # A client that reached the tip would have had empty answers: flag it.
                for r in ctx.records:
                    if r.get("case") == "throughput" and r.get("events") is not None and r["events"] < r["polls"]:
                        r["note"] = "reached the tip: some answers were empty"
        pin_server(server, all_cpus)
        # Case 3, keep-alive off, against the same server and endpoint.
        for run in range(ctx.runs):
            cmd, _ = client_cmd(ctx, "pollscope", server.url, pollers=1, hold=0, duration=2,
                                initial_cursor=initial_cursor)
            cmd.append("--no-keep-alive")
            r = run_cmd_as_client(ctx, "pollscope", cmd, server, "keepalive-off", 2)
            ctx.record(case="connections", keep_alive=False, tls=False, run=run, **r)
            if not r.get("failed"):
                log(f"case 3 keep-alive off run {run + 1}: {r['polls_per_s']:.0f} polls/s, "
                    f"{r['summary']['new_connections']} new connections")
    finally:
        server.stop()


# --- case 3: TLS on loopback (when the demo server has --tls) ------------------------


def case_tls(ctx):
    if not ctx.demo_has("--tls"):
        ctx.notes.append(("tls", "demo-server has no --tls yet"))
        log("case 3 TLS: skipped (demo-server has no --tls yet)")
        return
    try:
        server = ctx.server("tls", ["--rate", "0", "--tls"])
    except RuntimeError as err:
        ctx.notes.append(("tls", f"demo-server --tls did not start: {err}"))
        log(f"case 3 TLS: demo server did not start: {err}")
        return
    try:
        server.publish({"kind": "seed"})
        for keep_alive in (True, False):
            for run in range(ctx.runs):
                cmd, _ = client_cmd(ctx, "pollscope", server.url, pollers=1, hold=0, duration=2)
                cmd.append("--insecure")
                if not keep_alive:
                    cmd.append("--no-keep-alive")
                r = run_cmd_as_client(ctx, "pollscope", cmd, server, f"tls-ka-{keep_alive}", 2)
                ctx.record(case="connections", keep_alive=keep_alive, tls=True, run=run, **r)
                if not r.get("failed"):
                    s = r["summary"]
                    log(f"case 3 TLS keep-alive {'on' if keep_alive else 'off'} run {run + 1}: "
                        f"{r['polls_per_s']:.0f} polls/s, {s['tls_handshakes']} handshakes, {s['tls_ms_total']:.0f} ms")
    finally:
        server.stop()


# --- case 5: latency at 1,000 events/s --------------------------------------------------


def case_latency(ctx):
    server = ctx.server("latency", ["--rate", "1000"])
    try:
        time.sleep(0.5)
        for run in range(ctx.runs):
            for client in ("pollscope", "node-axios", "python-requests"):
                r = run_client(ctx, client, server.url, server, "latency", pollers=1, hold=30,
                               duration=ctx.latency_s)
                if not r.get("failed"):
                    s = r["summary"]
                    r["latency_p50_ms"] = s.get("event_latency_ms_p50")
                    r["latency_p99_ms"] = s.get("event_latency_ms_p99")
                    r["lost_events"] = s.get("lost_events")
                    r["events_per_s"] = (s.get("events") or 0) / s["duration_s"]
                    log(f"case 5 run {run + 1}: {client:16} p50 {r['latency_p50_ms']:.3f} ms  "
                        f"p99 {r['latency_p99_ms']:.3f} ms  ({r['events']} events)")
                ctx.record(case="latency", run=run, **r)
            # The machine's floor: waking a sleeping process at the generator's 10 ms tick.
            cmd = [ctx.python, os.path.join(HERE, "wake_floor.py"), "0.01", str(ctx.latency_s)]
            ctx.command("latency:wake-floor", cmd)
            res = Child(cmd).wait(timeout=ctx.latency_s + 30)
            floor = last_json_line(res["stdout"]) or {}
            ctx.record(case="latency", run=run, client="wake-floor", latency_p50_ms=floor.get("p50_ms"),
                       latency_p99_ms=floor.get("p99_ms"), events=floor.get("samples"))
            log(f"case 5 run {run + 1}: wake floor      p50 {floor.get('p50_ms')} ms  p99 {floor.get('p99_ms')} ms")
    finally:
        server.stop()


# --- machine ----------------------------------------------------------------------------


def machine(ctx):
    def first(cmd):
        return run_text(cmd).strip().splitlines()[0] if run_text(cmd).strip() else "?"

    with open("/proc/cpuinfo", encoding="utf-8") as f:
        model = re.search(r"model name\s*:\s*(.+)", f.read())
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    return {
        "cores": os.cpu_count(),
        "cpu": model.group(1) if model else platform.processor(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": first(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "nofile_limit": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
        "loadavg_start": open("/proc/loadavg", encoding="utf-8").read().split()[:3],
        "rustc": first(["rustc", "--version"]),
        "node": first(["node", "--version"]),
        "axios": json.load(open(os.path.join(ctx.peers, "node", "node_modules", "axios", "package.json"))).get("version"),
        "python": first([ctx.python, "--version"]),
        "requests": run_text(["env", f"PYTHONPATH={os.path.join(ctx.peers, 'py')}", ctx.python, "-c",
                              "import requests; print(requests.__version__)"]).strip(),
        "curl": first(["curl", "--version"]),
        "wrk": first(["sh", "-c", "wrk -v 2>&1"]),
        "git": first(["git", "-C", os.path.dirname(HERE), "describe", "--always", "--dirty"]),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--dist-bin", help="the package's binary (target/dist/pollscope), for case 7")
    p.add_argument("--deb", help="the .deb (target/debian/pollscope_*.deb), for case 7")
    p.add_argument("--peers", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--runs", type=int, default=0)
    p.add_argument("--held", type=int, default=0, help="pollers in case 4 (default 10,000; quick 2,000)")
    p.add_argument("--held-clients", default="pollscope,node-axios")
    p.add_argument("--only", default="throughput,tls,latency,held,fdlimit,ui,package,agent,bigbody")
    args = p.parse_args()

    def on_signal(sig, _frame):
        REGISTRY.kill_all()
        sys.exit(128 + sig)

    REGISTRY.pid_file = os.path.join(args.work, "pids")
    tempfile.tempdir = args.work  # the children's output files go where bench.sh cleans up
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ctx = Ctx(args)
    started = time.monotonic()
    info = machine(ctx)
    cases = {
        "throughput": case_throughput,
        "tls": case_tls,
        "latency": case_latency,
        "held": case_held,
        "fdlimit": case_fd_limit,
        "ui": case_ui,
        "bigbody": case_bigbody,
        "package": case_package,
        "ui-cpu": case_ui_cpu,
        "agent": case_agent,
    }
    try:
        for name in args.only.split(","):
            try:
                cases[name](ctx)
            except Exception as err:  # one broken case must not lose the others
                log(f"case {name} failed: {err!r}")
                ctx.notes.append((name, f"case failed: {err!r}"))
    finally:
        REGISTRY.kill_all()
        info["loadavg_end"] = open("/proc/loadavg", encoding="utf-8").read().split()[:3]
        info["suite_s"] = time.monotonic() - started
        info["finished_utc"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"machine": info, "quick": ctx.quick, "runs": ctx.runs, "tp_runs": ctx.tp_runs,
                       "duration_s": ctx.duration,
                       "conc": ctx.conc, "held": ctx.held, "idle_s": ctx.idle_s, "latency_s": ctx.latency_s,
                       "commands": ctx.commands, "notes": ctx.notes, "records": ctx.records}, f, indent=1)
        log(f"results in {args.out} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
