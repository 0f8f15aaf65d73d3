import { fork } from 'node:child_process';
import path from 'node:path';
import { kernelPackageRoot } from '../../kernel/cli/package-root';
import type { SuiteResult } from './bench-result';
import { elapsedMs, now } from './measure';
import { loadAverage, machineInfo, RATIO_MEANING, renderReport, writeReport, type BenchReport } from './report';
import { coldStart } from './suites/cold-start';
import { exportSuite } from './suites/export';
import { hookDispatch } from './suites/hook-dispatch';
import { hostToPlugin } from './suites/host-to-plugin';
import { ingest } from './suites/ingest';
import { kernelBoot } from './suites/kernel-boot';
import { pluginToHost } from './suites/plugin-to-host';
import { storage } from './suites/storage';

/**
 * `npm run bench`: each suite runs in a fresh child process (isolates, JIT state and heap
 * left behind by one suite must not tax the next), reports its figures over IPC, and this
 * process prints the table and writes `test/bench/results/latest.json`.
 *
 *   node --no-node-snapshot dist/test/bench/run.js [suite…]
 *
 * Naming suites runs only those and writes nothing.
 */
const SUITES: Record<string, () => Promise<SuiteResult>> = {
  'cold-start': coldStart,
  'host-to-plugin': hostToPlugin,
  'plugin-to-host': pluginToHost,
  'hook-dispatch': hookDispatch,
  'kernel-boot': kernelBoot,
  storage,
  ingest,
  export: exportSuite,
};

const SNAPSHOT_FLAG = '--no-node-snapshot';
const SUITE_FLAG = '--suite';

function hasSnapshotFlag(): boolean {
  return process.execArgv.includes(SNAPSHOT_FLAG) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(SNAPSHOT_FLAG);
}

function runSuiteInChild(name: string): Promise<SuiteResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [SUITE_FLAG, name], {
      execArgv: [...process.execArgv.filter((arg) => arg !== SNAPSHOT_FLAG), SNAPSHOT_FLAG],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: SuiteResult | undefined;
    child.on('message', (message: SuiteResult) => {
      result = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`suite ${name} failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

async function runChild(name: string): Promise<void> {
  const suite = SUITES[name];
  if (!suite) throw new Error(`unknown suite ${name}`);
  const result = await suite();
  const send = process.send?.bind(process);
  if (!send) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exit(0);
  }
  // Exit explicitly once the parent has the result: a lingering isolate handle must not hang the run.
  send(result, () => process.exit(0));
}

async function runAll(names: string[]): Promise<void> {
  const began = now();
  const date = new Date().toISOString();
  const loadAtStart = loadAverage();
  const suites: SuiteResult[] = [];
  for (const name of names) {
    process.stderr.write(`bench: ${name}…\n`);
    suites.push(await runSuiteInChild(name));
  }
  const report: BenchReport = { date, machine: machineInfo(loadAtStart), ratio: RATIO_MEANING, durationMs: elapsedMs(began), suites };
  process.stdout.write(`${renderReport(report)}\n`);
  if (names.length === Object.keys(SUITES).length) {
    const file = path.join(kernelPackageRoot(), 'test', 'bench', 'results', 'latest.json');
    await writeReport(file, report);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file) || file}\n`);
  } else {
    process.stdout.write('partial run: results/latest.json left as it was\n');
  }
}

async function main(): Promise<void> {
  if (!hasSnapshotFlag()) {
    throw new Error(`run the benchmarks with node ${SNAPSHOT_FLAG} (isolated-vm on Node 20 crashes without it): npm run bench`);
  }
  const args = process.argv.slice(2);
  if (args[0] === SUITE_FLAG && args[1]) return runChild(args[1]);
  const unknown = args.filter((name) => !(name in SUITES));
  if (unknown.length > 0) throw new Error(`unknown suite ${unknown.join(', ')}; suites: ${Object.keys(SUITES).join(', ')}`);
  return runAll(args.length > 0 ? args : Object.keys(SUITES));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
