"""Case 9 (issue 14): peak RSS of one answer of 4 MiB holding about 600,000 tiny events
(`{"":0}`), with 1 and 4 pollers, and 2 M `0` events, against the same run's baseline: a
one-event answer. Served by a small HTTP server in this process (the demo server makes
no such answers); each figure is the pollscope process's VmHWM.
"""

import http.server
import threading

from procs import Child, last_json_line, log

SMALL = b'{"cursor": 1, "events": [{"":0}]}'


def body_of(item, size=4 * 1024 * 1024):
    head, tail = b'{"cursor": 1, "events": [', b"]}"
    count = (size - len(head) - len(tail)) // (len(item) + 1)
    return head + b",".join([item] * count) + tail, count


class Bodies(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies = {}

    def do_GET(self):
        body = self.bodies.get(self.path.split("?")[0], SMALL)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def case_bigbody(ctx):
    tiny, tiny_n = body_of(b'{"":0}')
    zeros, zeros_n = body_of(b"0")
    Bodies.bodies = {"/tiny": tiny, "/zeros": zeros, "/small": SMALL}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Bodies)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for run in range(ctx.runs):
            for path, pollers, events in (("/small", 1, 1), ("/small", 4, 1), ("/tiny", 1, tiny_n),
                                          ("/tiny", 4, tiny_n), ("/zeros", 1, zeros_n)):
                cmd = [ctx.bin, "watch", base + path, "--duration", "3", "--hold", "1", "--json",
                       "--pollers", str(pollers)]
                ctx.command(f"bigbody:{path}", cmd)
                res = Child(cmd, cwd=ctx.work).wait(timeout=60)
                summary = last_json_line(res["stdout"]) or {}
                peak = res["peak"].get("VmHWM_kib") or res["ru_maxrss_kib"]
                body = len(Bodies.bodies[path])
                ctx.record(case="bigbody", run=run, path=path, pollers=pollers, events_in_body=events,
                           body_bytes=body, rss_peak_kib=peak, rc=res["rc"],
                           polls=summary.get("polls"), kept=summary.get("events"),
                           truncated=summary.get("truncated_values"))
                log(f"case 9 run {run + 1}: {path} × {pollers} poller(s): peak RSS {peak / 1024:.0f} MiB, "
                    f"polls {summary.get('polls')}, events kept {summary.get('events')}, rc {res['rc']}")
    finally:
        server.shutdown()
