import { appendFileSync } from 'node:fs';
import type { Kernel } from '../../../kernel/core/lifecycle';
import { SessionRepository, Database } from '../../../kernel/services/storage';
import type { HookName } from '../../../sdk/src/hooks';
import { bootKernel, comparable, installTestAdapter, makeIngestWorld, storedTotals, storeOf, type IngestWorld } from './ingest-harness';
import { usageLine, writeTestAgentCorpus, type TestAgentCorpus } from './fixtures/test-agent-corpus';

/**
 * Large transactions on SQLite are written from a worker thread on its own connection. With
 * `writerThreadRecords: 1` every batch takes that path: the store must hold exactly what the
 * in-thread writer stores (the other ingestion tests), cursors must still race safely, and the
 * hooks must see the same facts.
 */

const THREAD = { writerThreadRecords: 1 };

let world: IngestWorld;
let corpus: TestAgentCorpus;
let kernel: Kernel | undefined;

beforeEach(async () => {
  world = makeIngestWorld();
  corpus = writeTestAgentCorpus(world.agentHome, { sessions: 6, eventsPerSession: 60, sqliteRows: 40 });
  await installTestAdapter(world.pluginsDir);
});

afterEach(async () => {
  await kernel?.shutdown('test over');
  kernel = undefined;
  world.dispose();
});

it('stores what the corpus holds, reads nothing twice, and brings in an append', async () => {
  kernel = (await bootKernel(world, { ingestLimits: THREAD })).kernel;
  const seen: string[] = [];
  for (const hook of ['SessionStart', 'CostRecorded'] as HookName[]) {
    kernel.hookBus.register({ id: `t-${hook}`, owner: 'test', hook, priority: 1, handle: () => (seen.push(hook), { type: 'continue' }) });
  }
  const first = await kernel.ingest();
  expect(first.errors).toEqual([]);
  const db = storeOf(kernel);
  expect(comparable(await storedTotals(db))).toEqual(comparable(corpus.totals));
  expect(first.records.inserted).toBe(corpus.totals.records);
  const sessions = await new SessionRepository(db).findAll();
  expect(Object.fromEntries(sessions.map((s) => [s.externalId, s.projectPath ?? '']))).toEqual(corpus.sessions);
  expect(seen.filter((hook) => hook === 'SessionStart')).toHaveLength(Object.keys(corpus.sessions).length);
  expect(seen.filter((hook) => hook === 'CostRecorded').length).toBeGreaterThan(0);

  expect((await kernel.ingest()).bytesRead).toBe(0);
  appendFileSync(corpus.jsonlFiles[0] as string, usageLine({ t: 'usage', key: 'thread-1', session: 'sess-0', model: 'model-a', in: 10, out: 20, cw: 0, cw1h: 0, cr: 0, rs: 0, at: '2026-03-06T10:00:00.000Z' }));
  expect((await kernel.ingest()).records.inserted).toBe(1);
  expect((await storedTotals(db)).records).toBe(corpus.totals.records + 1);
});

it('two kernels writing from their threads at once count every record once', async () => {
  const first = (await bootKernel(world, { ingestLimits: THREAD })).kernel;
  kernel = first;
  const secondDb = await Database.connect({ dataDir: world.dataDir, maxConnections: 1, minConnections: 0, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
  const second = (await bootKernel(world, { database: secondDb, ingestLimits: THREAD })).kernel;
  try {
    const [a, b] = await Promise.all([first.ingest(), second.ingest()]);
    expect([...a.errors, ...b.errors]).toEqual([]);
    expect(a.records.inserted + b.records.inserted).toBe(corpus.totals.records);
    expect(comparable(await storedTotals(storeOf(first)))).toEqual(comparable(corpus.totals));
    expect((await second.ingest()).bytesRead).toBe(0);
  } finally {
    await second.shutdown('test over');
    await secondDb.close();
  }
});
