/**
 * The body of the worker thread that runs plugin SQL. It is plain JavaScript evaluated by
 * `new Worker(source, { eval: true })`: better-sqlite3 is synchronous, so a runaway query
 * (an endless recursive CTE) would freeze the kernel's event loop if it ran on the main
 * thread; in a worker the host can time it out and terminate the thread.
 *
 * Messages in:  { type: 'query', id, file, sql, params, maxRows, maxBytes, maxHandles }
 * Messages out: { id, ok: true, rows } | { id, ok: false, kind, message }
 *   kind: 'not-reader' | 'too-many-rows' | 'too-large' | 'sqlite'
 */
export const SQLITE_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const handles = new Map();

function open(file, maxHandles) {
  let db = handles.get(file);
  if (db) {
    handles.delete(file);
    handles.set(file, db);
    return db;
  }
  while (handles.size >= maxHandles) {
    const [oldest, oldDb] = handles.entries().next().value;
    handles.delete(oldest);
    oldDb.close();
  }
  db = new Database(file, { readonly: true, fileMustExist: true });
  handles.set(file, db);
  return db;
}

function fail(kind, message) {
  const error = new Error(message);
  error.kind = kind;
  return error;
}

function plain(value) {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

parentPort.on('message', (msg) => {
  try {
    const db = open(msg.file, msg.maxHandles);
    const stmt = db.prepare(msg.sql);
    // reader: the statement returns rows; readonly: it changes nothing (rules out INSERT … RETURNING).
    if (!stmt.reader || !stmt.readonly) throw fail('not-reader', 'only statements that read (SELECT, WITH … SELECT, read-only PRAGMA) are allowed');
    const rows = [];
    let bytes = 2;
    for (const row of stmt.iterate(msg.params)) {
      if (rows.length >= msg.maxRows) throw fail('too-many-rows', 'the query returns more than ' + msg.maxRows + ' rows; add a LIMIT or page with OFFSET');
      const clean = {};
      for (const key of Object.keys(row)) clean[key] = plain(row[key]);
      bytes += Buffer.byteLength(JSON.stringify(clean)) + 1;
      if (bytes > msg.maxBytes) throw fail('too-large', 'the rows are larger than ' + msg.maxBytes + ' bytes; select fewer columns or rows');
      rows.push(clean);
    }
    parentPort.postMessage({ id: msg.id, ok: true, rows });
  } catch (error) {
    parentPort.postMessage({ id: msg.id, ok: false, kind: error.kind || 'sqlite', message: String(error && error.message) });
  }
});
`;
