"""Peer: the textbook Python long-poll loop — a `requests.Session` per poller.

N independent pollers (one thread each, each with its own Session and cursor), each
doing: GET URL?cursor=C&timeout=HOLD, read {"cursor", "events"}, carry the cursor,
poll again at once. Prints one JSON summary on stdout at the end (duration elapsed,
--max-polls reached, or SIGINT/SIGTERM).

usage: python3 py_requests.py --url http://127.0.0.1:P/events [--duration S]
       [--pollers N] [--hold S] [--initial-cursor C] [--max-polls N]
"""

import argparse
import json
import os
import resource
import signal
import sys
import threading
import time

import requests


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--pollers", type=int, default=1)
    p.add_argument("--hold", type=float, default=30.0)
    p.add_argument("--initial-cursor", default=None)
    p.add_argument("--max-polls", type=int, default=0)
    return p.parse_args()


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.polls = self.events = self.errors = self.empty = self.lost = 0
        self.latencies_ms = []


def poller(opts, counts, stop):
    session = requests.Session()
    # The client's timeout covers the server's hold plus a margin, as Pollscope does.
    timeout = opts.hold + max(5.0, opts.hold * 0.1)
    cursor = opts.initial_cursor
    last_seq = None
    while not stop.is_set():
        params = {"timeout": opts.hold}
        if cursor is not None:
            params["cursor"] = cursor
        try:
            res = session.get(opts.url, params=params, timeout=timeout)
            received_us = time.time_ns() / 1000
            body = res.json()
        except (requests.RequestException, ValueError):
            if stop.is_set():
                break
            with counts.lock:
                counts.errors += 1
                counts.polls += 1
            time.sleep(0.1)
            continue
        events = body.get("events") or []
        with counts.lock:
            counts.polls += 1
            if not events:
                counts.empty += 1
            for ev in events:
                counts.events += 1
                ts = ev.get("ts_us")
                if isinstance(ts, (int, float)):
                    counts.latencies_ms.append(max(0.0, received_us - ts) / 1000)
                seq = ev.get("seq")
                if last_seq is not None and isinstance(seq, int) and seq > last_seq + 1:
                    counts.lost += seq - last_seq - 1
                last_seq = seq
            if opts.max_polls and counts.polls >= opts.max_polls:
                stop.set()
        cursor = str(body.get("cursor"))


def quantile(values, q):
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    opts = parse_args()
    counts = Counts()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    threads = [
        threading.Thread(target=poller, args=(opts, counts, stop), daemon=True)
        for _ in range(opts.pollers)
    ]
    for t in threads:
        t.start()
    stop.wait(opts.duration if opts.duration > 0 else None)
    stop.set()
    ended = time.monotonic()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    duration = ended - started
    with counts.lock:
        lat = sorted(counts.latencies_ms)
        out = {
            "client": "python-requests",
            "pollers": opts.pollers,
            "polls": counts.polls,
            "events": counts.events,
            "empty_polls": counts.empty,
            "errors": counts.errors,
            "lost_events": counts.lost,
            "duration_s": duration,
            "polls_per_s": counts.polls / duration,
            "loop_cpu_s": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
            "event_latency_ms_p50": quantile(lat, 0.5),
            "event_latency_ms_p99": quantile(lat, 0.99),
            "event_latency_ms_max": lat[-1] if lat else None,
        }
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    # Held polls in daemon threads must not delay the exit.
    os._exit(0)


if __name__ == "__main__":
    main()
