import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig } from '../../../kernel/config';
import { Tokens } from '../../../kernel/core/container';
import { Kernel } from '../../../kernel/core/lifecycle';
import { createLogger } from '../../../kernel/core/logging';
import { usagePricer, type IngestLimits, type UsagePricer } from '../../../kernel/services/ingestion';
import { CostAggregator, type Database } from '../../../kernel/services/storage';
import type { RimuruConfig } from '../../../sdk/src/config';
import { bundlePlugin } from '../../../sandbox/bundler';
import { writePlugin } from '../../fixtures/registry/write-plugin';
import type { ExpectedUsage } from '../../fixtures/agents/expected-usage';
import { testPrice, TEST_MAX_LINE_BYTES } from './fixtures/test-agent-corpus';

/**
 * A throwaway world for ingestion tests: a temp dir holding the agent's data root, a home,
 * the kernel's data dir and a plugins dir with the test adapter (the real bundle, run by a
 * booted Kernel in its real sandbox, with its manifest's permissions).
 */

export const TEST_ADAPTER_DIR = path.resolve(__dirname, '../../fixtures/plugins/adapter-test-agent');
// Read when a test installs the adapter, not at import: the crash test's child bundles this file elsewhere.
function testAdapterManifest(): { rimuru: { permissions: Record<string, string[]>; limits: Record<string, number> } } {
  return JSON.parse(readFileSync(path.join(TEST_ADAPTER_DIR, 'package.json'), 'utf8')) as {
    rimuru: { permissions: Record<string, string[]>; limits: Record<string, number> };
  };
}

let bundled: Promise<string> | undefined;
/** The test adapter's bundle, built once per test file by the kernel's own bundler. */
export function testAdapterBundle(): Promise<string> {
  bundled ??= bundlePlugin(path.join(TEST_ADAPTER_DIR, 'src', 'plugin.ts')).then((bundle) => bundle.code);
  return bundled;
}

export interface TestAdapterOptions {
  name?: string;
  agentType?: string;
  permissions?: Record<string, string[]>;
  limits?: Record<string, number>;
}

/** Installs the test adapter into `pluginsDir` (as another package name/agent type when asked). */
export async function installTestAdapter(pluginsDir: string, options: TestAdapterOptions = {}): Promise<string> {
  const name = options.name ?? '@rimuru-fixture/adapter-test-agent';
  const agentType = options.agentType ?? 'test-agent';
  const manifest = testAdapterManifest();
  await writePlugin(pluginsDir, {
    name,
    folder: name.replace(/^@[^/]+\//, ''),
    kind: 'adapter',
    contributes: { adapters: [{ agentType, displayName: `Test Agent (${agentType})` }] },
    permissions: options.permissions ?? manifest.rimuru.permissions,
    limits: options.limits ?? manifest.rimuru.limits,
    bundle: await testAdapterBundle(),
  });
  return name;
}

export interface IngestWorld {
  dir: string;
  /** The agent's data root, `TEST_AGENT_HOME`. */
  agentHome: string;
  home: string;
  dataDir: string;
  pluginsDir: string;
  env: Record<string, string>;
  dispose(): void;
}

export function makeIngestWorld(): IngestWorld {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'rimuru-ingest-')));
  const world: IngestWorld = {
    dir,
    agentHome: path.join(dir, 'agent'),
    home: path.join(dir, 'home'),
    dataDir: path.join(dir, 'data'),
    pluginsDir: path.join(dir, 'plugins'),
    env: {},
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const folder of [world.agentHome, world.home, world.dataDir, world.pluginsDir]) mkdirSync(folder, { recursive: true });
  world.env = { TEST_AGENT_HOME: world.agentHome, HOME: world.home };
  return world;
}

export interface BootOptions {
  config?: RimuruConfig;
  database?: Database;
  pricer?: UsagePricer;
  ingestLimits?: Partial<IngestLimits>;
  env?: Record<string, string>;
  /** As a report boots: plugins start when used, the ingest's first step starts during the boot. */
  asReport?: boolean;
}

export interface BootedKernel {
  kernel: Kernel;
  logs: string[];
}

/** Boots a kernel over the world's plugins dir with the test pricer and the corpus's line limit. */
export async function bootKernel(world: IngestWorld, options: BootOptions = {}): Promise<BootedKernel> {
  const logs: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = resolveConfig(
    { dataDir: world.dataDir, plugins: { dir: path.join(world.dir, 'user-plugins') }, logLevel: 'debug', ...options.config },
    { cwd: world.dir, env: {}, homeDir: world.home },
  );
  const kernel = await Kernel.boot({
    config,
    logger: createLogger({ level: 'debug', pretty: false, destination: capture }),
    builtinPluginDir: world.pluginsDir,
    env: options.env ?? world.env,
    homeDir: world.home,
    database: options.database,
    pricer: options.pricer ?? usagePricer(testPrice),
    ingestLimits: { maxLineBytes: TEST_MAX_LINE_BYTES, ...options.ingestLimits },
    ...(options.asReport ? { startOnUse: true, prepareIngest: true } : {}),
  });
  return { kernel, logs };
}

/** The kernel's store, for assertions. */
export function storeOf(kernel: Kernel): Database {
  return kernel.container.resolve(Tokens.Database);
}

/** Totals of the store as the reports read them. */
export async function storedTotals(db: Database, filter: Parameters<CostAggregator['breakdown']>[0] = {}): Promise<ExpectedUsage> {
  return new CostAggregator(db).breakdown(filter);
}

/** Rounds a cost for comparison "to the cent" (and well below it). */
export function usd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Compares token totals exactly and the cost to a millionth of a dollar. */
export function comparable(usage: ExpectedUsage): ExpectedUsage {
  return { ...usage, costUsd: usd(usage.costUsd) };
}
