// The origin behind Pushpin for tests/sessions_interop.rs: a numbered message log served
// with GRIP long-polling, using Node.js's http module only. Run as
//   node origin.js PORT PUSHPIN_PUBLISH_PORT [HOLD_S]
//   GET  /stream?after=N -> messages after N at once, else a GRIP hold on channel "log"
//                           (answered by Pushpin when the next message is published, or
//                           with {"events":[],"last":N} after HOLD_S seconds)
//   POST /publish        body: a JSON object -> appended to the log as message N+1 and
//                           published to Pushpin with id N+1 and prev-id N
//   GET  /held           -> hold instructions handed to Pushpin so far
//   GET  /ready          -> "ready" after a one-second hold, once Pushpin can hold requests
// The cursor is `last` in the body (and the X-Last header), sent back as `after`.
'use strict';
const http = require('http');

const port = Number(process.argv[2]);
const publishPort = Number(process.argv[3]);
const holdS = Number(process.argv[4] || 20);
if (!Number.isInteger(port) || !Number.isInteger(publishPort)) {
  console.error('usage: node origin.js PORT PUSHPIN_PUBLISH_PORT [HOLD_S]');
  process.exit(2);
}
const log = [];
let held = 0;

function answer(after) {
  return JSON.stringify({ events: log.slice(after), last: log.length }) + '\n';
}

// Publishing is serialised: Pushpin must see item N before item N+1.
let publishing = Promise.resolve();
function publishToPushpin(n) {
  const item = {
    channel: 'log',
    id: String(n),
    'prev-id': String(n - 1),
    formats: {
      'http-response': {
        headers: [['Content-Type', 'application/json'], ['X-Last', String(n)]],
        body: answer(n - 1),
      },
    },
  };
  const body = JSON.stringify({ items: [item] });
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: publishPort, path: '/publish/', method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`pushpin ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/stream' && req.method === 'GET') {
    const after = Math.max(0, Math.min(log.length, Number(url.searchParams.get('after') || 0) || 0));
    const headers = { 'Content-Type': 'application/json', 'X-Last': String(after) };
    if (after < log.length) {
      headers['X-Last'] = String(log.length);
      res.writeHead(200, headers);
      res.end(answer(after));
      return;
    }
    held += 1;
    headers['Grip-Hold'] = 'response';
    headers['Grip-Channel'] = `log; prev-id=${after}`;
    headers['Grip-Timeout'] = String(holdS);
    res.writeHead(200, headers);
    res.end(answer(after));
    return;
  }
  if (url.pathname === '/ready' && req.method === 'GET') {
    // A one-second GRIP hold: answered by Pushpin only once its handler takes holds.
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'response', 'Grip-Channel': 'ready', 'Grip-Timeout': '1' });
    res.end('ready');
    return;
  }
  if (url.pathname === '/held' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(String(held));
    return;
  }
  if (url.pathname === '/publish' && req.method === 'POST') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      let message;
      try {
        message = JSON.parse(body);
      } catch (e) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end(`not JSON: ${e.message}`);
        return;
      }
      log.push(message);
      const n = log.length;
      publishing = publishing.then(() => publishToPushpin(n)).then(
        () => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(String(n)); },
        (e) => { res.writeHead(502, { 'Content-Type': 'text/plain' }); res.end(String(e.message)); },
      );
    });
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found');
});
server.listen(port, '127.0.0.1', () => {
  console.log(`Pushpin origin listening on 127.0.0.1:${port} (publishing to 127.0.0.1:${publishPort}, hold ${holdS} s)`);
});
