import * as path from 'node:path';
import { Database } from '../../../../kernel/services/storage';
import { seededRandom } from '../../../fixtures/agents/expected-usage';
import { comparable, storedTotals, type IngestWorld } from '../ingest-harness';
import { writeTestAgentCorpus, type TestAgentCorpus } from '../fixtures/test-agent-corpus';
import { doneLine, progressCount, startIngestChild, useChildWorlds } from './ingest-child-process';

/**
 * kill -9 at any point, re-run: identical totals. The ingest runs in a child process (a real
 * kernel, the test adapter in its real sandbox, a real SQLite store) that is SIGKILLed at
 * seeded random points — after a random number of committed chunks plus a random delay, so
 * the kill lands in parsing, pricing, the middle of a transaction or between them — then run
 * to completion. The store must then hold exactly what one clean run writes: the same records
 * (key, tokens, cost), the same sessions and the same cursors.
 */

const SEED = Number(process.env.RIMURU_CRASH_SEED ?? 20260315);
const KILLS = 6;
// Small chunks: many transactions, so most kill points fall inside the ingest. Run twice: with
// every transaction written on the kernel's own connection, then from the SQLite writer thread.
const WRITERS = [
  { writer: 'in-thread', limits: { chunkLines: 150 } },
  { writer: 'writer thread', limits: { chunkLines: 150, writerThreadRecords: 1 } },
] as const;

const children = useChildWorlds();

async function makeWorld(): Promise<{ world: IngestWorld; corpus: TestAgentCorpus }> {
  const world = await children.world();
  const corpus = writeTestAgentCorpus(world.agentHome, { seed: 11, sessions: 24, eventsPerSession: 150, sqliteRows: 400 });
  return { world, corpus };
}

interface StoreSnapshot {
  records: unknown[];
  sessions: unknown[];
  cursors: unknown[];
  totals: unknown;
}

async function snapshot(world: IngestWorld): Promise<StoreSnapshot> {
  const db = await Database.connect({ dataDir: world.dataDir, maxConnections: 1, minConnections: 0, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
  try {
    expect(await db.knex.raw('pragma integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    return {
      records: await db
        .knex('usage_records')
        .select('dedup_key', 'session_id', 'model', 'input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'cache_read_tokens', 'reasoning_tokens', 'cost_usd', 'cost_source', 'recorded_at')
        .orderBy('dedup_key'),
      sessions: await db.knex('sessions').select('id', 'project_path', 'title', 'started_at', 'ended_at', 'last_activity_at', 'status').orderBy('id'),
      // Where every source stands, without what is particular to the world it ran in.
      cursors: (await db.knex('ingest_cursors').select('source_id', 'size', 'offset', 'state', 'warnings').orderBy('source_id')).map((row: Record<string, unknown>) => ({
        ...row,
        source_id: path.relative(world.agentHome, String(row.source_id)),
        // The SQLite source's signature names its inode and mtime, which differ between worlds.
        state: String(row.state).replace(/"signature":"[^"]*"/, '"signature":"<seen>"'),
      })),
      totals: comparable(await storedTotals(db)),
    };
  } finally {
    await db.close();
  }
}

async function recordCount(world: IngestWorld): Promise<number> {
  const db = await Database.connect({ dataDir: world.dataDir, maxConnections: 1, minConnections: 0, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
  try {
    const [row] = (await db.knex('usage_records').count({ n: '*' })) as Array<{ n: number }>;
    return Number(row?.n ?? 0);
  } finally {
    await db.close();
  }
}

it.each(WRITERS)(`totals after ${KILLS} SIGKILLs at random points and a final run equal one clean run's (seed ${SEED}, $writer)`, async ({ limits: LIMITS }) => {
  const clean = await makeWorld();
  const cleanRun = startIngestChild(children.bundle(), clean.world, LIMITS);
  const cleanExit = await cleanRun.exited;
  expect({ code: cleanExit.code, stderr: cleanExit.stderr }).toEqual({ code: 0, stderr: '' });
  const cleanChunks = progressCount(cleanExit.stdout);
  const expected = await snapshot(clean.world);
  expect(expected.totals).toEqual(comparable(clean.corpus.totals));

  const crashed = await makeWorld();
  const random = seededRandom(SEED);
  const partial: number[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const run = startIngestChild(children.bundle(), crashed.world, LIMITS);
    // Somewhere in what is left: after 0..N committed chunks, then 0–25 ms more.
    const after = Math.floor(random() * Math.max(1, cleanChunks / 3));
    const delayMs = Math.floor(random() * 25);
    const out = await run.waitFor((stdout) => stdout.includes('ingesting') && progressCount(stdout) >= after).catch(() => '');
    if (out !== '') {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      run.kill();
    }
    const exit = await run.exited;
    if (exit.signal === 'SIGKILL' && !exit.stdout.includes('done ')) partial.push(await recordCount(crashed.world));
  }
  // Most kills must have landed mid-ingest, leaving a store that is part-way there.
  expect(partial.length).toBeGreaterThanOrEqual(KILLS / 2);
  expect(partial.some((count) => count > 0 && count < clean.corpus.totals.records)).toBe(true);

  const final = startIngestChild(children.bundle(), crashed.world, LIMITS);
  const finalExit = await final.exited;
  expect({ code: finalExit.code, stderr: finalExit.stderr }).toEqual({ code: 0, stderr: '' });
  expect(doneLine(finalExit.stdout).summary.errors).toEqual([]);
  const actual = await snapshot(crashed.world);
  expect(actual.totals).toEqual(expected.totals);
  expect(actual.records).toEqual(expected.records);
  expect(actual.sessions).toEqual(expected.sessions);
  expect(actual.cursors).toEqual(expected.cursors);
}, 180_000);
