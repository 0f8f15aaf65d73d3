import { appendFileSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Kernel } from '../../../kernel/core/lifecycle';
import { bootKernel, comparable, installTestAdapter, makeIngestWorld, storedTotals, storeOf, type IngestWorld } from './ingest-harness';
import { usageLine, writeTestAgentCorpus, type TestAgentCorpus, type UsageEvent } from './fixtures/test-agent-corpus';

/**
 * An adapter's `discover` and `sources` answers are kept in the store with the directories and
 * files they looked at; the next run — usually another process, a report — uses them while a
 * stat of each says nothing changed, and asks the adapter again the moment something did.
 */

const ADAPTER = '@rimuru-fixture/adapter-test-agent';
const HOUR_AGO = (Date.now() - 3_600_000) / 1000;

let world: IngestWorld;
let corpus: TestAgentCorpus;
const kernels: Kernel[] = [];

beforeEach(async () => {
  world = makeIngestWorld();
  corpus = writeTestAgentCorpus(world.agentHome, { sessions: 3, eventsPerSession: 10, sqliteRows: 5 });
  ageTree(world.agentHome);
  await installTestAdapter(world.pluginsDir);
});

afterEach(async () => {
  for (const kernel of kernels.splice(0)) await kernel.shutdown('test over');
  world.dispose();
});

/** Sets every mtime under `dir` an hour back: older than the 2 s a kept answer must be. */
function ageTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) ageTree(full);
    utimesSync(full, HOUR_AGO, HOUR_AGO);
  }
  utimesSync(dir, HOUR_AGO, HOUR_AGO);
}

/** Boots a kernel (a new one per run, as each report is a new process) and counts its adapter's listing calls. */
async function bootCounting(options: Parameters<typeof bootKernel>[1] = {}): Promise<{ kernel: Kernel; calls: string[] }> {
  const { kernel } = await bootKernel(world, options);
  kernels.push(kernel);
  const sandbox = kernel.plugin(ADAPTER)?.live;
  if (sandbox === undefined) throw new Error('the test adapter does not run');
  const calls: string[] = [];
  const invoke = sandbox.invoke.bind(sandbox);
  jest.spyOn(sandbox, 'invoke').mockImplementation((method, ...rest) => {
    if (method === 'discover' || method === 'sources') calls.push(method);
    return invoke(method, ...rest);
  });
  return { kernel, calls };
}

/**
 * One ingest, then an hour passes. The first read of the corpus's SQLite database leaves its
 * -wal and -shm beside it, which changes that folder: a real agent's database has them already.
 */
async function settle(): Promise<void> {
  const { kernel } = await bootKernel(world);
  await kernel.ingest();
  await kernel.shutdown('settled');
  ageTree(world.agentHome);
  const again = await bootKernel(world);
  await again.kernel.ingest();
  await again.kernel.shutdown('settled');
}

async function keptRow(kernel: Kernel): Promise<{ discovery: string | null; sources: string | null } | undefined> {
  return storeOf(kernel).knex('ingest_listings').where({ plugin: ADAPTER }).first();
}

function event(key: string, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return { t: 'usage', key, session: 'kept', model: 'model-a', in: 100, out: 50, cw: 0, cw1h: 0, cr: 0, rs: 0, at: '2026-10-01T12:00:00.000Z', ...overrides };
}

function jsonlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.jsonl'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('kept adapter listings', () => {
  it('asks the adapter once, then answers from the kept listing while nothing it looked at changed', async () => {
    const first = await bootCounting();
    const summary = await first.kernel.ingest();
    expect(first.calls).toEqual(['discover', 'sources']);
    expect(summary.errors).toEqual([]);
    await first.kernel.shutdown('next run');
    ageTree(world.agentHome);
    const listing = await bootCounting();
    await listing.kernel.ingest();
    expect((await keptRow(listing.kernel))?.sources).not.toBeNull();
    await listing.kernel.shutdown('next run');

    const second = await bootCounting();
    const again = await second.kernel.ingest();
    expect(second.calls).toEqual([]);
    expect(again.sources.total).toBe(summary.sources.total);
    expect(again.sources.read).toBe(0);
    expect(comparable(await storedTotals(storeOf(second.kernel)))).toEqual(comparable(corpus.totals));
  });

  it('as a report runs it, starts no adapter while nothing changed, and starts it for a grown source', async () => {
    await settle();
    const quiet = await bootKernel(world, { asReport: true });
    kernels.push(quiet.kernel);
    expect(quiet.kernel.registry.get(ADAPTER)?.state).toBe('enabled');
    const nothing = await quiet.kernel.ingest();
    expect(nothing.errors).toEqual([]);
    expect(nothing.sources.read).toBe(0);
    expect(nothing.sources.unchanged).toBe(nothing.sources.total);
    // Kept listing, every source unchanged by its stat: the adapter was never needed.
    expect(quiet.kernel.registry.get(ADAPTER)?.state).toBe('enabled');
    expect(quiet.kernel.plugin(ADAPTER)?.live).toBeUndefined();
    await quiet.kernel.shutdown('next run');

    const [file] = jsonlFiles(world.agentHome);
    appendFileSync(file as string, `${usageLine(event('appended-by-report'))}\n`);
    const busy = await bootKernel(world, { asReport: true });
    kernels.push(busy.kernel);
    const read = await busy.kernel.ingest();
    expect(read.errors).toEqual([]);
    expect(read.sources.read).toBe(1);
    expect(busy.kernel.registry.get(ADAPTER)?.state).toBe('running');
    expect((await storedTotals(storeOf(busy.kernel))).inputTokens).toBe(corpus.totals.inputTokens + 100);
  });

  it('skips unchanged files by a stat but reads what was appended, without listing again', async () => {
    await settle();

    const [file] = jsonlFiles(world.agentHome);
    appendFileSync(file as string, `${usageLine(event('appended-1'))}\n`);
    const second = await bootCounting();
    const summary = await second.kernel.ingest();
    expect(second.calls).toEqual([]);
    expect(summary.sources.read).toBe(1);
    expect(summary.sources.unchanged).toBe(summary.sources.total - 1);
    const totals = await storedTotals(storeOf(second.kernel));
    expect(totals.inputTokens).toBe(corpus.totals.inputTokens + 100);
  });

  it('lists again when a listed folder gains a file, and ingests the new file', async () => {
    await settle();

    const folder = path.dirname(jsonlFiles(world.agentHome)[0] as string);
    writeFileSync(path.join(folder, 'new-session.jsonl'), `${usageLine(event('new-file-1', { session: 'new' }))}\n`);
    const second = await bootCounting();
    await second.kernel.ingest();
    expect(second.calls).toContain('sources');
    expect((await storedTotals(storeOf(second.kernel))).inputTokens).toBe(corpus.totals.inputTokens + 100);
  });

  it('lists again when a new folder appears under the root, and when the plugin config changes', async () => {
    await settle();

    const nested = path.join(world.agentHome, 'projects', 'brand-new');
    ageTree(world.agentHome);
    mkdirSync(nested, { recursive: true });
    writeFileSync(path.join(nested, 's.jsonl'), `${usageLine(event('nested-1', { session: 'nested' }))}\n`);
    const second = await bootCounting();
    await second.kernel.ingest();
    expect(second.calls).toContain('sources');
    expect((await storedTotals(storeOf(second.kernel))).inputTokens).toBe(corpus.totals.inputTokens + 100);
    await second.kernel.shutdown('next run');

    ageTree(world.agentHome);
    const third = await bootCounting({ config: { plugins: { config: { [ADAPTER]: { conflict: 'ignore' } } } } });
    await third.kernel.ingest();
    expect(third.calls).toEqual(['discover', 'sources']);
  });

  it('does not keep an answer that saw something modified in the last 2 s', async () => {
    const folder = path.dirname(jsonlFiles(world.agentHome)[0] as string);
    writeFileSync(path.join(folder, 'just-now.jsonl'), `${usageLine(event('fresh-1', { session: 'fresh' }))}\n`);
    expect(Date.now() - statSync(folder).mtimeMs).toBeLessThan(2_000);
    const first = await bootCounting();
    await first.kernel.ingest();
    expect((await keptRow(first.kernel))?.sources).toBeNull();
    await first.kernel.shutdown('next run');

    const second = await bootCounting();
    await second.kernel.ingest();
    expect(second.calls).toContain('sources');
  });
});
