// PouchDB Server's CouchDB HTTP API (express-pouchdb) over in-memory databases, on
// 127.0.0.1:PORT: a CouchDB-compatible `_changes?feed=longpoll` for tests/interop.rs.
// Not CouchDB itself; see docs/protocols.md for where it differs.
'use strict';
const express = require('express');
const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-mapreduce'))
  .plugin(require('pouchdb-replication'));

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.js PORT');
  process.exit(2);
}
const app = express();
const MemoryPouch = PouchDB.defaults({ adapter: 'memory' });
app.use('/', require('express-pouchdb')(MemoryPouch, { mode: 'minimumForPouchDB', inMemoryConfig: true }));
app.listen(port, '127.0.0.1', () => console.log(`PouchDB Server listening on 127.0.0.1:${port}`));
