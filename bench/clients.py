"""How the suite runs each client: the command line of Pollscope and of every peer
(all polling the same URL and carrying the server's cursor), wrk's output, CPU
pinning, and one measured run with the demo server's view before and after.
"""

import os
import re

from procs import Child, last_json_line, log

HERE = os.path.dirname(os.path.abspath(__file__))


def client_cmd(ctx, client, url, *, pollers, hold, duration, initial_cursor=None, fixed_url=None):
    """The command for one peer: every one polls `url` carrying the server's cursor."""
    d = str(int(duration))
    if client == "pollscope":
        cmd = [ctx.bin, "watch", url, "--duration", f"{d}s", "--pollers", str(pollers), "--hold", str(hold), "--json"]
        if initial_cursor is not None:
            cmd += ["--initial-cursor", str(initial_cursor)]
        return cmd, None
    if client == "node-axios":
        cmd = ["node", os.path.join(ctx.peers, "node", "node_axios.mjs"), "--url", url, "--duration", d]
        cmd += ["--pollers", str(pollers), "--hold", str(hold)]
        if initial_cursor is not None:
            cmd += ["--initial-cursor", str(initial_cursor)]
        return cmd, None
    if client == "python-requests":
        cmd = [ctx.python, os.path.join(HERE, "peers", "py_requests.py"), "--url", url, "--duration", d]
        cmd += ["--pollers", str(pollers), "--hold", str(hold)]
        if initial_cursor is not None:
            cmd += ["--initial-cursor", str(initial_cursor)]
        return cmd, {"PYTHONPATH": os.path.join(ctx.peers, "py")}
    if client == "curl-loop":
        cmd = ["bash", os.path.join(HERE, "peers", "curl_loop.sh"), url, d, str(pollers), str(hold)]
        if initial_cursor is not None:
            cmd.append(str(initial_cursor))
        return cmd, None
    if client == "wrk":
        threads = min(pollers, 2)
        return ["wrk", f"-t{threads}", f"-c{pollers}", f"-d{d}s", "--latency", fixed_url], None
    raise ValueError(client)


def parse_wrk(text):
    out = {"client": "wrk"}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", text)
    if m:
        scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
        out["polls"] = int(m.group(1))
        out["duration_s"] = float(m.group(2)) * scale
        out["polls_per_s"] = out["polls"] / out["duration_s"]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["errors"] += sum(int(g) for g in m.groups())
    return out


def pin_to(cpus):
    """A preexec_fn that keeps the child (and its threads and children) on `cpus`."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def pin_server(server, cpus):
    """Move every thread of the running demo server onto `cpus`."""
    for tid in os.listdir(f"/proc/{server.child.pid}/task"):
        os.sched_setaffinity(int(tid), cpus)


def run_client(ctx, client, url, server, key, pin=None, **kw):
    """Run one client to its end; its summary plus CPU, RSS and the server's view."""
    cmd, env = client_cmd(ctx, client, url, **kw)
    ctx.command(f"{key}:{client}", ("taskset -c 0 " if pin else "") + " ".join(cmd))
    before = server.stats()
    child = Child(cmd, env=env, cwd=ctx.work, preexec_fn=pin_to(pin))
    res = child.wait(timeout=kw["duration"] + 60)
    after = server.stats()
    summary = parse_wrk(res["stdout"]) if client == "wrk" else last_json_line(res["stdout"])
    if summary is None or res["rc"] != 0:
        tail = (res["stderr"] or res["stdout"]).strip()[-400:]
        log(f"  {client}: FAILED (rc {res['rc']}): {tail}")
        return {"client": client, "failed": True, "rc": res["rc"], "error": tail}
    polls = summary.get("polls") or 0
    out = {
        "client": client,
        "polls": polls,
        "events": summary.get("events"),
        "errors": summary.get("errors", 0),
        "duration_s": summary.get("duration_s"),
        "polls_per_s": summary.get("polls_per_s"),
        "cpu_s": res["cpu_s"],
        "cpu_us_per_poll": res["cpu_s"] / polls * 1e6 if polls else None,
        "loop_cpu_s": summary.get("loop_cpu_s"),
        "wall_s": res["wall_s"],
        "rss_peak_kib": res["peak"].get("VmHWM_kib") or res["ru_maxrss_kib"],
        "threads_peak": res["peak"].get("Threads"),
        "server_accepted": after["accepted_connections"] - before["accepted_connections"],
        "server_requests": after["requests"] - before["requests"] - 1,  # minus our /stats
        "summary": summary,
    }
    return out


def run_cmd_as_client(ctx, client, cmd, server, key, duration):
    ctx.command(f"{key}:{client}", cmd)
    before = server.stats()
    child = Child(cmd, cwd=ctx.work)
    res = child.wait(timeout=duration + 60)
    after = server.stats()
    summary = last_json_line(res["stdout"])
    if summary is None or res["rc"] != 0:
        tail = (res["stderr"] or res["stdout"]).strip()[-400:]
        log(f"  {client} ({key}): FAILED (rc {res['rc']}): {tail}")
        return {"client": client, "failed": True, "rc": res["rc"], "error": tail}
    polls = summary.get("polls") or 0
    return {
        "client": client,
        "polls": polls,
        "polls_per_s": summary.get("polls_per_s"),
        "duration_s": summary.get("duration_s"),
        "cpu_s": res["cpu_s"],
        "cpu_us_per_poll": res["cpu_s"] / polls * 1e6 if polls else None,
        "rss_peak_kib": res["peak"].get("VmHWM_kib") or res["ru_maxrss_kib"],
        "server_accepted": after["accepted_connections"] - before["accepted_connections"],
        "summary": summary,
    }
