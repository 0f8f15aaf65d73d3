import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { IngestRunSummary } from '../../../../kernel/services/ingestion';
import { installTestAdapter, makeIngestWorld, type IngestWorld } from '../ingest-harness';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** Bundles the ingest child once per test file (esbuild, node packages left external). */
export async function bundleIngestChild(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, 'ingest-child.js');
  await build({
    entryPoints: [path.join(__dirname, 'fixtures', 'ingest-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'silent',
  });
  return outfile;
}

export interface ChildRun {
  /** Resolves when the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves with the child's output so far once `predicate` holds for it. */
  waitFor(predicate: (stdout: string) => boolean): Promise<string>;
  kill(): void;
}

/** Starts one ingest in a child process over `world` (with `--no-node-snapshot`, as every isolate host needs). */
export function startIngestChild(bundle: string, world: IngestWorld, ingestLimits?: Record<string, number>): ChildRun {
  const args = JSON.stringify({ dir: world.dir, agentHome: world.agentHome, home: world.home, dataDir: world.dataDir, pluginsDir: world.pluginsDir, ingestLimits });
  const child = spawn(process.execPath, ['--no-node-snapshot', bundle, args], {
    env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ predicate: (out: string) => boolean; resolve: (out: string) => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of [...waiters]) {
      if (waiter.predicate(stdout)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(stdout);
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return {
    exited,
    waitFor: (predicate) =>
      new Promise<string>((resolve, reject) => {
        if (predicate(stdout)) {
          resolve(stdout);
          return;
        }
        waiters.push({ predicate, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`the ingest child exited (${String(code ?? signal)}) before the awaited output; stdout ${JSON.stringify(stdout.slice(-500))}, stderr ${stderr.slice(-2000)}`)));
      }),
    kill: () => child.kill('SIGKILL'),
  };
}

/** The summary and peak RSS a child printed on its `done` line. */
export function doneLine(stdout: string): { summary: IngestRunSummary; maxRssKb: number } {
  const line = stdout.split('\n').find((text) => text.startsWith('done '));
  if (line === undefined) throw new Error(`the ingest child printed no done line: ${stdout.slice(-500)}`);
  return JSON.parse(line.slice('done '.length)) as { summary: IngestRunSummary; maxRssKb: number };
}

/** Chunks and sources the child has committed so far (one `progress` line each). */
export function progressCount(stdout: string): number {
  return stdout.split('\n').filter((line) => line.startsWith('progress ')).length;
}

export interface ChildWorlds {
  /** The bundled child (valid once the file's `beforeAll` ran). */
  bundle(): string;
  /** A fresh world with the test adapter installed, removed after the file's tests. */
  world(): Promise<IngestWorld>;
}

/** Bundles the child once for the test file and removes every world it made afterwards. */
export function useChildWorlds(): ChildWorlds {
  const worlds: IngestWorld[] = [];
  let bundle: string | undefined;
  beforeAll(async () => {
    const scratch = makeIngestWorld();
    worlds.push(scratch);
    bundle = await bundleIngestChild(path.join(scratch.dir, 'bundle'));
  });
  afterAll(() => {
    for (const world of worlds.splice(0)) world.dispose();
  });
  return {
    bundle: () => {
      if (bundle === undefined) throw new Error('useChildWorlds: the child is not bundled yet (call it at the top of a test file)');
      return bundle;
    },
    world: async () => {
      const world = makeIngestWorld();
      worlds.push(world);
      await installTestAdapter(world.pluginsDir);
      return world;
    },
  };
}
