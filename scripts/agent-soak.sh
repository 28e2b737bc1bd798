#!/usr/bin/env bash
# Agent soak: `pollscope agent` watches PROFILES profiles of one demo server that
# publishes 20 events/s and injects a fault (reset mid-body) into every 7th answer, for
# SOAK_SECS (default 600). Prints RSS every 30 s and, at the end, the agent's CPU time,
# its events and lost/duplicate counters per profile (from its metrics) against what the
# server published. Usage: scripts/agent-soak.sh [BINARY] (default target/release/pollscope).
set -euo pipefail
bin=${1:-target/release/pollscope}
secs=${SOAK_SECS:-600}
n=${PROFILES:-3}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
"$bin" demo-server --addr 127.0.0.1:0 --rate 20 --fault reset-mid-body --fault-every 7 2>"$dir/demo.err" &
for _ in $(seq 50); do grep -q listening "$dir/demo.err" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$dir/demo.err")
python3 - "$url" "$n" >"$dir/profiles.json" <<'PY'
import json, sys
url, n = sys.argv[1], int(sys.argv[2])
print(json.dumps({"version": 1, "profiles": [{
    "name": f"soak-{i}", "url": url, "hold_s": 5,
    "cursor": {"kind": "body_pointer", "pointer": "/cursor", "param": "cursor"},
    "initial_cursor": "0", "events_pointer": "/events", "seq_pointer": "/seq",
    "timestamp_pointer": "/ts_us", "timestamp_unit": "micros"} for i in range(n)]}))
PY
"$bin" agent --profiles "$dir/profiles.json" --metrics 127.0.0.1:0 --json \
    --alert 'lost>0' --duration "${secs}s" >"$dir/agent.out" 2>"$dir/agent.err" &
agent=$!
for _ in $(seq 50); do grep -q "metrics on" "$dir/agent.err" && break; sleep 0.1; done
maddr=$(grep -o 'http://[^ ]*/metrics' "$dir/agent.err")
start=$(date +%s)
last_rss=0
while kill -0 $agent 2>/dev/null; do
    t=$(( $(date +%s) - start ))
    rss=$(awk '/VmRSS/ {print $2}' /proc/$agent/status 2>/dev/null || echo -)
    ticks=$(awk '{print $14+$15}' /proc/$agent/stat 2>/dev/null || echo -)
    if [ $(( t - last_rss )) -ge 30 ] || [ "$t" -lt 5 ]; then
        echo "t=${t}s rss_kib=$rss cpu_ticks=$ticks"
        last_rss=$t
    fi
    curl -s "$maddr" >"$dir/m.tmp" && mv "$dir/m.tmp" "$dir/last.metrics" || true
    curl -s "${url%/events}/stats" >"$dir/s.tmp" && mv "$dir/s.tmp" "$dir/last.stats" || true
    last_ticks=$ticks; last_t=$t; last_rss_kib=$rss
    sleep 5
done
echo "end: t=${last_t}s rss_kib=$last_rss_kib cpu_s=$(echo "$last_ticks / $(getconf CLK_TCK)" | bc -l | cut -c1-6)"
grep -E '^pollscope_(events|lost_events|duplicate_events)_total' "$dir/last.metrics" | sort || true
echo "server at the same moment: $(cat "$dir/last.stats")"
wait $agent || echo "agent exit code $?"
tail -n "$n" "$dir/agent.out"
