#!/usr/bin/env bash
# Peer: the shell long-poll loop — one `curl` process (hence one new TCP connection)
# per poll, the cursor carried with a bash regex (no extra process per poll).
#
# usage: curl_loop.sh URL DURATION_S POLLERS HOLD_S [INITIAL_CURSOR]
# Prints one JSON summary on stdout: polls, polls with events, errors, duration.
set -u

url=$1
duration_s=$2
pollers=$3
hold=$4
initial_cursor=${5:-}

now_us() { local t=${EPOCHREALTIME/./}; echo "$((10#$t))"; }

# One poller: loop until the deadline, then print "polls with_events errors".
poll_loop() {
    local deadline=$1 cursor=$initial_cursor polls=0 with_events=0 errors=0 out t
    while :; do
        t=${EPOCHREALTIME/./}
        ((10#$t >= deadline)) && break
        if [[ -n $cursor ]]; then
            out=$(curl -sS --fail --max-time $((hold + 5)) "$url?cursor=$cursor&timeout=$hold") || { errors=$((errors + 1)); polls=$((polls + 1)); sleep 0.1; continue; }
        else
            out=$(curl -sS --fail --max-time $((hold + 5)) "$url?timeout=$hold") || { errors=$((errors + 1)); polls=$((polls + 1)); sleep 0.1; continue; }
        fi
        polls=$((polls + 1))
        [[ $out == *'"events":[]'* ]] || with_events=$((with_events + 1))
        [[ $out =~ \"cursor\":([0-9]+) ]] && cursor=${BASH_REMATCH[1]}
    done
    echo "$polls $with_events $errors"
}

start=$(now_us)
deadline=$((start + ${duration_s%.*} * 1000000))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((i = 0; i < pollers; i++)); do
    poll_loop "$deadline" >"$tmp/$i" &
done
wait
end=$(now_us)
read -r polls with_events errors < <(cat "$tmp"/* | awk '{p+=$1; e+=$2; x+=$3} END {print p, e, x}')
awk -v p="$polls" -v e="$with_events" -v x="$errors" -v n="$pollers" -v us="$((end - start))" 'BEGIN {
    d = us / 1e6
    printf "{\"client\":\"curl-loop\",\"pollers\":%d,\"polls\":%d,\"polls_with_events\":%d,\"errors\":%d,\"duration_s\":%.6f,\"polls_per_s\":%.3f}\n", n, p, e, x, d, p / d
}'
