// A SockJS server (npm sockjs) on 127.0.0.1:PORT under the prefix /sockjs, for
// tests/sessions_interop.rs. Test endpoints beside it:
//   POST /publish    body: a JSON object -> written to every open SockJS connection
//   GET  /clients    -> number of open SockJS connections
//   POST /kill       -> the server closes every connection (close frame c[3000,"killed"])
// usage: node server.js PORT [HEARTBEAT_MS] [DISCONNECT_DELAY_MS]
'use strict';
const http = require('http');
const sockjs = require('sockjs');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.js PORT [HEARTBEAT_MS] [DISCONNECT_DELAY_MS]');
  process.exit(2);
}
const heartbeat = Number(process.argv[3] || 25000);
const disconnectDelay = Number(process.argv[4] || 5000);

const connections = new Set();
const service = sockjs.createServer({
  heartbeat_delay: heartbeat,
  disconnect_delay: disconnectDelay,
  log: () => {},
});
service.on('connection', (conn) => {
  connections.add(conn);
  conn.on('close', () => connections.delete(conn));
});

const server = http.createServer((req, res) => {
  if (req.url === '/clients' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(String(connections.size));
    return;
  }
  if (req.url === '/kill' && req.method === 'POST') {
    const n = connections.size;
    for (const conn of connections) conn.close(3000, 'killed');
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(String(n));
    return;
  }
  if (req.url === '/publish' && req.method === 'POST') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      try {
        JSON.parse(body);
      } catch (e) {
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end(`not JSON: ${e.message}`);
        return;
      }
      for (const conn of connections) conn.write(body);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(String(connections.size));
    });
    return;
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found');
});
service.installHandlers(server, { prefix: '/sockjs' });
server.listen(port, '127.0.0.1', () => {
  console.log(`SockJS ${require('sockjs/package.json').version} listening on 127.0.0.1:${port}/sockjs (heartbeat ${heartbeat} ms, disconnect delay ${disconnectDelay} ms)`);
});
