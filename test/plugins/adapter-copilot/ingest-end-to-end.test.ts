/**
 * Copilot CLI and Gemini CLI end to end: generated corpora, a booted Kernel running both adapter
 * bundles in their sandboxes under their manifests' permissions, `kernel.ingest()` with the real
 * pricing service, and the store's CostAggregator — which must report exactly what the
 * generators wrote: tokens to the token and costs to the cent, by UTC day and by model.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../../kernel/config';
import { Kernel } from '../../../kernel/core/lifecycle';
import { createLogger } from '../../../kernel/core/logging';
import { openStore, type Database } from '../../../kernel/services/storage';
import { writeCopilotFixture } from '../../fixtures/agents/copilot';
import { addUsage, type AgentFixture, type ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { writeGeminiFixture } from '../../fixtures/agents/gemini';
import { normalisedSnapshotCost } from '../../fixtures/agents/normalised-ledger';
import { snapshotCostUsd } from '../../fixtures/agents/snapshot-prices';
import { expectedWarnings, expectStoredUsage, storedSessions, useBootedKernels, warningsOf } from '../booted-kernel';

const SMALL_HUGE_LINE = { hugeLineBytes: 9 * 1024 * 1024 };
const runs = useBootedKernels(['adapter-copilot', 'adapter-gemini']);

/** The store holds exactly the fixture's usage, its sessions with usage under their own ids, and each named session's project. */
async function expectStoreMatches(db: Database, fixture: AgentFixture & { projectPaths: Record<string, string> }): Promise<void> {
  await expectStoredUsage(db, fixture.agentType, fixture);
  const sessions = await storedSessions(db, fixture.agentType);
  expect(fixture.sessions.filter((id) => !sessions.has(id))).toEqual([]);
  for (const [id, projectPath] of Object.entries(fixture.projectPaths)) expect({ id, projectPath: sessions.get(id)?.projectPath }).toEqual({ id, projectPath });
}

/** `usage` added into a copy of one of the fixture's tables (tokens and cost), as a correct reader adds a new call. */
function plus(table: Record<string, ExpectedUsage>, key: string, usage: Omit<ExpectedUsage, 'totalTokens' | 'records'>): Record<string, ExpectedUsage> {
  const copy = Object.fromEntries(Object.entries(table).map(([k, v]) => [k, { ...v }]));
  addUsage((copy[key] ??= { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, reasoningTokens: 0, totalTokens: 0, costUsd: 0, records: 0 }), usage);
  return copy;
}

it('ingests Copilot and Gemini corpora into totals equal to the generators’, to the token and the cent, and again changes nothing', async () => {
  const dir = runs.dir();
  const home = path.join(dir, 'home');
  const copilot = writeCopilotFixture(home, SMALL_HUGE_LINE);
  const gemini = writeGeminiFixture(home, SMALL_HUGE_LINE);
  const { kernel: booted, database } = await runs.boot({ ...copilot.env, ...gemini.env }, home);

  const first = await booted.ingest();
  expect(first.errors).toEqual([]);
  expect(first.adapters.map(({ agentType, installed, paths }) => ({ agentType, installed, paths })).sort((a, b) => a.agentType.localeCompare(b.agentType))).toEqual([
    { agentType: 'copilot', installed: true, paths: [path.join(home, '.copilot')] },
    { agentType: 'gemini', installed: true, paths: [path.join(home, '.gemini')] },
  ]);
  const db = database;
  await expectStoreMatches(db, copilot);
  await expectStoreMatches(db, gemini);
  expect(warningsOf(first, 'copilot')).toEqual(expectedWarnings(copilot));
  expect(warningsOf(first, 'gemini')).toEqual(expectedWarnings(gemini));
  expect([...first.unknownModels].sort()).toEqual([...copilot.unknownModels, ...gemini.unknownModels].sort());

  const again = await booted.ingest();
  expect(again.records.inserted + again.records.updated).toBe(0);
  await expectStoreMatches(db, copilot);
  await expectStoreMatches(db, gemini);
});

it('carries the parse state through the store: three-line chunks give the same totals', async () => {
  const dir = runs.dir();
  const home = path.join(dir, 'home');
  const copilot = writeCopilotFixture(home, { sessions: 3, hugeLineBytes: 0 });
  const gemini = writeGeminiFixture(home, { sessions: 2, hugeLineBytes: 0 });
  // booted-kernel's boot takes no ingest limits; the Kernel does.
  const config = resolveConfig({ dataDir: path.join(dir, 'data'), plugins: { dir: path.join(dir, 'user-plugins') } }, { cwd: dir, env: {}, homeDir: home });
  const database = await openStore(config);
  const logger = createLogger({ level: 'warn', pretty: false, destination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
  let kernel: Kernel | undefined;
  try {
    kernel = await Kernel.boot({ config, logger, builtinPluginDir: path.join(dir, 'plugins'), env: { ...copilot.env, ...gemini.env }, homeDir: home, database, ingestLimits: { chunkLines: 3 } });
    const summary = await kernel.ingest();
    expect(summary.errors).toEqual([]);
    expect(summary.chunks).toBeGreaterThan(summary.sources.read * 2);
    await expectStoreMatches(database, copilot);
    await expectStoreMatches(database, gemini);
  } finally {
    await kernel?.shutdown('test over');
    await database.close();
  }
});

it('honours COPILOT_HOME and GEMINI_CLI_HOME over the home directory', async () => {
  const dir = runs.dir();
  const home = path.join(dir, 'home');
  writeCopilotFixture(home, { seed: 1, sessions: 1, hugeLineBytes: 0, otelExportFile: false });
  writeGeminiFixture(home, { seed: 2, sessions: 1, hugeLineBytes: 0 });
  const copilot = writeCopilotFixture(dir, { seed: 3, copilotHome: path.join(dir, 'relocated-copilot'), hugeLineBytes: 0, otelExportFile: false });
  const gemini = writeGeminiFixture(dir, { seed: 4, geminiHome: path.join(dir, 'profile', '.gemini'), hugeLineBytes: 0 });
  const { kernel: booted, database } = await runs.boot({ HOME: home, COPILOT_HOME: copilot.env.COPILOT_HOME as string, GEMINI_CLI_HOME: gemini.env.GEMINI_CLI_HOME as string }, home);
  expect((await booted.ingest()).errors).toEqual([]);
  await expectStoreMatches(database, copilot);
  await expectStoreMatches(database, gemini);
});

it('reads the folders named in agents.<type>.paths, which the kernel grants the adapters', async () => {
  const dir = runs.dir();
  const home = path.join(dir, 'home');
  const copilot = writeCopilotFixture(dir, { seed: 5, copilotHome: path.join(dir, 'synced', 'copilot'), hugeLineBytes: 0, otelExportFile: false });
  const gemini = writeGeminiFixture(dir, { seed: 6, geminiHome: path.join(dir, 'synced', '.gemini'), hugeLineBytes: 0 });
  mkdirSync(home, { recursive: true });
  const { kernel: booted, database } = await runs.boot({ HOME: home }, home, { copilot: { paths: [copilot.copilotHome] }, gemini: { paths: [gemini.geminiHome] } });
  expect((await booted.ingest()).errors).toEqual([]);
  await expectStoreMatches(database, copilot);
  await expectStoreMatches(database, gemini);
});

it('picks up what is appended later: a session that shuts down, and a Gemini answer, each counted once', async () => {
  const dir = runs.dir();
  const home = path.join(dir, 'home');
  const copilot = writeCopilotFixture(home, { hugeLineBytes: 0 });
  const gemini = writeGeminiFixture(home, { hugeLineBytes: 0 });
  const { kernel: booted, database } = await runs.boot({ ...copilot.env, ...gemini.env }, home);
  expect((await booted.ingest()).errors).toEqual([]);

  // The open Copilot session finishes its half-written line and shuts down.
  const events = path.join(copilot.copilotHome, 'session-state', copilot.notable.open, 'events.jsonl');
  const at = '2026-10-06T09:00:00.000Z';
  const usage = { inputTokens: 90_000, outputTokens: 3_000, cacheReadTokens: 70_000, cacheWriteTokens: 0, reasoningTokens: 1_000 };
  appendFileSync(events, `ing tests"},"id":"m-end","timestamp":"2026-10-06T08:59:00.000Z","parentId":null}\n`);
  appendFileSync(events, `${JSON.stringify({ type: 'session.shutdown', id: 'shutdown-late', timestamp: at, parentId: null, data: { shutdownType: 'routine', modelMetrics: { 'gpt-5.1-codex': { requests: { count: 9, cost: 9 }, usage } } } })}\n`);
  const copilotCall = { inputTokens: 20_000, outputTokens: 3_000, cacheWriteTokens: 0, cacheReadTokens: 70_000, reasoningTokens: 1_000 };
  const copilotCost = normalisedSnapshotCost('gpt-5.1-codex', copilotCall);

  // A Gemini recording gets a new answer, and an old answer appended again (counted once).
  const recording = path.join(gemini.geminiHome, 'tmp', 'web-app', 'chats', readdirMatching(path.join(gemini.geminiHome, 'tmp', 'web-app', 'chats'), gemini.notable.reappended.slice(0, 8)));
  const lines = readFileSync(recording, 'utf8').trim().split('\n');
  const oldAnswer = lines.find((line) => line.includes('"type":"gemini"') && line.includes('"tokens":{')) as string;
  const answer = { id: 'late-answer', timestamp: '2026-10-06T10:00:00.000Z', type: 'gemini', content: 'done', model: 'gemini-2.5-flash', tokens: { input: 30_000, output: 500, cached: 20_000, thoughts: 700, tool: 0, total: 31_200 } };
  appendFileSync(recording, `${oldAnswer}\n${JSON.stringify(answer)}\n`);
  const geminiCall = { inputTokens: 10_000, outputTokens: 1_200, cacheWriteTokens: 0, cacheReadTokens: 20_000, reasoningTokens: 700 };
  const geminiCost = snapshotCostUsd('gemini-2.5-flash', geminiCall);

  const second = await booted.ingest();
  expect(second.errors).toEqual([]);
  expect(second.records.inserted).toBe(2);
  await expectStoreMatches(database, {
    ...copilot,
    totals: plus({ all: copilot.totals }, 'all', { ...copilotCall, costUsd: copilotCost }).all as ExpectedUsage,
    byDay: plus(copilot.byDay, '2026-10-06', { ...copilotCall, costUsd: copilotCost }),
    byModel: plus(copilot.byModel, 'gpt-5.1-codex', { ...copilotCall, costUsd: copilotCost }),
    sessions: [...copilot.sessions, copilot.notable.open].sort(),
  });
  await expectStoreMatches(database, {
    ...gemini,
    totals: plus({ all: gemini.totals }, 'all', { ...geminiCall, costUsd: geminiCost }).all as ExpectedUsage,
    byDay: plus(gemini.byDay, '2026-10-06', { ...geminiCall, costUsd: geminiCost }),
    byModel: plus(gemini.byModel, 'gemini-2.5-flash', { ...geminiCall, costUsd: geminiCost }),
  });
  expect((await storedSessions(database, 'copilot')).get(copilot.notable.open)?.endedAt).toBe(Date.parse(at));
});

function readdirMatching(chatsDir: string, fragment: string): string {
  const name = readdirSync(chatsDir).find((entry) => entry.includes(fragment) && entry.endsWith('.jsonl'));
  if (name === undefined) throw new Error(`no recording with ${fragment} in ${chatsDir}`);
  return name;
}
