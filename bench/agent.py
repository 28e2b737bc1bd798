"""Case 8: `pollscope agent` unattended — RSS over the run, CPU per watched profile, and
lost events, for 1 and 4 profiles of a demo server that publishes 20 events/s and
resets every 7th answer mid-body. (`scripts/agent-soak.sh` is the same for 10 minutes.)"""

import json
import os
import re
import time
import urllib.request

from procs import Child, log

RATE = 20
FAULT = ["--fault", "reset-mid-body", "--fault-every", "7"]


def _profiles(url, n):
    return {"version": 1, "profiles": [{
        "name": f"agent-{i}", "url": url, "hold_s": 5,
        "cursor": {"kind": "body_pointer", "pointer": "/cursor", "param": "cursor"},
        "initial_cursor": "0", "events_pointer": "/events", "seq_pointer": "/seq",
        "timestamp_pointer": "/ts_us", "timestamp_unit": "micros"} for i in range(n)]}


def _metrics_url(err_path, child, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(err_path, encoding="utf-8", errors="replace") as f:
            m = re.search(r"metrics on (http://\S+/metrics)", f.read())
        if m:
            return m.group(1)
        if child.poll():
            raise RuntimeError("the agent exited before serving metrics")
        time.sleep(0.05)
    raise RuntimeError("the agent did not report its metrics address")


def _sum(text, name):
    """The sum of a counter over its profiles (counters are whole numbers)."""
    return int(sum(float(v) for v in re.findall(rf"^{name}\{{[^}}]*\}} (\S+)$", text, re.M)))


def case_agent(ctx):
    secs = 20 if ctx.quick else 120
    for n in (1, 4):
        server = ctx.server(f"agent-{n}", ["--rate", str(RATE), *FAULT])
        child = None
        try:
            path = os.path.join(ctx.work, f"agent-{n}.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(_profiles(server.url, n), f)
            err = os.path.join(ctx.work, f"agent-{n}.err")
            cmd = [ctx.bin, "agent", "--profiles", path, "--metrics", "127.0.0.1:0", "--json",
                   "--duration", f"{secs + 5}s"]
            ctx.command("agent", cmd)
            child = Child(cmd, stderr_path=err)
            url = _metrics_url(err, child)
            t0 = time.monotonic()
            rss = []
            text = ""
            while time.monotonic() - t0 < secs and not child.poll():
                s = child.sample()
                if s:
                    rss.append((time.monotonic() - t0, s.get("VmRSS_kib", 0)))
                time.sleep(2)
            cpu = child.cpu_s()
            published = server.stats()["last_seq"]
            with urllib.request.urlopen(url, timeout=10) as r:
                text = r.read().decode()
            warm = [kib for t, kib in rss if t >= min(10, secs / 2)]
            rec = ctx.record(
                case="agent", profiles=n, seconds=secs, cpu_s=cpu,
                cpu_pct_per_profile=None if cpu is None else 100 * cpu / secs / n,
                rss_warm_kib=warm[0] if warm else None, rss_end_kib=rss[-1][1] if rss else None,
                rss_peak_kib=child.peak.get("VmRSS_kib"),
                events=_sum(text, "pollscope_events_total"), published_each=published,
                lost=_sum(text, "pollscope_lost_events_total"),
                duplicates=_sum(text, "pollscope_duplicate_events_total"),
                faults=server.stats().get("faults_injected"))
            log(f"case 8: {n} profile(s) {secs} s: cpu {cpu:.2f} s, rss {rec['rss_warm_kib']} → "
                f"{rec['rss_end_kib']} KiB, lost {rec['lost']}")
        finally:
            if child is not None:
                child.signal(15)
                child.wait(timeout=10)
            server.stop()
