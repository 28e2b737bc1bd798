// A Faye (Bayeux 1.0) server on 127.0.0.1:PORT mounted at /faye, for
// tests/sessions_interop.rs. Test endpoints beside it:
//   POST /publish?channel=/CH  body: a JSON object -> published on /CH (server-side client)
//   GET  /clients?channel=/CH  -> number of clients subscribed to /CH
//   POST /kill                 -> every client is destroyed (its next connect gets
//                                 "401::Unknown client" with advice reconnect=handshake)
// usage: node server.js PORT [TIMEOUT_S]
'use strict';
const http = require('http');
const faye = require('faye');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.js PORT [TIMEOUT_S]');
  process.exit(2);
}
const timeout = Number(process.argv[3] || 45);

const bayeux = new faye.NodeAdapter({ mount: '/faye', timeout });
const clients = new Set();
const subscriptions = new Map(); // channel -> Set of clientIds
bayeux.on('handshake', (id) => clients.add(id));
bayeux.on('disconnect', (id) => {
  clients.delete(id);
  for (const set of subscriptions.values()) set.delete(id);
});
bayeux.on('subscribe', (id, channel) => {
  if (!subscriptions.has(channel)) subscriptions.set(channel, new Set());
  subscriptions.get(channel).add(id);
});
bayeux.on('unsubscribe', (id, channel) => {
  const set = subscriptions.get(channel);
  if (set) set.delete(id);
});

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const plain = (status, text) => {
    res.writeHead(status, { 'Content-Type': 'text/plain' });
    res.end(text);
  };
  if (url.pathname === '/clients' && req.method === 'GET') {
    const set = subscriptions.get(url.searchParams.get('channel') || '');
    plain(200, String(set ? set.size : 0));
    return;
  }
  if (url.pathname === '/kill' && req.method === 'POST') {
    const engine = bayeux._server._engine;
    const ids = [...clients];
    for (const id of ids) engine.destroyClient(id);
    clients.clear();
    subscriptions.clear();
    plain(200, String(ids.length));
    return;
  }
  if (url.pathname === '/publish' && req.method === 'POST') {
    const channel = url.searchParams.get('channel');
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      let message;
      try {
        message = JSON.parse(body);
      } catch (e) {
        plain(400, `not JSON: ${e.message}`);
        return;
      }
      bayeux.getClient().publish(channel, message).then(
        () => plain(200, 'ok'),
        (e) => plain(500, `publish failed: ${e && e.message}`),
      );
    });
    return;
  }
  plain(404, 'not found');
});
bayeux.attach(server);
server.listen(port, '127.0.0.1', () => {
  console.log(`Faye ${require('faye/package.json').version} listening on 127.0.0.1:${port}/faye (timeout ${timeout} s)`);
});
