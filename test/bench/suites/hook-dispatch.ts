import { HookBus, MemoryHookExecutionRecorder, type HookHandler } from '../../../kernel/core/hooks';
import { Continue, type CustomHookName } from '../../../sdk/src/hooks';
import { compare, type SuiteResult } from '../bench-result';
import { BENCH_HOOK, BenchPluginFixture } from '../bench-plugin';
import { elapsedMs, elapsedUs, now, summarize, summarizeRate, warmUp } from '../measure';
import { SMALL_PAYLOAD } from '../payloads';

const HOOK: CustomHookName = BENCH_HOOK;
const WARMUP = 500;
const ROUNDS = 20;
const BATCHES_PER_ROUND = 3;
const EMITS_PER_BATCH = 100;

/** A bus as the kernel builds one: default timeout, an in-memory execution recorder. */
function busWith(handle: HookHandler['handle']): HookBus {
  const bus = new HookBus({ recorder: new MemoryHookExecutionRecorder() });
  bus.register({ id: `bench:${HOOK}`, owner: 'bench-plugin', hook: HOOK, priority: 100, handle });
  return bus;
}

/** Emits `EMITS_PER_BATCH` times in sequence; returns each emit's µs and the batch's events/s. */
async function batch(bus: HookBus, latencies: number[]): Promise<number> {
  const start = now();
  for (let i = 0; i < EMITS_PER_BATCH; i += 1) {
    const t0 = now();
    const { executions } = await bus.emitSeries(HOOK, SMALL_PAYLOAD);
    latencies.push(elapsedUs(t0));
    if (executions[0]?.result !== 'continue') throw new Error(`hook dispatch: the handler answered ${executions[0]?.result ?? 'nothing'}`);
  }
  return EMITS_PER_BATCH / (elapsedMs(start) / 1000);
}

/**
 * Hook dispatch to a sandboxed handler: `HookBus.emitSeries` with one handler wrapping
 * `sandbox.runHook` (as the plugin runner registers it), against the same bus with a host
 * handler returning Continue. Sequential emits, so the rate is 1 / round-trip time.
 */
export async function hookDispatch(): Promise<SuiteResult> {
  const began = now();
  const fixture = await BenchPluginFixture.create();
  const { sandbox, stop } = await fixture.running();
  const sandboxed = busWith((payload) => sandbox.runHook(HOOK, payload));
  const host = busWith(() => Continue());
  const latency = { ours: [] as number[], baseline: [] as number[] };
  const rate = { ours: [] as number[], baseline: [] as number[] };
  try {
    await warmUp(WARMUP, () => sandboxed.emitSeries(HOOK, SMALL_PAYLOAD));
    await warmUp(WARMUP, () => host.emitSeries(HOOK, SMALL_PAYLOAD));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (let b = 0; b < BATCHES_PER_ROUND; b += 1) rate.ours.push(await batch(sandboxed, latency.ours));
      for (let b = 0; b < BATCHES_PER_ROUND; b += 1) rate.baseline.push(await batch(host, latency.baseline));
    }
  } finally {
    await stop();
    await fixture.cleanup();
  }
  const emits = ROUNDS * BATCHES_PER_ROUND * EMITS_PER_BATCH;
  const baselineLabel = 'same HookBus, in-process host handler';
  return {
    suite: 'hook-dispatch',
    title: 'Hook dispatch to a sandboxed handler',
    comparisons: [
      compare({
        id: 'hook-dispatch.rate',
        label: 'emitSeries → sandbox.runHook, rate',
        unit: 'events/s',
        ours: summarizeRate(rate.ours),
        baselineLabel,
        baseline: summarizeRate(rate.baseline),
        note: `${emits} sequential emits each, in batches of ${EMITS_PER_BATCH}; p95 = rate 95% of batches reached`,
      }),
      compare({
        id: 'hook-dispatch.latency',
        label: 'emitSeries → sandbox.runHook, per emit',
        unit: 'µs',
        ours: summarize(latency.ours),
        baselineLabel,
        baseline: summarize(latency.baseline),
      }),
    ],
    figures: [],
    durationMs: elapsedMs(began),
  };
}
