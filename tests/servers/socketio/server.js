// A Socket.IO 4 server on 127.0.0.1:PORT for tests/sessions_interop.rs, HTTP long-polling
// only (no WebSocket upgrade), with short ping timings so a short test crosses several
// ping rounds. Test endpoints beside it:
//   POST /publish    body: a JSON object  -> io.emit("msg", object) to every client
//   GET  /clients    -> number of connected Socket.IO clients (namespace "/")
//   POST /kill       -> the server closes every client's session (as a restart would)
// usage: node server.js PORT [PING_INTERVAL_MS] [PING_TIMEOUT_MS]
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.js PORT [PING_INTERVAL_MS] [PING_TIMEOUT_MS]');
  process.exit(2);
}
const pingInterval = Number(process.argv[3] || 25000);
const pingTimeout = Number(process.argv[4] || 20000);

const server = http.createServer((req, res) => {
  if (req.url === '/clients' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(String(io.of('/').sockets.size));
    return;
  }
  if (req.url === '/kill' && req.method === 'POST') {
    const n = io.of('/').sockets.size;
    io.disconnectSockets(true);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(String(n));
    return;
  }
  if (req.url === '/publish' && req.method === 'POST') {
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
      io.emit('msg', message);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(String(io.of('/').sockets.size));
    });
    return;
  }
  // Everything else under /socket.io/ is Socket.IO's; the rest is not found.
  if (!req.url.startsWith('/socket.io/')) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  }
});
const io = new Server(server, {
  transports: ['polling'],
  allowUpgrades: false,
  pingInterval,
  pingTimeout,
  serveClient: false,
});
server.listen(port, '127.0.0.1', () => {
  console.log(`Socket.IO ${require('socket.io/package.json').version} listening on 127.0.0.1:${port} (ping ${pingInterval}/${pingTimeout} ms)`);
});
