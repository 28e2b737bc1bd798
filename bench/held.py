"""Case 4: thousands of concurrent held polls from one client process (ramp, RSS,
threads, idle CPU, one broadcast), and what the open-file limit does to them.
"""

import re
import resource
import signal
import time

from clients import client_cmd
from procs import Child, last_json_line, log


def wait_until(pred, timeout, every=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(every)
    return None


def held_case_one(ctx, client, n, hold, run):
    """One client holding `n` polls: ramp, idle, broadcast, re-held, stop."""
    server = ctx.server(f"held-{client}", ["--rate", "0"], run)
    try:
        server.publish({"kind": "seed"})
        cmd, env = client_cmd(ctx, client, server.url, pollers=n, hold=hold, duration=600)
        ctx.command(f"held:{client}", cmd)
        t0 = time.monotonic()
        child = Child(cmd, env=env, cwd=ctx.work)
        rec = {"client": client, "pollers": n, "hold_s": hold}

        def all_held():
            child.sample()
            if child.poll():
                return "exited"
            return server.stats()["held_requests"] >= n

        got = wait_until(all_held, timeout=120, every=0.02)
        if got != True:  # noqa: E712 (True, None or "exited")
            s = server.stats()
            rec.update(failed=True, error=f"only {s['held_requests']} of {n} held ({got or 'timeout'})")
            if child.poll():
                rec["error"] += ": " + child.result["stderr"].strip()[-600:]
            log(f"case 4 {client}: {rec['error']}")
            child.kill()
            child.wait(timeout=10)
            return rec
        rec["ramp_s"] = time.monotonic() - t0
        time.sleep(1.0)  # let the last connects settle before the idle window
        c0, s0, w0 = child.cpu_s(), server.child.cpu_s(), time.monotonic()
        time.sleep(ctx.idle_s)
        c1, s1, w1 = child.cpu_s(), server.child.cpu_s(), time.monotonic()
        st = child.sample() or {}
        sst = server.child.sample() or {}
        rec.update(
            idle_window_s=w1 - w0,
            idle_cpu_pct=(c1 - c0) / (w1 - w0) * 100,
            rss_kib=st.get("VmRSS_kib"),
            hwm_kib=st.get("VmHWM_kib"),
            threads=st.get("Threads"),
            server_idle_cpu_pct=(s1 - s0) / (w1 - w0) * 100,
            server_rss_kib=sst.get("VmRSS_kib"),
            server_threads=sst.get("Threads"),
            still_held=server.stats()["held_requests"],
        )
        # One broadcast event; every poller's answer leaves the server, then every
        # poller polls again. "Re-held" = all n are waiting again: each has the event.
        before = server.stats()
        tp = time.monotonic()
        server.publish({"kind": "broadcast"})
        drained = {}

        def all_back():
            s = server.stats()
            if "t" not in drained and s["held_requests"] <= n // 100:
                drained["t"] = time.monotonic() - tp
            return s["held_requests"] >= n and s["requests"] - before["requests"] >= n

        back = wait_until(all_back, timeout=60, every=0.002)
        rec["broadcast_server_sent_s"] = drained.get("t")
        rec["broadcast_all_reheld_s"] = (time.monotonic() - tp) if back else None
        time.sleep(1.0)
        st = child.sample() or {}
        rec["rss_after_broadcast_kib"] = st.get("VmRSS_kib")
        child.signal(signal.SIGINT)
        res = child.wait(timeout=60)
        summary = last_json_line(res["stdout"]) or {}
        rec.update(
            hwm_final_kib=res["peak"].get("VmHWM_kib"),
            events=summary.get("events"),
            errors=summary.get("errors"),
            latency_p50_ms=summary.get("event_latency_ms_p50"),
            latency_p99_ms=summary.get("event_latency_ms_p99"),
            latency_max_ms=summary.get("event_latency_ms_max"),
            stop_rc=res["rc"],
            stop_wall_s=res["wall_s"],
            server_accepted=server.stats()["accepted_connections"],
            stderr_lines=len(res["stderr"].splitlines()),
            stderr_head=res["stderr"].strip().splitlines()[:3],
        )
        log(f"case 4 {client} run {run + 1}: all {n} held in {rec['ramp_s']:.2f} s, "
            f"RSS {rec['rss_kib'] / 1024:.0f} MiB, {rec['threads']} threads, idle CPU {rec['idle_cpu_pct']:.2f} %, "
            f"broadcast re-held in {rec['broadcast_all_reheld_s']}, events {rec['events']}")
        return rec
    finally:
        server.stop()


def case_held(ctx):
    hold = 120  # longer than ramp + idle window + broadcast on a loaded machine
    for run in range(ctx.runs):
        for client in ctx.held_clients:
            rec = held_case_one(ctx, client, ctx.held, hold, run)
            ctx.record(case="held", run=run, **rec)


def case_fd_limit(ctx):
    """Case 4's open-file limit: what a user sees when the limit is below the pollers."""
    n = 3000
    server = ctx.server("fdlimit", ["--rate", "0"])
    try:
        server.publish({"kind": "seed"})
        for soft, hard in ((1024, 1024), (1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1])):
            def limit(soft=soft, hard=hard):
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

            cmd = [ctx.bin, "watch", server.url, "--pollers", str(n), "--hold", "30", "--duration", "6s", "--json"]
            ctx.command(f"fdlimit-{soft}-{hard}", f"prlimit --nofile={soft}:{hard} " + " ".join(cmd))
            child = Child(cmd, cwd=ctx.work, preexec_fn=limit)
            peak = {"held": 0}

            def sample():
                peak["held"] = max(peak["held"], server.stats()["held_requests"])
                return child.poll()

            wait_until(sample, timeout=60, every=0.1)
            res = child.wait(timeout=30)
            summary = last_json_line(res["stdout"]) or {}
            lines = res["stderr"].strip().splitlines()
            rec = ctx.record(case="fdlimit", soft=soft, hard=hard, pollers=n, rc=res["rc"],
                             held_peak=peak["held"], polls=summary.get("polls"),
                             errors=summary.get("errors"), errors_by_kind=summary.get("errors_by_kind"),
                             stderr_lines=len(lines), stderr_head=lines[:4])
            log(f"case 4 fd limit {soft}:{hard}: rc {rec['rc']}, held peak {rec['held_peak']}, "
                f"{rec['stderr_lines']} stderr lines, errors {rec['errors']}")
        # What a person sees without --json when the limit cannot be raised.
        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

        cmd = [ctx.bin, "watch", server.url, "--pollers", str(n), "--hold", "30", "--duration", "4s"]
        ctx.command("fdlimit-human", "prlimit --nofile=1024:1024 " + " ".join(cmd))
        child = Child(cmd, cwd=ctx.work, preexec_fn=low_limit)
        res = child.wait(timeout=60)
        text = res["stdout"] + res["stderr"]
        lines = text.strip().splitlines()
        emfile = [line for line in lines if re.search(r"open files|EMFILE|os error 24", line, re.I)]
        first = next((line for line in lines if re.search(r"limit|open files|EMFILE|os error 24", line, re.I)), None)
        ctx.record(case="fdlimit-human", pollers=n, rc=res["rc"], lines=len(lines), emfile_lines=len(emfile),
                   first_relevant_line=first)
        log(f"case 4 fd limit, human output: {len(lines)} lines, {len(emfile)} mention EMFILE; first: {first}")
    finally:
        server.stop()
