import { appendFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Database } from '../../../kernel/services/storage';
import { startCli } from '../../cli/cli-process';
import { installTestAdapter, makeIngestWorld, type IngestWorld } from './ingest-harness';
import { usageLine, writeTestAgentCorpus, type TestAgentCorpus } from './fixtures/test-agent-corpus';

/**
 * `rimuru-kernel run` as a user starts it (the built bin; `npm test` builds first): it
 * ingests before its ready line, which carries the counts, then watches the agents' data and
 * brings an appended record into the store while it runs, and stops cleanly on SIGTERM.
 * The test adapter is a user plugin turned on in the config file.
 */

const ADAPTER = '@rimuru-fixture/adapter-test-agent';
let world: IngestWorld;
let corpus: TestAgentCorpus;

beforeEach(async () => {
  world = makeIngestWorld();
  corpus = writeTestAgentCorpus(world.agentHome, { sessions: 3, eventsPerSession: 10, sqliteRows: 5, hugeLine: false });
  const userPlugins = path.join(world.dir, 'user-plugins');
  await installTestAdapter(userPlugins);
  writeFileSync(path.join(world.dir, 'rimuru.config.json'), JSON.stringify({ dataDir: world.dataDir, plugins: { dir: userPlugins, enabled: { [ADAPTER]: true } } }));
});

afterEach(() => world.dispose());

async function storedOutputTokens(key: string): Promise<number | undefined> {
  const db = await Database.connect({ dataDir: world.dataDir, maxConnections: 1, minConnections: 0, connectTimeoutMs: 5_000, idleTimeoutMs: 10_000 });
  try {
    const rows = (await db.knex('usage_records').where({ dedup_key: key }).select('output_tokens')) as Array<{ output_tokens: number }>;
    return rows[0]?.output_tokens;
  } finally {
    await db.close();
  }
}

it('ingests before the ready line, watches while it runs, stops on SIGTERM', async () => {
  const env = { PATH: process.env.PATH, HOME: world.home, TEST_AGENT_HOME: world.agentHome, RIMURU_LOG_LEVEL: 'warn' };
  const kernel = await startCli(['run', '--json'], env, world.dir, /"event":"ready"/);
  try {
    const ready = JSON.parse(kernel.output().stdout.split('\n')[0] as string) as { ingest: { records: { inserted: number }; unknownModels: string[] } };
    expect(ready.ingest.records.inserted).toBe(corpus.totals.records);

    appendFileSync(corpus.jsonlFiles[0] as string, usageLine({ t: 'usage', key: 'while-running', session: 'sess-0', model: 'model-a', in: 1, out: 42, cw: 0, cw1h: 0, cr: 0, rs: 0, at: new Date().toISOString() }));
    const deadline = Date.now() + 15_000;
    let stored: number | undefined;
    while ((stored = await storedOutputTokens('test-agent:while-running')) === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(stored).toBe(42);
  } finally {
    kernel.child.kill('SIGTERM');
  }
  const exit = await kernel.exited;
  expect(exit.code).toBe(0);
  expect(exit.stdout).toContain('"event":"stopped"');
}, 60_000);
