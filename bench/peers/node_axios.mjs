// Peer: the textbook Node.js long-poll loop — axios over an http.Agent with keepAlive.
//
// N independent pollers (async loops in one process, each with its own cursor), each
// doing: GET URL?cursor=C&timeout=HOLD, read {"cursor", "events"}, carry the cursor,
// poll again at once. Prints one JSON summary on stdout at the end (duration elapsed,
// --max-polls reached, or SIGINT/SIGTERM).
//
// usage: node node_axios.mjs --url http://127.0.0.1:P/events [--duration S] [--pollers N]
//        [--hold S] [--initial-cursor C] [--max-polls N]
import http from "node:http";
import { performance } from "node:perf_hooks";
import axios from "axios";

function parseArgs(argv) {
  const opts = { url: null, duration: 5, pollers: 1, hold: 30, initialCursor: null, maxPolls: 0 };
  for (let i = 2; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === "--url") opts.url = v;
    else if (k === "--duration") opts.duration = Number(v);
    else if (k === "--pollers") opts.pollers = Number(v);
    else if (k === "--hold") opts.hold = Number(v);
    else if (k === "--initial-cursor") opts.initialCursor = v;
    else if (k === "--max-polls") opts.maxPolls = Number(v);
    else throw new Error(`unknown argument ${k}`);
  }
  if (!opts.url) throw new Error("--url is required");
  return opts;
}

const opts = parseArgs(process.argv);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const client = axios.create({
  httpAgent: agent,
  // The client's timeout covers the server's hold plus a margin, as Pollscope does.
  timeout: (opts.hold + Math.max(5, opts.hold * 0.1)) * 1000,
});

const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;
const counts = { polls: 0, events: 0, errors: 0, empty: 0, lost: 0 };
const latenciesMs = [];
let stopping = false;
let stopAt = null;

async function poller() {
  let cursor = opts.initialCursor;
  let lastSeq = null;
  while (!stopping) {
    const params = { timeout: opts.hold };
    if (cursor !== null) params.cursor = cursor;
    try {
      const res = await client.get(opts.url, { params });
      const received = nowUs();
      counts.polls += 1;
      const body = res.data;
      const events = Array.isArray(body.events) ? body.events : [];
      if (events.length === 0) counts.empty += 1;
      for (const ev of events) {
        counts.events += 1;
        if (typeof ev.ts_us === "number") latenciesMs.push(Math.max(0, received - ev.ts_us) / 1000);
        if (lastSeq !== null && ev.seq > lastSeq + 1) counts.lost += ev.seq - lastSeq - 1;
        lastSeq = ev.seq;
      }
      cursor = String(body.cursor);
    } catch (err) {
      if (stopping) break;
      counts.errors += 1;
      counts.polls += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (opts.maxPolls > 0 && counts.polls >= opts.maxPolls) stop();
  }
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const cpuStart = process.cpuUsage();
const started = performance.now();
function stop() {
  if (stopping) return;
  stopping = true;
  stopAt = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const durationS = (stopAt - started) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const out = {
    client: "node-axios",
    pollers: opts.pollers,
    polls: counts.polls,
    events: counts.events,
    empty_polls: counts.empty,
    errors: counts.errors,
    lost_events: counts.lost,
    duration_s: durationS,
    polls_per_s: counts.polls / durationS,
    loop_cpu_s: (cpu.user + cpu.system) / 1e6,
    event_latency_ms_p50: quantile(latenciesMs, 0.5),
    event_latency_ms_p99: quantile(latenciesMs, 0.99),
    event_latency_ms_max: latenciesMs.length ? latenciesMs[latenciesMs.length - 1] : null,
  };
  process.stdout.write(JSON.stringify(out) + "\n", () => {
    agent.destroy();
    process.exit(0);
  });
}

process.on("SIGINT", stop);
process.on("SIGTERM", stop);
if (opts.duration > 0) setTimeout(stop, opts.duration * 1000);
for (let i = 0; i < opts.pollers; i += 1) poller();
