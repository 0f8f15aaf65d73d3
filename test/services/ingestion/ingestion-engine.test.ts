import { appendFileSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ErrorCodes } from '../../../kernel/core/errors';
import type { Kernel } from '../../../kernel/core/lifecycle';
import { IngestCursorRepository, type IngestProgress } from '../../../kernel/services/ingestion';
import { SessionRepository, type Database } from '../../../kernel/services/storage';
import { describeBackends } from '../storage/backends';
import { comparable, bootKernel, installTestAdapter, makeIngestWorld, storedTotals, storeOf, type IngestWorld } from './ingest-harness';
import { usageLine, writeTestAgentCorpus, type TestAgentCorpus, type UsageEvent } from './fixtures/test-agent-corpus';

/**
 * The ingestion engine end to end on both backends: a booted kernel runs the test adapter in
 * its real sandbox over a generated corpus, and the store must hold exactly what the corpus
 * generator says — to the token, and the cost to a millionth of a dollar.
 */

const ADAPTER = '@rimuru-fixture/adapter-test-agent';

describeBackends('IngestionEngine', (backend) => {
  let db: Database;
  let world: IngestWorld;
  let corpus: TestAgentCorpus;
  let kernel: Kernel | undefined;

  beforeAll(async () => {
    db = await backend.connect();
  });

  beforeEach(async () => {
    await backend.reset();
    world = makeIngestWorld();
    corpus = writeTestAgentCorpus(world.agentHome);
    await installTestAdapter(world.pluginsDir);
  });

  afterEach(async () => {
    await kernel?.shutdown('test over');
    kernel = undefined;
    world.dispose();
  });

  async function boot(config: Parameters<typeof bootKernel>[1] = {}): Promise<Kernel> {
    kernel = (await bootKernel(world, { database: db, ...config })).kernel;
    return kernel;
  }

  it('stores exactly what the corpus holds: totals, days, models, sessions, warnings per source and kind, unknown models', async () => {
    const k = await boot({ config: { plugins: { config: { [ADAPTER]: { pageSize: 100 } } } } });
    const progress: IngestProgress[] = [];
    const summary = await k.ingest({ onProgress: (p) => progress.push(p) });

    expect(summary.errors).toEqual([]);
    expect(comparable(await storedTotals(db))).toEqual(comparable(corpus.totals));
    for (const [day, expected] of Object.entries(corpus.byDay)) {
      const from = Date.parse(`${day}T00:00:00Z`);
      expect({ day, totals: comparable(await storedTotals(db, { from, to: from + 86_400_000 })) }).toEqual({ day, totals: comparable(expected) });
    }
    for (const [model, expected] of Object.entries(corpus.byModel)) {
      expect({ model, totals: comparable(await storedTotals(db, { models: [model] })) }).toEqual({ model, totals: comparable(expected) });
    }
    for (const [session, expected] of Object.entries(corpus.bySession)) {
      expect({ session, totals: comparable(await storedTotals(db, { sessionId: `test-agent:${session}` })) }).toEqual({ session, totals: comparable(expected) });
    }
    const sessions = await new SessionRepository(db).findAll();
    expect(Object.fromEntries(sessions.map((s) => [s.externalId, s.projectPath ?? '']))).toEqual(corpus.sessions);
    expect(sessions.every((s) => s.agentType === 'test-agent' && s.id === `test-agent:${s.externalId}`)).toBe(true);

    const warnings = Object.fromEntries(
      summary.warnings.map((w) => [w.path, { corrupt: 0, 'unknown-type': 0, 'missing-field': 0, 'huge-line': 0, ...w.counts }]),
    );
    expect(warnings).toEqual(corpus.warnings);
    expect(summary.unknownModels).toEqual(corpus.unknownModels);
    expect(summary.records.inserted).toBe(corpus.totals.records);
    expect(summary.sources).toMatchObject({ total: corpus.jsonlFiles.length + 2, read: corpus.jsonlFiles.length + 2, failed: 0 });
    expect(summary.adapters).toEqual([
      expect.objectContaining({ plugin: ADAPTER, agentType: 'test-agent', installed: true, version: '1.2.3', paths: [world.agentHome] }),
    ]);
    // Progress counted up to the totals it announced (bytes: the jsonl and json sources).
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ sourcesDone: summary.sources.total, sourcesTotal: summary.sources.total, bytesDone: summary.bytesRead, bytesTotal: summary.bytesRead });
    expect(progress[0]?.bytesTotal).toBe(summary.bytesRead + Buffer.byteLength(JSON.stringify(corpus.partial.event)));
    // The SQLite source was read in pages of 100 (250 rows: three pages, then one that finds nothing new).
    const dbCursor = await new IngestCursorRepository(db).findById(corpus.sqliteFile);
    expect(dbCursor?.state).toEqual({ after: 250 });
  });

  it('reads only new bytes on a second run, and exactly the appended bytes after an append', async () => {
    const k = await boot();
    const first = await k.ingest();
    expect(first.bytesRead).toBeGreaterThan(0);

    const second = await k.ingest();
    expect({ bytesRead: second.bytesRead, chunks: second.chunks, records: second.records, unchanged: second.sources.unchanged }).toEqual({
      bytesRead: 0,
      chunks: 0,
      records: { inserted: 0, updated: 0, unchanged: 0 },
      unchanged: second.sources.total,
    });

    const file = corpus.jsonlFiles[0] as string;
    const event: UsageEvent = { t: 'usage', key: 'appended-1', session: 'sess-0', model: 'model-a', in: 10, out: 20, cw: 0, cw1h: 0, cr: 5, rs: 0, at: '2026-03-06T10:00:00.000Z' };
    const line = usageLine(event);
    appendFileSync(file, line);
    const third = await k.ingest();
    expect({ bytesRead: third.bytesRead, inserted: third.records.inserted, read: third.sources.read }).toEqual({
      bytesRead: Buffer.byteLength(line),
      inserted: 1,
      read: 1,
    });
    expect((await storedTotals(db)).records).toBe(corpus.totals.records + 1);
  });

  it('waits for a partial last line and stores it once it is completed', async () => {
    const k = await boot();
    await k.ingest();
    const { file, event } = corpus.partial;
    const key = { dedup_key: `test-agent:${event.key}` };
    expect(await db.knex('usage_records').where(key).count({ n: '*' })).toEqual([{ n: 0 }]);

    appendFileSync(file, '\n');
    const summary = await k.ingest();
    expect(summary.bytesRead).toBe(Buffer.byteLength(JSON.stringify(event)) + 1);
    const [row] = await db.knex('usage_records').where(key).select('input_tokens', 'output_tokens');
    expect(row).toEqual({ input_tokens: event.in, output_tokens: event.out });
  });

  it('re-reads a truncated file and a replaced file (new inode) from the start without double counting', async () => {
    const k = await boot();
    await k.ingest();
    const before = comparable(await storedTotals(db));

    // Truncated: shorter than the cursor's offset.
    const truncated = corpus.jsonlFiles[2] as string;
    truncateSync(truncated, 100);
    // Replaced: same content written to a new file renamed over the old one (new inode, same size).
    const replaced = corpus.jsonlFiles[3] as string;
    const inode = statSync(replaced).ino;
    writeFileSync(`${replaced}.tmp`, readFileSync(replaced));
    renameSync(`${replaced}.tmp`, replaced);
    expect(statSync(replaced).ino).not.toBe(inode);

    const summary = await k.ingest();
    expect(summary.records).toEqual({ inserted: 0, updated: 0, unchanged: expect.any(Number) });
    // Everything of the replaced file; of the truncated one, its complete lines (the cut one waits).
    expect(summary.bytesRead).toBe(statSync(replaced).size + completeLineBytes(truncated));
    expect(comparable(await storedTotals(db))).toEqual(before);

    const cursors = new IngestCursorRepository(db);
    expect((await cursors.findById(replaced))?.inode).toBe(String(statSync(replaced).ino));
    // The adapter's state restarted with the file: it counts the lines it was handed since.
    const state = (await cursors.findById(replaced))?.state as { lines: number; firstOffset: number };
    expect(state.firstOffset).toBe(0);
  });

  it('re-reads a file rewritten in place under the same inode (its bytes before the offset changed)', async () => {
    const k = await boot();
    await k.ingest();
    const file = corpus.jsonlFiles[4] as string;
    const inode = statSync(file).ino;
    const event: UsageEvent = { t: 'usage', key: 'rewritten-1', session: 'sess-4', model: 'model-b', in: 7, out: 8, cw: 0, cw1h: 0, cr: 0, rs: 0, at: '2026-03-06T11:00:00.000Z' };
    // Same inode, longer than before, different bytes everywhere: what `cp other file` does.
    const text = usageLine(event).repeat(1) + readFileSync(file, 'latin1') + usageLine({ ...event, key: 'rewritten-2' });
    writeFileSync(file, text, 'latin1');
    expect(statSync(file).ino).toBe(inode);

    const summary = await k.ingest();
    expect(summary.records.inserted).toBe(2);
    expect(summary.bytesRead).toBe(statSync(file).size - (corpus.partial.file === file ? Buffer.byteLength(JSON.stringify(corpus.partial.event)) : 0));
  });

  it('counts corrupt lines and binary garbage per source and never fails on them', async () => {
    const k = await boot();
    const file = path.join(world.agentHome, 'projects', 'garbage.jsonl');
    const garbage = Buffer.concat([
      Buffer.from('{"t":"usage",\n'),
      Buffer.from([0x22, 0x74, 0x22, 0x3a, 0xc3, 0x28, 0xff, 0x00, 0x0a]),
      Buffer.from('{"t":"session"}\n'),
      Buffer.from('{"t":"warp","x":1}\n'),
      Buffer.from(usageLine({ t: 'usage', key: 'g1', session: 'g', model: 'model-a', in: 1, out: 1, cw: 0, cw1h: 0, cr: 0, rs: 0, at: '2026-03-01T00:00:00Z' })),
    ]);
    writeFileSync(file, garbage);
    const summary = await k.ingest();
    expect(summary.errors).toEqual([]);
    expect(summary.warnings.find((w) => w.path === file)?.counts).toEqual({ corrupt: 2, 'missing-field': 1, 'unknown-type': 1 });
    expect(await db.knex('usage_records').where({ dedup_key: 'test-agent:g1' }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('refuses a source outside the plugin’s roots before touching it, and reads the others', async () => {
    const outside = path.join(world.dir, 'elsewhere.jsonl');
    writeFileSync(outside, usageLine({ t: 'usage', key: 'x', session: 'x', model: 'model-a', in: 1, out: 1, cw: 0, cw1h: 0, cr: 0, rs: 0, at: '2026-03-01T00:00:00Z' }));
    const k = await boot({ config: { plugins: { config: { [ADAPTER]: { extraSources: [{ id: outside, kind: 'jsonl', path: outside }, { id: '/etc/passwd', kind: 'sqlite', path: '/etc/passwd' }] } } } } });
    const summary = await k.ingest();
    expect(summary.errors.map((e) => ({ source: e.sourceId, code: e.code }))).toEqual([
      { source: outside, code: ErrorCodes.PERMISSION_DENIED },
      { source: '/etc/passwd', code: ErrorCodes.PERMISSION_DENIED },
    ]);
    expect(summary.sources.failed).toBe(2);
    expect(await db.knex('usage_records').where({ dedup_key: 'test-agent:x' }).count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(comparable(await storedTotals(db))).toEqual(comparable(corpus.totals));
  });

  it('an ingest stopped between chunks resumes where it stopped and ends with the same totals', async () => {
    const k = await boot({ ingestLimits: { chunkLines: 20 } });
    const abort = new AbortController();
    const stopped = await k.ingest({ signal: abort.signal, onProgress: (progress) => progress.bytesDone > 0 && abort.abort() });
    expect(stopped.aborted).toBe(true);
    expect((await storedTotals(db)).records).toBeLessThan(corpus.totals.records);
    const resumed = await k.ingest();
    expect(resumed.aborted).toBe(false);
    expect(comparable(await storedTotals(db))).toEqual(comparable(corpus.totals));
  });

  it('two kernels ingesting one store at once count every record once', async () => {
    const first = await boot();
    const secondDb = await backend.connectSecond();
    const second = (await bootKernel(world, { database: secondDb })).kernel;
    try {
      const [a, b] = await Promise.all([first.ingest(), second.ingest()]);
      expect([...a.errors, ...b.errors]).toEqual([]);
      expect(a.records.inserted + b.records.inserted).toBe(corpus.totals.records);
      expect(comparable(await storedTotals(db))).toEqual(comparable(corpus.totals));
      // And afterwards either one finds nothing left to read.
      expect((await second.ingest()).bytesRead).toBe(0);
    } finally {
      await second.shutdown('test over');
      await secondDb.close();
    }
  });

  it('reads a SQLite source again only when the database or its -wal changed', async () => {
    const k = await boot();
    await k.ingest();
    expect((await k.ingest()).chunks).toBe(0);
    const sqlite = new BetterSqlite3(corpus.sqliteFile);
    sqlite.pragma('journal_mode = WAL');
    sqlite.prepare('insert into usage (key, session, model, input, output, at) values (?, ?, ?, ?, ?, ?)').run('late', 'db-session-9', 'model-b', 3, 4, '2026-03-07T00:00:00Z');
    const summary = await k.ingest();
    sqlite.close();
    expect(summary.records.inserted).toBe(1);
    expect(summary.chunks).toBe(2); // the new row, then a page that finds nothing more
  });
});

function completeLineBytes(file: string): number {
  return readFileSync(file).lastIndexOf(0x0a) + 1;
}
