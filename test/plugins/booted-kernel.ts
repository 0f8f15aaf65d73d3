/**
 * End-to-end plumbing for adapter tests: adapter packages installed the way the kernel finds
 * built-in plugins, a Kernel booted over a store in a temp dir with a chosen environment, and
 * checks that the store reports exactly what a fixture generator says it wrote.
 */
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../kernel/config';
import { Kernel } from '../../kernel/core/lifecycle';
import { createLogger } from '../../kernel/core/logging';
import type { IngestRunSummary } from '../../kernel/services/ingestion';
import { CostAggregator, openStore, SessionRepository, type Database, type Session, type UsageTotals } from '../../kernel/services/storage';
import { bundlePlugin } from '../../sandbox/bundler';
import type { RimuruConfig } from '../../sdk/src/config';
import type { AgentFixture, ExpectedUsage } from '../fixtures/agents/expected-usage';

const REPO = path.resolve(__dirname, '../..');

/** Copies each adapter's package.json and writes its bundle at `dist/plugin.js` under `pluginsDir`. */
export async function installAdapters(pluginsDir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const target = path.join(pluginsDir, name);
    mkdirSync(path.join(target, 'dist'), { recursive: true });
    copyFileSync(path.join(REPO, 'plugins', name, 'package.json'), path.join(target, 'package.json'));
    writeFileSync(path.join(target, 'dist', 'plugin.js'), (await bundlePlugin(path.join(REPO, 'plugins', name, 'src', 'plugin.ts'))).code);
  }
}

export interface BootedKernel {
  kernel: Kernel;
  database: Database;
  /** Shuts the kernel down and closes the store. */
  close(): Promise<void>;
}

/** Boots a kernel whose built-in plugins are in `<dir>/plugins` and whose store is in `<dir>/data`. */
export async function bootKernel(dir: string, env: Record<string, string>, home: string, agents: RimuruConfig['agents'] = {}): Promise<BootedKernel> {
  const config = resolveConfig({ dataDir: path.join(dir, 'data'), plugins: { dir: path.join(dir, 'user-plugins') }, agents }, { cwd: dir, env: {}, homeDir: home });
  const database = await openStore(config);
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    const kernel = await Kernel.boot({
      config,
      logger: createLogger({ level: 'warn', pretty: false, destination: quiet }),
      builtinPluginDir: path.join(dir, 'plugins'),
      env,
      homeDir: home,
      database,
    });
    return {
      kernel,
      database,
      close: async () => {
        await kernel.shutdown('test over');
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export interface KernelRuns {
  /** This test's temp dir: `plugins/` holds the installed adapters; put homes and data beside it. */
  dir(): string;
  /** Boots over this test's dir (see {@link bootKernel}); shut down after the test. */
  boot(env: Record<string, string>, home: string, agents?: RimuruConfig['agents']): Promise<BootedKernel>;
}

/** A fresh temp dir with `adapters` installed before each test, and the kernel and dir cleaned up after. */
export function useBootedKernels(adapters: readonly string[]): KernelRuns {
  let dir: string | undefined;
  let booted: BootedKernel | undefined;
  beforeEach(async () => {
    dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-e2e-')));
    await installAdapters(path.join(dir, 'plugins'), adapters);
  });
  afterEach(async () => {
    await booted?.close();
    booted = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const current = (): string => {
    if (!dir) throw new Error('useBootedKernels: no test is running');
    return dir;
  };
  return {
    dir: current,
    async boot(env, home, agents) {
      booted = await bootKernel(current(), env, home, agents);
      return booted;
    },
  };
}

function tokens(usage: UsageTotals | ExpectedUsage): Omit<ExpectedUsage, 'costUsd'> {
  const { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, reasoningTokens, totalTokens, records } = usage;
  return { inputTokens, outputTokens, cacheWriteTokens, cacheReadTokens, reasoningTokens, totalTokens, records };
}

/** Each row's tokens exactly and its cost within half a cent; one failure names the table and key. */
export function expectTable(what: string, actual: Record<string, UsageTotals>, expected: Record<string, ExpectedUsage>): void {
  expect({ what, keys: Object.keys(actual).sort() }).toEqual({ what, keys: Object.keys(expected).sort() });
  for (const [key, usage] of Object.entries(expected)) {
    const stored = actual[key] as UsageTotals;
    expect({ what, key, ...tokens(stored) }).toEqual({ what, key, ...tokens(usage) });
    expect({ what, key, costUsd: stored.costUsd, withinACent: Math.abs(stored.costUsd - usage.costUsd) < 0.005 }).toEqual({ what, key, costUsd: expect.any(Number), withinACent: true });
  }
}

export type UsageTables = Pick<AgentFixture, 'totals' | 'byDay' | 'byModel'>;

/** The store's figures for one agent (optionally only some of its models): totals, by UTC day, by model. */
export async function expectStoredUsage(db: Database, agentType: string, expected: UsageTables, models?: readonly string[]): Promise<void> {
  const costs = new CostAggregator(db);
  const filter = { agents: [agentType], ...(models ? { models } : {}) };
  expectTable(`${agentType} totals`, { all: await costs.breakdown(filter) }, { all: expected.totals });
  const report = await costs.report({}, { groupBy: 'day', timeZone: 'UTC', filter });
  expectTable(`${agentType} by day`, Object.fromEntries(report.periods.map((period) => [period.period, { ...period.totals }])), expected.byDay);
  expectTable(`${agentType} by model`, Object.fromEntries((await costs.byModel({}, filter)).map(({ model, ...usage }) => [model, usage])), expected.byModel);
}

/** The stored sessions of one agent, by the agent's own id. */
export async function storedSessions(db: Database, agentType: string): Promise<Map<string, Session>> {
  const sessions = (await new SessionRepository(db).findAll({ limit: 10_000 })).filter((session) => session.agentType === agentType);
  return new Map(sessions.map((session) => [session.externalId, session]));
}

/** Warning counts of one agent's sources in a run, by kind. */
export function warningsOf(summary: IngestRunSummary, agentType: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const source of summary.warnings.filter((warning) => warning.agentType === agentType)) {
    for (const [kind, count] of Object.entries(source.counts)) counts[kind] = (counts[kind] ?? 0) + (count ?? 0);
  }
  return counts;
}

/** What `warningsOf` must say for a fixture's planted problems. */
export function expectedWarnings(fixture: AgentFixture): Record<string, number> {
  const { corrupt, missingField, unknownType, hugeLines } = fixture.skipped;
  const counts: Record<string, number> = { corrupt, 'missing-field': missingField, 'unknown-type': unknownType, 'huge-line': hugeLines };
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0));
}
