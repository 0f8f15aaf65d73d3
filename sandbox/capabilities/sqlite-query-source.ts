/**
 * The program of the child process that runs plugin SQL, evaluated with `node -e`.
 * better-sqlite3 is synchronous and a runaway statement (an endless recursive CTE) never
 * returns to JavaScript: it would freeze the kernel's event loop on the main thread, and a
 * worker thread cannot be terminated while it is inside native code. A child process can
 * always be killed, so that is where the statements run.
 *
 * argv[1]: path of the better-sqlite3 module.
 * Messages in (IPC):  { id, file, sql, params, maxRows, maxBytes, maxHandles }
 * Messages out (IPC): { ready: true } once, then { id, ok: true, rows } | { id, ok: false, kind, message }
 *   kind: 'not-reader' | 'too-many-rows' | 'too-large' | 'sqlite'
 */
export const SQLITE_QUERY_SOURCE = String.raw`
const Database = require(process.argv[1]);
const handles = new Map();
process.on('disconnect', () => process.exit(0));
// Query deadlines start from here, so a slow process start is not charged to the first query.
process.send({ ready: true });

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

process.on('message', (msg) => {
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
    process.send({ id: msg.id, ok: true, rows });
  } catch (error) {
    process.send({ id: msg.id, ok: false, kind: error.kind || 'sqlite', message: String(error && error.message) });
  }
});
`;
