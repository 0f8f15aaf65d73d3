import path from 'node:path';
import fs from 'node:fs/promises';
import { resolveConfig } from '../../../kernel/config';
import { Tokens } from '../../../kernel/core/container';
import { MemoryHookExecutionRecorder, type HookExecution } from '../../../kernel/core/hooks';
import { Kernel } from '../../../kernel/core/lifecycle';
import { createLogger } from '../../../kernel/core/logging';
import { DatabaseHookExecutionRecorder } from '../../../kernel/services/storage/stores';
import { writeSdkPlugin } from '../../fixtures/kernel/sdk-plugin';
import { makeTempDir, removeDir } from '../../fixtures/registry/write-plugin';
import { compare, type SuiteResult } from '../bench-result';
import { elapsedMs, now, summarize } from '../measure';

const PLUGINS = 20;
const WARMUP = 1;
const SAMPLES = 15;

/** A hook plugin that writes to its kv store when the kernel is ready, so ready waits for it. */
const READY_PLUGIN_SOURCE = `
import { defineHookPlugin } from '@rimuru/sdk';
export default defineHookPlugin({
  hooks: {
    async KernelReady(payload, ctx) { await ctx.kv.set('ready', payload); },
  },
});
`;

interface BootRun {
  bootMs: number;
  shutdownMs: number;
  /** Wall time from the first KernelReady handler's start to the last one's end, from the kernel's hook recorder. */
  readyHandlersMs: number;
  running: number;
}

const logger = createLogger({ level: 'silent', pretty: false });

async function bootOnce(root: string, builtinPluginDir: string, run: number): Promise<BootRun> {
  const dataDir = path.join(root, `data-${run}`);
  const config = resolveConfig({ dataDir, plugins: { dir: path.join(root, 'user-plugins') } }, { cwd: root, env: {}, homeDir: root });
  const t0 = now();
  const kernel = await Kernel.boot({ config, logger, builtinPluginDir, env: {}, homeDir: root });
  const bootMs = elapsedMs(t0);
  const running = kernel.summary().running;
  const missing = await missingReadyWrites(kernel, running);
  if (missing.length > 0) throw new Error(`kernel boot: ${missing.join(', ')} did not write their kv entry before ready`);
  const ready = await readyExecutions(kernel);
  // The handlers run side by side (emitParallel), so their span, not their sum, is what boot waits for.
  const readyHandlersMs =
    ready.length === 0
      ? Number.NaN
      : Math.max(...ready.map((e) => Date.parse(e.startedAt) + e.durationMs)) - Math.min(...ready.map((e) => Date.parse(e.startedAt)));
  const t1 = now();
  await kernel.shutdown('benchmark done');
  const shutdownMs = elapsedMs(t1);
  return { bootMs, shutdownMs, readyHandlersMs, running };
}

/** Of the first `plugins` plugins, those whose KernelReady handler had not written to the kernel's kv store (in its database) when boot returned. */
async function missingReadyWrites(kernel: Kernel, plugins: number): Promise<string[]> {
  const kv = kernel.container.resolve(Tokens.KvStore);
  const missing: string[] = [];
  for (let i = 1; i <= plugins; i += 1) {
    if ((await kv.get(pluginName(i), 'ready')) === undefined) missing.push(pluginName(i));
  }
  return missing;
}

/**
 * The KernelReady executions the kernel recorded. The kernel records into the store in batches:
 * they are flushed here, after boot was timed (shutdown then has one flush less to do).
 */
async function readyExecutions(kernel: Kernel): Promise<HookExecution[]> {
  const recorder = kernel.container.resolve(Tokens.HookExecutionRecorder);
  if (recorder instanceof MemoryHookExecutionRecorder) return recorder.recent().filter((e) => e.hook === 'KernelReady');
  if (recorder instanceof DatabaseHookExecutionRecorder) {
    await recorder.flush();
    return recorder.recent(1_000, 'KernelReady');
  }
  return [];
}

function pluginName(i: number): string {
  return `bench-boot-${String(i).padStart(2, '0')}`;
}

/**
 * Kernel boot to ready: `Kernel.boot` over a plugins dir of 20 SDK hook plugins, each writing
 * to kv on KernelReady, until boot returns (ready); then shutdown. Baseline: the same boot over
 * an empty plugins dir. The two alternate; each boot gets a fresh data dir.
 */
export async function kernelBoot(): Promise<SuiteResult> {
  const began = now();
  const root = await makeTempDir('rimuru-bench-boot-');
  const withPlugins = path.join(root, 'plugins-20');
  const empty = path.join(root, 'plugins-0');
  await fs.mkdir(empty, { recursive: true });
  for (let i = 1; i <= PLUGINS; i += 1) {
    await writeSdkPlugin(withPlugins, { name: pluginName(i), contributes: { hooks: [{ hook: 'KernelReady' }] }, source: READY_PLUGIN_SOURCE });
  }
  const ours: BootRun[] = [];
  const bare: BootRun[] = [];
  let run = 0;
  try {
    for (let i = 0; i < WARMUP + SAMPLES; i += 1) {
      const baseline = await bootOnce(root, empty, run++);
      const loaded = await bootOnce(root, withPlugins, run++);
      if (loaded.running !== PLUGINS) throw new Error(`kernel boot: ${loaded.running} of ${PLUGINS} plugins were running at ready`);
      if (i >= WARMUP) {
        bare.push(baseline);
        ours.push(loaded);
      }
    }
  } finally {
    await removeDir(root);
  }
  const boot20 = summarize(ours.map((r) => r.bootMs));
  const boot0 = summarize(bare.map((r) => r.bootMs));
  const readyHandlers = summarize(ours.map((r) => r.readyHandlersMs)).median;
  return {
    suite: 'kernel-boot',
    title: `Kernel boot to ready with ${PLUGINS} plugins`,
    comparisons: [
      compare({
        id: 'kernel-boot',
        label: `Kernel.boot → ready, ${PLUGINS} plugins`,
        unit: 'ms',
        ours: boot20,
        baselineLabel: 'Kernel.boot → ready, 0 plugins',
        baseline: boot0,
        note: `${SAMPLES} boots each after ${WARMUP} warm-up, alternating; fresh data dir per boot`,
      }),
    ],
    figures: [
      { id: 'kernel-boot.per-plugin', label: `per plugin, (t${PLUGINS} − t0) / ${PLUGINS} at the median`, unit: 'ms', value: (boot20.median - boot0.median) / PLUGINS },
      { id: 'kernel-boot.ready-handlers', label: `of which ${PLUGINS} KernelReady handlers (kv write each, run side by side), median wall span`, unit: 'ms', value: readyHandlers },
      { id: 'kernel-boot.start-per-plugin', label: 'plugin start per plugin, without its KernelReady handler', unit: 'ms', value: (boot20.median - boot0.median - readyHandlers) / PLUGINS },
      { id: 'kernel-boot.shutdown', label: `shutdown with ${PLUGINS} plugins, median`, unit: 'ms', value: summarize(ours.map((r) => r.shutdownMs)).median },
      { id: 'kernel-boot.shutdown-empty', label: 'shutdown with 0 plugins, median', unit: 'ms', value: summarize(bare.map((r) => r.shutdownMs)).median },
    ],
    durationMs: elapsedMs(began),
  };
}
