import ivm from 'isolated-vm';
import { compare, type SuiteResult } from '../bench-result';
import { BASELINE_MEMORY_MB, BenchPluginFixture } from '../bench-plugin';
import { elapsedMs, now, summarize } from '../measure';

const WARMUP = 5;
const SAMPLES = 100;

/**
 * Isolate cold start per plugin: `PluginSandbox.start` + `activate` of a small SDK plugin, then
 * `dispose`, against a bare isolate + context + dispose. The two alternate, so drift in the
 * machine's load falls on both alike.
 */
export async function coldStart(): Promise<SuiteResult> {
  const began = now();
  const fixture = await BenchPluginFixture.create();
  const ours: number[] = [];
  const startOnly: number[] = [];
  const activateOnly: number[] = [];
  const disposeOnly: number[] = [];
  const bare: number[] = [];
  try {
    for (let i = 0; i < WARMUP + SAMPLES; i += 1) {
      const measured = i >= WARMUP;

      const b0 = now();
      const isolate = new ivm.Isolate({ memoryLimit: BASELINE_MEMORY_MB });
      const context = await isolate.createContext();
      context.release();
      isolate.dispose();
      if (measured) bare.push(elapsedMs(b0));

      // The capability host is built outside the timing: it holds no isolate, and the plugin
      // runner builds it before the sandbox too.
      const host = fixture.capabilityHost();
      const t0 = now();
      const sandbox = await fixture.start(host);
      const t1 = now();
      await sandbox.activate();
      const t2 = now();
      sandbox.dispose('cold start measured');
      const t3 = now();
      await host.dispose();
      if (measured) {
        ours.push(elapsedMs(t0, t3));
        startOnly.push(elapsedMs(t0, t1));
        activateOnly.push(elapsedMs(t1, t2));
        disposeOnly.push(elapsedMs(t2, t3));
      }
    }
  } finally {
    await fixture.cleanup();
  }
  return {
    suite: 'cold-start',
    title: 'Isolate cold start per plugin',
    comparisons: [
      compare({
        id: 'cold-start',
        label: 'sandbox start + activate + dispose',
        unit: 'ms',
        ours: summarize(ours),
        baselineLabel: 'bare ivm Isolate + createContext + dispose',
        baseline: summarize(bare),
        note: `${SAMPLES} samples after ${WARMUP} warm-up, alternating with the baseline`,
      }),
    ],
    figures: [
      { id: 'cold-start.start', label: 'of which PluginSandbox.start (bridge, bundle, describe), median', unit: 'ms', value: summarize(startOnly).median },
      { id: 'cold-start.activate', label: 'of which activate, median', unit: 'ms', value: summarize(activateOnly).median },
      { id: 'cold-start.dispose', label: 'of which dispose, median', unit: 'ms', value: summarize(disposeOnly).median },
    ],
    durationMs: elapsedMs(began),
  };
}
