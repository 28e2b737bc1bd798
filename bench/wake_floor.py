"""The machine's own floor for event latency: one process writes a timestamp to a
socket every PERIOD seconds, another (blocked in recv) stamps its arrival. No HTTP,
no JSON: what remains is the OS waking a sleeping process on this (virtual) machine.

usage: python3 wake_floor.py PERIOD_S DURATION_S  → one JSON line
"""

import json
import os
import socket
import sys
import time


def main():
    period, duration = float(sys.argv[1]), float(sys.argv[2])
    writer, reader = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        writer.close()
        latencies = []
        buf = b""
        while True:
            data = reader.recv(4096)
            now = time.time_ns() / 1000
            if not data:
                break
            buf += data
            *lines, buf = buf.split(b"\n")
            latencies += [(now - int(line)) / 1000 for line in lines if line]
        latencies.sort()
        n = len(latencies)
        print(json.dumps({
            "period_ms": period * 1000,
            "samples": n,
            "p50_ms": latencies[n // 2] if n else None,
            "p99_ms": latencies[min(n - 1, int(n * 0.99))] if n else None,
        }), flush=True)
        os._exit(0)
    reader.close()
    end = time.monotonic() + duration
    while time.monotonic() < end:
        time.sleep(period)
        writer.send(b"%d\n" % (time.time_ns() // 1000))
    writer.close()
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
